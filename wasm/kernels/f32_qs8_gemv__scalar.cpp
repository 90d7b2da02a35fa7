// Portable matrix-vector product with int8 weights and a float scale per row, dequantised on
// the fly as float(q) * scale (exactly the loader's float weights): the same float
// operations in the same order as f32_gemv__scalar on those weights.
#include "ukernels.h"

namespace camscope {
namespace kernels {

void f32_qs8_gemv__scalar(size_t m, size_t k, const int8_t* q, const float* scale, size_t ldq,
                          const float* x, float* y) {
  const size_t k8 = k & ~size_t{7};
  for (size_t o = 0; o < m; ++o) {
    const int8_t* row = q + o * ldq;
    const float sc = scale[o];
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < k8; i += 8)
      for (int l = 0; l < 8; ++l) s[l] = s[l] + (static_cast<float>(row[i + l]) * sc) * x[i + l];
    const float u0 = s[0] + s[4], u1 = s[1] + s[5], u2 = s[2] + s[6], u3 = s[3] + s[7];
    float r = (u0 + u2) + (u1 + u3);
    for (size_t i = k8; i < k; ++i) r = r + (static_cast<float>(row[i]) * sc) * x[i];
    y[o] = r;
  }
}

}  // namespace kernels
}  // namespace camscope

// Portable matrix-vector product (reference order for the SIMD variants).
#include "ukernels.h"

namespace camscope {
namespace kernels {

void f32_gemv__scalar(size_t m, size_t k, const float* w, size_t ldw, const float* x, float* y) {
  const size_t k8 = k & ~size_t{7};
  for (size_t o = 0; o < m; ++o) {
    const float* row = w + o * ldw;
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < k8; i += 8)
      for (int l = 0; l < 8; ++l) s[l] = s[l] + row[i + l] * x[i + l];
    const float u0 = s[0] + s[4], u1 = s[1] + s[5], u2 = s[2] + s[6], u3 = s[3] + s[7];
    float r = (u0 + u2) + (u1 + u3);
    for (size_t i = k8; i < k; ++i) r = r + row[i] * x[i];
    y[o] = r;
  }
}

}  // namespace kernels
}  // namespace camscope

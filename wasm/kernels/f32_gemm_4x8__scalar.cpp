// Portable 4x8 GEMM micro-kernel (reference for the SIMD variants: same operation order).
#include "ukernels.h"

namespace camscope {
namespace kernels {
namespace {
constexpr int kMR = 4, kNR = 8;  // the tile (config.cpp registers it)
}  // namespace

void f32_gemm_4x8__scalar(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                          bool accumulate) {
  float acc[kMR][kNR];
  for (int i = 0; i < kMR; ++i)
    for (int j = 0; j < kNR; ++j) acc[i][j] = accumulate ? c[i * ldc + j] : 0.0f;
  for (size_t p = 0; p < kc; ++p) {
    const float* ap = a + p * kMR;
    const float* bp = b + p * kNR;
    for (int i = 0; i < kMR; ++i) {
      const float ai = ap[i];
      for (int j = 0; j < kNR; ++j) acc[i][j] = acc[i][j] + ai * bp[j];
    }
  }
  for (int i = 0; i < kMR; ++i)
    for (int j = 0; j < kNR; ++j) c[i * ldc + j] = acc[i][j];
}

}  // namespace kernels
}  // namespace camscope

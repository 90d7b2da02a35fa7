// 8x8 GEMM micro-kernel, AVX2 + FMA (fast class): 8 accumulators, each k one B load, eight
// A broadcasts, eight fused multiply-adds. A narrower tile than 6x16 (less padding when N is
// small, as in Winograd's 49-tile GEMMs), at one broadcast per FMA.
// Compiled with -mavx2 -mfma (CMakeLists.txt); run only where the CPU has both (config.cpp).
#include "ukernels.h"

// Empty where compiled without -mavx2 -mfma (e.g. a build listing wasm/kernels/*.cpp).
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace camscope {
namespace kernels {

void f32_gemm_8x8__avx2_fma(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                            bool accumulate) {
  __m256 v0, v1, v2, v3, v4, v5, v6, v7;
  if (accumulate) {
    v0 = _mm256_loadu_ps(c), v1 = _mm256_loadu_ps(c + ldc);
    v2 = _mm256_loadu_ps(c + 2 * ldc), v3 = _mm256_loadu_ps(c + 3 * ldc);
    v4 = _mm256_loadu_ps(c + 4 * ldc), v5 = _mm256_loadu_ps(c + 5 * ldc);
    v6 = _mm256_loadu_ps(c + 6 * ldc), v7 = _mm256_loadu_ps(c + 7 * ldc);
  } else {
    v0 = v1 = v2 = v3 = v4 = v5 = v6 = v7 = _mm256_setzero_ps();
  }
  for (size_t p = 0; p < kc; ++p) {
    const __m256 vb = _mm256_loadu_ps(b);
    v0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a), vb, v0);
    v1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 1), vb, v1);
    v2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 2), vb, v2);
    v3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 3), vb, v3);
    v4 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 4), vb, v4);
    v5 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 5), vb, v5);
    v6 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 6), vb, v6);
    v7 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 7), vb, v7);
    a += 8;
    b += 8;
  }
  _mm256_storeu_ps(c, v0), _mm256_storeu_ps(c + ldc, v1);
  _mm256_storeu_ps(c + 2 * ldc, v2), _mm256_storeu_ps(c + 3 * ldc, v3);
  _mm256_storeu_ps(c + 4 * ldc, v4), _mm256_storeu_ps(c + 5 * ldc, v5);
  _mm256_storeu_ps(c + 6 * ldc, v6), _mm256_storeu_ps(c + 7 * ldc, v7);
}

}  // namespace kernels
}  // namespace camscope
#endif

// 6x16 GEMM micro-kernel, AVX2 + FMA (fast class): 12 accumulators (6 rows x two 8-wide
// halves), each k two B loads, six A broadcasts, twelve fused multiply-adds -- the largest
// tile the 16 YMM registers hold with the B values and one broadcast live.
// Compiled with -mavx2 -mfma (CMakeLists.txt); run only where the CPU has both (config.cpp).
#include "ukernels.h"

// Empty where compiled without -mavx2 -mfma (e.g. a build listing wasm/kernels/*.cpp).
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace camscope {
namespace kernels {

void f32_gemm_6x16__avx2_fma(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                             bool accumulate) {
  float* c0 = c;
  float* c1 = c0 + ldc;
  float* c2 = c1 + ldc;
  float* c3 = c2 + ldc;
  float* c4 = c3 + ldc;
  float* c5 = c4 + ldc;
  __m256 v00, v01, v10, v11, v20, v21, v30, v31, v40, v41, v50, v51;
  if (accumulate) {
    v00 = _mm256_loadu_ps(c0), v01 = _mm256_loadu_ps(c0 + 8);
    v10 = _mm256_loadu_ps(c1), v11 = _mm256_loadu_ps(c1 + 8);
    v20 = _mm256_loadu_ps(c2), v21 = _mm256_loadu_ps(c2 + 8);
    v30 = _mm256_loadu_ps(c3), v31 = _mm256_loadu_ps(c3 + 8);
    v40 = _mm256_loadu_ps(c4), v41 = _mm256_loadu_ps(c4 + 8);
    v50 = _mm256_loadu_ps(c5), v51 = _mm256_loadu_ps(c5 + 8);
  } else {
    v00 = v01 = v10 = v11 = v20 = v21 = v30 = v31 = v40 = v41 = v50 = v51 = _mm256_setzero_ps();
  }
  for (size_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    __m256 x = _mm256_broadcast_ss(a);
    v00 = _mm256_fmadd_ps(x, b0, v00);
    v01 = _mm256_fmadd_ps(x, b1, v01);
    x = _mm256_broadcast_ss(a + 1);
    v10 = _mm256_fmadd_ps(x, b0, v10);
    v11 = _mm256_fmadd_ps(x, b1, v11);
    x = _mm256_broadcast_ss(a + 2);
    v20 = _mm256_fmadd_ps(x, b0, v20);
    v21 = _mm256_fmadd_ps(x, b1, v21);
    x = _mm256_broadcast_ss(a + 3);
    v30 = _mm256_fmadd_ps(x, b0, v30);
    v31 = _mm256_fmadd_ps(x, b1, v31);
    x = _mm256_broadcast_ss(a + 4);
    v40 = _mm256_fmadd_ps(x, b0, v40);
    v41 = _mm256_fmadd_ps(x, b1, v41);
    x = _mm256_broadcast_ss(a + 5);
    v50 = _mm256_fmadd_ps(x, b0, v50);
    v51 = _mm256_fmadd_ps(x, b1, v51);
    a += 6;
    b += 16;
  }
  _mm256_storeu_ps(c0, v00), _mm256_storeu_ps(c0 + 8, v01);
  _mm256_storeu_ps(c1, v10), _mm256_storeu_ps(c1 + 8, v11);
  _mm256_storeu_ps(c2, v20), _mm256_storeu_ps(c2 + 8, v21);
  _mm256_storeu_ps(c3, v30), _mm256_storeu_ps(c3 + 8, v31);
  _mm256_storeu_ps(c4, v40), _mm256_storeu_ps(c4 + 8, v41);
  _mm256_storeu_ps(c5, v50), _mm256_storeu_ps(c5 + 8, v51);
}

}  // namespace kernels
}  // namespace camscope
#endif

// Matrix-vector product, AVX2 + FMA (fast class): four rows at a time, two 8-wide running
// sums per row (eight independent FMA chains), summed across lanes at the end.
// Compiled with -mavx2 -mfma (CMakeLists.txt); run only where the CPU has both (config.cpp).
#include "avx2_sum.h"
#include "ukernels.h"

// Empty where compiled without -mavx2 -mfma (e.g. a build listing wasm/kernels/*.cpp).
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace camscope {
namespace kernels {

void f32_gemv__avx2_fma(size_t m, size_t k, const float* w, size_t ldw, const float* x, float* y) {
  const size_t k16 = k & ~size_t{15}, k8 = k & ~size_t{7};
  size_t o = 0;
  for (; o + 4 <= m; o += 4) {
    const float* r0 = w + o * ldw;
    const float* r1 = r0 + ldw;
    const float* r2 = r1 + ldw;
    const float* r3 = r2 + ldw;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    __m256 t0 = s0, t1 = s0, t2 = s0, t3 = s0;
    size_t i = 0;
    for (; i < k16; i += 16) {
      const __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + i), x0, s0);
      t0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + i + 8), x1, t0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + i), x0, s1);
      t1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + i + 8), x1, t1);
      s2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + i), x0, s2);
      t2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + i + 8), x1, t2);
      s3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + i), x0, s3);
      t3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + i + 8), x1, t3);
    }
    for (; i < k8; i += 8) {
      const __m256 x0 = _mm256_loadu_ps(x + i);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + i), x0, s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + i), x0, s1);
      s2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + i), x0, s2);
      s3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + i), x0, s3);
    }
    float y0 = avx2_hsum(_mm256_add_ps(s0, t0)), y1 = avx2_hsum(_mm256_add_ps(s1, t1));
    float y2 = avx2_hsum(_mm256_add_ps(s2, t2)), y3 = avx2_hsum(_mm256_add_ps(s3, t3));
    for (; i < k; ++i) {
      y0 = y0 + r0[i] * x[i];
      y1 = y1 + r1[i] * x[i];
      y2 = y2 + r2[i] * x[i];
      y3 = y3 + r3[i] * x[i];
    }
    y[o] = y0, y[o + 1] = y1, y[o + 2] = y2, y[o + 3] = y3;
  }
  // The rows left over take each row's operations of the four-row loop, in the same order, so
  // that a row's result does not depend on the rows it was grouped with (the threaded build
  // splits the rows anywhere: KernelsThreaded tests bit-identity for every thread count).
  for (; o < m; ++o) {
    const float* r = w + o * ldw;
    __m256 s = _mm256_setzero_ps(), t = s;
    size_t i = 0;
    for (; i < k16; i += 16) {
      s = _mm256_fmadd_ps(_mm256_loadu_ps(r + i), _mm256_loadu_ps(x + i), s);
      t = _mm256_fmadd_ps(_mm256_loadu_ps(r + i + 8), _mm256_loadu_ps(x + i + 8), t);
    }
    for (; i < k8; i += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(r + i), _mm256_loadu_ps(x + i), s);
    float v = avx2_hsum(_mm256_add_ps(s, t));
    for (; i < k; ++i) v = v + r[i] * x[i];
    y[o] = v;
  }
}

}  // namespace kernels
}  // namespace camscope
#endif

// int8-weight matrix-vector product, AVX2 + FMA (fast class): four rows at a time, eight int8
// weights sign-extended and converted per step, y[o] = scale[o] * sum_k q[o][k] * x[k] (the
// scale applied once per row instead of per weight: a different rounding order from the
// exact class's float(q) * scale per weight, within the fast class's tolerance).
// Compiled with -mavx2 -mfma (CMakeLists.txt); run only where the CPU has both (config.cpp).
#include "avx2_sum.h"
#include "ukernels.h"

// Empty where compiled without -mavx2 -mfma (e.g. a build listing wasm/kernels/*.cpp).
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace camscope {
namespace kernels {
namespace {

// Eight int8 values at p as floats.
inline __m256 widen8(const int8_t* p) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
}

}  // namespace

void f32_qs8_gemv__avx2_fma(size_t m, size_t k, const int8_t* q, const float* scale, size_t ldq,
                            const float* x, float* y) {
  const size_t k8 = k & ~size_t{7};
  size_t o = 0;
  for (; o + 4 <= m; o += 4) {
    const int8_t* r0 = q + o * ldq;
    const int8_t* r1 = r0 + ldq;
    const int8_t* r2 = r1 + ldq;
    const int8_t* r3 = r2 + ldq;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i < k8; i += 8) {
      const __m256 xv = _mm256_loadu_ps(x + i);
      s0 = _mm256_fmadd_ps(widen8(r0 + i), xv, s0);
      s1 = _mm256_fmadd_ps(widen8(r1 + i), xv, s1);
      s2 = _mm256_fmadd_ps(widen8(r2 + i), xv, s2);
      s3 = _mm256_fmadd_ps(widen8(r3 + i), xv, s3);
    }
    float y0 = avx2_hsum(s0), y1 = avx2_hsum(s1), y2 = avx2_hsum(s2), y3 = avx2_hsum(s3);
    for (; i < k; ++i) {
      y0 = y0 + static_cast<float>(r0[i]) * x[i];
      y1 = y1 + static_cast<float>(r1[i]) * x[i];
      y2 = y2 + static_cast<float>(r2[i]) * x[i];
      y3 = y3 + static_cast<float>(r3[i]) * x[i];
    }
    y[o] = y0 * scale[o], y[o + 1] = y1 * scale[o + 1];
    y[o + 2] = y2 * scale[o + 2], y[o + 3] = y3 * scale[o + 3];
  }
  for (; o < m; ++o) {
    const int8_t* r = q + o * ldq;
    __m256 s = _mm256_setzero_ps();
    size_t i = 0;
    for (; i < k8; i += 8) s = _mm256_fmadd_ps(widen8(r + i), _mm256_loadu_ps(x + i), s);
    float t = avx2_hsum(s);
    for (; i < k; ++i) t = t + static_cast<float>(r[i]) * x[i];
    y[o] = t * scale[o];
  }
}

}  // namespace kernels
}  // namespace camscope
#endif

// Matrix-vector product, SSE2: two rows at a time, eight running sums per row.
#include "ukernels.h"

#if defined(__SSE2__)
#include <emmintrin.h>

namespace camscope {
namespace kernels {
namespace {

// (u0 + u2) + (u1 + u3) of u = lo + hi.
inline float reduce(__m128 lo, __m128 hi) {
  const __m128 u = _mm_add_ps(lo, hi);
  const __m128 v = _mm_add_ps(u, _mm_movehl_ps(u, u));  // u0+u2, u1+u3
  return _mm_cvtss_f32(_mm_add_ss(v, _mm_shuffle_ps(v, v, _MM_SHUFFLE(1, 1, 1, 1))));
}

}  // namespace

void f32_gemv__sse2(size_t m, size_t k, const float* w, size_t ldw, const float* x, float* y) {
  const size_t k8 = k & ~size_t{7};
  size_t o = 0;
  for (; o + 2 <= m; o += 2) {
    const float* r0 = w + o * ldw;
    const float* r1 = r0 + ldw;
    __m128 s00 = _mm_setzero_ps(), s01 = _mm_setzero_ps();
    __m128 s10 = _mm_setzero_ps(), s11 = _mm_setzero_ps();
    for (size_t i = 0; i < k8; i += 8) {
      const __m128 x0 = _mm_loadu_ps(x + i), x1 = _mm_loadu_ps(x + i + 4);
      s00 = _mm_add_ps(s00, _mm_mul_ps(_mm_loadu_ps(r0 + i), x0));
      s01 = _mm_add_ps(s01, _mm_mul_ps(_mm_loadu_ps(r0 + i + 4), x1));
      s10 = _mm_add_ps(s10, _mm_mul_ps(_mm_loadu_ps(r1 + i), x0));
      s11 = _mm_add_ps(s11, _mm_mul_ps(_mm_loadu_ps(r1 + i + 4), x1));
    }
    float t0 = reduce(s00, s01), t1 = reduce(s10, s11);
    for (size_t i = k8; i < k; ++i) {
      t0 = t0 + r0[i] * x[i];
      t1 = t1 + r1[i] * x[i];
    }
    y[o] = t0;
    y[o + 1] = t1;
  }
  if (o < m) f32_gemv__scalar(m - o, k, w + o * ldw, ldw, x, y + o);
}

}  // namespace kernels
}  // namespace camscope
#endif

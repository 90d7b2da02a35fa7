// int8-weight matrix-vector product, SSE2: two rows at a time, eight running sums per row,
// eight int8 weights widened to float and scaled per step (f32_qs8_gemv__scalar's order).
#include "ukernels.h"

#if defined(__SSE2__)
#include <emmintrin.h>

namespace camscope {
namespace kernels {
namespace {

inline float reduce(__m128 lo, __m128 hi) {
  const __m128 u = _mm_add_ps(lo, hi);
  const __m128 v = _mm_add_ps(u, _mm_movehl_ps(u, u));  // u0+u2, u1+u3
  return _mm_cvtss_f32(_mm_add_ss(v, _mm_shuffle_ps(v, v, _MM_SHUFFLE(1, 1, 1, 1))));
}

// Eight int8 values at p as two float vectors, each times `s` (sign-extended by unpacking
// into the high byte/half and shifting back arithmetically).
inline void dequant8(const int8_t* p, __m128 s, __m128& lo, __m128& hi) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  const __m128i w16 = _mm_srai_epi16(_mm_unpacklo_epi8(b, b), 8);
  const __m128i d0 = _mm_srai_epi32(_mm_unpacklo_epi16(w16, w16), 16);
  const __m128i d1 = _mm_srai_epi32(_mm_unpackhi_epi16(w16, w16), 16);
  lo = _mm_mul_ps(_mm_cvtepi32_ps(d0), s);
  hi = _mm_mul_ps(_mm_cvtepi32_ps(d1), s);
}

}  // namespace

void f32_qs8_gemv__sse2(size_t m, size_t k, const int8_t* q, const float* scale, size_t ldq,
                        const float* x, float* y) {
  const size_t k8 = k & ~size_t{7};
  size_t o = 0;
  for (; o + 2 <= m; o += 2) {
    const int8_t* r0 = q + o * ldq;
    const int8_t* r1 = r0 + ldq;
    const float sc0 = scale[o], sc1 = scale[o + 1];
    const __m128 vs0 = _mm_set1_ps(sc0), vs1 = _mm_set1_ps(sc1);
    __m128 s00 = _mm_setzero_ps(), s01 = _mm_setzero_ps();
    __m128 s10 = _mm_setzero_ps(), s11 = _mm_setzero_ps();
    for (size_t i = 0; i < k8; i += 8) {
      const __m128 x0 = _mm_loadu_ps(x + i), x1 = _mm_loadu_ps(x + i + 4);
      __m128 w00, w01, w10, w11;
      dequant8(r0 + i, vs0, w00, w01);
      dequant8(r1 + i, vs1, w10, w11);
      s00 = _mm_add_ps(s00, _mm_mul_ps(w00, x0));
      s01 = _mm_add_ps(s01, _mm_mul_ps(w01, x1));
      s10 = _mm_add_ps(s10, _mm_mul_ps(w10, x0));
      s11 = _mm_add_ps(s11, _mm_mul_ps(w11, x1));
    }
    float t0 = reduce(s00, s01), t1 = reduce(s10, s11);
    for (size_t i = k8; i < k; ++i) {
      t0 = t0 + (static_cast<float>(r0[i]) * sc0) * x[i];
      t1 = t1 + (static_cast<float>(r1[i]) * sc1) * x[i];
    }
    y[o] = t0;
    y[o + 1] = t1;
  }
  if (o < m) f32_qs8_gemv__scalar(m - o, k, q + o * ldq, scale + o, ldq, x, y + o);
}

}  // namespace kernels
}  // namespace camscope
#endif

// Shared by the AVX2 + FMA kernels only (included where -mavx2 -mfma are on).
#pragma once

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace camscope {
namespace kernels {

// The eight lanes of v added (any order: the fast class is held to a tolerance).
inline float avx2_hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace kernels
}  // namespace camscope
#endif

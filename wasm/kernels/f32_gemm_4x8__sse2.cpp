// 4x8 GEMM micro-kernel, SSE2: 8 accumulators, A broadcast one value at a time.
#include "ukernels.h"

#if defined(__SSE2__)
#include <emmintrin.h>

namespace camscope {
namespace kernels {
namespace {
constexpr int kMR = 4, kNR = 8;  // the tile (config.cpp registers it)
}  // namespace

void f32_gemm_4x8__sse2(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                        bool accumulate) {
  float* c0 = c;
  float* c1 = c0 + ldc;
  float* c2 = c1 + ldc;
  float* c3 = c2 + ldc;
  __m128 v00, v01, v10, v11, v20, v21, v30, v31;
  if (accumulate) {
    v00 = _mm_loadu_ps(c0), v01 = _mm_loadu_ps(c0 + 4);
    v10 = _mm_loadu_ps(c1), v11 = _mm_loadu_ps(c1 + 4);
    v20 = _mm_loadu_ps(c2), v21 = _mm_loadu_ps(c2 + 4);
    v30 = _mm_loadu_ps(c3), v31 = _mm_loadu_ps(c3 + 4);
  } else {
    v00 = v01 = v10 = v11 = v20 = v21 = v30 = v31 = _mm_setzero_ps();
  }
  for (size_t p = 0; p < kc; ++p) {
    const __m128 b0 = _mm_loadu_ps(b);
    const __m128 b1 = _mm_loadu_ps(b + 4);
    const __m128 va = _mm_loadu_ps(a);
    const __m128 a0 = _mm_shuffle_ps(va, va, _MM_SHUFFLE(0, 0, 0, 0));
    const __m128 a1 = _mm_shuffle_ps(va, va, _MM_SHUFFLE(1, 1, 1, 1));
    const __m128 a2 = _mm_shuffle_ps(va, va, _MM_SHUFFLE(2, 2, 2, 2));
    const __m128 a3 = _mm_shuffle_ps(va, va, _MM_SHUFFLE(3, 3, 3, 3));
    v00 = _mm_add_ps(v00, _mm_mul_ps(a0, b0));
    v01 = _mm_add_ps(v01, _mm_mul_ps(a0, b1));
    v10 = _mm_add_ps(v10, _mm_mul_ps(a1, b0));
    v11 = _mm_add_ps(v11, _mm_mul_ps(a1, b1));
    v20 = _mm_add_ps(v20, _mm_mul_ps(a2, b0));
    v21 = _mm_add_ps(v21, _mm_mul_ps(a2, b1));
    v30 = _mm_add_ps(v30, _mm_mul_ps(a3, b0));
    v31 = _mm_add_ps(v31, _mm_mul_ps(a3, b1));
    a += kMR;
    b += kNR;
  }
  _mm_storeu_ps(c0, v00), _mm_storeu_ps(c0 + 4, v01);
  _mm_storeu_ps(c1, v10), _mm_storeu_ps(c1 + 4, v11);
  _mm_storeu_ps(c2, v20), _mm_storeu_ps(c2 + 4, v21);
  _mm_storeu_ps(c3, v30), _mm_storeu_ps(c3 + 4, v31);
}

}  // namespace kernels
}  // namespace camscope
#endif

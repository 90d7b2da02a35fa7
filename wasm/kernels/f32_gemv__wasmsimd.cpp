// Matrix-vector product, WebAssembly SIMD: two rows at a time, eight running sums per row.
#include "ukernels.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

namespace camscope {
namespace kernels {
namespace {

// (u0 + u2) + (u1 + u3) of u = lo + hi.
inline float reduce(v128_t lo, v128_t hi) {
  const v128_t u = wasm_f32x4_add(lo, hi);
  const v128_t v = wasm_f32x4_add(u, wasm_i32x4_shuffle(u, u, 2, 3, 2, 3));
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1);
}

}  // namespace

void f32_gemv__wasmsimd(size_t m, size_t k, const float* w, size_t ldw, const float* x, float* y) {
  const size_t k8 = k & ~size_t{7};
  size_t o = 0;
  for (; o + 2 <= m; o += 2) {
    const float* r0 = w + o * ldw;
    const float* r1 = r0 + ldw;
    v128_t s00 = wasm_f32x4_const_splat(0.0f), s01 = s00, s10 = s00, s11 = s00;
    for (size_t i = 0; i < k8; i += 8) {
      const v128_t x0 = wasm_v128_load(x + i), x1 = wasm_v128_load(x + i + 4);
      s00 = wasm_f32x4_add(s00, wasm_f32x4_mul(wasm_v128_load(r0 + i), x0));
      s01 = wasm_f32x4_add(s01, wasm_f32x4_mul(wasm_v128_load(r0 + i + 4), x1));
      s10 = wasm_f32x4_add(s10, wasm_f32x4_mul(wasm_v128_load(r1 + i), x0));
      s11 = wasm_f32x4_add(s11, wasm_f32x4_mul(wasm_v128_load(r1 + i + 4), x1));
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

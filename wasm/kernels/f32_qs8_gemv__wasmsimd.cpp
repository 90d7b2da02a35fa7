// int8-weight matrix-vector product, WebAssembly SIMD: two rows at a time, eight running sums
// per row, eight int8 weights widened to float and scaled per step (f32_qs8_gemv__scalar's
// order).
#include "ukernels.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

namespace camscope {
namespace kernels {
namespace {

inline float reduce(v128_t lo, v128_t hi) {
  const v128_t u = wasm_f32x4_add(lo, hi);
  const v128_t v = wasm_f32x4_add(u, wasm_i32x4_shuffle(u, u, 2, 3, 2, 3));
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1);
}

// Eight int8 values at p as two float vectors, each times `s`.
inline void dequant8(const int8_t* p, v128_t s, v128_t& lo, v128_t& hi) {
  const v128_t w16 = wasm_i16x8_load8x8(p);
  lo = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(w16)), s);
  hi = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(w16)), s);
}

}  // namespace

void f32_qs8_gemv__wasmsimd(size_t m, size_t k, const int8_t* q, const float* scale, size_t ldq,
                            const float* x, float* y) {
  const size_t k8 = k & ~size_t{7};
  size_t o = 0;
  for (; o + 2 <= m; o += 2) {
    const int8_t* r0 = q + o * ldq;
    const int8_t* r1 = r0 + ldq;
    const float sc0 = scale[o], sc1 = scale[o + 1];
    const v128_t vs0 = wasm_f32x4_splat(sc0), vs1 = wasm_f32x4_splat(sc1);
    v128_t s00 = wasm_f32x4_const_splat(0.0f), s01 = s00, s10 = s00, s11 = s00;
    for (size_t i = 0; i < k8; i += 8) {
      const v128_t x0 = wasm_v128_load(x + i), x1 = wasm_v128_load(x + i + 4);
      v128_t w00, w01, w10, w11;
      dequant8(r0 + i, vs0, w00, w01);
      dequant8(r1 + i, vs1, w10, w11);
      s00 = wasm_f32x4_add(s00, wasm_f32x4_mul(w00, x0));
      s01 = wasm_f32x4_add(s01, wasm_f32x4_mul(w01, x1));
      s10 = wasm_f32x4_add(s10, wasm_f32x4_mul(w10, x0));
      s11 = wasm_f32x4_add(s11, wasm_f32x4_mul(w11, x1));
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

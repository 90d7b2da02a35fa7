// 4x8 GEMM micro-kernel, WebAssembly SIMD: 8 accumulators; the four A values of each k are
// load-splats (V8 on x64 emits vbroadcastss: load ports, leaving the FP pipes to the 8 mul
// + 8 add). Measured against one 128-bit load + 4 lane shuffles: see README "Performance".
#include "ukernels.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

namespace camscope {
namespace kernels {
namespace {
constexpr int kMR = 4, kNR = 8;  // the tile (config.cpp registers it)
}  // namespace

void f32_gemm_4x8__wasmsimd(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                            bool accumulate) {
  float* c0 = c;
  float* c1 = c0 + ldc;
  float* c2 = c1 + ldc;
  float* c3 = c2 + ldc;
  v128_t v00, v01, v10, v11, v20, v21, v30, v31;
  if (accumulate) {
    v00 = wasm_v128_load(c0), v01 = wasm_v128_load(c0 + 4);
    v10 = wasm_v128_load(c1), v11 = wasm_v128_load(c1 + 4);
    v20 = wasm_v128_load(c2), v21 = wasm_v128_load(c2 + 4);
    v30 = wasm_v128_load(c3), v31 = wasm_v128_load(c3 + 4);
  } else {
    v00 = v01 = v10 = v11 = v20 = v21 = v30 = v31 = wasm_f32x4_const_splat(0.0f);
  }
  for (size_t p = 0; p < kc; ++p) {
    const v128_t b0 = wasm_v128_load(b);
    const v128_t b1 = wasm_v128_load(b + 4);
    const v128_t a0 = wasm_v128_load32_splat(a);
    const v128_t a1 = wasm_v128_load32_splat(a + 1);
    const v128_t a2 = wasm_v128_load32_splat(a + 2);
    const v128_t a3 = wasm_v128_load32_splat(a + 3);
    v00 = wasm_f32x4_add(v00, wasm_f32x4_mul(a0, b0));
    v01 = wasm_f32x4_add(v01, wasm_f32x4_mul(a0, b1));
    v10 = wasm_f32x4_add(v10, wasm_f32x4_mul(a1, b0));
    v11 = wasm_f32x4_add(v11, wasm_f32x4_mul(a1, b1));
    v20 = wasm_f32x4_add(v20, wasm_f32x4_mul(a2, b0));
    v21 = wasm_f32x4_add(v21, wasm_f32x4_mul(a2, b1));
    v30 = wasm_f32x4_add(v30, wasm_f32x4_mul(a3, b0));
    v31 = wasm_f32x4_add(v31, wasm_f32x4_mul(a3, b1));
    a += kMR;
    b += kNR;
  }
  wasm_v128_store(c0, v00), wasm_v128_store(c0 + 4, v01);
  wasm_v128_store(c1, v10), wasm_v128_store(c1 + 4, v11);
  wasm_v128_store(c2, v20), wasm_v128_store(c2 + 4, v21);
  wasm_v128_store(c3, v30), wasm_v128_store(c3 + 4, v31);
}

}  // namespace kernels
}  // namespace camscope
#endif

// Two 4x8 GEMM micro-kernels in WebAssembly SIMD over the same depth: camscope's f32x4 mul + add
// kernel (wasm/kernels/f32_gemm_4x8__wasmsimd.cpp, called) and an integer one with
// i32x4.dot_i16x8_s, which multiplies eight int16 pairs and adds adjacent products into four int32
// lanes: A holds each row's two consecutive k values as one 32-bit splat, B each column's two k
// values side by side, so one dot does 2 k steps of 4 columns. Both compute C[4][8] += sum_k
// A[i][k] B[k][j].
#include <emscripten.h>
#include <wasm_simd128.h>

#include <cstddef>
#include <cstdint>

#include "ukernels.h"

// The f32 side is the shipped kernel itself (wasm/kernels/f32_gemm_4x8__wasmsimd.cpp,
// linked in by run.sh), accumulating into C as when a GEMM runs over K blocks.
extern "C" EMSCRIPTEN_KEEPALIVE void k_f32(size_t kc, const float* a, const float* b, float* c,
                                           int reps) {
  for (int r = 0; r < reps; ++r) camscope::kernels::f32_gemm_4x8__wasmsimd(kc, a, b, c, 8, true);
}

// a: per k pair, 4 rows x 2 int16 (8 int16); b: per k pair, 8 columns x 2 int16 (16 int16).
extern "C" EMSCRIPTEN_KEEPALIVE void k_dot(size_t kc, const int16_t* a, const int16_t* b,
                                           int32_t* c, int reps) {
  for (int r = 0; r < reps; ++r) {
    v128_t v00 = wasm_v128_load(c), v01 = wasm_v128_load(c + 4), v10 = wasm_v128_load(c + 8),
           v11 = wasm_v128_load(c + 12), v20 = wasm_v128_load(c + 16), v21 = wasm_v128_load(c + 20),
           v30 = wasm_v128_load(c + 24), v31 = wasm_v128_load(c + 28);
    const int16_t* ap = a;
    const int16_t* bp = b;
    for (size_t p = 0; p < kc; p += 2) {
      const v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 8);
      const v128_t a0 = wasm_v128_load32_splat(ap), a1 = wasm_v128_load32_splat(ap + 2);
      const v128_t a2 = wasm_v128_load32_splat(ap + 4), a3 = wasm_v128_load32_splat(ap + 6);
      v00 = wasm_i32x4_add(v00, wasm_i32x4_dot_i16x8(a0, b0));
      v01 = wasm_i32x4_add(v01, wasm_i32x4_dot_i16x8(a0, b1));
      v10 = wasm_i32x4_add(v10, wasm_i32x4_dot_i16x8(a1, b0));
      v11 = wasm_i32x4_add(v11, wasm_i32x4_dot_i16x8(a1, b1));
      v20 = wasm_i32x4_add(v20, wasm_i32x4_dot_i16x8(a2, b0));
      v21 = wasm_i32x4_add(v21, wasm_i32x4_dot_i16x8(a2, b1));
      v30 = wasm_i32x4_add(v30, wasm_i32x4_dot_i16x8(a3, b0));
      v31 = wasm_i32x4_add(v31, wasm_i32x4_dot_i16x8(a3, b1));
      ap += 8;
      bp += 16;
    }
    wasm_v128_store(c, v00);
    wasm_v128_store(c + 4, v01);
    wasm_v128_store(c + 8, v10);
    wasm_v128_store(c + 12, v11);
    wasm_v128_store(c + 16, v20);
    wasm_v128_store(c + 20, v21);
    wasm_v128_store(c + 24, v30);
    wasm_v128_store(c + 28, v31);
  }
}

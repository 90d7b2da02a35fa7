// Two 4x8 GEMM micro-kernels in WebAssembly SIMD, the loop of
// wasm/kernels/f32_gemm_4x8__wasmsimd.cpp: mul + add (camscope's exact class) and relaxed
// multiply-add. Debian's clang 14 emits its fma builtin as the pre-standard f32x4.fma (0xfd 0xaf
// 0x01, semantics a + b*c), which neither Node 20 nor Chromium accepts; run.sh rewrites it to the
// standard f32x4.relaxed_madd (0xfd 0x85 0x02, semantics a*b + c), so the calls below are written
// for the standard semantics: fma(x, y, acc) = x*y + acc after the rewrite (wrong before it).
#include <emscripten.h>
#include <stddef.h>
#include <wasm_simd128.h>
typedef float v4f __attribute__((vector_size(16)));

static inline v128_t madd(v128_t a, v128_t b, v128_t acc) {
  return (v128_t)__builtin_wasm_fma_f32x4((v4f)a, (v4f)b, (v4f)acc);
}

EMSCRIPTEN_KEEPALIVE void k_muladd(size_t kc, const float* a, const float* b, float* c, int reps) {
  for (int r = 0; r < reps; ++r) {
    v128_t v00 = wasm_v128_load(c), v01 = wasm_v128_load(c + 4), v10 = wasm_v128_load(c + 8),
           v11 = wasm_v128_load(c + 12), v20 = wasm_v128_load(c + 16), v21 = wasm_v128_load(c + 20),
           v30 = wasm_v128_load(c + 24), v31 = wasm_v128_load(c + 28);
    const float* ap = a;
    const float* bp = b;
    for (size_t p = 0; p < kc; ++p) {
      const v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
      const v128_t a0 = wasm_v128_load32_splat(ap), a1 = wasm_v128_load32_splat(ap + 1);
      const v128_t a2 = wasm_v128_load32_splat(ap + 2), a3 = wasm_v128_load32_splat(ap + 3);
      v00 = wasm_f32x4_add(v00, wasm_f32x4_mul(a0, b0));
      v01 = wasm_f32x4_add(v01, wasm_f32x4_mul(a0, b1));
      v10 = wasm_f32x4_add(v10, wasm_f32x4_mul(a1, b0));
      v11 = wasm_f32x4_add(v11, wasm_f32x4_mul(a1, b1));
      v20 = wasm_f32x4_add(v20, wasm_f32x4_mul(a2, b0));
      v21 = wasm_f32x4_add(v21, wasm_f32x4_mul(a2, b1));
      v30 = wasm_f32x4_add(v30, wasm_f32x4_mul(a3, b0));
      v31 = wasm_f32x4_add(v31, wasm_f32x4_mul(a3, b1));
      ap += 4;
      bp += 8;
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

EMSCRIPTEN_KEEPALIVE void k_madd(size_t kc, const float* a, const float* b, float* c, int reps) {
  for (int r = 0; r < reps; ++r) {
    v128_t v00 = wasm_v128_load(c), v01 = wasm_v128_load(c + 4), v10 = wasm_v128_load(c + 8),
           v11 = wasm_v128_load(c + 12), v20 = wasm_v128_load(c + 16), v21 = wasm_v128_load(c + 20),
           v30 = wasm_v128_load(c + 24), v31 = wasm_v128_load(c + 28);
    const float* ap = a;
    const float* bp = b;
    for (size_t p = 0; p < kc; ++p) {
      const v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
      const v128_t a0 = wasm_v128_load32_splat(ap), a1 = wasm_v128_load32_splat(ap + 1);
      const v128_t a2 = wasm_v128_load32_splat(ap + 2), a3 = wasm_v128_load32_splat(ap + 3);
      v00 = madd(a0, b0, v00);
      v01 = madd(a0, b1, v01);
      v10 = madd(a1, b0, v10);
      v11 = madd(a1, b1, v11);
      v20 = madd(a2, b0, v20);
      v21 = madd(a2, b1, v21);
      v30 = madd(a3, b0, v30);
      v31 = madd(a3, b1, v31);
      ap += 4;
      bp += 8;
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

// The micro-kernels' signatures, one declaration per file of this folder (XNNPACK-style names:
// datatype_op_MRxNR__isa). Only declarations: the AVX2 files, compiled with -mavx2 -mfma,
// include nothing else, so that no inline or template code compiled for AVX2 can be shared
// with (and picked by the linker for) the code that runs on every x86-64 CPU.
//
// The table of what each kernel is (tile, ISA, exactness class) is config.h's.
#pragma once

#include <cstddef>
#include <cstdint>

namespace camscope {
namespace kernels {

// C (a full MR x NR tile, row stride ldc) = (accumulate ? C : 0) + A * B, where `a` is kc
// steps of an A panel (MR floats per k) and `b` kc steps of a B panel (NR floats per k).
using GemmUkernel = void (*)(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                             bool accumulate);
// y[o] = sum_k w[o*ldw + k] * x[k] for o < m.
using GemvUkernel = void (*)(size_t m, size_t k, const float* w, size_t ldw, const float* x,
                             float* y);
// The same with int8 weights q (row stride ldq) and one float scale per row: w = float(q) *
// scale[o].
using Qs8GemvUkernel = void (*)(size_t m, size_t k, const int8_t* q, const float* scale, size_t ldq,
                                const float* x, float* y);

// Exact class: each output element is the same sequence of float operations in every
// variant -- c = c + a*b for k = 0, 1, ..., K-1 (GEMM; the running sum stored at the end of
// every K block), eight running sums per row added pairwise (GEMV), no fused multiply-add --
// so scalar, SSE2 and WebAssembly SIMD builds are bit-identical.
void f32_gemm_4x8__scalar(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                          bool accumulate);
void f32_gemv__scalar(size_t m, size_t k, const float* w, size_t ldw, const float* x, float* y);
void f32_qs8_gemv__scalar(size_t m, size_t k, const int8_t* q, const float* scale, size_t ldq,
                          const float* x, float* y);
#if defined(__SSE2__)
void f32_gemm_4x8__sse2(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                        bool accumulate);
void f32_gemv__sse2(size_t m, size_t k, const float* w, size_t ldw, const float* x, float* y);
void f32_qs8_gemv__sse2(size_t m, size_t k, const int8_t* q, const float* scale, size_t ldq,
                        const float* x, float* y);
#endif
#if defined(__wasm_simd128__)
void f32_gemm_4x8__wasmsimd(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                            bool accumulate);
void f32_gemv__wasmsimd(size_t m, size_t k, const float* w, size_t ldw, const float* x, float* y);
void f32_qs8_gemv__wasmsimd(size_t m, size_t k, const int8_t* q, const float* scale, size_t ldq,
                            const float* x, float* y);
#endif

// Fast class (fused multiply-add; held to tolerance against the exact class, not bitwise).
// Compiled only in native x86 builds (CAMSCOPE_HAVE_AVX2_FMA), run only where the CPU has them.
#if defined(CAMSCOPE_HAVE_AVX2_FMA)
void f32_gemm_6x16__avx2_fma(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                             bool accumulate);
void f32_gemm_8x8__avx2_fma(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                            bool accumulate);
void f32_gemv__avx2_fma(size_t m, size_t k, const float* w, size_t ldw, const float* x, float* y);
void f32_qs8_gemv__avx2_fma(size_t m, size_t k, const int8_t* q, const float* scale, size_t ldq,
                            const float* x, float* y);
#endif

}  // namespace kernels
}  // namespace camscope

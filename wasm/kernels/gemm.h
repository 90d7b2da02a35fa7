// Packed single-precision GEMM for the conv and linear layers: micro-kernels (one file per
// shape and ISA, XNNPACK-style), the packing functions and a cache-blocked driver.
//
// Every variant (scalar, SSE2, WebAssembly SIMD) computes each output element as the same
// sequence of float operations -- c = c + a*b for k = 0, 1, ..., K-1, the running sum stored
// to memory at the end of every kKC block, no fused multiply-add -- so all builds give
// bit-identical results. Only the width of the registers differs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace camscope {
namespace kernels {

// Micro-tile: MR rows of A (output channels) by NR columns of B (output positions).
constexpr int kMR = 4;
constexpr int kNR = 8;
// K is processed in blocks of kKC (an A panel block is kMR*kKC floats = 4 KiB, a B panel
// block kNR*kKC floats = 8 KiB: both stay in L1 while the kernel sweeps M).
constexpr int kKC = 256;

// C (a full kMR x kNR tile, row stride ldc) = (accumulate ? C : 0) + A * B, where `a` is
// kc steps of an A panel (kMR floats per k) and `b` kc steps of a B panel (kNR floats per k).
using GemmUkernel = void (*)(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                             bool accumulate);

void f32_gemm_4x8__scalar(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                          bool accumulate);
#if defined(__SSE2__)
void f32_gemm_4x8__sse2(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                        bool accumulate);
#endif
#if defined(__wasm_simd128__)
void f32_gemm_4x8__wasmsimd(size_t kc, const float* a, const float* b, float* c, size_t ldc,
                            bool accumulate);
#endif

// y[o] = sum_k w[o*ldw + k] * x[k] for o < m: eight running sums per row (k mod 8), added
// pairwise at the end, then the K mod 8 tail in order. Same order in every variant.
using GemvUkernel = void (*)(size_t m, size_t k, const float* w, size_t ldw, const float* x,
                             float* y);
void f32_gemv__scalar(size_t m, size_t k, const float* w, size_t ldw, const float* x, float* y);
#if defined(__SSE2__)
void f32_gemv__sse2(size_t m, size_t k, const float* w, size_t ldw, const float* x, float* y);
#endif
#if defined(__wasm_simd128__)
void f32_gemv__wasmsimd(size_t m, size_t k, const float* w, size_t ldw, const float* x, float* y);
#endif

// The same with int8 weights q (row stride ldq) and one float scale per row, each weight
// dequantised as float(q) * scale[o] -- bit-identical to f32_gemv on those float weights.
using Qs8GemvUkernel = void (*)(size_t m, size_t k, const int8_t* q, const float* scale, size_t ldq,
                                const float* x, float* y);
void f32_qs8_gemv__scalar(size_t m, size_t k, const int8_t* q, const float* scale, size_t ldq,
                          const float* x, float* y);
#if defined(__SSE2__)
void f32_qs8_gemv__sse2(size_t m, size_t k, const int8_t* q, const float* scale, size_t ldq,
                        const float* x, float* y);
#endif
#if defined(__wasm_simd128__)
void f32_qs8_gemv__wasmsimd(size_t m, size_t k, const int8_t* q, const float* scale, size_t ldq,
                            const float* x, float* y);
#endif

// The best variant this build has, and its name ("wasmsimd", "sse2", "scalar").
GemmUkernel best_gemm_ukernel();
GemvUkernel best_gemv_ukernel();
Qs8GemvUkernel best_qs8_gemv_ukernel();
const char* isa_name();

// Floats in a packed A (M x K) and a packed B (K x N).
size_t packed_a_size(int m, int k);
size_t packed_b_size(int k, int n);

// Packs A (M x K, element (i, j) at src[i*rs + j*cs]) into panels of kMR rows, k-major:
// dst[p*K*kMR + k*kMR + r] = A(p*kMR + r, k), zero rows past M.
void pack_a(int m, int k, const float* src, ptrdiff_t rs, ptrdiff_t cs, float* dst);
// Packs B (K x N, row stride ldb) into panels of kNR columns: dst[q*K*kNR + k*kNR + j] =
// B(k, q*kNR + j), zero columns past N.
void pack_b(int k, int n, const float* src, ptrdiff_t ldb, float* dst);
// Geometry of a convolution's windows over one CHW input: C channels of H x W, kernel
// KH x KW, stride, padding (top, left; bottom/right follow from OH, OW), dilation.
struct ConvGeom {
  int c = 0, h = 0, w = 0;
  int kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0, dh = 1, dw = 1;
  int oh = 0, ow = 0;
};
// im2col straight into packed-B form: B = the (C*KH*KW) x (OH*OW) matrix of zero-padded
// windows of a CHW input, as pack_b would lay it out.
void im2col_pack_b(const float* x, const ConvGeom& g, float* dst);
// The same for a square kernel, one stride and one padding on every side.
void im2col_pack_b(const float* x, int c, int h, int w, int ks, int stride, int pad, int oh, int ow,
                   float* dst);
// im2col's adjoint: adds a (C*KH*KW) x (OH*OW) row-major window matrix onto a CHW gradient.
void col2im_add(const float* col, const ConvGeom& g, float* dx);

// C (M x N, row stride ldc) = A * B from packed operands. `uk` null: the best variant.
void gemm(int m, int n, int k, const float* packed_a, const float* packed_b, float* c,
          ptrdiff_t ldc, GemmUkernel uk = nullptr);

// y (m) = W (m x k, row stride ldw) * x. `uk` null: the best variant.
void gemv(int m, int k, const float* w, ptrdiff_t ldw, const float* x, float* y,
          GemvUkernel uk = nullptr);

// y[v*ldy + o] = (W x_v)[o] for nv vectors x_v = x + v*ldx: bit-identical to nv gemv calls,
// with W swept once in row blocks that stay in cache while every vector uses them (a
// batch of pictures reads a large head's weights from memory once, not nv times).
void gemv_batch(int m, int k, const float* w, ptrdiff_t ldw, const float* x, ptrdiff_t ldx, int nv,
                float* y, ptrdiff_t ldy);
// The same with int8 weights and per-row scales (bit-identical to nv gemv_qs8 calls).
void gemv_qs8_batch(int m, int k, const int8_t* q, const float* scale, ptrdiff_t ldq,
                    const float* x, ptrdiff_t ldx, int nv, float* y, ptrdiff_t ldy);

// gemv with int8 weights and per-row scales (see Qs8GemvUkernel).
void gemv_qs8(int m, int k, const int8_t* q, const float* scale, ptrdiff_t ldq, const float* x,
              float* y, Qs8GemvUkernel uk = nullptr);

// gx[r*ldx + j] = sum_o gy[r*ldg + o] * W[o*ldw + j] for r < rows, j < n (o in order; rows
// whose coefficients are all zero are skipped: their products add nothing).
void gemv_t(int rows, int m, int n, const float* gy, ptrdiff_t ldg, const float* w, ptrdiff_t ldw,
            float* gx, ptrdiff_t ldx);
// gemv_t with W[o*ldq + j] = float(q[o*ldq + j]) * scale[o]: bit-identical to gemv_t on the
// dequantised weights, reading a quarter of the bytes.
void gemv_t_qs8(int rows, int m, int n, const float* gy, ptrdiff_t ldg, const int8_t* q,
                const float* scale, ptrdiff_t ldq, float* gx, ptrdiff_t ldx);

}  // namespace kernels
}  // namespace camscope

// Packed single-precision GEMM for the conv and linear layers: the packing functions, a
// cache-blocked driver and the GEMV drivers around the micro-kernels of config.h's table (one
// file per kernel, XNNPACK-style). Every function that packs or runs takes the GEMM kernel
// whose tile (MR x NR) it works with; null means the active configuration's (config()).
// Packed operands are only valid for a kernel of the same tile.
#pragma once

#include <cstddef>
#include <cstdint>

#include "config.h"

namespace camscope {
namespace kernels {

// The exact class's K block (config.h: GemmKernel::kc): an A panel block is 4*256 floats
// (4 KiB), a B panel block 8*256 (8 KiB), both stay in L1 while the kernel sweeps M.
constexpr int kKC = 256;

// The kernel `uk`, or the active configuration's.
inline const GemmKernel& gemm_kernel(const GemmKernel* uk) {
  return uk ? *uk : *config().gemm;
}

// Floats in a packed A (M x K) and a packed B (K x N).
size_t packed_a_size(int m, int k, const GemmKernel* uk = nullptr);
size_t packed_b_size(int k, int n, const GemmKernel* uk = nullptr);

// Packs A (M x K, element (i, j) at src[i*rs + j*cs]) into panels of MR rows, k-major:
// dst[p*K*MR + k*MR + r] = A(p*MR + r, k), zero rows past M.
void pack_a(int m, int k, const float* src, ptrdiff_t rs, ptrdiff_t cs, float* dst,
            const GemmKernel* uk = nullptr);
// Packs B (K x N, row stride ldb) into panels of NR columns: dst[q*K*NR + k*NR + j] =
// B(k, q*NR + j), zero columns past N.
void pack_b(int k, int n, const float* src, ptrdiff_t ldb, float* dst,
            const GemmKernel* uk = nullptr);
// Geometry of a convolution's windows over one CHW input: C channels of H x W, kernel
// KH x KW, stride, padding (top, left; bottom/right follow from OH, OW), dilation.
struct ConvGeom {
  int c = 0, h = 0, w = 0;
  int kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0, dh = 1, dw = 1;
  int oh = 0, ow = 0;
};
// im2col straight into packed-B form: B = the (C*KH*KW) x (OH*OW) matrix of zero-padded
// windows of a CHW input, as pack_b would lay it out.
void im2col_pack_b(const float* x, const ConvGeom& g, float* dst, const GemmKernel* uk = nullptr);
// The same for a square kernel, one stride and one padding on every side.
void im2col_pack_b(const float* x, int c, int h, int w, int ks, int stride, int pad, int oh, int ow,
                   float* dst, const GemmKernel* uk = nullptr);
// im2col's adjoint: adds a (C*KH*KW) x (OH*OW) row-major window matrix onto a CHW gradient.
void col2im_add(const float* col, const ConvGeom& g, float* dx);

// C (M x N, row stride ldc) = A * B from operands packed for `uk`'s tile.
void gemm(int m, int n, int k, const float* packed_a, const float* packed_b, float* c,
          ptrdiff_t ldc, const GemmKernel* uk = nullptr);
// C (M x OH*OW, row stride ldc) = A * im2col(x): gemm() on im2col_pack_b's B, bit-identical,
// each B block gathered from x just before the micro-kernel uses it (in L1, without the
// window matrix's round trip through memory). `scratch`: conv_gemm_scratch_size(g) floats
// (the zero-padded input, so that the gather needs no bounds tests).
void conv_gemm(int m, const ConvGeom& g, const float* x, const float* packed_a, float* c,
               ptrdiff_t ldc, float* scratch, const GemmKernel* uk = nullptr);
size_t conv_gemm_scratch_size(const ConvGeom& g);

// y (m) = W (m x k, row stride ldw) * x. `uk` null: the active configuration's.
void gemv(int m, int k, const float* w, ptrdiff_t ldw, const float* x, float* y,
          const GemvKernel* uk = nullptr);

// y[v*ldy + o] = (W x_v)[o] for nv vectors x_v = x + v*ldx: bit-identical to nv gemv calls
// (the active configuration's kernel),
// with W swept once in row blocks that stay in cache while every vector uses them (a
// batch of pictures reads a large head's weights from memory once, not nv times).
void gemv_batch(int m, int k, const float* w, ptrdiff_t ldw, const float* x, ptrdiff_t ldx, int nv,
                float* y, ptrdiff_t ldy);
// The same with int8 weights and per-row scales (bit-identical to nv gemv_qs8 calls).
void gemv_qs8_batch(int m, int k, const int8_t* q, const float* scale, ptrdiff_t ldq,
                    const float* x, ptrdiff_t ldx, int nv, float* y, ptrdiff_t ldy);

// gemv with int8 weights and per-row scales (see Qs8GemvUkernel).
void gemv_qs8(int m, int k, const int8_t* q, const float* scale, ptrdiff_t ldq, const float* x,
              float* y, const Qs8GemvKernel* uk = nullptr);

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

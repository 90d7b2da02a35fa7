// Winograd F(2x2, 3x3) for 3x3, stride 1, padding 1 convolutions: each 2x2 output tile from
// a 4x4 input tile with 16 multiplies per (input, output) channel pair instead of 36, as 16
// GEMMs (one per transformed position) on the packed kernels of gemm.h.
//
// The transforms are plain float code with one fixed operation order (no FMA: the build has
// -ffp-contract=off), and with the exact class's GEMMs the scalar, SSE2 and WebAssembly SIMD
// builds give bit-identical results here too.
//   weights:  U = G g G^T,   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   input:    V = B^T d B,   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   output:   Y = A^T M A,   A^T = [1 1 1 0; 0 1 -1 -1]
#pragma once

#include <cstddef>

#include "gemm.h"

namespace camscope {
namespace kernels {

// Every function takes the GEMM kernel whose tile the packed weights and scratch are laid out
// for (null: the active configuration's); weights packed for one tile run only with it.

// Floats of a packed transformed weight set (16 packed B matrices of CIN x COUT).
size_t winograd_weight_size(int cout, int cin, const GemmKernel* uk = nullptr);

// Transforms and packs 3x3 weights, element (o, c, ky, kx) at w[o*so + c*sc + ky*sy + kx*sx]
// (so that a transposed, flipped kernel needs no copy).
void winograd_pack_weights(int cout, int cin, const float* w, ptrdiff_t so, ptrdiff_t sc,
                           ptrdiff_t sy, ptrdiff_t sx, float* dst, const GemmKernel* uk = nullptr);

// Floats of scratch winograd_conv3x3 needs.
size_t winograd_scratch_size(int cin, int cout, int h, int w, const GemmKernel* uk = nullptr);

// y (COUT x H x W) = 3x3 convolution, stride 1, zero padding 1, of x (CIN x H x W), without
// bias, with weights from winograd_pack_weights for the same kernel.
void winograd_conv3x3(int cin, int cout, int h, int w, const float* x, const float* packed_u,
                      float* y, float* scratch, const GemmKernel* uk = nullptr);

}  // namespace kernels
}  // namespace camscope

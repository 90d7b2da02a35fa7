// The ops' forward and backward passes, one file per family (conv, pool, elementwise,
// linear), with PyTorch's semantics. Each works on one picture (CHW); a backward pass takes
// K gradient rows at once (one per class), row r of a tensor of shape S at r * S.size().
// Scratch memory comes from the caller's Workspace (one per Session), never from statics.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "graph.h"
#include "kernels/config.h"

namespace camscope {
namespace ops {

// Scratch buffers a Session owns and lends to the ops: grown on demand, never shrunk, so
// after the first picture no op allocates.
struct Workspace {
  std::vector<float> panels;  // packed B panels (im2col)
  std::vector<float> cols;    // window matrices (conv backward), Winograd scratch
  std::vector<float> rows;    // max-pool row pass, gradient accumulation
  std::vector<int32_t> irows;
  std::vector<float> grad;  // a gradient added onto one that already has a contribution
  // Model::forward_batch's other threads' own scratch when it spreads pictures over threads
  // (threaded builds only; empty otherwise).
  std::vector<Workspace> threads;
  // buf grown to at least n floats.
  static float* get(std::vector<float>& buf, size_t n) {
    if (buf.size() < n) buf.resize(n);
    return buf.data();
  }
};

// How a conv is computed, chosen once when the plan is made (a fixed rule, never a run-time
// measurement, so every build takes the same path and rounds alike).
enum class ConvAlgo {
  Winograd,   // 3x3, stride 1, padding 1, no groups, >= 32 channels each way: F(2x2,3x3)
  Gemm,       // per group: im2col into packed panels (1x1 stride 1: the input itself) + GEMM
  Depthwise,  // one input channel per group: direct loops
};

// A conv's weights in the layout its algorithm reads: made at load for the forward pass, on
// first use (once, thread-safe) for the backward pass.
struct ConvWeights {
  ConvAlgo algo = ConvAlgo::Gemm;
  // The GEMM kernel both packings are laid out for (the active one at load), run with them.
  const kernels::GemmKernel* gemm = nullptr;
  std::vector<float> fwd;          // Winograd U, or W packed as GEMM A panels per group
  mutable std::vector<float> bwd;  // Winograd U of W flipped/transposed, or W^T packed per group
  mutable std::once_flag bwd_once;
};

// The algorithm for a conv node.
ConvAlgo conv_algo(const Node& n);
// Packs the forward weights (and picks the algorithm). `scratch`: room for int8 weights'
// float values (Node::float_weight); one buffer for all of a model's convs, sized for the
// largest first, so that the float copies of int8 weights take fresh memory once.
std::unique_ptr<ConvWeights> prepare_conv(const Node& n, std::vector<float>& scratch);

// Conv without bias: y = W * x (the plan's epilogue adds the bias).
void conv_forward(const Node& n, const ConvWeights& cw, const float* x, Shape in, float* y,
                  Shape out, Workspace& ws);
// Conv input gradient of K rows: gx = W^T gy (written, not added).
void conv_backward(const Node& n, const ConvWeights& cw, Shape in, Shape out, int k_rows,
                   const float* gy, float* gx, Workspace& ws);
// The pass after a conv: adds the bias and, in the same sweep, the batchnorm `bn` and the
// activation `act` (ReLU or Clip) that follow it (each may be null), each into its own kept
// output, with exactly the float operations of the separate nodes.
void conv_epilogue(const Node& conv, const Node* bn, const Node* act, float* y, float* bn_out,
                   float* act_out, size_t hw);

// BatchNorm (inference) as y = x * scale + shift for channel c: the one place these are
// computed, so the fused epilogue and the separate node round alike.
void batchnorm_coefficients(const Node& bn, int c, float& scale, float& shift);
void batchnorm_forward(const Node& n, const float* x, Shape s, float* y);
void batchnorm_backward(const Node& n, Shape s, int k_rows, const float* gy, float* gx);

// The activation of a ReLU or Clip node on one value (the fused epilogue's and the node's).
inline float activate(const Node& act, float u) {
  if (act.op == Op::ReLU) return u > 0.0f ? u : 0.0f;
  return u < act.lo ? act.lo : (u > act.hi ? act.hi : u);
}

// ReLU / Clip forward; backward from the input x (PyTorch: ReLU passes where x > 0, Clip
// where lo < x < hi). `guided`: Guided Backpropagation, only positive gradients pass too.
void activation_forward(const Node& n, const float* x, size_t count, float* y);
void activation_backward(const Node& n, const float* x, size_t count, int k_rows, const float* gy,
                         float* gx, bool guided);

// Max-pool forward keeping each output's input index (the first maximum in raster order, a
// NaN wins, as PyTorch); backward scatters through those indices.
void maxpool_forward(const Node& n, const float* x, Shape in, float* y, Shape out,
                     std::vector<int32_t>& argmax, Workspace& ws);
void maxpool_backward(Shape in, Shape out, const std::vector<int32_t>& argmax, int k_rows,
                      const float* gy, float* gx);
void avgpool_forward(const Node& n, const float* x, Shape in, float* y, Shape out);
void avgpool_backward(const Node& n, Shape in, Shape out, int k_rows, const float* gy, float* gx);
void adaptive_forward(const float* x, Shape in, float* y, Shape out);
void adaptive_backward(Shape in, Shape out, int k_rows, const float* gy, float* gx);

// Flatten: a copy (NCHW) or the channels-last order (NHWC).
void flatten_forward(const Node& n, const float* x, Shape in, float* y);
void flatten_backward(const Node& n, Shape in, int k_rows, const float* gy, float* gx);
// Channel slice [c0, c0 + in.c) of a concat's gradient (out) for one input (in).
void concat_backward(Shape in, Shape out, int c0, int k_rows, const float* gy, float* gx);

// Linear without bias (the plan adds it): y = W x.
void linear_forward(const Node& n, const float* x, float* y);
// Linear without bias on n vectors (x + v*in, y + v*out): bit-identical to n calls above,
// the weights read once.
void linear_forward_batch(const Node& n, const float* x, int count, float* y);
// gx = W^T gy for K rows.
void linear_backward(const Node& n, int k_rows, const float* gy, float* gx);

}  // namespace ops
}  // namespace camscope

// The plan: what is decided once when weights load -- which nodes are fused into a conv's
// epilogue (conv + BatchNorm + ReLU/Clip in one sweep), each conv's algorithm and packed
// weights -- held in an immutable Model that any number of Sessions share. The interpreter
// (forward, backward_to) only runs the plan; scratch memory comes from the caller.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graph.h"
#include "ops/ops.h"
#include "tensor.h"

namespace camscope {

// Everything the forward pass keeps: the input and every node's own output (never
// overwritten in place), plus max-pool argmax indices for the backward pass.
struct Activations {
  Tensor input;
  std::vector<Tensor> out;                   // out[i]: output of node i
  std::vector<std::vector<int32_t>> argmax;  // maxpool nodes: input index per output value
  // The logits (output of the last node).
  const Tensor& logits() const { return out.back(); }
};

// Gradients of chosen logits (one row per class in `classes`) with respect to node outputs
// (and the input), filled from the logits down as far as asked. A node's gradient is the sum
// over the nodes that read it; each (node, input) edge is sent once, so a later, deeper
// request continues where an earlier one stopped.
struct Gradients {
  std::vector<int> classes;              // the logit of each row; fixed by the first pass
  bool guided = false;                   // Guided Backpropagation through ReLU / Clip
  std::vector<std::vector<float>> grad;  // per node: rows x output size (empty: none yet)
  std::vector<float> input;              // rows x input size, once asked for (target -1)
  std::vector<uint8_t> complete;         // per node: grad holds the whole sum
  bool input_complete = false;
  std::vector<std::vector<uint8_t>> sent;  // per node and input slot: gradient sent
  // True once the gradient at `node` (-1: the input) is complete.
  bool has(int node) const {
    return node < 0 ? input_complete
                    : static_cast<size_t>(node) < complete.size() && complete[node] != 0;
  }
};

// A network ready to run: the graph and what was derived from it at load. Immutable.
class Model {
 public:
  // Plans a validated network (see validate_graph): fusion, conv algorithms, packed weights.
  static std::shared_ptr<const Model> build(Net net);

  // The network as loaded.
  const Net& net() const { return net_; }
  // Runs the network on one CHW input (any spatial size the nodes accept); on a shape
  // mismatch returns false with `error` and leaves `acts` untouched. Reuses `acts`' buffers.
  bool forward(Tensor input, Activations& acts, ops::Workspace& ws,
               std::string* error = nullptr) const;
  // Logits (count x classes, row after row) of `count` inputs of one shape laid out one after
  // another, without keeping them: the layers before the first linear one run input by input
  // (in threaded builds, with at least as many inputs as threads, each thread takes whole
  // inputs), the rest over the whole batch, so that each linear layer reads its weights once.
  // Bit-identical to forward() on each input. False with `error` on a shape mismatch.
  bool forward_batch(const float* inputs, Shape in, int count, std::vector<float>& logits,
                     ops::Workspace& ws, std::string* error = nullptr) const;
  // Extends `g` so that it holds d logit_c / d output of node `target` (kGraphInput: the
  // input tensor) for every class c in `classes` (empty: all) at once, one K-row pass from
  // the raw logits (never softmax). `guided` only on the first call of a Gradients.
  void backward_to(const Activations& acts, int target, Gradients& g, ops::Workspace& ws,
                   const std::vector<int>& classes = {}, bool guided = false) const;
  // Bytes of weights held (float, int8 and packed copies made at load).
  size_t weight_bytes() const;
  // Bytes of the kept activations for one input of the network's own size.
  size_t activation_bytes() const;
  // The algorithm of each conv node ("winograd", "gemm", "depthwise"; "" for other nodes).
  std::string conv_algo_name(int node) const;

 private:
  Model() = default;
  void send(const Activations& acts, int node, int slot, Gradients& g, ops::Workspace& ws) const;
  // forward() of nodes 0 .. end-1 only, the shapes already known.
  void forward_nodes(Tensor input, const std::vector<Shape>& shapes, int end, Activations& acts,
                     ops::Workspace& ws) const;
  // Node i (not a fused one) on one input: x[s] is the data of its input slot s (`in`: the
  // picture's shape); writes y, and for a conv the outputs of the nodes fused into it
  // (bn_y, act_y: null where none). The one per-op step of forward_nodes and forward_batch.
  void forward_node(int i, const std::vector<Shape>& shapes, Shape in, const float* const* x,
                    float* y, float* bn_y, float* act_y, std::vector<int32_t>& argmax,
                    ops::Workspace& ws) const;

  Net net_;
  std::vector<std::unique_ptr<ops::ConvWeights>> conv_;  // per node; null for non-conv nodes
  // Per node: computed in the epilogue of the conv before it (BatchNorm, ReLU/Clip).
  std::vector<uint8_t> fused_;
  std::vector<int> fused_bn_, fused_act_;  // per conv node: the fused nodes, or -1
};

// Softmax of the logits (for display only; gradients never go through it).
std::vector<float> softmax(const std::vector<float>& logits);

}  // namespace camscope

// The network: a chain of layers described by the weights file, its forward pass
// (keeping every activation) and its K-class backward pass to any layer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor.h"

namespace camscope {

enum class LayerType { Conv, BatchNorm, ReLU, MaxPool, AdaptiveAvgPool, Dropout, Flatten, Linear };

// Lowercase name of a layer type, as the weights file spells it.
inline const char* layer_type_name(LayerType t) {
  switch (t) {
    case LayerType::Conv: return "conv";
    case LayerType::BatchNorm: return "batchnorm";
    case LayerType::ReLU: return "relu";
    case LayerType::MaxPool: return "maxpool";
    case LayerType::AdaptiveAvgPool: return "adaptiveavgpool";
    case LayerType::Dropout: return "dropout";
    case LayerType::Flatten: return "flatten";
    case LayerType::Linear: return "linear";
  }
  return "?";
}

// One layer with its parameters already dequantised to float32.
struct Layer {
  std::string name;  // PyTorch module name, e.g. "features.10"
  LayerType type = LayerType::ReLU;
  int cin = 0, cout = 0;           // conv: channels; linear: in/out features; batchnorm: cin
  int k = 0, stride = 1, pad = 0;  // conv and maxpool
  int oh = 0, ow = 0;              // adaptiveavgpool output size
  float eps = 1e-5f;               // batchnorm
  std::vector<float> weight;       // conv (COUT,CIN,K,K); linear (OUT,IN); batchnorm gamma
  std::vector<float> bias;         // conv/linear bias; batchnorm beta
  std::vector<float> mean, var;    // batchnorm running statistics
  // Conv weights packed for the GEMM kernels (wasm/kernels/gemm.h): W as the A operand of
  // the forward pass, W^T as that of the backward pass. A cache: filled by pack_weights()
  // or on first use, derived from `weight` only (clear both if you change `weight`).
  mutable std::vector<float> packed, packed_t;
  // 3x3 stride-1 pad-1 convs: Winograd F(2x2,3x3) transformed weights (wasm/kernels/
  // winograd.h) of W for the forward pass and of W flipped and transposed for the backward
  // pass. The same kind of cache as `packed`.
  mutable std::vector<float> wino, wino_t;
  // Large linear layers stored int8 in the weights file (at least kKeepInt8MinWeights
  // weights) keep the int8 values (OUT,IN) and one scale per output row instead of `weight`
  // (left empty); the kernels dequantise as float(q) * scale, exactly as the loader would.
  std::vector<int8_t> qweight;
  std::vector<float> qscale;
  // WebAssembly builds keep float weights: there V8's int8 -> float widening makes the GEMV
  // compute-bound, slower than reading float32 (README "Performance").
#if defined(__wasm__)
  static constexpr size_t kKeepInt8MinWeights = SIZE_MAX;
#else
  static constexpr size_t kKeepInt8MinWeights = size_t{1} << 20;
#endif
};

// What the weights file says about the network besides its layers.
struct NetInfo {
  std::string name;
  Shape input;                   // preprocessing target, e.g. 3 x 224 x 224
  std::vector<float> mean, std;  // per input channel, applied to values in [0, 1]
  std::vector<std::string> classes;
};

// A loaded network.
struct Net {
  NetInfo info;
  std::vector<Layer> layers;
  // Index of the layer with this PyTorch name, or -1.
  int find(const std::string& name) const;
  // Output shape of every layer for an input of shape `in`; empty if a layer cannot take it.
  std::vector<Shape> shapes(Shape in, std::string* error = nullptr) const;
};

// Everything the forward pass keeps: the input and every layer's own output (never
// overwritten in place), plus max-pool argmax indices for the backward pass.
struct Activations {
  Tensor input;
  std::vector<Tensor> out;                   // out[i]: output of layers[i]
  std::vector<std::vector<int32_t>> argmax;  // maxpool layers: input index per output value
  // The logits (output of the last layer).
  const Tensor& logits() const { return out.back(); }
};

// Gradients of chosen logits (one row per class in `classes`) with respect to layer
// outputs, filled from the last layer backwards; grad[i] holds classes.size() *
// shape(i).size() values once i >= lowest.
struct Gradients {
  int lowest = -1;           // smallest layer index computed so far (-1: none)
  std::vector<int> classes;  // the logit of each row
  std::vector<std::vector<float>> grad;
};

// Packs every conv layer's weights for the kernels now (forward/backward_to otherwise do
// it on first use). Call after loading so the first picture does not pay for it.
void pack_weights(const Net& net);

// Runs the network on one CHW input; fails (returns false, sets error) on a shape mismatch.
bool forward(const Net& net, Tensor input, Activations& acts, std::string* error = nullptr);

// Extends `g` down to layer `target`: d logit_c / d out[target] for every class c in
// `classes` (empty: all classes) at once, as one K-row pass from the raw logits (never
// softmax). Reuses what `g` already holds (its classes are fixed by the first call).
void backward_to(const Net& net, const Activations& acts, int target, Gradients& g,
                 const std::vector<int>& classes = {});

// Softmax of the logits (for display only; gradients never go through it).
std::vector<float> softmax(const std::vector<float>& logits);

}  // namespace camscope

// One explanation session: a loaded network and one picture's kept forward pass and
// gradients. Everything the CLI and the page ask for goes through here, and each step
// is computed once: forward on set_picture, backward per layer on first use, maps on demand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cam.h"
#include "maps.h"
#include "network.h"

namespace camscope {

class Session {
 public:
  // Replaces the network with the one in this weights file. On failure the previous
  // network (and picture) stay loaded and `error` says why.
  bool load_weights(const uint8_t* data, size_t size, std::string& error);
  // True once a network is loaded.
  bool has_net() const { return !net_.layers.empty(); }
  // The loaded network.
  const Net& net() const { return net_; }

  // Preprocesses interleaved RGB/RGBA pixels (any size) and runs the forward pass.
  bool set_picture(const uint8_t* pixels, int width, int height, int channels, std::string& error);
  // Runs the forward pass on an already preprocessed CHW tensor (any spatial size).
  bool set_input(Tensor input, std::string& error);
  // True once a forward pass has run.
  bool has_picture() const { return !acts_.out.empty(); }

  // The raw class scores and their softmax.
  const std::vector<float>& logits() const { return acts_.out.back().data; }
  std::vector<float> probabilities() const { return softmax(logits()); }
  // Index of the largest logit.
  int predicted() const;

  // Output of layer i (kept from the forward pass).
  const Tensor& activation(int layer) const { return acts_.out[layer]; }
  // d logit_cls / d output of layer i (C*H*W values); computes the backward pass to i on
  // first use, for all classes at once (networks with more than kAllClassesMax classes:
  // one pass per class asked for).
  const float* gradient(int layer, int cls);
  static constexpr int kAllClassesMax = 16;

  // Raw map of `method` for class `cls` at layer i: H x W of that layer, after the
  // method's ReLU, before upsampling. Empty vector if the method is unknown.
  std::vector<float> cam(const std::string& method, int layer, int cls);

  // Milliseconds spent by the last forward pass and by backward passes since it.
  double forward_ms() const { return forward_ms_; }
  double backward_ms() const { return backward_ms_; }

 private:
  Net net_;
  Activations acts_;
  Gradients grads_;                     // all classes (small heads)
  std::vector<Gradients> class_grads_;  // one per class asked for (wide heads)
  double forward_ms_ = 0.0;
  double backward_ms_ = 0.0;
};

}  // namespace camscope

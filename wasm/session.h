// One explanation session: a shared, immutable model (plan.h) and one picture's kept forward
// pass, gradients and scratch memory. Everything the CLI and the page ask for goes through
// here, and each step is computed once: forward on set_picture, backward per layer on first
// use, maps on demand.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cam.h"
#include "maps.h"
#include "plan.h"

namespace camscope {

class Session {
 public:
  // Replaces the model with the one in this weights file. On failure the previous model
  // (and picture) stay loaded and `error` says why.
  bool load_weights(const uint8_t* data, size_t size, std::string& error);
  // Uses a model another Session loaded (shared, not copied); drops the picture.
  void use_model(std::shared_ptr<const Model> model);
  // The loaded model (null before any).
  const std::shared_ptr<const Model>& model() const { return model_; }
  // True once a network is loaded.
  bool has_net() const { return model_ != nullptr; }
  // The loaded network.
  const Net& net() const { return model_->net(); }

  // Preprocesses interleaved RGB/RGBA pixels (any size) by the network's descriptor and runs
  // the forward pass.
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

  // Output of node i (kept from the forward pass); kGraphInput: the preprocessed input.
  const Tensor& activation(int layer) const {
    return layer == kGraphInput ? acts_.input : acts_.out[layer];
  }
  // d logit_cls / d output of node i (C*H*W values; kGraphInput: the input); computes the
  // backward pass to i on first use, for all classes at once (networks with more than
  // kAllClassesMax classes: one pass per class asked for). Null for a bad layer or class.
  const float* gradient(int layer, int cls);
  static constexpr int kAllClassesMax = 16;

  // Raw map of `method` for class `cls` at node i: H x W of that node, after the method's
  // ReLU, before upsampling. Empty vector if the method is unknown.
  std::vector<float> cam(const std::string& method, int layer, int cls);

  // Milliseconds spent by the last forward pass and by backward passes since it.
  double forward_ms() const { return forward_ms_; }
  double backward_ms() const { return backward_ms_; }

 private:
  std::shared_ptr<const Model> model_;
  Activations acts_;
  Gradients grads_;                     // all classes (small heads)
  std::vector<Gradients> class_grads_;  // one per class asked for (wide heads)
  ops::Workspace ws_;
  double forward_ms_ = 0.0;
  double backward_ms_ = 0.0;
};

}  // namespace camscope

// One explanation session: a shared, immutable model (plan.h) and one picture's kept forward
// pass, gradients and scratch memory. Everything the CLI and the page ask for goes through
// here, and each step is computed once: forward on set_picture, backward per layer on first
// use, maps on demand.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "maps.h"
#include "methods/methods.h"
#include "metrics/metrics.h"
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
  // Takes activations computed elsewhere (the input and every node's output, e.g. a float64
  // reference's) instead of running the forward pass, so that the backward passes and maps
  // that follow decide exactly as that reference did; max-pool winners are found again from
  // the given inputs. False with `error` if a shape does not match the network.
  bool use_activations(Activations acts, std::string& error);
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

  // Raw map of a layer or score method (methods.h) for class `cls` at node i: H x W of that
  // node, after the method's ReLU, before upsampling. A method that needs no gradients runs
  // no backward pass. Empty if the method is unknown or not a map, or (Score-CAM) while
  // score_cam_run has not finished that layer.
  std::vector<float> cam(const std::string& method, int layer, int cls);
  // The method's channel weights for class `cls` at node i (C values); empty where the
  // method has none (Layer-CAM, ...) or Score-CAM has not finished.
  std::vector<float> channel_weights(const std::string& method, int layer, int cls);

  // Score-CAM at node i: runs up to `budget` more masked forward passes (in batches of
  // kScoreBatch) and returns how many of the layer's channels are done (== its channel
  // count when finished). One run serves every class. Results are kept until the next
  // picture; another layer's run starts over.
  int score_cam_run(int layer, int budget);
  static constexpr int kScoreBatch = 16;

  // A picture method (guidedbackprop, saliency, guidedgradcam, smoothgrad) for class `cls`:
  // C x H x W at the network input's size (the gradient of the raw logit with respect to
  // the input, guided or plain). guidedgradcam also needs the Grad-CAM layer. smoothgrad
  // needs smoothgrad_run to have finished. Empty on a bad method, class or layer.
  std::vector<float> picture(const std::string& method, int cls, int layer = -1);
  // SmoothGrad: runs up to `budget` more of `samples` noisy copies (noise: Gaussian with
  // standard deviation `noise` * (max - min) of the input, from a fixed-seed generator the
  // reference reproduces: smoothgrad_noise) and returns how many are done. Changing
  // `samples` or `noise` starts over.
  int smoothgrad_run(int samples, float noise, int budget);
  // The noise added to copy `index` (input-sized, standard normal before scaling), as
  // smoothgrad_run uses it: splitmix64(seed + index) into Box-Muller pairs.
  static std::vector<float> smoothgrad_noise(size_t count, int index);

  // ---- Is it right? (metrics/metrics.h has the definitions)

  // The map a metric scores: a layer or score method's map at node `layer`, upsampled to the
  // network input (bilinear); "saliency" / "smoothgrad": the gradient's magnitude; "random":
  // uniform noise from a fixed seed. Empty if it cannot be made (yet).
  std::vector<float> metric_map(const std::string& method, int layer, int cls);
  // A deletion or insertion curve (K+1 class probabilities): runs up to `budget` more steps
  // (in batches of kMetricBatch) and returns the steps done; `out` holds the curve once done
  // (K+1 values). Kept per (method, layer, class, kind, K, baseline) until the next picture.
  int curve_run(const std::string& method, int layer, int cls, bool insertion, int steps,
                metrics::Baseline base, int budget, std::vector<float>* out = nullptr);
  static constexpr int kMetricBatch = 8;
  // Average Drop / Increase terms of a map (one forward pass of the masked input).
  metrics::Confidence confidence(const std::string& method, int layer, int cls);
  // ROAD: the class probability after removing r% (MoRF: most relevant first; LeRF: least)
  // and imputing, for each r in `percents`. Native builds only (metrics/road.cpp).
  std::vector<float> road(const std::string& method, int layer, int cls, bool morf,
                          const std::vector<int>& percents, float noise = 0.01f);
  // Cascading randomisation, one step: the Spearman correlation between the method's map
  // (at `layer`, layer resolution) on this model and on a copy whose parameterised nodes
  // cascade_order()[0..step] are re-initialised (seed fixed). NaN if it cannot be made.
  double sanity_step(const std::string& method, int layer, int cls, int step);
  // The method's map (layer resolution) on the model randomised through cascade step `step`
  // (as sanity_step), for showing beside the original; empty if it cannot be made.
  std::vector<float> sanity_map(const std::string& method, int layer, int cls, int step);
  // The probability of class `cls` for each of `count` inputs of the input's shape.
  bool score_inputs(const float* inputs, int count, std::vector<float>& probs);

  // Milliseconds spent by the last forward pass and by backward passes since it.
  double forward_ms() const { return forward_ms_; }
  double backward_ms() const { return backward_ms_; }

 private:
  // A picture is set, `layer` is a node and `cls` a class.
  bool valid(int layer, int cls) const;

  std::shared_ptr<const Model> model_;
  Activations acts_;
  Gradients grads_;                     // all classes (small heads)
  std::vector<Gradients> class_grads_;  // one per class asked for (wide heads)
  ops::Workspace ws_;
  Gradients guided_;  // guided backpropagation (all classes, to the input)
  struct ScoreRun {
    int layer = -1;
    int done = 0;
    std::vector<float> probs;   // channel x class: softmax of the masked input's logits
    std::vector<uint8_t> flat;  // channel whose upsampled map is constant (weight 0)
  } score_;
  struct SmoothRun {
    int samples = 0;
    float noise = 0.0f;
    int done = 0;
    std::vector<double> sum;  // classes x input size
  } smooth_;
  Activations scratch_acts_;  // forward passes of noisy copies (the picture's stay intact)
  struct CurveRun {
    std::string key;
    int done = 0;
    std::vector<float> probs;
  };
  std::vector<CurveRun> curves_;  // deletion / insertion curves of this picture
  double forward_ms_ = 0.0;
  double backward_ms_ = 0.0;
};

}  // namespace camscope

// Session: keeps one picture's forward pass and gradients, computes maps on demand.
#include "session.h"

#include <algorithm>
#include <chrono>

#include "preprocess.h"
#include "weights_io.h"

namespace camscope {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The most memory a model may take (file copy, weights, packed weights, two pictures'
// activations) where memory is scarce: a WebAssembly instance grows to 2 GiB at most, and a
// failed allocation there aborts the whole module instead of returning an error.
#if defined(__wasm__)
constexpr size_t kMemoryBudget = size_t{1536} << 20;
#else
constexpr size_t kMemoryBudget = 0;  // no limit
#endif

}  // namespace

bool Session::load_weights(const uint8_t* data, size_t size, std::string& error) {
  Net fresh;
  if (!camscope::load_weights(data, size, fresh, error, kMemoryBudget)) return false;
  use_model(Model::build(std::move(fresh)));  // packs the weights now, not on the first picture
  return true;
}

void Session::use_model(std::shared_ptr<const Model> model) {
  model_ = std::move(model);
  acts_ = Activations{};
  grads_ = Gradients{};
  class_grads_.clear();
}

bool Session::set_picture(const uint8_t* pixels, int width, int height, int channels,
                          std::string& error) {
  if (!has_net()) {
    error = "no network loaded";
    return false;
  }
  if (pixels == nullptr || width < 1 || height < 1 || (channels != 3 && channels != 4)) {
    error = "picture must be RGB or RGBA with a positive size";
    return false;
  }
  const auto t0 = std::chrono::steady_clock::now();
  Tensor x = preprocess(pixels, width, height, channels, net().info);
  const double pre = ms_since(t0);
  const bool ok = set_input(std::move(x), error);
  forward_ms_ += pre;
  return ok;
}

bool Session::set_input(Tensor input, std::string& error) {
  if (!has_net()) {
    error = "no network loaded";
    return false;
  }
  const auto t0 = std::chrono::steady_clock::now();
  // Into the kept activations: forward() reuses their buffers when the shapes match, and
  // leaves them untouched when it fails (it checks the shapes first).
  if (!model_->forward(std::move(input), acts_, ws_, &error)) return false;
  grads_ = Gradients{};
  class_grads_.clear();
  forward_ms_ = ms_since(t0);
  backward_ms_ = 0.0;
  return true;
}

int Session::predicted() const {
  const std::vector<float>& l = logits();
  return static_cast<int>(std::max_element(l.begin(), l.end()) - l.begin());
}

const float* Session::gradient(int layer, int cls) {
  if (!has_picture() || layer < kGraphInput || layer >= static_cast<int>(net().nodes.size()) ||
      cls < 0 || cls >= static_cast<int>(logits().size()))
    return nullptr;
  const bool all = logits().size() <= static_cast<size_t>(kAllClassesMax);
  Gradients* g = &grads_;
  if (!all) {
    auto it = std::find_if(class_grads_.begin(), class_grads_.end(), [cls](const Gradients& x) {
      return x.classes == std::vector<int>{cls};
    });
    if (it == class_grads_.end()) {
      class_grads_.emplace_back();
      it = class_grads_.end() - 1;
    }
    g = &*it;
  }
  if (!g->has(layer)) {
    const auto t0 = std::chrono::steady_clock::now();
    model_->backward_to(acts_, layer, *g, ws_, all ? std::vector<int>{} : std::vector<int>{cls});
    backward_ms_ += ms_since(t0);
  }
  const size_t row = all ? static_cast<size_t>(cls) : 0;
  const std::vector<float>& v = layer == kGraphInput ? g->input : g->grad[layer];
  return v.data() + row * activation(layer).shape.size();
}

std::vector<float> Session::cam(const std::string& method, int layer, int cls) {
  const CamMethod* m = find_cam_method(method);
  if (m == nullptr || layer < 0) return {};
  const float* g = gradient(layer, cls);
  if (g == nullptr) return {};
  const Tensor& a = acts_.out[layer];
  std::vector<float> out(a.shape.plane());
  m->fn(a.data.data(), g, a.shape.c, static_cast<int>(a.shape.plane()), out.data());
  return out;
}

}  // namespace camscope

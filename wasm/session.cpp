// Session: keeps one picture's forward pass and gradients, computes maps on demand.
#include "session.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "preprocess.h"
#include "rng.h"
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
  guided_ = Gradients{};
  score_ = ScoreRun{};
  smooth_ = SmoothRun{};
  curves_.clear();
  scratch_acts_ = Activations{};
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
  guided_ = Gradients{};
  score_ = ScoreRun{};
  smooth_ = SmoothRun{};
  curves_.clear();
  forward_ms_ = ms_since(t0);
  backward_ms_ = 0.0;
  return true;
}

bool Session::use_activations(Activations acts, std::string& error) {
  if (!has_net()) {
    error = "no network loaded";
    return false;
  }
  const std::vector<Node>& nodes = net().nodes;
  const std::vector<Shape> shapes = net().shapes(acts.input.shape, &error);
  if (shapes.empty()) return false;
  if (acts.input.data.size() != acts.input.shape.size() || acts.out.size() != nodes.size()) {
    error = "activations do not match the network";
    return false;
  }
  acts.argmax.assign(nodes.size(), {});
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (acts.out[i].shape != shapes[i] || acts.out[i].data.size() != shapes[i].size()) {
      error = "activation of node " + nodes[i].name + " has the wrong shape";
      return false;
    }
    if (nodes[i].op != Op::MaxPool) continue;
    const int j = nodes[i].inputs[0];
    const Tensor& x = j == kGraphInput ? acts.input : acts.out[j];
    std::vector<float> y(shapes[i].size());
    ops::maxpool_forward(nodes[i], x.data.data(), x.shape, y.data(), shapes[i], acts.argmax[i],
                         ws_);
  }
  acts_ = std::move(acts);
  grads_ = Gradients{};
  class_grads_.clear();
  guided_ = Gradients{};
  score_ = ScoreRun{};
  smooth_ = SmoothRun{};
  curves_.clear();
  return true;
}

bool Session::valid(int layer, int cls) const {
  return has_picture() && layer >= 0 && layer < static_cast<int>(net().nodes.size()) && cls >= 0 &&
         cls < static_cast<int>(logits().size());
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
  const Method* m = find_method(method);
  if (m == nullptr || !valid(layer, cls)) return {};
  const Tensor& a = acts_.out[layer];
  const int c = a.shape.c, hw = static_cast<int>(a.shape.plane());
  std::vector<float> out(a.shape.plane());
  if (m->kind == MethodKind::Score) {
    const std::vector<float> w = channel_weights(method, layer, cls);
    if (w.empty()) return {};
    weighted_map(a.data.data(), w.data(), c, hw, out.data());
    return out;
  }
  if (m->kind != MethodKind::Layer) return {};
  const float* g = nullptr;
  if (m->gradients) {
    g = gradient(layer, cls);
    if (g == nullptr) return {};
  }
  m->map(a.data.data(), g, c, hw, out.data());
  return out;
}

std::vector<float> Session::channel_weights(const std::string& method, int layer, int cls) {
  const Method* m = find_method(method);
  if (m == nullptr || !valid(layer, cls)) return {};
  const Tensor& a = acts_.out[layer];
  const int c = a.shape.c, hw = static_cast<int>(a.shape.plane());
  if (m->kind == MethodKind::Score) {
    if (score_.layer != layer || score_.done < c) return {};
    const size_t k = logits().size();
    std::vector<float> w(static_cast<size_t>(c));
    for (int ch = 0; ch < c; ++ch) w[ch] = score_.flat[ch] ? 0.0f : score_.probs[ch * k + cls];
    return w;
  }
  if (m->weights == nullptr) return {};
  const float* g = m->gradients ? gradient(layer, cls) : nullptr;
  if (m->gradients && g == nullptr) return {};
  std::vector<float> w(static_cast<size_t>(c));
  m->weights(a.data.data(), g, c, hw, w.data());
  return w;
}

int Session::score_cam_run(int layer, int budget) {
  if (!has_picture() || layer < 0 || layer >= static_cast<int>(net().nodes.size())) return 0;
  const Tensor& a = acts_.out[layer];
  const Shape in = acts_.input.shape;
  const int c = a.shape.c;
  const size_t k = logits().size();
  if (score_.layer != layer) {
    score_ = ScoreRun{};
    score_.layer = layer;
    score_.probs.assign(static_cast<size_t>(c) * k, 0.0f);
    score_.flat.assign(static_cast<size_t>(c), 0);
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<float> batch, logit_rows;
  while (score_.done < c && budget > 0) {
    const int n = std::min({kScoreBatch, c - score_.done, budget});
    batch.assign(static_cast<size_t>(n) * in.size(), 0.0f);
    for (int i = 0; i < n; ++i) {
      const int ch = score_.done + i;
      // Channel ch upsampled to the input, min-max normalised, times the input.
      std::vector<float> up =
          upsample_bilinear(a.data.data() + static_cast<size_t>(ch) * a.shape.plane(), a.shape.h,
                            a.shape.w, in.h, in.w);
      const auto mm = std::minmax_element(up.begin(), up.end());
      const float lo = *mm.first, hi = *mm.second;
      if (!(hi > lo)) {
        score_.flat[ch] = 1;
        continue;  // constant: weight 0, its input stays zero (its forward is not used)
      }
      const float range = hi - lo;
      float* dst = batch.data() + static_cast<size_t>(i) * in.size();
      for (int ci = 0; ci < in.c; ++ci)
        for (size_t p = 0; p < in.plane(); ++p)
          dst[ci * in.plane() + p] = acts_.input.data[ci * in.plane() + p] * ((up[p] - lo) / range);
    }
    std::string err;
    if (!model_->forward_batch(batch.data(), in, n, logit_rows, ws_, &err)) return score_.done;
    for (int i = 0; i < n; ++i) {
      const std::vector<float> row(logit_rows.begin() + i * k, logit_rows.begin() + (i + 1) * k);
      const std::vector<float> p = softmax(row);
      std::copy(p.begin(), p.end(), score_.probs.begin() + (score_.done + i) * k);
    }
    score_.done += n;
    budget -= n;
  }
  backward_ms_ += ms_since(t0);
  return score_.done;
}

std::vector<float> Session::smoothgrad_noise(size_t count, int index) {
  return gaussian_noise(count, 0x5eed000000000000ULL + static_cast<uint64_t>(index));
}

int Session::smoothgrad_run(int samples, float noise, int budget) {
  if (!has_picture() || samples < 1 || !(noise >= 0.0f)) return 0;
  const Tensor& x = acts_.input;
  const size_t k = logits().size();
  const bool all = k <= static_cast<size_t>(kAllClassesMax);
  if (smooth_.samples != samples || smooth_.noise != noise) {
    smooth_ = SmoothRun{};
    smooth_.samples = samples;
    smooth_.noise = noise;
    smooth_.sum.assign((all ? k : 1) * x.data.size(), 0.0);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto mm = std::minmax_element(x.data.begin(), x.data.end());
  const float sigma = noise * (*mm.second - *mm.first);
  while (smooth_.done < samples && budget-- > 0) {
    const std::vector<float> e = smoothgrad_noise(x.data.size(), smooth_.done);
    Tensor copy = x;
    for (size_t i = 0; i < copy.data.size(); ++i) copy.data[i] += sigma * e[i];
    std::string err;
    if (!model_->forward(std::move(copy), scratch_acts_, ws_, &err)) break;
    Gradients g;
    model_->backward_to(scratch_acts_, kGraphInput, g, ws_,
                        all ? std::vector<int>{} : std::vector<int>{predicted()});
    for (size_t i = 0; i < smooth_.sum.size(); ++i) smooth_.sum[i] += g.input[i];
    ++smooth_.done;
  }
  backward_ms_ += ms_since(t0);
  return smooth_.done;
}

std::vector<float> Session::picture(const std::string& method, int cls, int layer) {
  const Method* m = find_method(method);
  if (m == nullptr || m->kind != MethodKind::Picture || !has_picture() || cls < 0 ||
      cls >= static_cast<int>(logits().size()))
    return {};
  const Tensor& x = acts_.input;
  const size_t n = x.data.size(), k = logits().size();
  const bool all = k <= static_cast<size_t>(kAllClassesMax);
  if (method == "saliency") {
    const float* g = gradient(kGraphInput, cls);
    return g ? std::vector<float>(g, g + n) : std::vector<float>{};
  }
  if (method == "smoothgrad") {
    if (smooth_.done < smooth_.samples || smooth_.samples == 0) return {};
    if (!all && cls != predicted()) return {};
    const size_t row = all ? static_cast<size_t>(cls) : 0;
    std::vector<float> out(n);
    for (size_t i = 0; i < n; ++i)
      out[i] = static_cast<float>(smooth_.sum[row * n + i] / smooth_.samples);
    return out;
  }
  // Guided backpropagation (and Guided Grad-CAM on top of it).
  if (guided_.grad.empty() || (!all && guided_.classes != std::vector<int>{cls})) {
    guided_ = Gradients{};
    const auto t0 = std::chrono::steady_clock::now();
    model_->backward_to(acts_, kGraphInput, guided_, ws_,
                        all ? std::vector<int>{} : std::vector<int>{cls}, true);
    backward_ms_ += ms_since(t0);
  }
  const size_t row = all ? static_cast<size_t>(cls) : 0;
  std::vector<float> out(guided_.input.begin() + row * n, guided_.input.begin() + (row + 1) * n);
  if (method == "guidedbackprop") return out;
  // Guided Grad-CAM: times Grad-CAM at `layer`, upsampled to the input, divided by its max.
  if (layer < 0 || layer >= static_cast<int>(net().nodes.size())) return {};
  const std::vector<float> cam_map = cam("gradcam", layer, cls);
  if (cam_map.empty()) return {};
  const Shape ls = acts_.out[layer].shape;
  std::vector<float> up = upsample_bilinear(cam_map.data(), ls.h, ls.w, x.shape.h, x.shape.w);
  const MapStats st = map_stats(up.data(), static_cast<int>(up.size()));
  divide_map(up, st.max);
  for (int ci = 0; ci < x.shape.c; ++ci)
    for (size_t p = 0; p < x.shape.plane(); ++p) out[ci * x.shape.plane() + p] *= up[p];
  return out;
}

bool Session::score_inputs(const float* inputs, int count, std::vector<float>& probs) {
  if (!has_picture() || count < 0) return false;
  std::vector<float> logit_rows;
  std::string err;
  if (!model_->forward_batch(inputs, acts_.input.shape, count, logit_rows, ws_, &err)) return false;
  const size_t k = logits().size();
  probs.resize(logit_rows.size());
  for (int i = 0; i < count; ++i) {
    const std::vector<float> row(logit_rows.begin() + i * k, logit_rows.begin() + (i + 1) * k);
    const std::vector<float> p = softmax(row);
    std::copy(p.begin(), p.end(), probs.begin() + i * k);
  }
  return true;
}

std::vector<float> Session::metric_map(const std::string& method, int layer, int cls) {
  if (!has_picture()) return {};
  const Shape in = acts_.input.shape;
  if (method == "random") return metrics::random_map(static_cast<int>(in.plane()), 0x7a11d0ULL);
  const Method* m = find_method(method);
  if (m == nullptr) return {};
  if (m->kind == MethodKind::Picture) {
    const std::vector<float> g = picture(method, cls, layer);
    if (g.empty()) return {};
    return gradient_magnitude(g.data(), in.c, static_cast<int>(in.plane()));
  }
  const std::vector<float> raw = cam(method, layer, cls);
  if (raw.empty()) return {};
  const Shape ls = acts_.out[layer].shape;
  return upsample_bilinear(raw.data(), ls.h, ls.w, in.h, in.w);
}

int Session::curve_run(const std::string& method, int layer, int cls, bool insertion, int steps,
                       metrics::Baseline base, int budget, std::vector<float>* out) {
  if (!has_picture() || steps < 1 || cls < 0 || cls >= static_cast<int>(logits().size())) return 0;
  const std::string key = method + "|" + std::to_string(layer) + "|" + std::to_string(cls) + "|" +
                          (insertion ? "i" : "d") + "|" + std::to_string(steps) + "|" +
                          metrics::baseline_name(base);
  auto it =
      std::find_if(curves_.begin(), curves_.end(), [&](const CurveRun& c) { return c.key == key; });
  if (it == curves_.end()) {
    curves_.push_back(CurveRun{key, 0, std::vector<float>(static_cast<size_t>(steps) + 1, 0.0f)});
    it = curves_.end() - 1;
  }
  if (it->done <= steps && budget > 0) {
    const std::vector<float> map = metric_map(method, layer, cls);
    if (map.empty()) return it->done;
    const Tensor& x = acts_.input;
    const std::vector<float> b = metrics::baseline(x, base);
    const std::vector<int> order = metrics::order_by(map);
    const std::vector<float>& onto = insertion ? b : x.data;
    const std::vector<float>& from = insertion ? x.data : b;
    const size_t n = x.data.size(), k = logits().size();
    std::vector<float> inputs, probs;
    const auto t0 = std::chrono::steady_clock::now();
    while (it->done <= steps && budget > 0) {
      const int m = std::min({kMetricBatch, steps + 1 - it->done, budget});
      inputs.resize(static_cast<size_t>(m) * n);
      for (int i = 0; i < m; ++i)
        metrics::step_input(x, onto, from, order, it->done + i, steps, inputs.data() + i * n);
      if (!score_inputs(inputs.data(), m, probs)) break;
      for (int i = 0; i < m; ++i) it->probs[it->done + i] = probs[i * k + cls];
      it->done += m;
      budget -= m;
    }
    backward_ms_ += ms_since(t0);
  }
  if (out && it->done > steps) *out = it->probs;
  return it->done;
}

metrics::Confidence Session::confidence(const std::string& method, int layer, int cls) {
  metrics::Confidence r;
  const std::vector<float> map = metric_map(method, layer, cls);
  if (map.empty()) return r;
  const std::vector<float> masked = metrics::masked_by_map(acts_.input, map);
  std::vector<float> probs;
  if (!score_inputs(masked.data(), 1, probs)) return r;
  return metrics::confidence(probabilities()[cls], probs[cls]);
}

#if !defined(__EMSCRIPTEN__)  // ROAD is the CLI's (metrics/road.cpp)
std::vector<float> Session::road(const std::string& method, int layer, int cls, bool morf,
                                 const std::vector<int>& percents, float noise) {
  const std::vector<float> map = metric_map(method, layer, cls);
  std::vector<float> out;
  if (map.empty()) return out;
  const metrics::Scorer score = [this](const float* in, int count, std::vector<float>& p) {
    return score_inputs(in, count, p);
  };
  if (!metrics::road(acts_.input, map, percents, morf, cls, noise, 0x20adULL, score, out))
    return {};
  return out;
}
#endif

std::vector<float> Session::sanity_map(const std::string& method, int layer, int cls, int step) {
  const std::vector<int> order = metrics::cascade_order(net());
  if (!has_picture() || step < 0 || step >= static_cast<int>(order.size())) return {};
  Session other;
  other.use_model(Model::build(metrics::randomised(net(), order[step], 0x5a1e17ULL)));
  std::string err;
  if (!other.set_input(acts_.input, err)) return {};
  return other.cam(method, layer, cls);
}

double Session::sanity_step(const std::string& method, int layer, int cls, int step) {
  const std::vector<float> original = cam(method, layer, cls);
  const std::vector<float> changed = sanity_map(method, layer, cls, step);
  if (original.empty() || changed.size() != original.size()) return std::nan("");
  return metrics::spearman(original, changed);
}

}  // namespace camscope

// Embind bindings: the Session and drawing helpers as a small JS API (see web/README.md).
// Arrays cross the boundary as typed-array copies; errors come back as strings, never throws.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "colormap.h"
#include "json.h"
#include "maps.h"
#include "methods/fusion.h"
#include "session.h"

namespace camscope {
namespace {

using emscripten::val;

// Bytes copied from JS. Not a std::vector: in this -Os file libc++'s vector filled and
// destroyed its bytes one at a time, loops V8 runs once in its baseline tier (about 9 ms for
// the weights' 3.7 MB at the cold start, measured in Node); make_unique zero-fills with one
// memory.fill.
struct Bytes {
  std::unique_ptr<uint8_t[]> bytes;
  size_t n = 0;
  const uint8_t* data() const { return bytes.get(); }
  size_t size() const { return n; }
};

// Copies a JS typed array (or ArrayBuffer view) into wasm memory.
Bytes bytes_from(const val& array) {
  Bytes out;
  out.n = array["byteLength"].as<size_t>();
  out.bytes = std::make_unique<uint8_t[]>(out.n);
  val view = val(emscripten::typed_memory_view(out.n, out.bytes.get()));
  view.call<void>("set",
                  val::global("Uint8Array").new_(array["buffer"], array["byteOffset"], out.n));
  return out;
}

// Copies a JS Float32Array into a float vector.
std::vector<float> floats_from(const val& array) {
  const size_t n = array["length"].as<size_t>();
  std::vector<float> out(n);
  val(emscripten::typed_memory_view(n, out.data())).call<void>("set", array);
  return out;
}

// A JS-owned Float32Array copy of n floats.
val float_array(const float* p, size_t n) {
  return val(emscripten::typed_memory_view(n, p)).call<val>("slice");
}

val float_array(const std::vector<float>& v) {
  return float_array(v.data(), v.size());
}

// A JS-owned Uint8ClampedArray copy of n bytes.
val byte_array(const uint8_t* p, size_t n) {
  return val::global("Uint8ClampedArray").new_(val(emscripten::typed_memory_view(n, p)));
}

// The Session as seen from JS: layers addressed by index (see info().layers).
class JsSession {
 public:
  // Loads a weights file; "" on success, else the loader's message (old model kept).
  std::string loadWeights(const val& bytes) {
    const Bytes b = bytes_from(bytes);
    std::string err;
    return s_.load_weights(b.data(), b.size(), err) ? "" : err;
  }
  // Preprocesses RGBA pixels and runs the forward pass; "" or an error.
  std::string setPicture(const val& rgba, int width, int height) {
    const Bytes px = bytes_from(rgba);
    if (width < 1 || height < 1 || px.size() != static_cast<size_t>(width) * height * 4)
      return "pixel buffer does not match " + std::to_string(width) + "x" + std::to_string(height) +
             " RGBA";
    std::string err;
    return s_.set_picture(px.data(), width, height, 4, err) ? "" : err;
  }
  // Shares `other`'s model (no second copy of the weights); drops this session's picture.
  void useModelOf(const JsSession& other) { s_.use_model(other.s_.model()); }
  // Network description as JSON: name, input, preprocessing, classes, the default layer and
  // the nodes (name, aliases, op, the type as written, shape, inputs).
  std::string info() const {
    const Net& net = s_.net();
    const NetInfo& in = net.info;
    const std::vector<Shape> shapes = net.shapes(in.input);
    auto shape = [](Shape sh) {
      return "[" + std::to_string(sh.c) + "," + std::to_string(sh.h) + "," + std::to_string(sh.w) +
             "]";
    };
    auto floats = [](const std::vector<float>& v) {
      std::string j = "[";
      for (size_t i = 0; i < v.size(); ++i) j += (i ? "," : "") + std::to_string(v[i]);
      return j + "]";
    };
    std::string j = "{\"name\":" + json_string(in.name) + ",\"input\":" + shape(in.input) +
                    ",\"preprocess\":{\"channels\":\"" + (in.bgr ? "bgr" : "rgb") +
                    "\",\"range\":" + std::to_string(static_cast<int>(in.range)) +
                    ",\"resize\":\"" + resize_name(in.resize) + "\",\"mean\":" + floats(in.mean) +
                    ",\"std\":" + floats(in.std) +
                    "},\"chain\":" + (net.is_chain() ? "true" : "false") +
                    ",\"defaultLayer\":" + std::to_string(net.default_layer()) + ",\"classes\":[";
    for (size_t i = 0; i < in.classes.size(); ++i) j += (i ? "," : "") + json_string(in.classes[i]);
    j += "],\"layers\":[";
    for (size_t i = 0; i < net.nodes.size(); ++i) {
      const Node& n = net.nodes[i];
      const Shape sh = i < shapes.size() ? shapes[i] : Shape{};
      j += std::string(i ? "," : "") + "{\"name\":" + json_string(n.name) + ",\"op\":\"" +
           op_name(n.op) + "\",\"type\":" + json_string(n.kind) + ",\"shape\":" + shape(sh) +
           ",\"inputs\":[";
      for (size_t k = 0; k < n.inputs.size(); ++k)
        j += (k ? "," : "") + std::to_string(n.inputs[k]);
      j += "],\"aliases\":[";
      for (size_t k = 0; k < n.aliases.size(); ++k) j += (k ? "," : "") + json_string(n.aliases[k]);
      j += "]}";
    }
    return j + "]}";
  }
  bool hasPicture() const { return s_.has_picture(); }
  val logits() const { return float_array(s_.logits()); }
  val probabilities() const { return float_array(s_.probabilities()); }
  int predicted() const { return s_.predicted(); }
  int layerIndex(const std::string& name) const { return s_.net().find(name); }
  // Output of layer i (C*H*W floats).
  val activation(int layer) const {
    if (!valid(layer)) return val::null();
    return float_array(s_.activation(layer).data);
  }
  // Raw map (H*W of the layer) of a method for a class.
  val cam(const std::string& method, int layer, int cls) {
    if (!valid(layer)) return val::null();
    const std::vector<float> m = s_.cam(method, layer, cls);
    return m.empty() ? val::null() : float_array(m);
  }
  // A method's channel weights (C values) for a class at a layer, or null where it has none.
  val channelWeights(const std::string& method, int layer, int cls) {
    if (!valid(layer)) return val::null();
    const std::vector<float> w = s_.channel_weights(method, layer, cls);
    return w.empty() ? val::null() : float_array(w);
  }
  // Score-CAM: up to `budget` more masked forward passes at a layer; channels done so far.
  int scoreCamRun(int layer, int budget) {
    return valid(layer) ? s_.score_cam_run(layer, budget) : 0;
  }
  // A picture method's result for a class (C*H*W at the network input), or null.
  val picture(const std::string& method, int cls, int layer) {
    if (!s_.has_picture()) return val::null();
    const std::vector<float> p = s_.picture(method, cls, layer);
    return p.empty() ? val::null() : float_array(p);
  }
  // SmoothGrad: up to `budget` more of `samples` noisy copies; copies done so far.
  int smoothgradRun(int samples, float noise, int budget) {
    return s_.smoothgrad_run(samples, noise, budget);
  }
  // A deletion (insertion false) or insertion curve of a method's map: up to `budget` more
  // steps; returns the steps done (steps + 1 when finished).
  int curveRun(const std::string& method, int layer, int cls, bool insertion, int steps,
               const std::string& base, int budget) {
    metrics::Baseline b;
    if (!metrics::parse_baseline(base, b)) return 0;
    return s_.curve_run(method, layer, cls, insertion, steps, b, budget);
  }
  // The finished curve (steps + 1 probabilities), or null.
  val curve(const std::string& method, int layer, int cls, bool insertion, int steps,
            const std::string& base) {
    metrics::Baseline b;
    std::vector<float> out;
    if (!metrics::parse_baseline(base, b) ||
        s_.curve_run(method, layer, cls, insertion, steps, b, 0, &out) <= steps)
      return val::null();
    return float_array(out);
  }
  // Average Drop / Increase terms: {original, masked, drop, increase}.
  val confidence(const std::string& method, int layer, int cls) {
    const metrics::Confidence c = s_.confidence(method, layer, cls);
    val out = val::object();
    out.set("original", c.original);
    out.set("masked", c.masked);
    out.set("drop", c.drop);
    out.set("increase", c.increase);
    return out;
  }
  // The names of the nodes re-initialised at each step, from the logits down, as JSON.
  std::string cascadeNames() const {
    std::string j = "[";
    if (s_.has_net()) {
      const std::vector<int> order = metrics::cascade_order(s_.net());
      for (size_t i = 0; i < order.size(); ++i)
        j += (i ? "," : "") + json_string(s_.net().nodes[order[i]].name);
    }
    return j + "]";
  }
  // The method's map on the model randomised through cascade step `step`, or null.
  val sanityMap(const std::string& method, int layer, int cls, int step) {
    const std::vector<float> m = s_.sanity_map(method, layer, cls, step);
    return m.empty() ? val::null() : float_array(m);
  }
  // Shape [c, h, w] of the network input the last picture became.
  val inputShape() const {
    const Shape sh = s_.activation(kGraphInput).shape;
    val out = val::array();
    out.call<void>("push", sh.c);
    out.call<void>("push", sh.h);
    out.call<void>("push", sh.w);
    return out;
  }
  // Logits (n x classes) of n preprocessed inputs of the network's input shape laid out one
  // after another, by the batched forward pass (no activations kept); null on a bad size.
  val forwardBatch(const val& inputs, int n) {
    if (!s_.has_net() || n < 1) return val::null();
    const std::vector<float> x = floats_from(inputs);
    const Shape in = s_.net().info.input;
    if (x.size() != in.size() * static_cast<size_t>(n)) return val::null();
    std::vector<float> logits;
    ops::Workspace ws;
    std::string err;
    if (!s_.model()->forward_batch(x.data(), in, n, logits, ws, &err)) return val::null();
    return float_array(logits);
  }
  // One forward pass of a blank side x side input, nothing kept; false where the network
  // does not take that size. Run once after the page's weights load: V8 starts WebAssembly in
  // baseline code and compiles a function's optimised code only once it has run a while, so
  // this small pass (a fraction of a picture's work) makes the kernels optimised before the
  // first picture's forward pass, which would otherwise run in baseline code.
  bool warmUp(int side) {
    if (!s_.has_net() || side < 1) return false;
    Shape in = s_.net().info.input;
    in.h = side;
    in.w = side;
    const std::vector<float> x(in.size(), 0.0f);
    std::vector<float> logits;
    ops::Workspace ws;
    std::string err;
    return s_.model()->forward_batch(x.data(), in, 1, logits, ws, &err);
  }
  // Grad-CAM channel weights (mean gradient per channel) of a class at a layer.
  val gradcamWeights(int layer, int cls) {
    if (!valid(layer)) return val::null();
    const float* g = s_.gradient(layer, cls);
    if (!g) return val::null();
    const Shape s = s_.activation(layer).shape;
    return float_array(gradcam_weights(g, s.c, static_cast<int>(s.plane())));
  }
  // Every channel of a layer as one RGBA grid: {width, height, pixels}.
  val featureGrid(int layer, int cols, int scale, int gap, bool shared,
                  const std::string& cmap) const {
    Colormap cm;
    if (!valid(layer) || !parse_colormap(cmap, cm)) return val::null();
    const Tensor& a = s_.activation(layer);
    int w = 0, h = 0;
    const std::vector<uint8_t> px = feature_grid(a.data.data(), a.shape.c, a.shape.h, a.shape.w,
                                                 cols, scale, gap, shared, cm, &w, &h);
    val out = val::object();
    out.set("width", w);
    out.set("height", h);
    out.set("pixels", byte_array(px.data(), px.size()));
    return out;
  }
  double forwardMs() const { return s_.forward_ms(); }
  double backwardMs() const { return s_.backward_ms(); }

 private:
  bool valid(int layer) const {
    return s_.has_picture() && layer >= 0 && layer < static_cast<int>(s_.net().nodes.size());
  }
  Session s_;
};

// Bilinear upsampling of an H x W map (PyTorch align_corners=False).
val upsample(const val& map, int h, int w, int oh, int ow) {
  const std::vector<float> m = floats_from(map);
  if (h < 1 || w < 1 || oh < 1 || ow < 1 || m.size() != static_cast<size_t>(h) * w)
    return val::null();
  return float_array(upsample_bilinear(m.data(), h, w, oh, ow));
}

// The 256-entry RGB table of a colour map (768 bytes), or null.
val colormapLut(const std::string& name) {
  Colormap cm;
  if (!parse_colormap(name, cm)) return val::null();
  std::vector<uint8_t> lut(768);
  for (int i = 0; i < 256; ++i) colormap_rgb(cm, static_cast<float>(i) / 255.0f, &lut[3 * i]);
  return byte_array(lut.data(), lut.size());
}

// Heatmap (width x height, values in [0, 1]) blended over an RGBA picture.
val overlay(const val& rgba, int width, int height, const val& map01, const std::string& cmap,
            float alpha) {
  Colormap cm;
  const Bytes px = bytes_from(rgba);
  const std::vector<float> m = floats_from(map01);
  const size_t n = static_cast<size_t>(width) * height;
  if (!parse_colormap(cmap, cm) || width < 1 || height < 1 || px.size() != 4 * n || m.size() != n)
    return val::null();
  std::vector<uint8_t> out(4 * n);
  blend_overlay(px.data(), width, height, m.data(), cm, alpha, out.data());
  return byte_array(out.data(), out.size());
}

// The registered methods, in order, as JSON: [{name, title, kind ("layer" | "score" |
// "picture"), gradients, perClass, hasWeights, formula}].
std::string camMethods() {
  std::string j = "[";
  for (size_t i = 0; i < methods().size(); ++i) {
    const Method& m = methods()[i];
    const char* kind = m.kind == MethodKind::Layer   ? "layer"
                       : m.kind == MethodKind::Score ? "score"
                                                     : "picture";
    j += std::string(i ? "," : "") + "{\"name\":" + json_string(m.name) +
         ",\"title\":" + json_string(m.title) + ",\"kind\":\"" + kind +
         "\",\"gradients\":" + (m.gradients ? "true" : "false") +
         ",\"perClass\":" + (m.per_class ? "true" : "false") +
         ",\"hasWeights\":" + (m.weights || m.kind == MethodKind::Score ? "true" : "false") +
         ",\"formula\":" + json_string(m.formula) + "}";
  }
  return j + "]";
}

// The RGBA picture (alpha 255) of a C x H x W gradient: gradient_rgb's rule (maps.h).
val gradientRgba(const val& chw, int c, int h, int w) {
  const std::vector<float> g = floats_from(chw);
  if (c < 1 || h < 1 || w < 1 || g.size() != static_cast<size_t>(c) * h * w) return val::null();
  std::vector<uint8_t> rgb(static_cast<size_t>(h) * w * 3), rgba(static_cast<size_t>(h) * w * 4);
  gradient_rgb(g.data(), c, h, w, rgb.data());
  for (size_t p = 0; p < static_cast<size_t>(h) * w; ++p) {
    rgba[4 * p] = rgb[3 * p], rgba[4 * p + 1] = rgb[3 * p + 1], rgba[4 * p + 2] = rgb[3 * p + 2];
    rgba[4 * p + 3] = 255;
  }
  return byte_array(rgba.data(), rgba.size());
}

// max over channels of |g|: the saliency map of a C x H x W gradient (H*W floats).
val gradientMagnitude(const val& chw, int c, int hw) {
  const std::vector<float> g = floats_from(chw);
  if (c < 1 || hw < 1 || g.size() != static_cast<size_t>(c) * hw) return val::null();
  return float_array(gradient_magnitude(g.data(), c, hw));
}

// Multi-layer fusion (fusion.h): maps = [Float32Array per layer, shallow to deep], sizes =
// [[h, w] per layer], to oh x ow by "max" or "mean"; null on a mismatch.
val fuseMaps(const val& maps, const val& sizes, int oh, int ow, const std::string& rule) {
  const size_t n = maps["length"].as<size_t>();
  if (n == 0 || sizes["length"].as<size_t>() != n || (rule != "max" && rule != "mean"))
    return val::null();
  std::vector<std::vector<float>> m;
  std::vector<Shape> sz;
  for (size_t i = 0; i < n; ++i) {
    m.push_back(floats_from(maps[i]));
    sz.push_back(Shape{1, sizes[i][0].as<int>(), sizes[i][1].as<int>()});
  }
  const std::vector<float> out =
      fuse_maps(m, sz, oh, ow, rule == "max" ? FuseRule::Max : FuseRule::Mean);
  return out.empty() ? val::null() : float_array(out);
}

// Spearman's rank correlation of two equally long arrays (metrics.h).
double spearmanOf(const val& a, const val& b) {
  return metrics::spearman(floats_from(a), floats_from(b));
}

// Area under a curve over [0, 1] by trapezoids (metrics.h).
double aucOf(const val& c) {
  return metrics::auc(floats_from(c));
}

// Whether this build uses WebAssembly SIMD.
bool simd() {
#ifdef __wasm_simd128__
  return true;
#else
  return false;
#endif
}

}  // namespace
}  // namespace camscope

EMSCRIPTEN_BINDINGS(camscope) {
  using camscope::JsSession;
  emscripten::class_<JsSession>("Session")
      .constructor<>()
      .function("loadWeights", &JsSession::loadWeights)
      .function("setPicture", &JsSession::setPicture)
      .function("useModelOf", &JsSession::useModelOf)
      .function("info", &JsSession::info)
      .function("hasPicture", &JsSession::hasPicture)
      .function("logits", &JsSession::logits)
      .function("probabilities", &JsSession::probabilities)
      .function("predicted", &JsSession::predicted)
      .function("layerIndex", &JsSession::layerIndex)
      .function("activation", &JsSession::activation)
      .function("cam", &JsSession::cam)
      .function("gradcamWeights", &JsSession::gradcamWeights)
      .function("channelWeights", &JsSession::channelWeights)
      .function("scoreCamRun", &JsSession::scoreCamRun)
      .function("picture", &JsSession::picture)
      .function("smoothgradRun", &JsSession::smoothgradRun)
      .function("inputShape", &JsSession::inputShape)
      .function("curveRun", &JsSession::curveRun)
      .function("curve", &JsSession::curve)
      .function("confidence", &JsSession::confidence)
      .function("cascadeNames", &JsSession::cascadeNames)
      .function("sanityMap", &JsSession::sanityMap)
      .function("forwardBatch", &JsSession::forwardBatch)
      .function("warmUp", &JsSession::warmUp)
      .function("featureGrid", &JsSession::featureGrid)
      .function("forwardMs", &JsSession::forwardMs)
      .function("backwardMs", &JsSession::backwardMs);
  emscripten::function("upsample", &camscope::upsample);
  emscripten::function("colormapLut", &camscope::colormapLut);
  emscripten::function("overlay", &camscope::overlay);
  emscripten::function("camMethods", &camscope::camMethods);
  emscripten::function("gradientRgba", &camscope::gradientRgba);
  emscripten::function("gradientMagnitude", &camscope::gradientMagnitude);
  emscripten::function("fuseMaps", &camscope::fuseMaps);
  emscripten::function("spearman", &camscope::spearmanOf);
  emscripten::function("auc", &camscope::aucOf);
  emscripten::function("simd", &camscope::simd);
}

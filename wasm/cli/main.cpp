// camscope command line: lists a network's layers, and explains pictures with any registered
// method (methods/methods.h): raw .npy maps and gradients, overlay / gradient PNGs at the
// picture's size, multi-layer fusion, feature-map grids and a summary.json.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "colormap.h"
#include "evaluate.h"
#include "graph.h"
#include "image_io.h"
#include "json.h"
#include "kernels/config.h"
#include "kernels/threadpool.h"
#include "maps.h"
#include "methods/fusion.h"
#include "methods/methods.h"
#include "npy.h"
#include "preprocess.h"
#include "session.h"

namespace camscope {
namespace {

namespace fs = std::filesystem;

constexpr int kExitOk = 0;
constexpr int kExitPictureFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kMinTilePixels = 32;  // feature-grid tiles are scaled to at least this size
constexpr int kGridGap = 2;

constexpr int kMaxSmoothSamples = 1000;  // SmoothGrad copies: each is a forward + backward

// The registered methods' names, comma-separated, in display order.
std::string method_list() {
  std::string s;
  for (const Method& m : methods()) s += (s.empty() ? "" : ", ") + std::string(m.name);
  return s;
}

// The names of the methods of one family (maps at a layer, or input gradients) after
// `label`, wrapped at 90 columns.
std::string method_lines(bool layer_maps, const std::string& label) {
  std::string out = label;
  size_t column = label.size();
  bool first = true;
  for (const Method& m : methods()) {
    if ((m.kind != MethodKind::Picture) != layer_maps) continue;
    const std::string word = std::string(first ? "" : ", ") + m.name;
    if (!first && column + word.size() > 90) {
      out += ",\n" + std::string(label.size(), ' ');
      column = label.size();
      out += word.substr(2);
      column += word.size() - 2;
    } else {
      out += word;
      column += word.size();
    }
    first = false;
  }
  return out + "\n";
}

// The usage text, with the registered methods.
std::string usage_text() {
  std::string u =
      "usage:\n"
      "  camscope explain IMG... --weights FILE [--layer NAME[,NAME...]] [--method LIST|all]\n"
      "                  [--class all|INDEX|NAME[,...]] [--out DIR] [--fuse max|mean]\n"
      "                  [--colormap jet|turbo|viridis|gray] [--alpha 0.5] [--norm permap|shared]\n"
      "                  [--smoothgrad-samples 16] [--smoothgrad-noise 0.15]\n"
      "  camscope layers --weights FILE\n"
      "  camscope classify IMG... --weights FILE   (one line per picture: file, class, "
      "probabilities)\n"
      "  camscope decode IMG OUT.npy   (the RGB pixels the network is given: uint8, H x W x 3)\n"
      "  camscope evaluate DIR|IMG... --weights FILE [--method LIST] ...   (are the maps right?\n"
      "                  deletion / insertion, Average Drop, ROAD, sanity: camscope evaluate "
      "--help)\n"
      "\n"
      "--method: comma-separated names, or all (default gradcam,layercam):\n";
  u += method_lines(true, "  maps at a layer:    ");
  u += method_lines(false, "  input gradients:    ");
  u += "\n"
       "explain writes, for each picture, method and class, into --out (default camscope_out):\n"
       "  <stem>__<method>__<layer>__<class>.npy  raw map (float32, layer H x W, after ReLU)\n"
       "  <stem>__<method>__<layer>__<class>.png  overlay at the picture's size\n"
       "  <stem>__<method>__<class>.npy           guidedbackprop, saliency, smoothgrad: the input\n"
       "                                          gradient, float32 H x W x 3 at the network's\n"
       "                                          input size (guidedgradcam: __<layer>__ too)\n"
       "  <stem>__<method>__<class>.png           at the picture's size: guided methods as an RGB\n"
       "                                          image, saliency / smoothgrad as an overlay of\n"
       "                                          max over channels of |gradient|\n"
       "  <stem>__<method>__fused-<rule>__<class>.npy/.png  --fuse: the layers' maps fused (.npy\n"
       "                                          float32 at the network's input size)\n"
       "  <stem>__features__<layer>.png           every channel of the layer\n"
       "  summary.json                            predictions, timings, every output and its\n"
       "                                          statistics\n"
       "--layer defaults to the last convolution; several layers give outputs for each, and\n"
       "with --fuse max|mean also each map method's fusion of them (Layer-CAM paper: maps over\n"
       "their max, tanh(2 M) for all but the deepest, element-wise max or mean). scorecam runs\n"
       "a forward pass per channel of the layer; smoothgrad a forward and a backward pass per\n"
       "noisy copy (noise: standard deviation F times the input's value range).\n"
       "--norm permap divides each overlay by its own max; shared divides the maps of one\n"
       "method (and layer) by the largest max among the classes asked for.\n"
       "Exit status: 0 all pictures explained, 1 some picture failed, 2 bad usage or weights.\n";
  return u;
}

// Prints one error line `camscope: <what>: <problem>` to stderr.
void complain(const std::string& what, const std::string& problem) {
  std::fprintf(stderr, "camscope: %s: %s\n", what.c_str(), problem.c_str());
}

// Prints a usage error and the usage text to stderr; returns the usage exit status.
int usage_error(const std::string& problem) {
  if (!problem.empty()) std::fprintf(stderr, "camscope: %s\n", problem.c_str());
  std::fputs(usage_text().c_str(), stderr);
  return kExitUsage;
}

// ---------------------------------------------------------------------------------------------
// JSON output, written by hand.

// Appends a number with 9 significant digits (enough for float32); null if not finite.
void json_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  out += buf;
}

// Appends `"key": ` (with the given indentation and a leading comma when not first).
void json_key(std::string& out, const char* key, int indent, bool first) {
  if (!first) out += ",";
  out += "\n";
  out.append(static_cast<size_t>(indent), ' ');
  json_string(out, key);
  out += ": ";
}

// Appends a one-line array of numbers.
void json_numbers(std::string& out, const std::vector<float>& v) {
  out += "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ", ";
    json_number(out, v[i]);
  }
  out += "]";
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

// "CxHxW".
std::string shape_text(const Shape& s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

// Splits on commas, dropping empty pieces.
std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> parts;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, ',')) {
    if (!cur.empty()) parts.push_back(cur);
  }
  return parts;
}

// True if `s` is a non-empty string of decimal digits.
bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A name made safe for a file name: anything but letters, digits, '.', '-', '_' becomes '_'.
std::string file_safe(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    if (!ok) c = '_';
  }
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

// Reads a whole file; false with `error` set.
bool read_file(const std::string& path, std::vector<uint8_t>& bytes, std::string& error) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    error = "is a directory";
    return false;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  if (f.bad()) {
    error = "read error";
    return false;
  }
  return true;
}

// Writes a text file; false with `error` set.
bool write_text(const std::string& path, const std::string& text, std::string& error) {
  std::ofstream f(path, std::ios::binary);
  if (f) f.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (f) f.close();
  if (!f) {
    error = "cannot write file";
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Command-line parsing.

// The parsed command line (option values still as text).
struct Options {
  std::string command;
  std::vector<std::string> pictures;
  std::string weights;
  std::string layer;  // empty: last conv layer
  std::string method = "gradcam,layercam";
  std::string cls = "all";
  std::string out = "camscope_out";
  std::string colormap = "jet";
  std::string alpha = "0.5";
  std::string norm = "permap";
  std::string fuse;  // empty: no fusion
  std::string smooth_samples = "16";
  std::string smooth_noise = "0.15";
  bool help = false;
};

// Parses argv into `o`; false with `error` set on bad usage.
bool parse_args(int argc, char** argv, Options& o, std::string& error) {
  struct Flag {
    const char* name;
    std::string* value;
  };
  const Flag flags[] = {{"--weights", &o.weights},
                        {"--layer", &o.layer},
                        {"--method", &o.method},
                        {"--class", &o.cls},
                        {"--out", &o.out},
                        {"--colormap", &o.colormap},
                        {"--alpha", &o.alpha},
                        {"--norm", &o.norm},
                        {"--fuse", &o.fuse},
                        {"--smoothgrad-samples", &o.smooth_samples},
                        {"--smoothgrad-noise", &o.smooth_noise}};
  bool only_files = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (only_files || arg.empty() || arg[0] != '-' || arg == "-") {
      if (o.command.empty()) {
        o.command = arg;
      } else {
        o.pictures.push_back(arg);
      }
      continue;
    }
    if (arg == "--") {
      only_files = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      o.help = true;
      continue;
    }
    const size_t eq = arg.find('=');
    const std::string key = arg.substr(0, eq);
    const Flag* flag = nullptr;
    for (const Flag& f : flags) {
      if (key == f.name) flag = &f;
    }
    if (flag == nullptr) {
      error = "unknown option " + key;
      return false;
    }
    if (eq != std::string::npos) {
      *flag->value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      *flag->value = argv[++i];
    } else {
      error = "option " + key + " needs a value";
      return false;
    }
  }
  return true;
}

// Loads the weights named by the options into the session; prints the one-line error.
bool load_network(const Options& o, Session& session) {
  if (o.weights.empty()) return false;
  std::vector<uint8_t> bytes;
  std::string error;
  if (!read_file(o.weights, bytes, error) ||
      !session.load_weights(bytes.data(), bytes.size(), error)) {
    complain(o.weights, error);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// camscope layers

// Prints one line per layer (index, name, type, output shape) and the classes / input size.
int run_layers(const Options& o) {
  if (o.weights.empty()) return usage_error("layers needs --weights FILE");
  if (!o.pictures.empty()) return usage_error("layers takes no pictures");
  Session session;
  if (!load_network(o, session)) return kExitUsage;
  const Net& net = session.net();
  std::string error;
  const std::vector<Shape> shapes = net.shapes(net.info.input, &error);
  if (shapes.size() != net.nodes.size()) {
    complain(o.weights, "network cannot take its own input size: " + error);
    return kExitUsage;
  }
  size_t name_w = 4;
  for (const Node& l : net.nodes) name_w = std::max(name_w, l.name.size());
  const bool chain = net.is_chain();
  const int def = net.default_layer();
  for (size_t i = 0; i < net.nodes.size(); ++i) {
    const Node& l = net.nodes[i];
    std::string extra;
    if (!chain) {
      extra += "  <- ";
      for (size_t s = 0; s < l.inputs.size(); ++s)
        extra += (s ? "," : "") +
                 (l.inputs[s] == kGraphInput ? std::string("input") : net.nodes[l.inputs[s]].name);
    }
    for (const std::string& a : l.aliases) extra += "  = " + a;
    if (static_cast<int>(i) == def) extra += "  (default layer)";
    std::printf("%3zu  %-*s  %-15s  %-*s%s\n", i, static_cast<int>(name_w), l.name.c_str(),
                l.kind.c_str(), extra.empty() ? 0 : 14, shape_text(shapes[i]).c_str(),
                extra.c_str());
  }
  std::string classes;
  for (size_t i = 0; i < net.info.classes.size(); ++i) {
    classes += (i > 0 ? ", " : "") + net.info.classes[i];
  }
  std::printf("%s: %zu classes (%s), input %s; kernels %s\n", net.info.name.c_str(),
              net.info.classes.size(), classes.c_str(), shape_text(net.info.input).c_str(),
              kernels::config().describe().c_str());
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// camscope explain

// One layer of --layer, resolved.
struct LayerChoice {
  int index = -1;
  std::string name;  // as the person named it (a node's name or an alias)
  Shape shape;
};

// Everything `explain` needs besides the pictures, validated.
struct Plan {
  std::vector<LayerChoice> layers;  // in network order: shallow to deep
  std::vector<const Method*> methods;
  std::vector<int> classes;
  bool fuse = false;
  FuseRule fuse_rule = FuseRule::Max;
  int smooth_samples = 16;
  double smooth_noise = 0.15;  // as given (the core takes it as float)
  Colormap colormap = Colormap::Jet;
  Colormap grid_colormap = Colormap::Viridis;
  float alpha = 0.5f;
  Norm norm = Norm::PerMap;
  std::string out_dir;
};

// "max" or "mean".
const char* fuse_name(FuseRule r) {
  return r == FuseRule::Max ? "max" : "mean";
}

// True for the methods whose result is a map at a layer (written per layer, fused by --fuse).
bool is_layer_map(const Method& m) {
  return m.kind == MethodKind::Layer || m.kind == MethodKind::Score;
}

// Parses a whole decimal integer in [lo, hi]; false otherwise.
bool parse_int(const std::string& s, int lo, int hi, int& v) {
  if (!all_digits(s) || s.size() > 9) return false;
  v = std::atoi(s.c_str());
  return v >= lo && v <= hi;
}

// Parses a whole finite number in [lo, hi]; false otherwise.
bool parse_real(const std::string& s, double lo, double hi, double& v) {
  char* end = nullptr;
  errno = 0;
  v = std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0' && errno == 0 && v >= lo && v <= hi;
}

// Validates the explain options against the network; false after printing why.
bool make_plan(const Options& o, const Net& net, Plan& p) {
  std::string error;
  const std::vector<Shape> shapes = net.shapes(net.info.input, &error);
  if (shapes.size() != net.nodes.size()) {
    complain(o.weights, "network cannot take its own input size: " + error);
    return false;
  }
  // Layers.
  if (o.layer.empty()) {
    const int def = net.default_layer();
    if (def < 0) {
      complain(o.weights,
               "the network has no layer with a spatial output; choose one with --layer");
      return false;
    }
    p.layers.push_back({def, net.nodes[def].name, shapes[def]});
  } else {
    for (const std::string& name : split_commas(o.layer)) {
      const int idx = net.find(name);
      if (idx < 0) {
        std::string names;
        for (const Node& l : net.nodes) {
          names += (names.empty() ? "" : ", ") + l.name;
          for (const std::string& a : l.aliases) names += ", " + a;
        }
        std::fprintf(stderr, "camscope: unknown layer '%s'; layers are: %s\n", name.c_str(),
                     names.c_str());
        return false;
      }
      const bool seen = std::any_of(p.layers.begin(), p.layers.end(),
                                    [idx](const LayerChoice& l) { return l.index == idx; });
      if (!seen) p.layers.push_back({idx, name, shapes[idx]});
    }
    if (p.layers.empty()) {
      usage_error("--layer names no layer");
      return false;
    }
    // Network order (the fusion's shallow-to-deep order, whatever order they were named in).
    std::stable_sort(p.layers.begin(), p.layers.end(),
                     [](const LayerChoice& a, const LayerChoice& b) { return a.index < b.index; });
  }
  // Methods.
  const std::string known = method_list();
  const std::vector<std::string> names =
      o.method == "all" ? split_commas(known) : split_commas(o.method);
  for (std::string m : names) {
    m.erase(std::remove(m.begin(), m.end(), ' '), m.end());
    if (m.empty()) continue;
    const Method* method = find_method(m);
    if (method == nullptr) {
      std::fprintf(stderr, "camscope: unknown method '%s'; methods are: %s (or all)\n", m.c_str(),
                   known.c_str());
      return false;
    }
    if (std::find(p.methods.begin(), p.methods.end(), method) == p.methods.end())
      p.methods.push_back(method);
  }
  if (p.methods.empty()) {
    usage_error("--method names no method");
    return false;
  }
  // Fusion.
  if (!o.fuse.empty()) {
    if (o.fuse == "max") {
      p.fuse_rule = FuseRule::Max;
    } else if (o.fuse == "mean") {
      p.fuse_rule = FuseRule::Mean;
    } else {
      std::fprintf(stderr, "camscope: unknown --fuse '%s'; use max or mean\n", o.fuse.c_str());
      return false;
    }
    if (p.layers.size() < 2) {
      std::fprintf(stderr, "camscope: --fuse needs two or more layers in --layer\n");
      return false;
    }
    p.fuse = true;
  }
  // SmoothGrad.
  if (!parse_int(o.smooth_samples, 1, kMaxSmoothSamples, p.smooth_samples)) {
    std::fprintf(stderr,
                 "camscope: --smoothgrad-samples must be a whole number in [1, %d], not '%s'\n",
                 kMaxSmoothSamples, o.smooth_samples.c_str());
    return false;
  }
  double noise = 0.0;
  if (!parse_real(o.smooth_noise, 0.0, 1.0, noise)) {
    std::fprintf(stderr, "camscope: --smoothgrad-noise must be a number in [0, 1], not '%s'\n",
                 o.smooth_noise.c_str());
    return false;
  }
  p.smooth_noise = noise;
  // Classes.
  const int nclasses = static_cast<int>(net.info.classes.size());
  std::string class_list;
  for (int i = 0; i < nclasses; ++i) {
    class_list += (i > 0 ? ", " : "") + std::to_string(i) + " " + net.info.classes[i];
  }
  if (o.cls == "all") {
    for (int i = 0; i < nclasses; ++i) p.classes.push_back(i);
  } else {
    for (const std::string& c : split_commas(o.cls)) {
      int idx = -1;
      if (all_digits(c) && c.size() < 10) {
        idx = std::atoi(c.c_str());
        if (idx >= nclasses) idx = -1;
      }
      if (idx < 0) {
        for (int i = 0; i < nclasses && idx < 0; ++i) {
          if (net.info.classes[i] == c) idx = i;
        }
      }
      if (idx < 0) {
        std::fprintf(stderr, "camscope: unknown class '%s'; classes are: %s\n", c.c_str(),
                     class_list.c_str());
        return false;
      }
      if (std::find(p.classes.begin(), p.classes.end(), idx) == p.classes.end()) {
        p.classes.push_back(idx);
      }
    }
  }
  if (p.classes.empty()) {
    usage_error("--class names no class");
    return false;
  }
  // Drawing.
  if (!parse_colormap(o.colormap, p.colormap)) {
    std::fprintf(stderr, "camscope: unknown colour map '%s'; use jet, turbo, viridis or gray\n",
                 o.colormap.c_str());
    return false;
  }
  p.grid_colormap = p.colormap == Colormap::Gray ? Colormap::Gray : Colormap::Viridis;
  double alpha = 0.0;
  if (!parse_real(o.alpha, 0.0, 1.0, alpha)) {
    std::fprintf(stderr, "camscope: --alpha must be a number in [0, 1], not '%s'\n",
                 o.alpha.c_str());
    return false;
  }
  p.alpha = static_cast<float>(alpha);
  if (o.norm == "permap") {
    p.norm = Norm::PerMap;
  } else if (o.norm == "shared") {
    p.norm = Norm::Shared;
  } else {
    std::fprintf(stderr, "camscope: unknown --norm '%s'; use permap or shared\n", o.norm.c_str());
    return false;
  }
  p.out_dir = o.out.empty() ? "." : o.out;
  return true;
}

// What an output is: a map at a layer, a picture-sized gradient, or a fusion of layers' maps.
enum class OutputKind { Map, Picture, Fused };

// "map", "picture", "fused".
const char* kind_name(OutputKind k) {
  return k == OutputKind::Map ? "map" : k == OutputKind::Picture ? "picture" : "fused";
}

// One output's entry in summary.json: a .npy and a .png of one method and class.
struct MapRecord {
  std::string method;
  OutputKind kind = OutputKind::Map;
  std::vector<std::string> layers;  // Map: its layer; Picture: guidedgradcam's layer; Fused: all
  int cls = 0;
  std::vector<int> shape;  // of the .npy
  MapStats stats;          // of the .npy's values
  std::string npy;
  std::string png;
};

// One picture's entry in summary.json.
struct PictureRecord {
  std::string file;
  std::string error;  // non-empty: the picture failed
  int width = 0;
  int height = 0;
  std::vector<float> logits;
  std::vector<float> probabilities;
  int predicted = -1;
  double forward_ms = 0.0;
  double backward_ms = 0.0;
  std::vector<std::string> grid_pngs;  // one per layer
  std::vector<MapRecord> maps;
  std::vector<std::string> notes;  // extra passes run (Score-CAM, SmoothGrad), for stdout
  std::vector<std::string> write_errors;
};

// A unique output stem for this picture (file name without extension, made file-safe).
std::string unique_stem(const std::string& file, std::set<std::string>& used) {
  const std::string base = file_safe(fs::path(file).stem().string());
  std::string stem = base;
  for (int k = 2; used.count(stem) > 0; ++k) stem = base + "_" + std::to_string(k);
  used.insert(stem);
  return stem;
}

// True when stderr is a terminal (progress lines are drawn there only).
bool stderr_is_tty() {
  static const bool tty = isatty(fileno(stderr)) != 0;
  return tty;
}

// One picture's drawing and writing: the picture as RGBA, the overlay buffer, the record.
class Writer {
 public:
  // Takes the decoded picture's RGB pixels (released here) and the record to fill.
  Writer(const Plan& plan, Picture& pic, PictureRecord& rec)
      : plan_(plan), w_(pic.width), h_(pic.height), rec_(rec) {
    const size_t n = pixels();
    rgba_.resize(n * 4);
    for (size_t i = 0; i < n; ++i) {
      rgba_[i * 4 + 0] = pic.rgb[i * 3 + 0];
      rgba_[i * 4 + 1] = pic.rgb[i * 3 + 1];
      rgba_[i * 4 + 2] = pic.rgb[i * 3 + 2];
      rgba_[i * 4 + 3] = 255;
    }
    pic.rgb = std::vector<uint8_t>();
    blended_.resize(n * 4);
  }

  int width() const { return w_; }
  int height() const { return h_; }
  size_t pixels() const { return static_cast<size_t>(w_) * h_; }

  // Path of an output file in the output directory.
  std::string path(const std::string& name) const {
    return (fs::path(plan_.out_dir) / name).string();
  }

  // Reports a failed write once per file; the picture then counts as failed.
  void failed(const std::string& file, const std::string& why) {
    complain(file, why);
    rec_.write_errors.push_back(file + ": " + why);
  }

  // Writes a float32 .npy of `shape` into the output directory.
  void npy(const std::string& name, const float* data, const std::vector<int>& shape) {
    const std::string p = path(name);
    if (!write_npy(p, data, shape)) failed(p, "cannot write .npy file");
  }

  // Writes interleaved RGB pixels at the picture's size as a PNG.
  void png_rgb(const std::string& name, const uint8_t* rgb) {
    const std::string p = path(name);
    std::string why;
    if (!write_png(p, rgb, w_, h_, 3, why)) failed(p, why);
  }

  // Writes the overlay PNG of each class's map: `at_picture(k)` gives map k (values >= 0) at
  // the picture's size; normalised by --norm (shared: over the maps of this set, each
  // computed again rather than all held at the picture's size at once).
  void overlays(size_t count, const std::function<std::vector<float>(size_t)>& at_picture,
                const std::vector<std::string>& names) {
    float shared_max = 0.0f;
    if (plan_.norm == Norm::Shared) {
      for (size_t k = 0; k < count; ++k) {
        const std::vector<float> up = at_picture(k);
        for (float v : up) shared_max = std::max(shared_max, v);
      }
    }
    for (size_t k = 0; k < count; ++k) {
      std::vector<float> up = at_picture(k);
      if (up.size() != pixels()) up.assign(pixels(), 0.0f);
      if (plan_.norm == Norm::Shared) {
        divide_map(up, shared_max);
      } else {
        std::vector<std::vector<float>*> one = {&up};
        normalise_maps(one, plan_.norm);
      }
      blend_overlay(rgba_.data(), w_, h_, up.data(), plan_.colormap, plan_.alpha, blended_.data());
      // PNG as RGB: the blend is opaque.
      const size_t n = pixels();
      for (size_t i = 0; i < n; ++i) {
        blended_[i * 3 + 0] = blended_[i * 4 + 0];
        blended_[i * 3 + 1] = blended_[i * 4 + 1];
        blended_[i * 3 + 2] = blended_[i * 4 + 2];
      }
      png_rgb(names[k], blended_.data());
    }
  }

 private:
  const Plan& plan_;
  int w_, h_;
  PictureRecord& rec_;
  std::vector<uint8_t> rgba_;
  std::vector<uint8_t> blended_;
};

// Output names: <stem>__<method>[__<part>]__<class>.{npy,png}.
std::string output_base(const std::string& stem, const std::string& method, const std::string& part,
                        const std::string& class_name) {
  return stem + "__" + method + (part.empty() ? "" : "__" + file_safe(part)) + "__" +
         file_safe(class_name);
}

// Runs Score-CAM's masked forward passes at a layer to the end, drawing progress on a
// terminal; false if the core stopped short.
bool run_score_cam(Session& session, const LayerChoice& layer, const std::string& file,
                   PictureRecord& rec) {
  const int channels = layer.shape.c;
  int done = session.score_cam_run(layer.index, 0);
  while (done < channels) {
    const int next = session.score_cam_run(layer.index, 4 * Session::kScoreBatch);
    if (stderr_is_tty()) {
      std::fprintf(stderr, "\r  scorecam at %s: %d/%d channels", layer.name.c_str(), next,
                   channels);
      std::fflush(stderr);
    }
    if (next <= done) break;  // no progress: the core refused the batch
    done = next;
  }
  if (stderr_is_tty()) std::fputs("\r\033[K", stderr);
  if (done < channels) {
    complain(file, "Score-CAM stopped after " + std::to_string(done) + " of " +
                       std::to_string(channels) + " channels at " + layer.name);
    rec.write_errors.push_back("scorecam at " + layer.name + " did not finish");
    return false;
  }
  rec.notes.push_back("scorecam at " + layer.name + ": " + std::to_string(channels) +
                      " masked forward passes");
  return true;
}

// Runs SmoothGrad's noisy copies to the end (progress on a terminal); false if it stopped.
bool run_smoothgrad(Session& session, const Plan& plan, const std::string& file,
                    PictureRecord& rec) {
  const float noise = static_cast<float>(plan.smooth_noise);
  int done = session.smoothgrad_run(plan.smooth_samples, noise, 0);
  while (done < plan.smooth_samples) {
    const int next = session.smoothgrad_run(plan.smooth_samples, noise, 1);
    if (stderr_is_tty()) {
      std::fprintf(stderr, "\r  smoothgrad: %d/%d noisy copies", next, plan.smooth_samples);
      std::fflush(stderr);
    }
    if (next <= done) break;
    done = next;
  }
  if (stderr_is_tty()) std::fputs("\r\033[K", stderr);
  if (done < plan.smooth_samples) {
    complain(file, "SmoothGrad stopped after " + std::to_string(done) + " of " +
                       std::to_string(plan.smooth_samples) + " copies");
    rec.write_errors.push_back("smoothgrad did not finish");
    return false;
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "smoothgrad: %d noisy copies, noise %g", done, plan.smooth_noise);
  rec.notes.push_back(buf);
  return true;
}

// A layer or score method at every layer (raw .npy at the layer's resolution, overlays at
// the picture's size) and, with --fuse, the layers' maps fused.
void explain_layer_method(const Method& method, const std::string& file, const std::string& stem,
                          const Plan& plan, Session& session, Writer& out, PictureRecord& rec) {
  const Net& net = session.net();
  const size_t nc = plan.classes.size();
  // raw[l][k]: the map of layer l and class k (kept for the fusion).
  std::vector<std::vector<std::vector<float>>> raw(plan.layers.size());
  std::vector<Shape> sizes;
  for (size_t l = 0; l < plan.layers.size(); ++l) {
    const LayerChoice& layer = plan.layers[l];
    const Shape& ls = session.activation(layer.index).shape;
    sizes.push_back(ls);
    if (method.kind == MethodKind::Score && !run_score_cam(session, layer, file, rec)) return;
    raw[l].resize(nc);
    std::vector<std::string> pngs(nc);
    for (size_t k = 0; k < nc; ++k) {
      const int cls = plan.classes[k];
      raw[l][k] = session.cam(method.name, layer.index, cls);
      if (raw[l][k].size() != ls.plane()) raw[l][k].assign(ls.plane(), 0.0f);
      const std::string base = output_base(stem, method.name, layer.name, net.info.classes[cls]);
      MapRecord m;
      m.method = method.name;
      m.kind = OutputKind::Map;
      m.layers = {layer.name};
      m.cls = cls;
      m.shape = {ls.h, ls.w};
      m.stats = map_stats(raw[l][k].data(), static_cast<int>(raw[l][k].size()));
      m.npy = base + ".npy";
      m.png = base + ".png";
      out.npy(m.npy, raw[l][k].data(), m.shape);
      pngs[k] = m.png;
      rec.maps.push_back(m);
    }
    out.overlays(
        nc,
        [&](size_t k) {
          return upsample_bilinear(raw[l][k].data(), ls.h, ls.w, out.height(), out.width());
        },
        pngs);
  }
  if (!plan.fuse) return;
  // Fused: the .npy at the network input's size (independent of the picture, like the
  // picture methods' .npy); the overlay fused directly at the picture's size.
  const Shape in = session.activation(kGraphInput).shape;
  std::vector<std::string> layer_names;
  for (const LayerChoice& l : plan.layers) layer_names.push_back(l.name);
  auto of_class = [&](size_t k) {
    std::vector<std::vector<float>> maps;
    for (size_t l = 0; l < plan.layers.size(); ++l) maps.push_back(raw[l][k]);
    return maps;
  };
  std::vector<std::string> pngs(nc);
  for (size_t k = 0; k < nc; ++k) {
    const int cls = plan.classes[k];
    std::vector<float> fused = fuse_maps(of_class(k), sizes, in.h, in.w, plan.fuse_rule);
    if (fused.size() != in.plane()) fused.assign(in.plane(), 0.0f);
    const std::string base =
        output_base(stem, method.name, std::string("fused-") + fuse_name(plan.fuse_rule),
                    net.info.classes[cls]);
    MapRecord m;
    m.method = method.name;
    m.kind = OutputKind::Fused;
    m.layers = layer_names;
    m.cls = cls;
    m.shape = {in.h, in.w};
    m.stats = map_stats(fused.data(), static_cast<int>(fused.size()));
    m.npy = base + ".npy";
    m.png = base + ".png";
    out.npy(m.npy, fused.data(), m.shape);
    pngs[k] = m.png;
    rec.maps.push_back(m);
  }
  out.overlays(
      nc,
      [&](size_t k) {
        return fuse_maps(of_class(k), sizes, out.height(), out.width(), plan.fuse_rule);
      },
      pngs);
}

// A picture method: the input gradient as a float32 H x W x C .npy at the network input's
// size; guided methods drawn as an RGB gradient image, saliency and SmoothGrad as an overlay
// of max_c |g|, both at the picture's size.
void explain_picture_method(const Method& method, const std::string& file, const std::string& stem,
                            const Plan& plan, Session& session, Writer& out, PictureRecord& rec) {
  const Net& net = session.net();
  const std::string name = method.name;
  if (name == "smoothgrad" && !run_smoothgrad(session, plan, file, rec)) return;
  const bool guided = name == "guidedbackprop" || name == "guidedgradcam";
  const Shape in = session.activation(kGraphInput).shape;
  const size_t plane = in.plane();
  // guidedgradcam once per layer; the others need none.
  std::vector<const LayerChoice*> layers = {nullptr};
  if (name == "guidedgradcam") {
    layers.clear();
    for (const LayerChoice& l : plan.layers) layers.push_back(&l);
  }
  for (const LayerChoice* layer : layers) {
    std::vector<std::vector<float>> magnitude(plan.classes.size());
    std::vector<std::string> pngs(plan.classes.size());
    for (size_t k = 0; k < plan.classes.size(); ++k) {
      const int cls = plan.classes[k];
      const std::vector<float> g = session.picture(name, cls, layer ? layer->index : -1);
      if (g.size() != in.size()) {
        complain(file, name + " for class " + net.info.classes[cls] + " is not available" +
                           (name == "smoothgrad" && net.info.classes.size() >
                                                        static_cast<size_t>(Session::kAllClassesMax)
                                ? " (networks with many classes: the predicted class only)"
                                : ""));
        continue;
      }
      // CHW -> HWC.
      std::vector<float> hwc(g.size());
      for (int c = 0; c < in.c; ++c)
        for (size_t p = 0; p < plane; ++p) hwc[p * in.c + c] = g[c * plane + p];
      const std::string base =
          output_base(stem, name, layer ? layer->name : std::string(), net.info.classes[cls]);
      MapRecord m;
      m.method = name;
      m.kind = OutputKind::Picture;
      if (layer) m.layers = {layer->name};
      m.cls = cls;
      m.shape = {in.h, in.w, in.c};
      m.stats = map_stats(g.data(), static_cast<int>(g.size()));
      m.npy = base + ".npy";
      m.png = base + ".png";
      out.npy(m.npy, hwc.data(), m.shape);
      if (guided) {
        // Each channel resized to the picture, then the RGB rule over all of them.
        std::vector<float> big(static_cast<size_t>(in.c) * out.pixels());
        for (int c = 0; c < in.c; ++c) {
          const std::vector<float> up =
              upsample_bilinear(g.data() + c * plane, in.h, in.w, out.height(), out.width());
          std::copy(up.begin(), up.end(), big.begin() + c * out.pixels());
        }
        std::vector<uint8_t> rgb(out.pixels() * 3);
        gradient_rgb(big.data(), in.c, out.height(), out.width(), rgb.data());
        out.png_rgb(m.png, rgb.data());
      } else {
        magnitude[k] = gradient_magnitude(g.data(), in.c, static_cast<int>(plane));
        pngs[k] = m.png;
      }
      rec.maps.push_back(m);
    }
    if (guided) continue;
    // Overlays of the classes that have a gradient.
    std::vector<size_t> have;
    std::vector<std::string> names;
    for (size_t k = 0; k < magnitude.size(); ++k) {
      if (!magnitude[k].empty()) {
        have.push_back(k);
        names.push_back(pngs[k]);
      }
    }
    out.overlays(
        have.size(),
        [&](size_t i) {
          return upsample_bilinear(magnitude[have[i]].data(), in.h, in.w, out.height(),
                                   out.width());
        },
        names);
  }
}

// Explains one picture: every method's outputs, the layers' feature grids. Fills `rec`;
// false if it failed.
bool explain_picture(const std::string& file, const std::string& stem, const Plan& plan,
                     Session& session, PictureRecord& rec) {
  rec.file = file;
  Picture pic;
  std::string error;
  if (!read_picture(file, pic, error) ||
      !session.set_picture(pic.rgb.data(), pic.width, pic.height, 3, error)) {
    rec.error = error;
    complain(file, error);
    return false;
  }
  rec.width = pic.width;
  rec.height = pic.height;
  rec.logits = session.logits();
  rec.probabilities = session.probabilities();
  rec.predicted = session.predicted();
  Writer out(plan, pic, rec);

  for (const Method* method : plan.methods) {
    if (is_layer_map(*method)) {
      explain_layer_method(*method, file, stem, plan, session, out, rec);
    } else {
      explain_picture_method(*method, file, stem, plan, session, out, rec);
    }
  }
  rec.forward_ms = session.forward_ms();
  rec.backward_ms = session.backward_ms();

  // Feature-map grid of every channel of each layer.
  for (const LayerChoice& layer : plan.layers) {
    const Tensor& act = session.activation(layer.index);
    const Shape& ls = act.shape;
    const int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(ls.c))));
    const int small = std::max(1, std::min(ls.h, ls.w));
    const int scale = std::max(1, (kMinTilePixels + small - 1) / small);
    int gw = 0, gh = 0;
    const std::vector<uint8_t> grid = feature_grid(act.data.data(), ls.c, ls.h, ls.w, cols, scale,
                                                   kGridGap, false, plan.grid_colormap, &gw, &gh);
    const std::string name = stem + "__features__" + file_safe(layer.name) + ".png";
    rec.grid_pngs.push_back(name);
    const std::string grid_path = out.path(name);
    std::string why;
    if (!write_png(grid_path, grid.data(), gw, gh, 4, why)) out.failed(grid_path, why);
  }
  return rec.write_errors.empty();
}

// `{a,b}` for several names, `a` for one, `<what>` for more than `most`.
std::string brace(const std::vector<std::string>& names, size_t most, const char* what) {
  if (names.size() > most) return what;
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ",") + n;
  return names.size() > 1 ? "{" + s + "}" : s;
}

// The human summary of one picture: prediction with probabilities, timings, extra passes,
// the files written (as name patterns).
void print_picture(const PictureRecord& r, const Plan& plan, const std::string& stem,
                   const Net& net) {
  const std::vector<std::string>& names = net.info.classes;
  std::vector<int> order(r.probabilities.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return r.probabilities[a] > r.probabilities[b]; });
  const std::string display = fs::path(r.file).filename().string();
  std::printf("%s: %s %.2f", display.c_str(), names[r.predicted].c_str(),
              r.probabilities[r.predicted]);
  std::string others;
  int shown = 0;
  for (int i : order) {
    if (i == r.predicted) continue;
    if (shown == 4) {
      others += ", ...";
      break;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, " %.2f", r.probabilities[i]);
    others += (shown > 0 ? ", " : "") + names[i] + buf;
    ++shown;
  }
  if (!others.empty()) std::printf(" (%s)", others.c_str());
  std::printf("  [%dx%d, forward %.1f ms, backward %.1f ms]\n", r.width, r.height, r.forward_ms,
              r.backward_ms);
  for (const std::string& n : r.notes) std::printf("  %s\n", n.c_str());
  std::vector<std::string> maps, pictures, layers, classes;
  bool guided_gc = false;
  for (const Method* m : plan.methods) {
    if (is_layer_map(*m)) {
      maps.push_back(m->name);
    } else if (std::string(m->name) == "guidedgradcam") {
      guided_gc = true;
    } else {
      pictures.push_back(m->name);
    }
  }
  for (const LayerChoice& l : plan.layers) layers.push_back(file_safe(l.name));
  for (int c : plan.classes) classes.push_back(file_safe(names[c]));
  const std::string cls = brace(classes, 4, "<class>");
  const std::string dir = (fs::path(plan.out_dir) / "").string();
  const std::string grids = stem + "__features__" + brace(layers, 4, "<layer>") + ".png";
  const std::string lay = brace(layers, 4, "<layer>");
  bool first = true;
  auto line = [&](const std::string& pattern) {
    const std::string tail = first ? ", " + grids : std::string();
    std::printf("  -> %s%s.{npy,png}%s\n", dir.c_str(), pattern.c_str(), tail.c_str());
    first = false;
  };
  if (!maps.empty()) line(stem + "__" + brace(maps, 99, "") + "__" + lay + "__" + cls);
  if (!pictures.empty()) line(stem + "__" + brace(pictures, 99, "") + "__" + cls);
  if (guided_gc) line(stem + "__guidedgradcam__" + lay + "__" + cls);
  if (plan.fuse && !maps.empty()) {
    line(stem + "__" + brace(maps, 99, "") + "__fused-" + fuse_name(plan.fuse_rule) + "__" + cls);
  }
}

// summary.json of the whole run.
std::string summary_json(const Options& o, const Plan& plan, const Net& net,
                         const std::vector<PictureRecord>& pics) {
  const LayerChoice& first_layer = plan.layers.front();
  auto shape_json = [](const std::vector<int>& s) {
    std::string t = "[";
    for (size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
    return t + "]";
  };
  auto names_json = [](const std::vector<std::string>& v) {
    std::string t = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) t += ", ";
      json_string(t, v[i]);
    }
    return t + "]";
  };
  std::string j = "{";
  json_key(j, "weights", 2, true);
  json_string(j, o.weights);
  json_key(j, "network", 2, false);
  json_string(j, net.info.name);
  json_key(j, "kernels", 2, false);
  json_string(j, kernels::config().describe());
  json_key(j, "layer", 2, false);  // the first of `layers` (the only one without a list)
  json_string(j, first_layer.name);
  json_key(j, "layer_shape", 2, false);
  const Shape& fs0 = first_layer.shape;
  j += shape_json({fs0.c, fs0.h, fs0.w});
  json_key(j, "layers", 2, false);
  j += "[";
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const Shape& s = plan.layers[i].shape;
    j += i > 0 ? ", {\"name\": " : "{\"name\": ";
    json_string(j, plan.layers[i].name);
    j += ", \"shape\": " + shape_json({s.c, s.h, s.w}) + "}";
  }
  j += "]";
  json_key(j, "methods", 2, false);
  std::vector<std::string> method_names;
  for (const Method* m : plan.methods) method_names.push_back(m->name);
  j += names_json(method_names);
  json_key(j, "fuse", 2, false);
  if (plan.fuse) {
    json_string(j, fuse_name(plan.fuse_rule));
  } else {
    j += "null";
  }
  const bool smooth = std::any_of(plan.methods.begin(), plan.methods.end(), [](const Method* m) {
    return std::string(m->name) == "smoothgrad";
  });
  if (smooth) {
    json_key(j, "smoothgrad", 2, false);
    j += "{\"samples\": " + std::to_string(plan.smooth_samples) + ", \"noise\": ";
    json_number(j, plan.smooth_noise);
    j += "}";
  }
  json_key(j, "classes", 2, false);
  j += names_json(net.info.classes);
  json_key(j, "pictures", 2, false);
  j += "[";
  for (size_t p = 0; p < pics.size(); ++p) {
    const PictureRecord& r = pics[p];
    j += p > 0 ? ",\n    {" : "\n    {";
    json_key(j, "file", 6, true);
    json_string(j, r.file);
    if (r.predicted < 0) {
      json_key(j, "error", 6, false);
      json_string(j, r.error);
      j += "\n    }";
      continue;
    }
    json_key(j, "width", 6, false);
    j += std::to_string(r.width);
    json_key(j, "height", 6, false);
    j += std::to_string(r.height);
    json_key(j, "logits", 6, false);
    json_numbers(j, r.logits);
    json_key(j, "probabilities", 6, false);
    json_numbers(j, r.probabilities);
    json_key(j, "predicted", 6, false);
    j += std::to_string(r.predicted);
    json_key(j, "predicted_name", 6, false);
    json_string(j, net.info.classes[r.predicted]);
    json_key(j, "forward_ms", 6, false);
    json_number(j, r.forward_ms);
    json_key(j, "backward_ms", 6, false);
    json_number(j, r.backward_ms);
    json_key(j, "features_png", 6, false);
    json_string(j, r.grid_pngs.empty() ? std::string() : r.grid_pngs.front());
    json_key(j, "features_pngs", 6, false);
    j += names_json(r.grid_pngs);
    if (!r.write_errors.empty()) {
      std::string all;
      for (const std::string& e : r.write_errors) all += (all.empty() ? "" : "; ") + e;
      json_key(j, "error", 6, false);
      json_string(j, all);
    }
    json_key(j, "maps", 6, false);
    j += "[";
    for (size_t k = 0; k < r.maps.size(); ++k) {
      const MapRecord& m = r.maps[k];
      j += k > 0 ? ",\n        {" : "\n        {";
      json_key(j, "method", 10, true);
      json_string(j, m.method);
      json_key(j, "kind", 10, false);
      json_string(j, kind_name(m.kind));
      if (m.kind == OutputKind::Fused) {
        json_key(j, "layers", 10, false);
        j += names_json(m.layers);
        json_key(j, "fuse", 10, false);
        json_string(j, fuse_name(plan.fuse_rule));
      } else {
        json_key(j, "layer", 10, false);
        if (m.layers.empty()) {
          j += "null";
        } else {
          json_string(j, m.layers.front());
        }
      }
      json_key(j, "class", 10, false);
      j += std::to_string(m.cls);
      json_key(j, "class_name", 10, false);
      json_string(j, net.info.classes[m.cls]);
      json_key(j, "shape", 10, false);
      j += shape_json(m.shape);
      json_key(j, "min", 10, false);
      json_number(j, m.stats.min);
      json_key(j, "max", 10, false);
      json_number(j, m.stats.max);
      json_key(j, "empty", 10, false);
      j += m.stats.empty ? "true" : "false";
      json_key(j, "npy", 10, false);
      json_string(j, m.npy);
      json_key(j, "png", 10, false);
      json_string(j, m.png);
      j += "\n        }";
    }
    j += r.maps.empty() ? "]" : "\n      ]";
    j += "\n    }";
  }
  j += pics.empty() ? "]" : "\n  ]";
  j += "\n}\n";
  return j;
}

// ---------------------------------------------------------------------------------------------
// camscope classify

// Prints `file<TAB>class index<TAB>class name<TAB>p0,p1,...` per picture (forward pass only),
// in the order given. The pictures go kClassifyBatch at a time: read and preprocessed (in a
// CAMSCOPE_THREADS build, over the threads), then one batched forward pass, whose logits are
// bit-identical to one picture's forward pass (the linear layers read their weights once per
// batch; in a threaded build each thread runs whole pictures).
int run_classify(const Options& o) {
  if (o.weights.empty()) return usage_error("classify needs --weights FILE");
  if (o.pictures.empty()) return usage_error("classify needs at least one picture");
  Session session;
  if (!load_network(o, session)) return kExitUsage;
  const NetInfo& info = session.net().info;
  const size_t in = info.input.size(), k = info.classes.size();
  constexpr size_t kClassifyBatch = 16;
  int status = kExitOk;
  std::vector<float> inputs, logits;  // the batch's inputs one after another; its logits
  std::vector<std::string> errors;    // per picture of the batch: why it failed, or ""
  ops::Workspace ws;
  for (size_t first = 0; first < o.pictures.size(); first += kClassifyBatch) {
    const size_t m = std::min(kClassifyBatch, o.pictures.size() - first);
    const std::string* files = o.pictures.data() + first;
    inputs.resize(in * m);
    errors.assign(m, std::string());
    kernels::parallel_for(static_cast<int>(m), [&](int begin, int end) {
      for (int i = begin; i < end; ++i) {
        Picture pic;
        if (!read_picture(files[i], pic, errors[i])) {
          if (errors[i].empty()) errors[i] = "cannot read the picture";
          continue;
        }
        const Tensor x = preprocess(pic.rgb.data(), pic.width, pic.height, 3, info);
        if (x.data.size() != in)
          errors[i] = "picture cannot be preprocessed for this network";
        else
          std::copy(x.data.begin(), x.data.end(), inputs.begin() + in * i);
      }
    });
    // The pictures that failed are said and left out; the others close up, in order.
    std::vector<size_t> good;
    for (size_t i = 0; i < m; ++i) {
      if (!errors[i].empty()) {
        complain(files[i], errors[i]);
        status = kExitPictureFailed;
        continue;
      }
      if (good.size() != i)
        std::copy(inputs.begin() + in * i, inputs.begin() + in * (i + 1),
                  inputs.begin() + in * good.size());
      good.push_back(i);
    }
    std::string error;
    if (!session.model()->forward_batch(inputs.data(), info.input, static_cast<int>(good.size()),
                                        logits, ws, &error)) {
      for (size_t i : good) complain(files[i], error);
      status = kExitPictureFailed;
      continue;
    }
    for (size_t j = 0; j < good.size(); ++j) {
      const std::vector<float> row(logits.begin() + k * j, logits.begin() + k * (j + 1));
      const int pred = static_cast<int>(std::max_element(row.begin(), row.end()) - row.begin());
      std::string probs;
      for (float p : softmax(row)) {
        if (!probs.empty()) probs += ',';
        json_number(probs, p);
      }
      std::printf("%s\t%d\t%s\t%s\n", files[good[j]].c_str(), pred, info.classes[pred].c_str(),
                  probs.c_str());
    }
  }
  return status;
}

// ---------------------------------------------------------------------------------------------
// camscope decode

// Writes the picture's decoded pixels (upright, over black: what the core is given) as a
// uint8 H x W x 3 .npy; for comparing the decoders with PIL and the page.
int run_decode(const Options& o) {
  if (o.pictures.size() != 2) return usage_error("decode needs a picture and an output .npy");
  Picture pic;
  std::string error;
  if (!read_picture(o.pictures[0], pic, error)) {
    complain(o.pictures[0], error);
    return kExitPictureFailed;
  }
  if (!write_npy_u8(o.pictures[1], pic.rgb.data(), {pic.height, pic.width, 3})) {
    complain(o.pictures[1], "cannot write .npy file");
    return kExitPictureFailed;
  }
  return kExitOk;
}

// Explains every picture; 0 if all succeeded, 1 if any failed, 2 on bad usage or weights.
int run_explain(const Options& o) {
  if (o.weights.empty()) return usage_error("explain needs --weights FILE");
  if (o.pictures.empty()) return usage_error("explain needs at least one picture");
  Session session;
  if (!load_network(o, session)) return kExitUsage;
  const Net& net = session.net();
  Plan plan;
  if (!make_plan(o, net, plan)) return kExitUsage;
  std::error_code ec;
  fs::create_directories(plan.out_dir, ec);
  if (ec || !fs::is_directory(plan.out_dir)) {
    complain(plan.out_dir, "cannot create output directory" + (ec ? ": " + ec.message() : ""));
    return kExitUsage;
  }
  for (const LayerChoice& l : plan.layers) {
    std::printf("layer %s (%s, %s)%s\n", l.name.c_str(), net.nodes[l.index].kind.c_str(),
                shape_text(l.shape).c_str(),
                o.layer.empty()
                    ? (net.is_chain() ? ", the last convolution" : ", the last spatial layer")
                    : "");
  }
  std::printf("kernels %s\n", kernels::config().describe().c_str());  // CAMSCOPE_KERNELS

  int status = kExitOk;
  std::vector<PictureRecord> records;
  std::set<std::string> stems;
  for (const std::string& file : o.pictures) {
    const std::string stem = unique_stem(file, stems);
    PictureRecord rec;
    const bool ok = explain_picture(file, stem, plan, session, rec);
    if (!ok) status = kExitPictureFailed;
    if (rec.predicted >= 0) print_picture(rec, plan, stem, net);
    std::fflush(stdout);
    records.push_back(std::move(rec));
  }
  const std::string summary_path = (fs::path(plan.out_dir) / "summary.json").string();
  std::string error;
  if (!write_text(summary_path, summary_json(o, plan, net, records), error)) {
    complain(summary_path, error);
    return kExitPictureFailed;
  }
  std::printf("summary: %s\n", summary_path.c_str());
  return status;
}

}  // namespace
}  // namespace camscope

// Entry point: dispatches to `explain`, `layers`, `classify` or `decode`.
int main(int argc, char** argv) {
  using namespace camscope;
  if (argc > 1 && std::string(argv[1]) == "evaluate") return run_evaluate(argc - 2, argv + 2);
  Options o;
  std::string error;
  if (!parse_args(argc, argv, o, error)) return usage_error(error);
  if (o.help) {
    std::fputs(usage_text().c_str(), stdout);
    return kExitOk;
  }
  if (o.command == "explain") return run_explain(o);
  if (o.command == "layers") return run_layers(o);
  if (o.command == "classify") return run_classify(o);
  if (o.command == "decode") return run_decode(o);
  if (o.command.empty()) return usage_error("");
  return usage_error("unknown command '" + o.command + "'");
}

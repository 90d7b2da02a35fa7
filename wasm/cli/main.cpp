// camscope command line: lists a network's layers, and explains pictures with Grad-CAM /
// Layer-CAM maps (raw .npy maps, overlay PNGs, feature-map grids and a summary.json).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
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
#include "maps.h"
#include "methods/methods.h"
#include "npy.h"
#include "session.h"

namespace camscope {
namespace {

namespace fs = std::filesystem;

constexpr int kExitOk = 0;
constexpr int kExitPictureFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kMinTilePixels = 32;  // feature-grid tiles are scaled to at least this size
constexpr int kGridGap = 2;

const char kUsage[] =
    "usage:\n"
    "  camscope explain IMG... --weights FILE [--layer NAME] [--method gradcam,layercam]\n"
    "                  [--class all|INDEX|NAME[,...]] [--out DIR]\n"
    "                  [--colormap jet|turbo|viridis|gray] [--alpha 0.5] [--norm permap|shared]\n"
    "  camscope layers --weights FILE\n"
    "  camscope classify IMG... --weights FILE   (one line per picture: file, class, "
    "probabilities)\n"
    "  camscope decode IMG OUT.npy   (the RGB pixels the network is given: uint8, H x W x 3)\n"
    "\n"
    "explain writes, for each picture, method and class, into --out (default camscope_out):\n"
    "  <stem>__<method>__<layer>__<class>.npy  raw map (float32, layer H x W, after ReLU)\n"
    "  <stem>__<method>__<layer>__<class>.png  overlay at the picture's size\n"
    "  <stem>__features__<layer>.png           every channel of the layer\n"
    "  summary.json                            predictions, timings and map statistics\n"
    "--layer defaults to the last convolution. --norm permap divides each overlay by its own\n"
    "max; shared divides the maps of one method by the largest max among the classes asked for.\n"
    "Exit status: 0 all pictures explained, 1 some picture failed, 2 bad usage or weights.\n";

// Prints one error line `camscope: <what>: <problem>` to stderr.
void complain(const std::string& what, const std::string& problem) {
  std::fprintf(stderr, "camscope: %s: %s\n", what.c_str(), problem.c_str());
}

// Prints a usage error and the usage text to stderr; returns the usage exit status.
int usage_error(const std::string& problem) {
  if (!problem.empty()) std::fprintf(stderr, "camscope: %s\n", problem.c_str());
  std::fputs(kUsage, stderr);
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
  bool help = false;
};

// Parses argv into `o`; false with `error` set on bad usage.
bool parse_args(int argc, char** argv, Options& o, std::string& error) {
  struct Flag {
    const char* name;
    std::string* value;
  };
  const Flag flags[] = {{"--weights", &o.weights}, {"--layer", &o.layer},
                        {"--method", &o.method},   {"--class", &o.cls},
                        {"--out", &o.out},         {"--colormap", &o.colormap},
                        {"--alpha", &o.alpha},     {"--norm", &o.norm}};
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

// Everything `explain` needs besides the pictures, validated.
struct Plan {
  int layer = -1;
  std::string layer_name;  // as the person named it (a node's name or an alias)
  Shape layer_shape;
  std::vector<std::string> methods;
  std::vector<int> classes;
  Colormap colormap = Colormap::Jet;
  Colormap grid_colormap = Colormap::Viridis;
  float alpha = 0.5f;
  Norm norm = Norm::PerMap;
  std::string out_dir;
};

// Validates the explain options against the network; false after printing why.
bool make_plan(const Options& o, const Net& net, Plan& p) {
  std::string error;
  const std::vector<Shape> shapes = net.shapes(net.info.input, &error);
  if (shapes.size() != net.nodes.size()) {
    complain(o.weights, "network cannot take its own input size: " + error);
    return false;
  }
  // Layer.
  if (o.layer.empty()) {
    p.layer = net.default_layer();
    if (p.layer < 0) {
      complain(o.weights,
               "the network has no layer with a spatial output; choose one with --layer");
      return false;
    }
  } else {
    p.layer = net.find(o.layer);
    if (p.layer < 0) {
      std::string names;
      for (const Node& l : net.nodes) {
        names += (names.empty() ? "" : ", ") + l.name;
        for (const std::string& a : l.aliases) names += ", " + a;
      }
      std::fprintf(stderr, "camscope: unknown layer '%s'; layers are: %s\n", o.layer.c_str(),
                   names.c_str());
      return false;
    }
  }
  p.layer_name = o.layer.empty() ? net.nodes[p.layer].name : o.layer;
  p.layer_shape = shapes[p.layer];
  // Methods.
  std::string known;
  for (const Method& m : methods()) known += (known.empty() ? "" : ", ") + std::string(m.name);
  const std::vector<std::string> methods =
      o.method == "all" ? split_commas(known) : split_commas(o.method);
  for (std::string m : methods) {
    m.erase(std::remove(m.begin(), m.end(), ' '), m.end());
    if (find_method(m) == nullptr) {
      std::fprintf(stderr, "camscope: unknown method '%s'; methods are: %s\n", m.c_str(),
                   known.c_str());
      return false;
    }
    if (std::find(p.methods.begin(), p.methods.end(), m) == p.methods.end()) p.methods.push_back(m);
  }
  if (p.methods.empty()) {
    usage_error("--method names no method");
    return false;
  }
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
  char* end = nullptr;
  errno = 0;
  const double alpha = std::strtod(o.alpha.c_str(), &end);
  if (o.alpha.empty() || *end != '\0' || errno != 0 || !(alpha >= 0.0 && alpha <= 1.0)) {
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

// One map's entry in summary.json.
struct MapRecord {
  std::string method;
  int cls = 0;
  MapStats stats;
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
  std::string grid_png;
  std::vector<MapRecord> maps;
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

// Explains one picture: maps, overlays, feature grid. Fills `rec`; false if it failed.
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

  const Net& net = session.net();
  const std::string layer_name = plan.layer_name;
  const std::string layer_safe = file_safe(layer_name);
  const Shape& ls = session.activation(plan.layer).shape;
  const size_t pic_pixels = static_cast<size_t>(pic.width) * pic.height;

  // Report a failed write once per file; the picture still counts as failed.
  auto write_failed = [&](const std::string& path, const std::string& why) {
    complain(path, why);
    rec.write_errors.push_back(path + ": " + why);
  };

  std::vector<uint8_t> rgba(pic_pixels * 4);
  for (size_t i = 0; i < pic_pixels; ++i) {
    rgba[i * 4 + 0] = pic.rgb[i * 3 + 0];
    rgba[i * 4 + 1] = pic.rgb[i * 3 + 1];
    rgba[i * 4 + 2] = pic.rgb[i * 3 + 2];
    rgba[i * 4 + 3] = 255;
  }
  pic.rgb = std::vector<uint8_t>();
  std::vector<uint8_t> blended(pic_pixels * 4);

  for (const std::string& method : plan.methods) {
    // Raw maps of every class asked for, at the layer's resolution.
    std::vector<std::vector<float>> raw(plan.classes.size());
    for (size_t k = 0; k < plan.classes.size(); ++k) {
      raw[k] = session.cam(method, plan.layer, plan.classes[k]);
      if (raw[k].size() != ls.plane()) raw[k].assign(ls.plane(), 0.0f);
    }
    // Shared normalisation: the largest max among this method's upsampled maps (upsampled
    // again below, one at a time, so that many classes never hold many picture-size maps).
    float shared_max = 0.0f;
    if (plan.norm == Norm::Shared) {
      for (const std::vector<float>& r : raw) {
        const std::vector<float> up =
            upsample_bilinear(r.data(), ls.h, ls.w, pic.height, pic.width);
        for (float v : up) shared_max = std::max(shared_max, v);
      }
    }
    for (size_t k = 0; k < plan.classes.size(); ++k) {
      const int cls = plan.classes[k];
      const std::string base =
          stem + "__" + method + "__" + layer_safe + "__" + file_safe(net.info.classes[cls]);
      MapRecord m;
      m.method = method;
      m.cls = cls;
      m.stats = map_stats(raw[k].data(), static_cast<int>(raw[k].size()));
      m.npy = base + ".npy";
      m.png = base + ".png";
      const std::string npy_path = (fs::path(plan.out_dir) / m.npy).string();
      if (!write_npy(npy_path, raw[k].data(), {ls.h, ls.w})) {
        write_failed(npy_path, "cannot write .npy file");
      }
      std::vector<float> up = upsample_bilinear(raw[k].data(), ls.h, ls.w, pic.height, pic.width);
      if (plan.norm == Norm::Shared) {
        divide_map(up, shared_max);
      } else {
        std::vector<std::vector<float>*> one = {&up};
        normalise_maps(one, plan.norm);
      }
      blend_overlay(rgba.data(), pic.width, pic.height, up.data(), plan.colormap, plan.alpha,
                    blended.data());
      // PNG as RGB: the blend is opaque.
      for (size_t i = 0; i < pic_pixels; ++i) {
        blended[i * 3 + 0] = blended[i * 4 + 0];
        blended[i * 3 + 1] = blended[i * 4 + 1];
        blended[i * 3 + 2] = blended[i * 4 + 2];
      }
      const std::string png_path = (fs::path(plan.out_dir) / m.png).string();
      std::string why;
      if (!write_png(png_path, blended.data(), pic.width, pic.height, 3, why)) {
        write_failed(png_path, why);
      }
      rec.maps.push_back(m);
    }
  }
  rec.forward_ms = session.forward_ms();
  rec.backward_ms = session.backward_ms();

  // Feature-map grid of every channel of the layer.
  const Tensor& act = session.activation(plan.layer);
  const int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(ls.c))));
  const int small = std::max(1, std::min(ls.h, ls.w));
  const int scale = std::max(1, (kMinTilePixels + small - 1) / small);
  int gw = 0, gh = 0;
  const std::vector<uint8_t> grid = feature_grid(act.data.data(), ls.c, ls.h, ls.w, cols, scale,
                                                 kGridGap, false, plan.grid_colormap, &gw, &gh);
  rec.grid_png = stem + "__features__" + layer_safe + ".png";
  const std::string grid_path = (fs::path(plan.out_dir) / rec.grid_png).string();
  std::string why;
  if (!write_png(grid_path, grid.data(), gw, gh, 4, why)) write_failed(grid_path, why);
  return rec.write_errors.empty();
}

// The human summary line of one picture: prediction with probabilities, timings, files.
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
  std::string methods, classes;
  for (const std::string& m : plan.methods) methods += (methods.empty() ? "" : ",") + m;
  for (int c : plan.classes) classes += (classes.empty() ? "" : ",") + file_safe(names[c]);
  if (plan.methods.size() > 1) methods = "{" + methods + "}";
  if (plan.classes.size() > 4) {
    classes = "<class>";
  } else if (plan.classes.size() > 1) {
    classes = "{" + classes + "}";
  }
  const std::string layer = file_safe(plan.layer_name);
  const std::string dir = (fs::path(plan.out_dir) / "").string();
  std::printf("  -> %s%s__%s__%s__%s.{npy,png}, %s\n", dir.c_str(), stem.c_str(), methods.c_str(),
              layer.c_str(), classes.c_str(), r.grid_png.c_str());
}

// summary.json of the whole run.
std::string summary_json(const Options& o, const Plan& plan, const Net& net,
                         const std::vector<PictureRecord>& pics) {
  std::string j = "{";
  json_key(j, "weights", 2, true);
  json_string(j, o.weights);
  json_key(j, "network", 2, false);
  json_string(j, net.info.name);
  json_key(j, "kernels", 2, false);
  json_string(j, kernels::config().describe());
  json_key(j, "layer", 2, false);
  json_string(j, plan.layer_name);
  json_key(j, "layer_shape", 2, false);
  j += "[" + std::to_string(plan.layer_shape.c) + ", " + std::to_string(plan.layer_shape.h) + ", " +
       std::to_string(plan.layer_shape.w) + "]";
  json_key(j, "classes", 2, false);
  j += "[";
  for (size_t i = 0; i < net.info.classes.size(); ++i) {
    if (i > 0) j += ", ";
    json_string(j, net.info.classes[i]);
  }
  j += "]";
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
    json_string(j, r.grid_png);
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
      json_key(j, "layer", 10, false);
      json_string(j, plan.layer_name);
      json_key(j, "class", 10, false);
      j += std::to_string(m.cls);
      json_key(j, "class_name", 10, false);
      json_string(j, net.info.classes[m.cls]);
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

// Prints `file<TAB>class index<TAB>class name<TAB>p0,p1,...` per picture (forward pass only).
int run_classify(const Options& o) {
  if (o.weights.empty()) return usage_error("classify needs --weights FILE");
  if (o.pictures.empty()) return usage_error("classify needs at least one picture");
  Session session;
  if (!load_network(o, session)) return kExitUsage;
  int status = kExitOk;
  for (const std::string& file : o.pictures) {
    Picture pic;
    std::string error;
    if (!read_picture(file, pic, error) ||
        !session.set_picture(pic.rgb.data(), pic.width, pic.height, 3, error)) {
      complain(file, error);
      status = kExitPictureFailed;
      continue;
    }
    const int pred = session.predicted();
    std::string probs;
    for (float p : session.probabilities()) {
      if (!probs.empty()) probs += ',';
      json_number(probs, p);
    }
    std::printf("%s\t%d\t%s\t%s\n", file.c_str(), pred, session.net().info.classes[pred].c_str(),
                probs.c_str());
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
  const Node& layer = net.nodes[plan.layer];
  std::printf("layer %s (%s, %s)%s\n", plan.layer_name.c_str(), layer.kind.c_str(),
              shape_text(plan.layer_shape).c_str(),
              o.layer.empty()
                  ? (net.is_chain() ? ", the last convolution" : ", the last spatial layer")
                  : "");
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
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (o.command == "explain") return run_explain(o);
  if (o.command == "layers") return run_layers(o);
  if (o.command == "classify") return run_classify(o);
  if (o.command == "decode") return run_decode(o);
  if (o.command.empty()) return usage_error("");
  return usage_error("unknown command '" + o.command + "'");
}

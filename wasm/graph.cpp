// The graph's structure: names, shapes and validation.
#include "graph.h"

#include <algorithm>
#include <set>

namespace camscope {
namespace {

std::string shape_text(Shape s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

// Output shape of node `n` given its input shapes, or false with a message.
bool node_shape(const Node& n, const std::vector<Shape>& in, Shape& out, std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error) *error = "node " + n.name + ": input " + shape_text(in[0]) + " " + why;
    return false;
  };
  const Shape x = in[0];
  switch (n.op) {
    case Op::Conv:
      if (x.c != n.cin) return fail("does not have " + std::to_string(n.cin) + " channels");
      out = {n.cout, n.win.out_h(x.h), n.win.out_w(x.w)};
      if (out.h < 1 || out.w < 1) return fail("is smaller than the kernel");
      return true;
    case Op::BatchNorm:
      if (x.c != n.cin) return fail("does not have " + std::to_string(n.cin) + " channels");
      out = x;
      return true;
    case Op::MaxPool:
    case Op::AvgPool:
      out = {x.c, n.win.out_h(x.h), n.win.out_w(x.w)};
      if (out.h < 1 || out.w < 1) return fail("is smaller than the pooling window");
      return true;
    case Op::AdaptiveAvgPool: out = {x.c, n.oh, n.ow}; return true;
    case Op::Flatten: out = {static_cast<int>(x.size()), 1, 1}; return true;
    case Op::Linear:
      if (x.h != 1 || x.w != 1 || x.c != n.cin)
        return fail("is not a flat vector of " + std::to_string(n.cin) + " values");
      out = {n.cout, 1, 1};
      return true;
    case Op::Add:
      for (const Shape& s : in)
        if (s != x) return fail("and input " + shape_text(s) + " differ in shape");
      out = x;
      return true;
    case Op::Concat: {
      long long c = 0;
      for (const Shape& s : in) {
        if (s.h != x.h || s.w != x.w)
          return fail("and input " + shape_text(s) + " differ in height or width");
        c += s.c;
      }
      if (c > (1 << 24)) return fail("concatenates too many channels");
      out = {static_cast<int>(c), x.h, x.w};
      return true;
    }
    case Op::ReLU:
    case Op::Clip:
    case Op::Identity: out = x; return true;
  }
  return fail("has an unknown op");
}

bool spatial(Shape s) {
  return s.h * s.w > 1;
}

}  // namespace

const char* op_name(Op op) {
  switch (op) {
    case Op::Conv: return "conv";
    case Op::BatchNorm: return "batchnorm";
    case Op::ReLU: return "relu";
    case Op::Clip: return "clip";
    case Op::MaxPool: return "maxpool";
    case Op::AvgPool: return "avgpool";
    case Op::AdaptiveAvgPool: return "adaptiveavgpool";
    case Op::Add: return "add";
    case Op::Concat: return "concat";
    case Op::Flatten: return "flatten";
    case Op::Linear: return "linear";
    case Op::Identity: return "identity";
  }
  return "?";
}

const char* resize_name(Resize r) {
  return r == Resize::Nearest ? "nearest" : "bilinear_aa";
}

int Window::out_len(int n, int k, int s, int p0, int p1, int d, bool ceil_mode) {
  const long long span = static_cast<long long>(d) * (k - 1) + 1;
  const long long room = static_cast<long long>(n) + p0 + p1 - span;
  if (room < 0 || s < 1) return 0;
  long long out = (ceil_mode ? room + s - 1 : room) / s + 1;
  // PyTorch: the last window must start inside the input or its left padding.
  if (ceil_mode && (out - 1) * s >= static_cast<long long>(n) + p0) --out;
  return out > (1 << 24) ? 0 : static_cast<int>(out);
}

const float* Node::float_weight(std::vector<float>& scratch) const {
  if (qweight.empty()) return weight.data();
  scratch.resize(qweight.size());
  const size_t per = qweight.size() / qscale.size();
  for (size_t o = 0, i = 0; o < qscale.size(); ++o)
    for (size_t e = 0; e < per; ++e, ++i) scratch[i] = static_cast<float>(qweight[i]) * qscale[o];
  return scratch.data();
}

int Net::find(const std::string& name) const {
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].name == name) return static_cast<int>(i);
    for (const std::string& a : nodes[i].aliases)
      if (a == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<Shape> Net::shapes(Shape in, std::string* error) const {
  std::vector<Shape> out;
  out.reserve(nodes.size());
  std::vector<Shape> ins;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    ins.clear();
    for (int j : n.inputs) {
      if (j != kGraphInput && (j < 0 || static_cast<size_t>(j) >= i)) {
        if (error) *error = "node " + n.name + ": an input is not an earlier node";
        return {};
      }
      ins.push_back(j == kGraphInput ? in : out[j]);
    }
    if (ins.empty()) {
      if (error) *error = "node " + n.name + " has no input";
      return {};
    }
    Shape s;
    if (!node_shape(n, ins, s, error)) return {};
    out.push_back(s);
  }
  return out;
}

bool Net::is_chain() const {
  for (size_t i = 0; i < nodes.size(); ++i) {
    const int want = i == 0 ? kGraphInput : static_cast<int>(i) - 1;
    if (nodes[i].inputs.size() != 1 || nodes[i].inputs[0] != want) return false;
  }
  return true;
}

int Net::default_layer() const {
  const std::vector<Shape> s = shapes(info.input);
  if (s.size() != nodes.size()) return -1;
  const bool chain = is_chain();
  for (int i = static_cast<int>(nodes.size()) - 1; i >= 0; --i) {
    if (!spatial(s[i])) continue;
    const Op op = nodes[i].op;
    if (chain ? op == Op::Conv
              : op != Op::MaxPool && op != Op::AvgPool && op != Op::AdaptiveAvgPool) {
      // A Keras conv with a fused activation: the layer's name (its output, what Keras users
      // explain) is the activation after "NAME/preact" (tools/export_keras.py).
      const std::string& nm = nodes[i].name;
      const std::string suffix = "/preact";
      if (nm.size() > suffix.size() &&
          nm.compare(nm.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          static_cast<size_t>(i) + 1 < nodes.size() &&
          nodes[i + 1].name == nm.substr(0, nm.size() - suffix.size()) &&
          nodes[i + 1].inputs == std::vector<int>{i})
        return i + 1;
      return i;
    }
  }
  for (int i = static_cast<int>(nodes.size()) - 1; i >= 0; --i)
    if (spatial(s[i])) return i;
  return -1;
}

// True if a conv's or linear layer's weights have `want` values: as float32, or where
// `int8_allowed` and the node holds int8 values, as those with one scale per output.
static bool weight_sized(const Node& n, size_t want, bool int8_allowed) {
  if (int8_allowed && !n.qweight.empty())
    return n.qweight.size() == want && n.qscale.size() == static_cast<size_t>(n.cout);
  return n.weight.size() == want;
}

bool validate_graph(const Net& net, std::string& error) {
  std::set<std::string> names;
  auto fail = [&](const Node& n, const std::string& why) {
    error = "node " + n.name + ": " + why;
    return false;
  };
  for (size_t i = 0; i < net.nodes.size(); ++i) {
    const Node& n = net.nodes[i];
    if (n.name.empty()) return fail(n, "has no name");
    for (size_t a = 0; a <= n.aliases.size(); ++a) {
      const std::string& nm = a == 0 ? n.name : n.aliases[a - 1];
      if (nm == "input") return fail(n, "the name 'input' is kept for the network's input");
      if (!names.insert(nm).second) return fail(n, "the name '" + nm + "' is used twice");
    }
    const size_t want_inputs = (n.op == Op::Add || n.op == Op::Concat) ? 2 : 1;
    if (n.inputs.size() < want_inputs || (want_inputs == 1 && n.inputs.size() != 1))
      return fail(n, std::string(op_name(n.op)) + " needs " +
                         (want_inputs == 1 ? "exactly one input" : "at least two inputs"));
    for (int j : n.inputs)
      if (j != kGraphInput && (j < 0 || static_cast<size_t>(j) >= i))
        return fail(n, "an input is not an earlier node (the graph must be in topological order)");
    const Window& w = n.win;
    const bool windowed = n.op == Op::Conv || n.op == Op::MaxPool || n.op == Op::AvgPool;
    if (windowed) {
      if (w.kh < 1 || w.kw < 1 || w.sh < 1 || w.sw < 1 || w.dh < 1 || w.dw < 1 || w.pt < 0 ||
          w.pl < 0 || w.pb < 0 || w.pr < 0)
        return fail(n, "kernel, stride and dilation must be positive, padding not negative");
      if (w.kh > 64 || w.kw > 64 || w.sh > 64 || w.sw > 64 || w.dh > 64 || w.dw > 64 || w.pt > 64 ||
          w.pl > 64 || w.pb > 64 || w.pr > 64)
        return fail(n, "kernel, stride, dilation and padding must be at most 64");
    }
    if (n.op == Op::MaxPool || n.op == Op::AvgPool) {
      // PyTorch's rule: padding at most half the (dilated) kernel, so no window is all padding.
      const int eh = w.dh * (w.kh - 1) + 1, ew = w.dw * (w.kw - 1) + 1;
      if (2 * std::max(w.pt, w.pb) > eh || 2 * std::max(w.pl, w.pr) > ew)
        return fail(n, "padding must be at most half the kernel size");
    }
    switch (n.op) {
      case Op::Conv: {
        if (n.cin < 1 || n.cout < 1 || n.groups < 1 || n.cin % n.groups || n.cout % n.groups)
          return fail(n, "channels must be positive and divisible by the groups");
        const size_t want = static_cast<size_t>(n.cout) * (n.cin / n.groups) * w.kh * w.kw;
        if (!weight_sized(n, want, !n.depthwise())) return fail(n, "weight has the wrong size");
        if (n.bias.size() != (n.has_bias ? static_cast<size_t>(n.cout) : 0))
          return fail(n, "bias has the wrong size");
        break;
      }
      case Op::Linear: {
        if (n.cin < 1 || n.cout < 1) return fail(n, "linear sizes must be positive");
        const size_t want = static_cast<size_t>(n.cout) * n.cin;
        if (!weight_sized(n, want, true)) return fail(n, "weight has the wrong size");
        if (n.bias.size() != (n.has_bias ? static_cast<size_t>(n.cout) : 0))
          return fail(n, "bias has the wrong size");
        break;
      }
      case Op::BatchNorm: {
        const size_t c = static_cast<size_t>(n.cin);
        if (n.cin < 1 || n.weight.size() != c || n.bias.size() != c || n.mean.size() != c ||
            n.var.size() != c)
          return fail(n, "batchnorm tensors must have one value per channel");
        for (float v : n.var)
          if (v < 0.0f) return fail(n, "negative running_var");
        if (!(n.eps >= 0.0f)) return fail(n, "eps must not be negative");
        break;
      }
      case Op::Clip:
        if (!(n.lo <= n.hi)) return fail(n, "clip needs lo <= hi");
        break;
      case Op::AdaptiveAvgPool:
        if (n.oh < 1 || n.ow < 1 || n.oh > 4096 || n.ow > 4096)
          return fail(n, "adaptiveavgpool size must be in 1..4096");
        break;
      default: break;
    }
  }
  if (net.nodes.empty()) {
    error = "no layers";
    return false;
  }
  return true;
}

}  // namespace camscope

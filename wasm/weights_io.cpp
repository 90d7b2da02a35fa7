// `.csw` reader: every count, shape and offset is checked before any data is touched.
#include "weights_io.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

namespace camscope {
namespace {

constexpr size_t kHeaderSize = 32;
constexpr uint32_t kMaxDesc = 1u << 20;
constexpr uint64_t kMaxElements = uint64_t{1} << 31;  // per tensor
constexpr int kMaxDim = 1 << 20;
constexpr size_t kMaxNodes = 4096;
constexpr size_t kMaxInputs = 4096;  // per node (a DenseNet block's concat reads dozens)
constexpr size_t kMaxClasses = 100000;

uint32_t read_u32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
uint64_t read_u64(const uint8_t* p) {
  return uint64_t{read_u32(p)} | uint64_t{read_u32(p + 4)} << 32;
}

float read_f32(const uint8_t* p) {
  const uint32_t u = read_u32(p);
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// A tensor statement, before its data is read.
struct TensorEntry {
  std::string dtype;
  uint64_t offset = 0;
  uint64_t bytes = 0;  // including int8 scales
  std::vector<int> dims;
  uint64_t count = 0;
  int line = 0;
  bool used = false;
};

// Parses a non-negative decimal integer token in [0, max].
bool parse_int(const std::string& t, long long max, long long& out) {
  if (t.empty() || t.size() > 19) return false;
  long long v = 0;
  for (char ch : t) {
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + (ch - '0');
    if (v > max) return false;
  }
  out = v;
  return true;
}

// Parses a finite float token.
bool parse_float(const std::string& t, float& out) {
  if (t.empty() || t.size() > 64) return false;
  char* end = nullptr;
  errno = 0;
  const float v = std::strtof(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(v)) return false;
  out = v;
  return true;
}

std::vector<std::string> split_tokens(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// One int8 row times its scale, never inlined (called through a volatile pointer), so that
// V8's optimised code takes over after the first rows (see crc32_update). Returns whether
// every product is finite (take's check, done here rather than in a second pass).
__attribute__((noinline)) bool dequant_row(const uint8_t* q, float scale, float* out, uint64_t n) {
  bool finite = true;
  for (uint64_t i = 0; i < n; ++i) {
    out[i] = static_cast<float>(static_cast<int8_t>(q[i])) * scale;
    finite = finite && std::isfinite(out[i]);
  }
  return finite;
}

// One int8 row copied as it is; returns its largest magnitude. Per row through a volatile
// pointer, as dequant_row.
__attribute__((noinline)) int copy_int8_row(const uint8_t* p, int8_t* q, uint64_t n) {
  int maxq = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const int8_t v = static_cast<int8_t>(p[i]);
    q[i] = v;
    maxq = std::max(maxq, v < 0 ? -static_cast<int>(v) : static_cast<int>(v));
  }
  return maxq;
}

// Parsing state: the description's statements and a place to say what went wrong.
class Parser {
 public:
  Parser(const uint8_t* data, uint64_t data_size, uint32_t version, size_t max_bytes)
      : data_(data), data_size_(data_size), version_(version), max_bytes_(max_bytes) {}

  bool parse(const std::string& desc, Net& net) {
    size_t pos = 0;
    int line_no = 0;
    bool saw_magic = false;
    while (pos < desc.size()) {
      size_t end = desc.find('\n', pos);
      if (end == std::string::npos) end = desc.size();
      std::string line = desc.substr(pos, end - pos);
      pos = end + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      for (unsigned char ch : line)
        if (ch < 0x20 && ch != '\t') return fail(line_no, "control character in the description");
      line_ = line_no;
      const std::vector<std::string> t = split_tokens(line);
      if (t.empty()) continue;
      if (!saw_magic) {
        const std::string magic = "camscope " + std::to_string(version_);
        if (t.size() != 2 || t[0] != "camscope" || t[1] != std::to_string(version_))
          return fail(line_no,
                      "description must start with '" + magic + "' (the header's version)");
        saw_magic = true;
        continue;
      }
      // Through volatile pointers (binaryen's link-time inliner ignores noinline): inlined,
      // the whole parser became one 40 KB function that V8 compiled again with its optimising
      // tier (its loop runs once per line, and a big loop body spends the tier-up budget
      // fast): 50-80 ms of a core at the page's cold start, for code that never ran again.
      static bool (Parser::*volatile const parse_statement)(
          const std::vector<std::string>&, const std::string&, Net&) = &Parser::statement;
      if (!(this->*parse_statement)(t, line, net)) return false;
    }
    if (!saw_magic) return fail(0, "empty description");
    static bool (Parser::*volatile const finish_net)(Net&) = &Parser::finish;
    return (this->*finish_net)(net);
  }

  const std::string& error() const { return error_; }

 private:
  bool fail(int line, const std::string& what) {
    error_ = line > 0 ? "description line " + std::to_string(line) + ": " + what : what;
    return false;
  }
  bool fail(const std::string& what) { return fail(line_, what); }

  bool ints(const std::vector<std::string>& t, size_t from, size_t n, long long max,
            std::vector<int>& out) {
    if (t.size() != from + n)
      return fail("'" + t[0] + (t.size() > 1 ? " " + t[1] : "") + "' needs " + std::to_string(n) +
                  " numbers");
    out.clear();
    for (size_t i = from; i < from + n; ++i) {
      long long v;
      if (!parse_int(t[i], max, v)) return fail("bad number '" + t[i] + "'");
      out.push_back(static_cast<int>(v));
    }
    return true;
  }

  bool statement(const std::vector<std::string>& t, const std::string& line, Net& net) {
    // The long kinds each in a function of its own (see parse: small functions, each
    // compiled by V8's optimising tier only if it runs often enough to pay).
    using Kind = bool (Parser::*)(const std::vector<std::string>&, Net&);
    static const Kind volatile parse_layer = &Parser::layer;
    static const Kind volatile parse_node = &Parser::node;
    static bool (Parser::*volatile const parse_tensor)(const std::vector<std::string>&) =
        &Parser::tensor;
    const std::string& key = t[0];
    std::vector<int> v;
    if (key == "name") {
      net.info.name = line.size() > 5 ? line.substr(5) : "";
    } else if (key == "input") {
      if (!ints(t, 1, 3, 4096, v)) return false;
      if (v[0] < 1 || v[0] > 16 || v[1] < 1 || v[2] < 1)
        return fail("input must be C H W with C in 1..16");
      net.info.input = {v[0], v[1], v[2]};
    } else if (key == "mean" || key == "std") {
      std::vector<float>& dst = key == "mean" ? net.info.mean : net.info.std;
      dst.clear();
      for (size_t i = 1; i < t.size(); ++i) {
        float f;
        if (!parse_float(t[i], f)) return fail("bad number '" + t[i] + "' in " + key);
        if (key == "std" && !(f > 0.0f)) return fail("std values must be positive");
        dst.push_back(f);
      }
    } else if (key == "class") {
      if (line.size() <= 6) return fail("class needs a name");
      if (net.info.classes.size() >= kMaxClasses) return fail("too many classes");
      net.info.classes.push_back(line.substr(6));
    } else if (key == "layer" && version_ == 1) {
      return (this->*parse_layer)(t, net);
    } else if (key == "node" && version_ == 2) {
      return (this->*parse_node)(t, net);
    } else if (key == "alias" && version_ == 2) {
      if (t.size() != 3) return fail("alias needs NAME NODE");
      const int i = find_node(net, t[2]);
      if (i < 0) return fail("alias " + t[1] + ": no node '" + t[2] + "' before it");
      if (t[1] == "input" || find_node(net, t[1]) >= 0)
        return fail("alias " + t[1] + ": the name is already used");
      net.nodes[i].aliases.push_back(t[1]);
      names_[t[1]] = i;
    } else if (key == "range" && version_ == 2) {
      if (t.size() != 2 || (t[1] != "1" && t[1] != "255")) return fail("range must be 1 or 255");
      net.info.range = t[1] == "1" ? 1.0f : 255.0f;
    } else if (key == "channels" && version_ == 2) {
      if (t.size() != 2 || (t[1] != "rgb" && t[1] != "bgr"))
        return fail("channels must be rgb or bgr");
      net.info.bgr = t[1] == "bgr";
    } else if (key == "resize" && version_ == 2) {
      if (t.size() != 2 || (t[1] != "bilinear_aa" && t[1] != "nearest"))
        return fail("resize must be bilinear_aa or nearest");
      net.info.resize = t[1] == "nearest" ? Resize::Nearest : Resize::BilinearAA;
    } else if (key == "tensor") {
      return (this->*parse_tensor)(t);
    } else {
      return fail("unknown statement '" + key + "'");
    }
    return true;
  }

  int find_node(const Net& net, const std::string& name) const {
    (void)net;
    auto it = names_.find(name);
    return it == names_.end() ? -1 : it->second;
  }

  // Registers a new node's name; false (with the error) if it is taken.
  bool add_node(Net& net, Node n) {
    if (net.nodes.size() >= kMaxNodes) return fail("too many nodes");
    if (n.name == "input") return fail("the name 'input' is kept for the network's input");
    if (names_.count(n.name)) return fail("node name '" + n.name + "' used twice");
    names_[n.name] = static_cast<int>(net.nodes.size());
    net.nodes.push_back(std::move(n));
    return true;
  }

  // Version 1: `layer NAME TYPE ARGS...`, a chain (each layer reads the one before).
  bool layer(const std::vector<std::string>& t, Net& net) {
    if (t.size() < 3) return fail("layer needs a name and a type");
    Node l;
    l.name = t[1];
    l.kind = t[2];
    l.inputs = {net.nodes.empty() ? kGraphInput : static_cast<int>(net.nodes.size()) - 1};
    const std::string& type = t[2];
    std::vector<int> v;
    if (type == "conv") {
      if (!ints(t, 3, 5, kMaxDim, v)) return false;
      l.op = Op::Conv;
      l.cin = v[0], l.cout = v[1];
      l.win.kh = l.win.kw = v[2];
      l.win.sh = l.win.sw = v[3];
      l.win.pt = l.win.pl = l.win.pb = l.win.pr = v[4];
      if (l.cin < 1 || l.cout < 1 || v[2] < 1 || v[2] > 64 || v[3] < 1 || v[3] > 64 || v[4] > 64)
        return fail("conv " + l.name +
                    ": channels, kernel and stride must be positive (kernel, stride, pad <= 64)");
    } else if (type == "batchnorm") {
      if (t.size() != 5) return fail("batchnorm needs C and EPS");
      long long c;
      if (!parse_int(t[3], kMaxDim, c) || c < 1) return fail("bad channel count '" + t[3] + "'");
      if (!parse_float(t[4], l.eps) || !(l.eps >= 0.0f)) return fail("bad eps '" + t[4] + "'");
      l.op = Op::BatchNorm;
      l.cin = l.cout = static_cast<int>(c);
    } else if (type == "maxpool") {
      if (!ints(t, 3, 2, 64, v)) return false;
      if (v[0] < 1 || v[1] < 1) return fail("maxpool kernel and stride must be positive");
      l.op = Op::MaxPool;
      l.win.kh = l.win.kw = v[0];
      l.win.sh = l.win.sw = v[1];
    } else if (type == "adaptiveavgpool") {
      if (!ints(t, 3, 2, 4096, v)) return false;
      if (v[0] < 1 || v[1] < 1) return fail("adaptiveavgpool size must be positive");
      l.op = Op::AdaptiveAvgPool;
      l.oh = v[0], l.ow = v[1];
    } else if (type == "linear") {
      if (!ints(t, 3, 2, kMaxDim * 16, v)) return false;
      if (v[0] < 1 || v[1] < 1) return fail("linear sizes must be positive");
      l.op = Op::Linear;
      l.cin = v[0], l.cout = v[1];
    } else if (type == "relu" || type == "dropout" || type == "flatten") {
      if (t.size() != 3) return fail(type + " takes no arguments");
      l.op = type == "relu" ? Op::ReLU : type == "dropout" ? Op::Identity : Op::Flatten;
    } else {
      return fail("layer " + l.name + ": unknown type '" + type + "'");
    }
    return add_node(net, std::move(l));
  }

  // Notes what is wrong with a node's argument (node() adds the node's name and line).
  bool bad(const std::string& what) {
    problem_ = what;
    return false;
  }

  // key=value arguments of a version-2 node; each key may be read once, and every key must be
  // read (an unknown key is refused, not ignored).
  struct Args {
    std::map<std::string, std::string> kv;
    std::map<std::string, bool> read;
  };

  // 1, 2 or 4 comma-separated non-negative integers <= max of key `k` into out (missing: def).
  bool list(Args& a, const std::string& k, size_t max_n, long long max, std::vector<int>& out,
            const std::vector<int>& def, bool required) {
    auto it = a.kv.find(k);
    if (it == a.kv.end()) {
      if (required) return bad("needs " + k + "=");
      out = def;
      return true;
    }
    a.read[k] = true;
    out.clear();
    const std::string& s = it->second;
    size_t pos = 0;
    while (true) {
      const size_t comma = s.find(',', pos);
      const std::string tok =
          s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      long long v;
      if (!parse_int(tok, max, v)) return bad("bad number '" + tok + "' in " + k + "=");
      out.push_back(static_cast<int>(v));
      if (out.size() > max_n) return bad("too many numbers in " + k + "=");
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    return true;
  }
  bool one(Args& a, const std::string& k, long long max, int& out, int def, bool required) {
    std::vector<int> v;
    if (!list(a, k, 1, max, v, {def}, required)) return false;
    out = v[0];
    return true;
  }
  bool real(Args& a, const std::string& k, float& out) {
    auto it = a.kv.find(k);
    if (it == a.kv.end()) return bad("needs " + k + "=");
    a.read[k] = true;
    if (!parse_float(it->second, out)) return bad("bad number '" + it->second + "' in " + k + "=");
    return true;
  }
  // A pair (1 number: both) into a, b.
  bool pair(Args& a, const std::string& k, long long max, int& x, int& y, int def, bool required) {
    std::vector<int> v;
    if (!list(a, k, 2, max, v, {def}, required)) return false;
    x = v[0];
    y = v.size() == 2 ? v[1] : v[0];
    return true;
  }
  // Padding: P (all sides), PH,PW (top=bottom, left=right) or T,L,B,R.
  bool padding(Args& a, Window& w) {
    std::vector<int> v;
    if (!list(a, "p", 4, 64, v, {0}, false)) return false;
    if (v.size() == 3) return bad("p= takes 1, 2 or 4 numbers");
    if (v.size() == 1) w.pt = w.pl = w.pb = w.pr = v[0];
    if (v.size() == 2) w.pt = w.pb = v[0], w.pl = w.pr = v[1];
    if (v.size() == 4) w.pt = v[0], w.pl = v[1], w.pb = v[2], w.pr = v[3];
    return true;
  }
  bool flag(Args& a, const std::string& k, bool& out, bool def) {
    int v;
    if (!one(a, k, 1, v, def ? 1 : 0, false)) return false;
    out = v != 0;
    return true;
  }

  // Version 2: `node NAME OP INPUT[,INPUT...] key=value...`.
  bool node(const std::vector<std::string>& t, Net& net) {
    if (t.size() < 4) return fail("node needs NAME OP INPUTS");
    Node n;
    n.name = t[1];
    n.kind = t[2];
    // Inputs: earlier nodes (or aliases) by name, or "input".
    size_t pos = 0;
    const std::string& ins = t[3];
    while (true) {
      const size_t comma = ins.find(',', pos);
      const std::string nm =
          ins.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (nm == "input") {
        n.inputs.push_back(kGraphInput);
      } else {
        const int j = find_node(net, nm);
        if (j < 0) return fail("node " + n.name + ": input '" + nm + "' is not an earlier node");
        n.inputs.push_back(j);
      }
      if (n.inputs.size() > kMaxInputs) return fail("node " + n.name + ": too many inputs");
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    Args a;
    for (size_t i = 4; i < t.size(); ++i) {
      const size_t eq = t[i].find('=');
      if (eq == std::string::npos || eq == 0)
        return fail("node " + n.name + ": argument '" + t[i] + "' is not key=value");
      const std::string k = t[i].substr(0, eq);
      if (a.kv.count(k)) return fail("node " + n.name + ": " + k + "= given twice");
      a.kv[k] = t[i].substr(eq + 1);
    }
    const std::string& op = t[2];
    Window& w = n.win;
    bool ok = true;
    if (op == "conv") {
      n.op = Op::Conv;
      ok = one(a, "cin", kMaxDim, n.cin, 0, true) && one(a, "cout", kMaxDim, n.cout, 0, true) &&
           pair(a, "k", 64, w.kh, w.kw, 1, true) && pair(a, "s", 64, w.sh, w.sw, 1, false) &&
           padding(a, w) && pair(a, "d", 64, w.dh, w.dw, 1, false) &&
           one(a, "g", kMaxDim, n.groups, 1, false) && flag(a, "bias", n.has_bias, true);
    } else if (op == "batchnorm") {
      n.op = Op::BatchNorm;
      ok = one(a, "c", kMaxDim, n.cin, 0, true) && real(a, "eps", n.eps);
      n.cout = n.cin;
    } else if (op == "relu") {
      n.op = Op::ReLU;
    } else if (op == "relu6") {
      n.op = Op::Clip;
      n.lo = 0.0f, n.hi = 6.0f;
    } else if (op == "clip" || op == "hardtanh") {
      n.op = Op::Clip;
      ok = real(a, "lo", n.lo) && real(a, "hi", n.hi);
    } else if (op == "maxpool" || op == "avgpool") {
      n.op = op == "maxpool" ? Op::MaxPool : Op::AvgPool;
      ok = pair(a, "k", 64, w.kh, w.kw, 1, true);
      ok = ok && pair(a, "s", 64, w.sh, w.sw, 0, false) && padding(a, w) &&
           flag(a, "ceil", w.ceil_mode, false);
      if (ok && w.sh == 0) w.sh = w.kh, w.sw = w.kw;  // PyTorch: stride defaults to the kernel
      if (ok && n.op == Op::MaxPool) ok = pair(a, "d", 64, w.dh, w.dw, 1, false);
      if (ok && n.op == Op::AvgPool) ok = flag(a, "include_pad", n.count_include_pad, true);
    } else if (op == "adaptiveavgpool") {
      n.op = Op::AdaptiveAvgPool;
      ok = pair(a, "out", 4096, n.oh, n.ow, 1, true);
    } else if (op == "add" || op == "concat") {
      n.op = op == "add" ? Op::Add : Op::Concat;
    } else if (op == "flatten") {
      n.op = Op::Flatten;
      auto it = a.kv.find("order");
      if (it != a.kv.end()) {
        a.read["order"] = true;
        if (it->second != "nchw" && it->second != "nhwc")
          return fail("node " + n.name + ": order must be nchw or nhwc");
        n.nhwc = it->second == "nhwc";
      }
    } else if (op == "linear") {
      n.op = Op::Linear;
      ok = one(a, "in", kMaxDim * 16, n.cin, 0, true) &&
           one(a, "out", kMaxDim * 16, n.cout, 0, true) && flag(a, "bias", n.has_bias, true);
    } else if (op == "identity" || op == "dropout") {
      n.op = Op::Identity;
    } else {
      return fail("node " + n.name + ": unknown op '" + op + "'");
    }
    if (!ok) return fail("node " + n.name + ": " + problem_);
    for (const auto& kv : a.kv)
      if (!a.read.count(kv.first))
        return fail("node " + n.name + ": " + op + " takes no argument '" + kv.first + "'");
    return add_node(net, std::move(n));
  }

  bool tensor(const std::vector<std::string>& t) {
    if (t.size() < 5) return fail("tensor needs NAME DTYPE OFFSET NDIM DIMS");
    const std::string& name = t[1];
    if (tensors_.count(name)) return fail("tensor '" + name + "' defined twice");
    TensorEntry e;
    e.dtype = t[2];
    e.line = line_;
    int elem;
    if (e.dtype == "f32") {
      elem = 4;
    } else if (e.dtype == "f16") {
      elem = 2;
    } else if (e.dtype == "i8") {
      elem = 1;
    } else {
      return fail("tensor " + name + ": unknown dtype '" + e.dtype + "'");
    }
    long long off, ndim;
    if (!parse_int(t[3], static_cast<long long>(data_size_), off))
      return fail("tensor " + name + ": offset '" + t[3] + "' is past the end of the data (" +
                  std::to_string(data_size_) + " bytes)");
    if (off % 4 != 0) return fail("tensor " + name + ": offset is not a multiple of 4");
    if (!parse_int(t[4], 8, ndim) || ndim < 1)
      return fail("tensor " + name + ": NDIM must be 1..8");
    std::vector<int> dims;
    if (!ints(t, 5, static_cast<size_t>(ndim), kMaxDim * 16, dims)) return false;
    uint64_t count = 1;
    for (int d : dims) {
      if (d < 1) return fail("tensor " + name + ": zero dimension");
      count *= static_cast<uint64_t>(d);
      if (count > kMaxElements) return fail("tensor " + name + ": too many elements");
    }
    uint64_t bytes = count * elem;
    if (e.dtype == "i8") bytes = ((bytes + 3) / 4) * 4 + uint64_t{4} * dims[0];
    if (static_cast<uint64_t>(off) > data_size_ || bytes > data_size_ - static_cast<uint64_t>(off))
      return fail("tensor " + name + ": bytes " + std::to_string(off) + ".." +
                  std::to_string(off + bytes) + " lie past the end of the data section (" +
                  std::to_string(data_size_) + " bytes)");
    e.offset = static_cast<uint64_t>(off);
    e.bytes = bytes;
    e.dims = dims;
    e.count = count;
    tensors_.emplace(name, std::move(e));
    return true;
  }

  // Dequantised values of tensor `name`, which must have exactly `dims`.
  // Marks tensor `name` used and returns it, if it exists unused with exactly `dims`;
  // otherwise nullptr with the error set.
  TensorEntry* claim(const std::string& name, const std::vector<int>& dims) {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) {
      fail(0, "missing tensor '" + name + "'");
      return nullptr;
    }
    TensorEntry& e = it->second;
    if (e.used) {
      fail(e.line, "tensor '" + name + "' used twice");
      return nullptr;
    }
    e.used = true;
    if (e.dims != dims) {
      std::string want, got;
      for (int d : dims) want += (want.empty() ? "" : "x") + std::to_string(d);
      for (int d : e.dims) got += (got.empty() ? "" : "x") + std::to_string(d);
      fail(e.line, "tensor '" + name + "' has shape " + got + ", the layer needs " + want);
      return nullptr;
    }
    return &e;
  }

  bool take(const std::string& name, const std::vector<int>& dims, std::vector<float>& out) {
    TensorEntry* ep = claim(name, dims);
    if (ep == nullptr) return false;
    const TensorEntry& e = *ep;
    const uint8_t* p = data_ + e.offset;
    out.resize(e.count);
    if (e.dtype == "f32") {
      for (uint64_t i = 0; i < e.count; ++i) out[i] = read_f32(p + 4 * i);
    } else if (e.dtype == "f16") {
      for (uint64_t i = 0; i < e.count; ++i)
        out[i] = half_to_float(static_cast<uint16_t>(p[2 * i] | p[2 * i + 1] << 8));
    } else {
      const uint64_t per = e.count / e.dims[0];
      const uint8_t* scales = p + ((e.count + 3) / 4) * 4;
      for (int o = 0; o < e.dims[0]; ++o) {
        const float s = read_f32(scales + 4 * o);
        if (!std::isfinite(s) || s < 0.0f)
          return fail(e.line, "tensor '" + name + "': bad int8 scale");
        static bool (*volatile const dequant)(const uint8_t*, float, float*, uint64_t) =
            dequant_row;
        if (!dequant(p + o * per, s, out.data() + o * per, per))
          return fail(e.line, "tensor '" + name + "' holds NaN or infinity");
      }
      return true;
    }
    for (float f : out)
      if (!std::isfinite(f)) return fail(e.line, "tensor '" + name + "' holds NaN or infinity");
    return true;
  }

  // The int8 values and per-row scales of tensor `name` (an i8 tensor with exactly `dims`),
  // validated as take() would validate their dequantised values.
  bool take_int8(const std::string& name, const std::vector<int>& dims, std::vector<int8_t>& q,
                 std::vector<float>& scale) {
    TensorEntry* ep = claim(name, dims);
    if (ep == nullptr) return false;
    const TensorEntry& e = *ep;
    const uint8_t* p = data_ + e.offset;
    const uint64_t per = e.count / e.dims[0];
    const uint8_t* scales = p + ((e.count + 3) / 4) * 4;
    q.resize(e.count);
    scale.resize(e.dims[0]);
    for (int o = 0; o < e.dims[0]; ++o) {
      const float s = read_f32(scales + 4 * o);
      if (!std::isfinite(s) || s < 0.0f)
        return fail(e.line, "tensor '" + name + "': bad int8 scale");
      static int (*volatile const copy_row)(const uint8_t*, int8_t*, uint64_t) = copy_int8_row;
      const int maxq = copy_row(p + o * per, q.data() + o * per, per);
      if (!std::isfinite(static_cast<float>(maxq) * s))
        return fail(e.line, "tensor '" + name + "' holds NaN or infinity");
      scale[o] = s;
    }
    return true;
  }

  // True if tensor `name` exists, is int8 and has at least `n` values.
  bool is_large_int8(const std::string& name, uint64_t n) const {
    auto it = tensors_.find(name);
    return it != tensors_.end() && it->second.dtype == "i8" && it->second.count >= n;
  }

  // True if node l's weight tensor `name` stays int8 in memory (Node::qweight): a large
  // linear layer's (Node::kKeepInt8MinWeights), or a conv's but a depthwise one's, whose
  // loops read floats (Node::float_weight). The memory estimate and the loader both ask here.
  bool stays_int8(const Node& l, const std::string& name) const {
    if (l.op == Op::Linear) return is_large_int8(name, Node::kKeepInt8MinWeights);
    return l.op == Op::Conv && !l.depthwise() && is_large_int8(name, 0);
  }

  // The memory estimate against max_bytes_ (see load_weights), from the description alone.
  bool fits(const Net& net) {
    double bytes = static_cast<double>(data_size_);
    for (const Node& l : net.nodes) {
      for (const char* part : {".weight", ".bias", ".running_mean", ".running_var"}) {
        auto it = tensors_.find(l.name + part);
        if (it == tensors_.end()) continue;
        const double count = static_cast<double>(it->second.count);
        const bool int8 = std::string(part) == ".weight" && stays_int8(l, it->first);
        bytes += int8 ? count : 4.0 * count;
        // Packed forward weights (Winograd: 16/9 of them) and, on demand, backward weights.
        if (l.op == Op::Conv && std::string(part) == ".weight")
          bytes += 4.0 * count * (16.0 / 9 + 1);
      }
    }
    const std::vector<Shape> shapes = net.shapes(net.info.input);
    for (const Shape& s : shapes) bytes += 2 * 4.0 * static_cast<double>(s.size());
    if (bytes <= static_cast<double>(max_bytes_)) return true;
    return fail(
        0, "this model needs about " + std::to_string(static_cast<long long>(bytes / (1 << 20))) +
               " MiB of memory, more than the " + std::to_string(max_bytes_ >> 20) +
               " MiB this build can give it (try an int8 export, or the command-line tool)");
  }

  // One node's tensors taken from the file (finish).
  bool take_node(Node& l) {
    const std::string& n = l.name;
    bool ok = true;
    if (l.op == Op::Conv) {
      if (l.groups < 1 || l.cin % l.groups != 0 || l.cout % l.groups != 0)
        return fail(0, "node " + n + ": channels " + std::to_string(l.cin) + " -> " +
                           std::to_string(l.cout) + " are not divisible by " +
                           std::to_string(l.groups) + " groups");
      const std::vector<int> dims{l.cout, l.cin / l.groups, l.win.kh, l.win.kw};
      if (stays_int8(l, n + ".weight"))
        ok = take_int8(n + ".weight", dims, l.qweight, l.qscale);
      else
        ok = take(n + ".weight", dims, l.weight);
      ok = ok && (!l.has_bias || take(n + ".bias", {l.cout}, l.bias));
    } else if (l.op == Op::Linear) {
      // Large int8 layers stay int8 (a quarter of the bytes for the GEMVs to read).
      if (stays_int8(l, n + ".weight"))
        ok = take_int8(n + ".weight", {l.cout, l.cin}, l.qweight, l.qscale);
      else
        ok = take(n + ".weight", {l.cout, l.cin}, l.weight);
      ok = ok && (!l.has_bias || take(n + ".bias", {l.cout}, l.bias));
    } else if (l.op == Op::BatchNorm) {
      ok = take(n + ".weight", {l.cin}, l.weight) && take(n + ".bias", {l.cin}, l.bias) &&
           take(n + ".running_mean", {l.cin}, l.mean) && take(n + ".running_var", {l.cin}, l.var);
      if (ok) {
        for (float v : l.var)
          if (v < 0.0f) return fail(0, "layer " + n + ": negative running_var");
      }
    }
    return ok;
  }

  bool finish(Net& net) {
    NetInfo& info = net.info;
    if (info.input.c == 0) return fail(0, "missing 'input C H W'");
    if (info.mean.size() != static_cast<size_t>(info.input.c) ||
        info.std.size() != static_cast<size_t>(info.input.c))
      return fail(0, "mean and std need one value per input channel");
    if (info.bgr && info.input.c != 3) return fail(0, "channels bgr needs 3 input channels");
    if (info.classes.empty()) return fail(0, "no class names");
    if (net.nodes.empty()) return fail(0, "no layers");
    // Tensors must not overlap.
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const auto& kv : tensors_)
      ranges.emplace_back(kv.second.offset, kv.second.offset + kv.second.bytes);
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i)
      if (ranges[i].first < ranges[i - 1].second)
        return fail(0, "tensors overlap at data byte " + std::to_string(ranges[i].first));
    if (max_bytes_ > 0 && !fits(net)) return false;
    // Per node through a volatile pointer, as parse's statements (its body inlined made
    // finish a function V8 compiled again for nothing).
    static bool (Parser::*volatile const take_tensors)(Node&) = &Parser::take_node;
    for (Node& l : net.nodes)
      if (!(this->*take_tensors)(l)) return false;
    for (const auto& kv : tensors_)
      if (!kv.second.used)
        return fail(kv.second.line, "tensor '" + kv.first + "' belongs to no layer");
    std::string err;
    if (!validate_graph(net, err)) return fail(0, err);
    const std::vector<Shape> shapes = net.shapes(info.input, &err);
    if (shapes.empty()) return fail(0, "the network cannot run on its own input size: " + err);
    if (shapes.back().size() != info.classes.size())
      return fail(0, "the last layer gives " + std::to_string(shapes.back().size()) +
                         " values but there are " + std::to_string(info.classes.size()) +
                         " class names");
    return true;
  }

  const uint8_t* data_;
  uint64_t data_size_;
  uint32_t version_;
  size_t max_bytes_;
  int line_ = 0;
  std::string error_;
  std::string problem_;
  std::map<std::string, int> names_;  // node names and aliases -> node index
  std::map<std::string, TensorEntry> tensors_;
};

}  // namespace

namespace {

// The CRC's tables for eight bytes at a time ("slicing by 8"): table[0] is the usual
// byte-wise table; table[k][b] is the CRC of byte b followed by k zero bytes, so that the
// eight bytes of one step are looked up independently and XORed (4-5x fewer dependent
// steps than byte by byte: the loader's CRC was a fifth of its time).
// The tables are made at first use from a polynomial read through a volatile: otherwise the
// compiler evaluates them at build time and the 8 KB of incompressible constants go into the
// page's download (+7.4 KB gzip, measured); making them takes microseconds.
volatile uint32_t crc_polynomial = 0xEDB88320u;
using CrcTables = std::array<std::array<uint32_t, 256>, 8>;
const CrcTables& crc_tables() {
  static const CrcTables tables = [] {
    CrcTables t{};
    const uint32_t poly = crc_polynomial;
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? poly ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (int k = 1; k < 8; ++k)
      for (uint32_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
    return t;
  }();
  return tables;
}

// One stretch of the CRC. Called per 64 KiB and never inlined (through a volatile pointer:
// binaryen's link-time inliner ignores noinline): V8 runs a WebAssembly call to its end in
// the tier it started in (no on-stack replacement), so one call over a whole file would stay
// in baseline code while later short calls take the optimised code.
__attribute__((noinline)) uint32_t crc32_update(uint32_t c, const uint8_t* data, size_t size) {
  const CrcTables& t = crc_tables();
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    // Bytes in file order, little-endian words by construction (no type punning).
    const uint32_t lo = c ^ (uint32_t{data[i]} | uint32_t{data[i + 1]} << 8 |
                             uint32_t{data[i + 2]} << 16 | uint32_t{data[i + 3]} << 24);
    const uint32_t hi = uint32_t{data[i + 4]} | uint32_t{data[i + 5]} << 8 |
                        uint32_t{data[i + 6]} << 16 | uint32_t{data[i + 7]} << 24;
    c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
        t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
  }
  for (; i < size; ++i) c = t[0][(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c;
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size) {
  constexpr size_t kStretch = 64 * 1024;
  static uint32_t (*volatile const update)(uint32_t, const uint8_t*, size_t) = crc32_update;
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; i += kStretch) c = update(c, data + i, std::min(kStretch, size - i));
  return c ^ 0xFFFFFFFFu;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  const uint32_t exp = (h >> 10) & 0x1F;
  uint32_t mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mant & 0x3FF) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

bool load_weights(const uint8_t* data, size_t size, Net& net, std::string& error,
                  size_t max_bytes) {
  if (data == nullptr || size < kHeaderSize) {
    error = "file is " + std::to_string(size) + " bytes, too short for the 32-byte header";
    return false;
  }
  if (std::memcmp(data, "CAMSCOPE", 8) != 0) {
    error = "not a camscope weights file (bad magic at byte 0)";
    return false;
  }
  const uint32_t version = read_u32(data + 8);
  if (version != 1 && version != 2) {
    error =
        "unsupported version " + std::to_string(version) + " at byte 8 (this build reads 1 and 2)";
    return false;
  }
  const uint32_t desc_size = read_u32(data + 12);
  const uint64_t data_size = read_u64(data + 16);
  if (desc_size == 0 || desc_size > kMaxDesc) {
    error = "description size " + std::to_string(desc_size) + " at byte 12 is not in 1..1048576";
    return false;
  }
  const uint64_t desc_end = kHeaderSize + uint64_t{desc_size};
  const uint64_t data_start = (desc_end + 15) / 16 * 16;
  if (data_start > size || data_size != size - data_start) {
    error = "header says the file has " + std::to_string(data_start) + " + " +
            std::to_string(data_size) + " bytes, but it has " + std::to_string(size) +
            " (truncated or padded)";
    return false;
  }
  const uint32_t want = read_u32(data + 24);
  const uint32_t got = crc32(data + kHeaderSize, size - kHeaderSize);
  if (want != got) {
    char buf[96];
    std::snprintf(buf, sizeof buf,
                  "checksum mismatch: header says %08x, contents give %08x (corrupt file)", want,
                  got);
    error = buf;
    return false;
  }
  const std::string desc(reinterpret_cast<const char*>(data + kHeaderSize), desc_size);
  if (desc.find('\0') != std::string::npos) {
    error = "description contains a NUL byte";
    return false;
  }
  Net parsed;
  Parser parser(data + data_start, data_size, version, max_bytes);
  if (!parser.parse(desc, parsed)) {
    error = parser.error();
    return false;
  }
  net = std::move(parsed);
  return true;
}

bool load_weights_file(const std::string& path, Net& net, std::string& error) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) bytes.insert(bytes.end(), buf, buf + n);
  if (std::ferror(f.get())) {
    error = "read error";
    return false;
  }
  return load_weights(bytes.data(), bytes.size(), net, error);
}

}  // namespace camscope

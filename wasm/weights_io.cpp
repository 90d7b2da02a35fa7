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
constexpr size_t kMaxLayers = 1024;
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

// Parsing state: the description's statements and a place to say what went wrong.
class Parser {
 public:
  Parser(const uint8_t* data, uint64_t data_size) : data_(data), data_size_(data_size) {}

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
        if (t.size() != 2 || t[0] != "camscope" || t[1] != "1")
          return fail(line_no, "description must start with 'camscope 1'");
        saw_magic = true;
        continue;
      }
      if (!statement(t, line, net)) return false;
    }
    if (!saw_magic) return fail(0, "empty description");
    return finish(net);
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
    } else if (key == "layer") {
      return layer(t, net);
    } else if (key == "tensor") {
      return tensor(t);
    } else {
      return fail("unknown statement '" + key + "'");
    }
    return true;
  }

  bool layer(const std::vector<std::string>& t, Net& net) {
    if (t.size() < 3) return fail("layer needs a name and a type");
    if (net.layers.size() >= kMaxLayers) return fail("too many layers");
    Layer l;
    l.name = t[1];
    if (net.find(l.name) >= 0) return fail("layer name '" + l.name + "' used twice");
    const std::string& type = t[2];
    std::vector<int> v;
    if (type == "conv") {
      if (!ints(t, 3, 5, kMaxDim, v)) return false;
      l.type = LayerType::Conv;
      l.cin = v[0], l.cout = v[1], l.k = v[2], l.stride = v[3], l.pad = v[4];
      if (l.cin < 1 || l.cout < 1 || l.k < 1 || l.k > 64 || l.stride < 1 || l.stride > 64 ||
          l.pad > 64)
        return fail("conv " + l.name +
                    ": channels, kernel and stride must be positive (kernel, stride, pad <= 64)");
    } else if (type == "batchnorm") {
      if (t.size() != 5) return fail("batchnorm needs C and EPS");
      long long c;
      if (!parse_int(t[3], kMaxDim, c) || c < 1) return fail("bad channel count '" + t[3] + "'");
      if (!parse_float(t[4], l.eps) || !(l.eps >= 0.0f)) return fail("bad eps '" + t[4] + "'");
      l.type = LayerType::BatchNorm;
      l.cin = l.cout = static_cast<int>(c);
    } else if (type == "maxpool") {
      if (!ints(t, 3, 2, 64, v)) return false;
      if (v[0] < 1 || v[1] < 1) return fail("maxpool kernel and stride must be positive");
      l.type = LayerType::MaxPool;
      l.k = v[0], l.stride = v[1];
    } else if (type == "adaptiveavgpool") {
      if (!ints(t, 3, 2, 4096, v)) return false;
      if (v[0] < 1 || v[1] < 1) return fail("adaptiveavgpool size must be positive");
      l.type = LayerType::AdaptiveAvgPool;
      l.oh = v[0], l.ow = v[1];
    } else if (type == "linear") {
      if (!ints(t, 3, 2, kMaxDim * 16, v)) return false;
      if (v[0] < 1 || v[1] < 1) return fail("linear sizes must be positive");
      l.type = LayerType::Linear;
      l.cin = v[0], l.cout = v[1];
    } else if (type == "relu" || type == "dropout" || type == "flatten") {
      if (t.size() != 3) return fail(type + " takes no arguments");
      l.type = type == "relu"      ? LayerType::ReLU
               : type == "dropout" ? LayerType::Dropout
                                   : LayerType::Flatten;
    } else {
      return fail("layer " + l.name + ": unknown type '" + type + "'");
    }
    net.layers.push_back(std::move(l));
    return true;
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
        for (uint64_t i = 0; i < per; ++i) {
          const int8_t q = static_cast<int8_t>(p[o * per + i]);
          out[o * per + i] = static_cast<float>(q) * s;
        }
      }
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
      int maxq = 0;
      for (uint64_t i = 0; i < per; ++i) {
        const int8_t v = static_cast<int8_t>(p[o * per + i]);
        q[o * per + i] = v;
        maxq = std::max(maxq, v < 0 ? -static_cast<int>(v) : static_cast<int>(v));
      }
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

  bool finish(Net& net) {
    NetInfo& info = net.info;
    if (info.input.c == 0) return fail(0, "missing 'input C H W'");
    if (info.mean.size() != static_cast<size_t>(info.input.c) ||
        info.std.size() != static_cast<size_t>(info.input.c))
      return fail(0, "mean and std need one value per input channel");
    if (info.classes.empty()) return fail(0, "no class names");
    if (net.layers.empty()) return fail(0, "no layers");
    // Tensors must not overlap.
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const auto& kv : tensors_)
      ranges.emplace_back(kv.second.offset, kv.second.offset + kv.second.bytes);
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i)
      if (ranges[i].first < ranges[i - 1].second)
        return fail(0, "tensors overlap at data byte " + std::to_string(ranges[i].first));
    for (Layer& l : net.layers) {
      const std::string& n = l.name;
      bool ok = true;
      if (l.type == LayerType::Conv) {
        ok = take(n + ".weight", {l.cout, l.cin, l.k, l.k}, l.weight) &&
             take(n + ".bias", {l.cout}, l.bias);
      } else if (l.type == LayerType::Linear) {
        // Large int8 heads stay int8 (a quarter of the bytes for the GEMVs to read).
        if (is_large_int8(n + ".weight", Layer::kKeepInt8MinWeights))
          ok = take_int8(n + ".weight", {l.cout, l.cin}, l.qweight, l.qscale);
        else
          ok = take(n + ".weight", {l.cout, l.cin}, l.weight);
        ok = ok && take(n + ".bias", {l.cout}, l.bias);
      } else if (l.type == LayerType::BatchNorm) {
        ok = take(n + ".weight", {l.cin}, l.weight) && take(n + ".bias", {l.cin}, l.bias) &&
             take(n + ".running_mean", {l.cin}, l.mean) && take(n + ".running_var", {l.cin}, l.var);
        if (ok) {
          for (float v : l.var)
            if (v < 0.0f) return fail(0, "layer " + n + ": negative running_var");
        }
      }
      if (!ok) return false;
    }
    for (const auto& kv : tensors_)
      if (!kv.second.used)
        return fail(kv.second.line, "tensor '" + kv.first + "' belongs to no layer");
    std::string err;
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
  int line_ = 0;
  std::string error_;
  std::map<std::string, TensorEntry> tensors_;
};

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
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

bool load_weights(const uint8_t* data, size_t size, Net& net, std::string& error) {
  if (data == nullptr || size < kHeaderSize) {
    error = "file is " + std::to_string(size) + " bytes, too short for the 32-byte header";
    return false;
  }
  if (std::memcmp(data, "CAMSCOPE", 8) != 0) {
    error = "not a camscope weights file (bad magic at byte 0)";
    return false;
  }
  const uint32_t version = read_u32(data + 8);
  if (version != 1) {
    error = "unsupported version " + std::to_string(version) + " at byte 8 (this build reads 1)";
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
  Parser parser(data + data_start, data_size);
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

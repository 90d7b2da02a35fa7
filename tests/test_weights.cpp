// The weights loader on good, corrupt, truncated and hostile files: each refusal has its
// own message, nothing reads out of bounds (run under AddressSanitizer in CI).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "plan.h"
#include "session.h"
#include "weights_io.h"

namespace camscope {
namespace {

void put_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// A whole file from a description and a data section, with a correct header and CRC.
std::vector<uint8_t> make_file(const std::string& desc, const std::vector<uint8_t>& data) {
  const size_t data_start = (32 + desc.size() + 15) / 16 * 16;
  std::vector<uint8_t> b(data_start + data.size(), 0);
  std::memcpy(b.data(), "CAMSCOPE", 8);
  put_u32(b, 8, 1);
  put_u32(b, 12, static_cast<uint32_t>(desc.size()));
  put_u32(b, 16, static_cast<uint32_t>(data.size()));
  put_u32(b, 20, 0);
  std::memcpy(b.data() + 32, desc.data(), desc.size());
  std::memcpy(b.data() + data_start, data.data(), data.size());
  put_u32(b, 24, crc32(b.data() + 32, b.size() - 32));
  return b;
}

void put_floats(std::vector<uint8_t>& data, const std::vector<float>& v) {
  const size_t at = data.size();
  data.resize(at + 4 * v.size());
  std::memcpy(data.data() + at, v.data(), 4 * v.size());
}

// A tiny valid net: conv 3->2 (k3, pad 1), relu, adaptiveavgpool 2x2, flatten, linear 8->2.
struct Tiny {
  std::string head =
      "camscope 1\nname tiny\ninput 3 8 8\nmean 0.5 0.5 0.5\nstd 0.25 0.25 0.25\nclass cat\nclass "
      "dog\n"
      "layer c conv 3 2 3 1 1\nlayer r relu\nlayer p adaptiveavgpool 2 2\nlayer f flatten\n"
      "layer l linear 8 2\n";
  std::string tensors =
      "tensor c.weight f32 0 4 2 3 3 3\ntensor c.bias f32 216 1 2\n"
      "tensor l.weight i8 224 2 2 8\ntensor l.bias f32 248 1 2\n";
  std::vector<uint8_t> data;
  Tiny() {
    std::vector<float> w(54);
    for (size_t i = 0; i < w.size(); ++i) w[i] = 0.01f * static_cast<float>(i % 7) - 0.02f;
    put_floats(data, w);              // 0..216
    put_floats(data, {0.1f, -0.1f});  // 216..224
    for (int i = 0; i < 16; ++i)
      data.push_back(static_cast<uint8_t>(static_cast<int8_t>(i * 9 - 60)));
    put_floats(data, {0.01f, 0.02f});  // scales 240..248
    put_floats(data, {0.5f, -0.5f});   // 248..256
  }
  std::vector<uint8_t> file() const { return make_file(head + tensors, data); }
};

std::string load_error(const std::vector<uint8_t>& b) {
  Net net;
  std::string err;
  if (load_weights(b.data(), b.size(), net, err)) return "";
  EXPECT_FALSE(err.empty());
  return err;
}

TEST(Weights, TinyNetLoadsAndDequantises) {
  const Tiny t;
  const std::vector<uint8_t> b = t.file();
  Net net;
  std::string err;
  ASSERT_TRUE(load_weights(b.data(), b.size(), net, err)) << err;
  ASSERT_EQ(net.nodes.size(), 5u);
  EXPECT_EQ(net.info.classes, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(net.info.name, "tiny");
  const Node& l = net.nodes[4];
  EXPECT_FLOAT_EQ(l.weight[0], -60 * 0.01f);
  EXPECT_FLOAT_EQ(l.weight[9], (9 * 9 - 60) * 0.02f);
  EXPECT_FLOAT_EQ(net.nodes[0].bias[1], -0.1f);
  const std::vector<Shape> s = net.shapes(net.info.input);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[2], (Shape{2, 2, 2}));
  EXPECT_EQ(s[4], (Shape{2, 1, 1}));
}

TEST(Weights, HalfFloats) {
  EXPECT_EQ(half_to_float(0x3C00), 1.0f);
  EXPECT_EQ(half_to_float(0xC000), -2.0f);
  EXPECT_EQ(half_to_float(0x3555), 0.333251953125f);
  EXPECT_EQ(half_to_float(0x0001), 5.9604644775390625e-08f);  // smallest subnormal
  EXPECT_EQ(half_to_float(0x7BFF), 65504.0f);
  EXPECT_TRUE(std::isinf(half_to_float(0x7C00)));
}

TEST(Weights, Crc32KnownValue) {
  const char* s = "123456789";
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>(s), 9), 0xCBF43926u);
}

// The eight-bytes-at-a-time CRC against the bit-by-bit definition, at every length and start
// around its step and its 64 KiB stretches (tails, unaligned starts, a stretch's end).
TEST(Weights, Crc32MatchesBitwise) {
  std::vector<uint8_t> b(70000);
  uint32_t x = 12345;
  for (uint8_t& v : b) v = static_cast<uint8_t>((x = x * 1103515245u + 12345u) >> 24);
  const auto bitwise = [](const uint8_t* p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
      c ^= p[i];
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
  };
  for (size_t start = 0; start < 9; ++start)
    for (size_t n = 0; n < 40; ++n)
      ASSERT_EQ(crc32(b.data() + start, n), bitwise(b.data() + start, n)) << start << " " << n;
  for (size_t n : {65535, 65536, 65537, 65543, 69990})
    EXPECT_EQ(crc32(b.data() + 3, n), bitwise(b.data() + 3, n)) << n;
}

struct Bad {
  const char* what;
  std::string desc;    // replaces the description ("" keeps it)
  const char* expect;  // substring of the message
};

TEST(Weights, HostileDescriptionsGetTheirMessage) {
  const Tiny t;
  const std::string ok = t.head + t.tensors;
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string d = ok;
    const size_t at = d.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return d.replace(at, from.size(), to);
  };
  const std::vector<Bad> bad = {
      {"no magic line", replace("camscope 1\n", ""), "must start with 'camscope 1'"},
      {"unknown layer", replace("layer r relu", "layer r swish"), "unknown type 'swish'"},
      {"unknown statement", ok + "bogus 1\n", "unknown statement 'bogus'"},
      {"huge count",
       replace("tensor c.weight f32 0 4 2 3 3 3", "tensor c.weight f32 0 4 99999 99999 3 3"),
       "too many elements"},
      {"offset past end", replace("tensor l.bias f32 248 1 2", "tensor l.bias f32 252 1 2"),
       "past the end of the data section"},
      {"offset far past end",
       replace("tensor l.bias f32 248 1 2", "tensor l.bias f32 99999999999 1 2"),
       "past the end of the data"},
      {"unaligned offset", replace("tensor l.bias f32 248 1 2", "tensor l.bias f32 246 1 2"),
       "multiple of 4"},
      {"overlap", replace("tensor c.bias f32 216 1 2", "tensor c.bias f32 212 1 2"), "overlap"},
      {"missing tensor", replace("tensor l.bias f32 248 1 2\n", ""), "missing tensor 'l.bias'"},
      {"wrong shape", replace("tensor c.bias f32 216 1 2", "tensor c.bias f32 216 2 1 2"),
       "has shape 1x2, the layer needs 2"},
      {"duplicate tensor", ok + "tensor c.bias f32 216 1 2\n", "defined twice"},
      {"duplicate layer", replace("layer r relu", "layer c relu"), "used twice"},
      {"class mismatch", replace("class dog\n", ""), "but there are 1 class names"},
      {"bad input", replace("input 3 8 8", "input 3 8"), "needs 3 numbers"},
      {"negative number", replace("input 3 8 8", "input 3 -8 8"), "bad number '-8'"},
      {"mean count", replace("mean 0.5 0.5 0.5", "mean 0.5"), "one value per input channel"},
      {"zero std", replace("std 0.25 0.25 0.25", "std 0.25 0 0.25"), "std values must be positive"},
      {"nan std", replace("std 0.25 0.25 0.25", "std 0.25 nan 0.25"), "bad number 'nan'"},
      {"channel mismatch", replace("layer c conv 3 2 3 1 1", "layer c conv 4 2 3 1 1"),
       "has shape 2x3x3x3, the layer needs 2x4x3x3"},
      {"chain mismatch", replace("adaptiveavgpool 2 2", "adaptiveavgpool 3 3"),
       "cannot run on its own input size: node l: input 18x1x1 is not a flat vector of 8"},
      {"no classes", replace("class cat\nclass dog\n", ""), "no class names"},
      {"dtype", replace("tensor l.bias f32", "tensor l.bias f64"), "unknown dtype 'f64'"},
      {"zero dim", replace("tensor c.bias f32 216 1 2", "tensor c.bias f32 216 1 0"),
       "zero dimension"},
      {"too many dims",
       replace("tensor c.bias f32 216 1 2", "tensor c.bias f32 216 9 1 1 1 1 1 1 1 1 2"),
       "NDIM must be 1..8"},
      {"control char", replace("name tiny", std::string("name t\x01iny")), "control character"},
  };
  for (const Bad& b : bad) {
    const std::string err = load_error(make_file(b.desc, t.data));
    EXPECT_NE(err.find(b.expect), std::string::npos) << b.what << ": got '" << err << "'";
  }
}

TEST(Weights, HeaderProblemsGetTheirMessage) {
  const std::vector<uint8_t> good = Tiny().file();
  std::vector<uint8_t> b = good;
  b[0] = 'X';
  EXPECT_NE(load_error(b).find("bad magic"), std::string::npos);
  b = good;
  put_u32(b, 8, 3);
  EXPECT_NE(load_error(b).find("unsupported version 3"), std::string::npos);
  b = good;
  put_u32(b, 8, 2);  // a version-1 description in a version-2 header
  put_u32(b, 24, crc32(b.data() + 32, b.size() - 32));
  EXPECT_NE(load_error(b).find("must start with 'camscope 2'"), std::string::npos);
  b = good;
  b.back() ^= 0x40;
  EXPECT_NE(load_error(b).find("checksum mismatch"), std::string::npos);
  b = good;
  put_u32(b, 12, 0xFFFFFFF0u);
  EXPECT_NE(load_error(b).find("description size"), std::string::npos);
  b = good;
  put_u32(b, 16, 0xFFFFFFFFu);
  put_u32(b, 20, 0xFFFFFFFFu);
  EXPECT_NE(load_error(b).find("truncated or padded"), std::string::npos);
  b = good;
  b.push_back(0);
  EXPECT_NE(load_error(b).find("truncated or padded"), std::string::npos);
  // A tensor no layer uses.
  Tiny u;
  u.tensors += "tensor extra f32 256 1 1\n";
  put_floats(u.data, {1.0f});
  EXPECT_NE(load_error(u.file()).find("'extra' belongs to no layer"), std::string::npos);
  // NaN weights, with a valid checksum.
  Tiny t;
  const float nan = std::nanf("");
  std::memcpy(t.data.data() + 4, &nan, 4);
  EXPECT_NE(load_error(t.file()).find("NaN or infinity"), std::string::npos);
}

TEST(Weights, EveryTruncationIsRefused) {
  const std::vector<uint8_t> good = Tiny().file();
  for (size_t n = 0; n < good.size(); ++n) {
    const std::vector<uint8_t> cut(good.begin(), good.begin() + n);
    EXPECT_FALSE(load_error(cut).empty()) << n;
  }
}

// Random byte changes with the checksum repaired, so the parser itself is exercised.
TEST(Weights, MutationFuzzNeverCrashes) {
  const std::vector<uint8_t> good = Tiny().file();
  std::mt19937 rng(1234);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> b = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % b.size();
      switch (rng() % 3) {
        case 0: b[at] = static_cast<uint8_t>(rng()); break;
        case 1: b[at] = static_cast<uint8_t>("0123456789 \n-.e"[rng() % 16]); break;
        default: b.resize(std::max<size_t>(at, 1)); break;
      }
    }
    if (b.size() >= 32) put_u32(b, 24, crc32(b.data() + 32, b.size() - 32));
    Net net;
    std::string err;
    if (load_weights(b.data(), b.size(), net, err)) {
      ++accepted;
      // Whatever loads must also run, forward and backward.
      const Shape in = net.info.input;
      const std::shared_ptr<const Model> model = Model::build(std::move(net));
      Activations acts;
      ops::Workspace ws;
      if (model->forward(Tensor::zeros(in), acts, ws, &err)) {
        Gradients g;
        model->backward_to(acts, kGraphInput, g, ws);
      }
    } else {
      ASSERT_FALSE(err.empty());
    }
  }
  EXPECT_LT(accepted, 20000);
}

TEST(Weights, SessionKeepsOldNetOnBadFile) {
  const std::vector<uint8_t> good = Tiny().file();
  Session s;
  std::string err;
  ASSERT_TRUE(s.load_weights(good.data(), good.size(), err)) << err;
  std::vector<uint8_t> px(8 * 8 * 4, 128);
  ASSERT_TRUE(s.set_picture(px.data(), 8, 8, 4, err)) << err;
  const std::vector<float> before = s.logits();
  std::vector<uint8_t> bad = good;
  bad[40] ^= 1;
  EXPECT_FALSE(s.load_weights(bad.data(), bad.size(), err));
  EXPECT_NE(err.find("checksum"), std::string::npos);
  ASSERT_TRUE(s.has_net());
  ASSERT_TRUE(s.has_picture());
  EXPECT_EQ(s.logits(), before);
}

}  // namespace
}  // namespace camscope

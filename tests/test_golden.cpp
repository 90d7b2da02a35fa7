// The C++ core against PyTorch golden files written by tools/reference.py: every layer's
// activation, the K-class gradients, Grad-CAM and Layer-CAM, upsampling, preprocessing.
// CAMSCOPE_GOLDEN=DIR points the tests at another golden folder (the live regeneration).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "kernels/threadpool.h"
#include "maps.h"
#include "npy.h"
#include "preprocess.h"
#include "session.h"
#include "weights_io.h"

namespace camscope {
namespace {

constexpr double kTol = 1e-4;  // max |ours - torch| relative to max |torch|

std::string golden_root() {
  const char* env = std::getenv("CAMSCOPE_GOLDEN");
  return env && *env ? env : CAMSCOPE_GOLDEN_DIR;
}

bool exists(const std::string& path) {
  return std::ifstream(path).good();
}

// A whole file's bytes (empty if it cannot be read: the loader then says so).
std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

NpyArray load(const std::string& path) {
  NpyArray a;
  std::string err;
  EXPECT_TRUE(read_npy(path, a, err)) << err;
  return a;
}

// max |got - ref| / max |ref| (ref all zero: max |got|).
double rel_error(const float* got, const std::vector<float>& ref) {
  double diff = 0.0, scale = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(got[i]) - ref[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(ref[i])));
  }
  return scale > 0.0 ? diff / scale : diff;
}

Tensor tensor_from(const NpyArray& a) {
  Tensor t;
  t.shape.c = a.shape.size() > 0 ? a.shape[a.shape.size() == 4 ? 1 : 0] : 0;
  t.shape.h = a.shape.size() >= 3 ? a.shape[a.shape.size() - 2] : 1;
  t.shape.w = a.shape.size() >= 3 ? a.shape[a.shape.size() - 1] : 1;
  t.data = a.data;
  return t;
}

struct Case {
  std::string dir;  // e.g. .../alexnet
  std::string sub;  // "" or "in193"
};

class Golden : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const Case& c = GetParam();
    dir_ = c.dir + (c.sub.empty() ? "" : "/" + c.sub);
    ASSERT_TRUE(exists(c.dir + "/weights.csw")) << "no golden case at " << c.dir;
    std::string err;
    const std::vector<uint8_t> bytes = file_bytes(c.dir + "/weights.csw");
    ASSERT_TRUE(session_.load_weights(bytes.data(), bytes.size(), err)) << err;
    const NpyArray input = load(dir_ + "/input.npy");
    ASSERT_TRUE(session_.set_input(tensor_from(input), err)) << err;
  }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }

  // rel_error, remembered so TearDown can print the worst one of the test.
  double err(const float* got, const std::vector<float>& ref) {
    const double e = rel_error(got, ref);
    worst_ = std::max(worst_, e);
    return e;
  }
  void TearDown() override {
    std::printf("[ worst    ] %s: max relative error vs torch %.2e\n",
                ::testing::UnitTest::GetInstance()->current_test_info()->name(), worst_);
  }

  std::string dir_;
  Session session_;
  double worst_ = 0.0;
};

TEST_P(Golden, EveryActivationMatchesTorch) {
  const Net& net = session_.net();
  size_t compared = 0;
  for (size_t i = 0; i < net.nodes.size(); ++i) {
    const std::string path = file("act__" + net.nodes[i].name + ".npy");
    if (!exists(path)) {
      // Only the sub-cases (in193) leave out the early layers.
      ASSERT_FALSE(GetParam().sub.empty()) << path;
      continue;
    }
    const NpyArray ref = load(path);
    const Tensor& a = session_.activation(static_cast<int>(i));
    ASSERT_EQ(a.data.size(), ref.data.size()) << net.nodes[i].name;
    EXPECT_LT(err(a.data.data(), ref.data), kTol) << net.nodes[i].name;
    ++compared;
  }
  EXPECT_GE(compared, GetParam().sub.empty() ? net.nodes.size() : size_t{8});
  const NpyArray logits = load(file("logits.npy"));
  EXPECT_LT(err(session_.logits().data(), logits.data), kTol);
  const NpyArray probs = load(file("probs.npy"));
  const std::vector<float> p = session_.probabilities();
  EXPECT_LT(err(p.data(), probs.data), kTol);
}

TEST_P(Golden, GradientsOfRawLogitsMatchTorch) {
  const Net& net = session_.net();
  const int k = static_cast<int>(session_.logits().size());
  int compared = 0;
  for (int i = static_cast<int>(net.nodes.size()) - 1; i >= 0; --i) {
    const std::string path = file("grad__" + net.nodes[i].name + ".npy");
    if (!exists(path)) continue;
    const NpyArray ref = load(path);
    const size_t n = session_.activation(i).data.size();
    ASSERT_EQ(ref.data.size(), n * k) << net.nodes[i].name;
    for (int c = 0; c < k; ++c) {
      const float* g = session_.gradient(i, c);
      ASSERT_NE(g, nullptr);
      const std::vector<float> row(ref.data.begin() + c * n, ref.data.begin() + (c + 1) * n);
      EXPECT_LT(err(g, row), kTol) << net.nodes[i].name << " class " << c;
    }
    ++compared;
  }
  EXPECT_GE(compared, GetParam().sub.empty() ? 8 : 5) << "too few gradient files in " << dir_;
}

TEST_P(Golden, CamsMatchTorch) {
  const Net& net = session_.net();
  const int k = static_cast<int>(session_.logits().size());
  int compared = 0;
  for (const Method& m : methods()) {
    for (size_t i = 0; i < net.nodes.size(); ++i) {
      const std::string path =
          file("cam__" + std::string(m.name) + "__" + net.nodes[i].name + ".npy");
      if (!exists(path)) continue;
      const NpyArray ref = load(path);
      const Shape s = session_.activation(static_cast<int>(i)).shape;
      ASSERT_EQ(ref.data.size(), s.plane() * k);
      for (int c = 0; c < k; ++c) {
        const std::vector<float> map = session_.cam(m.name, static_cast<int>(i), c);
        const std::vector<float> row(ref.data.begin() + c * s.plane(),
                                     ref.data.begin() + (c + 1) * s.plane());
        EXPECT_LT(err(map.data(), row), kTol)
            << m.name << " " << net.nodes[i].name << " class " << c;
        // Upsampled to the network input and to the picture, where torch wrote them.
        for (const char* kind : {"up", "uppic"}) {
          const std::string up =
              file(std::string(kind) + "__" + m.name + "__" + net.nodes[i].name + ".npy");
          if (!exists(up)) continue;
          const NpyArray ur = load(up);
          ASSERT_EQ(ur.shape.size(), 3u);
          const int oh = ur.shape[1], ow = ur.shape[2];
          const std::vector<float> big = upsample_bilinear(map.data(), s.h, s.w, oh, ow);
          const std::vector<float> urow(ur.data.begin() + c * oh * ow,
                                        ur.data.begin() + (c + 1) * oh * ow);
          EXPECT_LT(err(big.data(), urow), kTol) << kind << " " << m.name << " class " << c;
        }
      }
      ++compared;
    }
  }
  EXPECT_GE(compared, GetParam().sub.empty() ? 4 : 2) << "too few CAM files in " << dir_;
}

// The committed cases, plus tv_alexnet where a live regeneration wrote it.
std::vector<Case> cases() {
  std::vector<Case> out;
  for (const char* name : {"alexnet", "alexnet_bn", "tv_alexnet"}) {
    const std::string dir = golden_root() + "/" + name;
    if (std::string(name) == "tv_alexnet" && !exists(dir + "/weights.csw")) continue;
    for (const char* sub : {"", "in193"}) out.push_back({dir, sub});
  }
  return out;
}

// Test names and gtest's printout of a case: "alexnet_bn/in193".
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.dir.substr(c.dir.rfind('/') + 1) << (c.sub.empty() ? "" : "/" + c.sub);
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string n = info.param.dir.substr(info.param.dir.rfind('/') + 1);
  return n + (info.param.sub.empty() ? "_224" : "_" + info.param.sub);
}

INSTANTIATE_TEST_SUITE_P(Torch, Golden, ::testing::ValuesIn(cases()), case_name);

// The committed golden set must be there: a missing folder would skip everything above.
TEST(GoldenSet, CommittedCasesExist) {
  for (const char* name : {"alexnet", "alexnet_bn"})
    EXPECT_TRUE(exists(golden_root() + "/" + name + "/weights.csw")) << name;
}

// Preprocessing: the picture of each 224 case -> the network input torch computed.
TEST(GoldenSet, PreprocessMatchesTorch) {
  for (const char* name : {"alexnet", "alexnet_bn"}) {
    const std::string dir = golden_root() + "/" + name;
    Net net;
    std::string err;
    ASSERT_TRUE(load_weights_file(dir + "/weights.csw", net, err)) << err;
    const NpyArray pic = load(dir + "/picture.npy");
    const NpyArray input = load(dir + "/input.npy");
    ASSERT_EQ(pic.shape.size(), 3u);
    std::vector<uint8_t> px(pic.data.begin(), pic.data.end());
    const NetInfo& info = net.info;
    const Tensor x = preprocess(px.data(), pic.shape[1], pic.shape[0], 3, info.input.h,
                                info.input.w, info.mean, info.std);
    ASSERT_EQ(x.data.size(), input.data.size());
    EXPECT_LT(rel_error(x.data.data(), input.data), kTol) << name;
  }
}

// The in-place trap: features.10 of AlexNet is the conv output, before its ReLU.
TEST(GoldenSet, LastConvIsPreRelu) {
  const std::string dir = golden_root() + "/alexnet";
  Session s;
  std::string err;
  const std::vector<uint8_t> bytes = file_bytes(dir + "/weights.csw");
  ASSERT_TRUE(s.load_weights(bytes.data(), bytes.size(), err)) << err;
  ASSERT_TRUE(s.set_input(tensor_from(load(dir + "/input.npy")), err)) << err;
  const int conv = s.net().find("features.10");
  const int relu = s.net().find("features.11");
  ASSERT_GE(conv, 0);
  ASSERT_EQ(s.net().nodes[conv].op, Op::Conv);
  const std::vector<float>& a = s.activation(conv).data;
  EXPECT_LT(*std::min_element(a.begin(), a.end()), 0.0f);
  const std::vector<float>& r = s.activation(relu).data;
  EXPECT_GE(*std::min_element(r.begin(), r.end()), 0.0f);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(r[i], std::max(a[i], 0.0f));
}

// The model of golden case `dir` (null, with a test failure, if its weights do not load).
std::shared_ptr<const Model> golden_model(const std::string& dir) {
  Net loaded;
  std::string err;
  if (!load_weights_file(dir + "/weights.csw", loaded, err)) {
    ADD_FAILURE() << dir << ": " << err;
    return nullptr;
  }
  return Model::build(std::move(loaded));
}

// Convs stored int8 keep their int8 values (Node::float_weight dequantises them when the
// packed weights are made). A copy of the network given float32 weights dequantised here,
// by the format's rule (value * the scale of its output channel), must compute the same
// logits and the same gradients down to the input (the backward packing of every conv),
// bit for bit.
TEST(GoldenSet, Int8ConvWeightsComputeAsTheirFloat32Values) {
  const std::string dir = golden_root() + "/alexnet_bn";
  Net q;
  std::string err;
  ASSERT_TRUE(load_weights_file(dir + "/weights.csw", q, err)) << err;
  Net f = q;
  int int8_convs = 0;
  for (Node& n : f.nodes) {
    if (n.op != Op::Conv || n.qweight.empty()) continue;
    ++int8_convs;
    EXPECT_TRUE(n.weight.empty()) << n.name;
    const size_t per = n.qweight.size() / static_cast<size_t>(n.cout);
    for (size_t i = 0; i < n.qweight.size(); ++i)
      n.weight.push_back(static_cast<float>(n.qweight[i]) * n.qscale[i / per]);
    n.qweight.clear();
    n.qscale.clear();
  }
  EXPECT_EQ(int8_convs, 5);
  const std::shared_ptr<const Model> mq = Model::build(std::move(q)),
                                     mf = Model::build(std::move(f));
  const Tensor x = tensor_from(load(dir + "/input.npy"));
  ops::Workspace ws;
  Activations aq, af;
  ASSERT_TRUE(mq->forward(x, aq, ws, &err)) << err;
  ASSERT_TRUE(mf->forward(x, af, ws, &err)) << err;
  EXPECT_EQ(aq.logits().data, af.logits().data);
  Gradients gq, gf;
  mq->backward_to(aq, kGraphInput, gq, ws);
  mf->backward_to(af, kGraphInput, gf, ws);
  EXPECT_FALSE(gq.input.empty());
  EXPECT_EQ(gq.input, gf.input);
}

// One K-row backward pass equals K separate one-class passes.
TEST(GoldenSet, BatchedGradientEqualsPerClass) {
  const std::string dir = golden_root() + "/alexnet_bn";
  const std::shared_ptr<const Model> model = golden_model(dir);
  ASSERT_NE(model, nullptr);
  std::string err;
  const Net& net = model->net();
  ops::Workspace ws;
  Activations acts;
  ASSERT_TRUE(model->forward(tensor_from(load(dir + "/input.npy")), acts, ws, &err)) << err;
  Gradients all;
  model->backward_to(acts, 0, all, ws);
  const int k = static_cast<int>(acts.logits().data.size());
  ASSERT_EQ(all.classes.size(), static_cast<size_t>(k));
  for (int c = 0; c < k; ++c) {
    Gradients one;
    model->backward_to(acts, 0, one, ws, {c});
    for (size_t i = 0; i < net.nodes.size(); ++i) {
      const size_t n = acts.out[i].data.size();
      const std::vector<float> row(all.grad[i].begin() + c * n, all.grad[i].begin() + (c + 1) * n);
      // A 1-row pass may take other kernels (GEMV) than a K-row one: equal up to rounding.
      EXPECT_LT(rel_error(one.grad[i].data(), row), 1e-6) << net.nodes[i].name << " class " << c;
    }
  }
}

// The batched forward equals one forward per input bit for bit, for 0, 1 and 5 inputs and,
// in threaded builds, with 1 and 2 threads (5 inputs over 2 threads: whole inputs per thread,
// 2 and 3 of them; 1 input: its layers split over the threads).
TEST(GoldenSet, BatchedForwardEqualsSingle) {
  const std::string dir = golden_root() + "/alexnet_bn";
  const std::shared_ptr<const Model> model = golden_model(dir);
  ASSERT_NE(model, nullptr);
  std::string err;
  const Tensor x = tensor_from(load(dir + "/input.npy"));
  const size_t sz = x.data.size();
  const float scales[] = {1.0f, -1.0f, 0.5f, 2.0f, -0.25f};
  std::vector<float> inputs;
  for (float f : scales)
    for (float v : x.data) inputs.push_back(f * v);
  ops::Workspace ws;
  std::vector<std::vector<float>> single;
  for (int v = 0; v < 5; ++v) {
    Activations one;
    Tensor xv{x.shape, std::vector<float>(inputs.begin() + v * sz, inputs.begin() + (v + 1) * sz)};
    ASSERT_TRUE(model->forward(std::move(xv), one, ws, &err)) << err;
    single.push_back(one.logits().data);
  }
  const size_t k = single[0].size();
  std::vector<int> thread_counts = {1};
#if defined(CAMSCOPE_THREADS)
  thread_counts.push_back(2);
#endif
  for (int t : thread_counts) {
#if defined(CAMSCOPE_THREADS)
    ASSERT_EQ(kernels::set_num_threads(t), t);
#endif
    for (int count : {0, 1, 5}) {
      std::vector<float> batch;
      ASSERT_TRUE(model->forward_batch(inputs.data(), x.shape, count, batch, ws, &err)) << err;
      ASSERT_EQ(batch.size(), count * k);
      for (int v = 0; v < count; ++v)
        for (size_t c = 0; c < k; ++c)
          EXPECT_EQ(batch[v * k + c], single[v][c])
              << t << " threads, " << count << " inputs: input " << v << " class " << c;
    }
  }
#if defined(CAMSCOPE_THREADS)
  kernels::set_num_threads(0);
#endif
}

// Pearson correlation of two equally long vectors.
double correlation(const std::vector<float>& a, const std::vector<float>& b) {
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= a.size(), mb /= b.size();
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

// The shipped int8 model against PyTorch on the float32 weights it was quantised from, on
// the three demo pictures: same prediction, maps correlated >= 0.999 as displayed
// (tools/reference_shipped.py writes the float32 side).
TEST(GoldenSet, ShippedInt8MapsCorrelateWithFloat32Torch) {
  const std::string dir = std::string(CAMSCOPE_GOLDEN_DIR) + "/shipped";
  Session s;
  std::string err;
  const std::vector<uint8_t> bytes = file_bytes(CAMSCOPE_SHIPPED_WEIGHTS);
  ASSERT_TRUE(s.load_weights(bytes.data(), bytes.size(), err)) << err;
  int compared = 0;
  for (const char* stem : {"both", "cat", "dog"}) {
    const NpyArray pic = load(dir + "/" + stem + ".picture.npy");
    ASSERT_EQ(pic.shape.size(), 3u);
    const std::vector<uint8_t> px(pic.data.begin(), pic.data.end());
    ASSERT_TRUE(s.set_picture(px.data(), pic.shape[1], pic.shape[0], 3, err)) << err;
    const NpyArray logits = load(dir + "/f32_logits__" + std::string(stem) + ".npy");
    const int torch_pred = static_cast<int>(
        std::max_element(logits.data.begin(), logits.data.end()) - logits.data.begin());
    EXPECT_EQ(s.predicted(), torch_pred) << stem;
    for (const char* layer : {"features.14", "avgpool"}) {
      const int li = s.net().find(layer);
      ASSERT_GE(li, 0) << layer;
      for (const Method& m : {*find_method("gradcam"), *find_method("layercam")}) {
        const NpyArray ref =
            load(dir + "/f32_cam__" + m.name + "__" + layer + "__" + stem + ".npy");
        const size_t n = s.activation(li).shape.plane();
        ASSERT_EQ(ref.data.size(), n * logits.data.size());
        for (size_t c = 0; c < logits.data.size(); ++c) {
          const std::vector<float> ours = s.cam(m.name, li, static_cast<int>(c));
          const std::vector<float> theirs(ref.data.begin() + c * n, ref.data.begin() + (c + 1) * n);
          const Shape sh = s.activation(li).shape;
          const std::vector<float> up_ours = upsample_bilinear(ours.data(), sh.h, sh.w, 224, 224);
          const std::vector<float> up_theirs =
              upsample_bilinear(theirs.data(), sh.h, sh.w, 224, 224);
          // The maps as shown (upsampled to the input) to 0.999; the raw 13x13 / 6x6 values
          // to 0.998 (the weakest, the losing class's Layer-CAM on dog.jpg, measured 0.9988).
          EXPECT_GE(correlation(up_ours, up_theirs), 0.999)
              << stem << " " << m.name << " " << layer << " " << c;
          EXPECT_GE(correlation(ours, theirs), 0.998)
              << stem << " " << m.name << " " << layer << " " << c;
          ++compared;
        }
      }
    }
  }
  EXPECT_EQ(compared, 24);
}

}  // namespace
}  // namespace camscope

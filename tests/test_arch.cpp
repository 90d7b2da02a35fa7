// The core against PyTorch on torchvision's classifiers. tools/reference_arch.py writes one
// case folder at test time: the exported .csw, an input, every node's float64 output
// (nodes/I.npy), and, from the original model with hooks on its named modules, the logits,
// activations, gradients of every raw logit and Grad-CAM / Layer-CAM at a few named layers.
// CAMSCOPE_ARCH_CASE=DIR runs it; without it the test skips.
//
// Three checks, 1e-4 of the tensor's largest value each:
//  1. the core's own forward pass: logits and the named layers' activations;
//  2. its decisions (ReLU / Clip pass or block, max-pool winners) equal float64 PyTorch's
//     except where the float64 input lies within 1e-4 of its largest value of a boundary or
//     of the runner-up -- rounding may take those either way, and in a deep random network
//     there are always a few (one flipped ReLU moves a gradient element by its whole size);
//  3. the core's backward pass run on PyTorch's activations (so both take the same
//     decisions): gradients and maps at the named layers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "methods/methods.h"
#include "npy.h"
#include "plan.h"
#include "test_util.h"
#include "weights_io.h"

namespace camscope {
namespace {

using test::exists;
using test::load;
using test::max_abs;
using test::rel_error;
using test::tensor_of;

constexpr double kTol = 1e-4;  // max |ours - torch| relative to max |torch|

TEST(ArchGolden, MatchesTorchAtNamedLayers) {
  const char* env = std::getenv("CAMSCOPE_ARCH_CASE");
  if (env == nullptr || *env == '\0') GTEST_SKIP() << "CAMSCOPE_ARCH_CASE is not set";
  const std::string dir = env;
  Net loaded;
  std::string err;
  ASSERT_TRUE(load_weights_file(dir + "/weights.csw", loaded, err)) << err;
  const std::shared_ptr<const Model> model = Model::build(std::move(loaded));
  const Net& net = model->net();
  const int n = static_cast<int>(net.nodes.size());
  ops::Workspace ws;
  const Tensor x = tensor_of(load(dir + "/input.npy"));
  double worst = 0.0;
  auto check = [&](const float* got, const float* ref, size_t count, const std::string& what) {
    const double e = rel_error(got, ref, count);
    worst = std::max(worst, e);
    EXPECT_LT(e, kTol) << what;
  };

  // 1. The core's own forward pass.
  Activations own;
  ASSERT_TRUE(model->forward(x, own, ws, &err)) << err;
  const NpyArray logits = load(dir + "/logits.npy");
  ASSERT_EQ(logits.data.size(), own.logits().data.size());
  check(own.logits().data.data(), logits.data.data(), logits.data.size(), "logits");
  std::vector<std::string> layers;
  std::ifstream lf(dir + "/layers.txt");
  for (std::string line; std::getline(lf, line);)
    if (!line.empty()) layers.push_back(line);
  ASSERT_GE(layers.size(), 2u) << "fewer than two layers listed in " << dir << "/layers.txt";
  for (const std::string& layer : layers) {
    const int li = net.find(layer);
    ASSERT_GE(li, 0) << "no layer named " << layer;
    const NpyArray act = load(dir + "/act__" + layer + ".npy");
    ASSERT_EQ(act.data.size(), own.out[li].data.size()) << layer;
    check(own.out[li].data.data(), act.data.data(), act.data.size(), "activation " + layer);
  }

  // The batched forward (no kept activations, buffers reused) equals one forward per input,
  // bit for bit: the input, its negation and half of it.
  {
    const size_t sz = x.data.size();
    std::vector<float> three(3 * sz);
    for (size_t e = 0; e < sz; ++e) {
      three[e] = x.data[e];
      three[sz + e] = -x.data[e];
      three[2 * sz + e] = 0.5f * x.data[e];
    }
    std::vector<float> batch;
    ASSERT_TRUE(model->forward_batch(three.data(), x.shape, 3, batch, ws, &err)) << err;
    const size_t nk = own.logits().data.size();
    ASSERT_EQ(batch.size(), 3 * nk);
    for (int v = 0; v < 3; ++v) {
      Tensor xv{x.shape, std::vector<float>(three.begin() + v * sz, three.begin() + (v + 1) * sz)};
      Activations one;
      ASSERT_TRUE(model->forward(std::move(xv), one, ws, &err)) << err;
      for (size_t c = 0; c < nk; ++c)
        EXPECT_EQ(batch[v * nk + c], one.logits().data[c])
            << "batched input " << v << " class " << c;
    }
  }

  // 2. Decisions, against PyTorch's activations of every node.
  Activations ref;
  ref.input = x;
  ref.out.resize(n);
  ref.argmax.resize(n);
  for (int i = 0; i < n; ++i) {
    ref.out[i] = tensor_of(load(dir + "/nodes/" + std::to_string(i) + ".npy"));
    ASSERT_EQ(ref.out[i].shape, own.out[i].shape) << net.nodes[i].name;
  }
  size_t decisions = 0, flips = 0;
  for (int i = 0; i < n; ++i) {
    const Node& nd = net.nodes[i];
    const int j = nd.inputs[0];
    const Tensor& xr = j == kGraphInput ? ref.input : ref.out[j];
    const Tensor& xo = j == kGraphInput ? own.input : own.out[j];
    const double margin = kTol * max_abs(xr.data.data(), xr.data.size());
    if (nd.op == Op::ReLU || nd.op == Op::Clip) {
      const float lo = nd.op == Op::ReLU ? 0.0f : nd.lo;
      const float hi = nd.op == Op::ReLU ? INFINITY : nd.hi;
      for (size_t e = 0; e < xr.data.size(); ++e) {
        const float r = xr.data[e], o = xo.data[e];
        ++decisions;
        if ((r > lo && r < hi) == (o > lo && o < hi)) continue;
        ++flips;
        EXPECT_LE(std::min(std::fabs(r - lo), std::fabs(r - hi)), margin)
            << nd.name << " element " << e << ": the core decides " << o << ", PyTorch " << r;
      }
    } else if (nd.op == Op::MaxPool) {
      // PyTorch's winners, from its own input (argmax of the reference activations).
      std::vector<float> y(ref.out[i].data.size());
      ops::maxpool_forward(nd, xr.data.data(), xr.shape, y.data(), ref.out[i].shape, ref.argmax[i],
                           ws);
      for (size_t e = 0; e < y.size(); ++e) {
        ++decisions;
        const int32_t a = own.argmax[i][e], b = ref.argmax[i][e];
        if (a == b) continue;
        ++flips;
        EXPECT_LE(std::fabs(xr.data[a] - xr.data[b]), margin)
            << nd.name << " window " << e << ": winners " << a << " and " << b;
      }
    }
  }

  // 3. The backward pass on PyTorch's activations: gradients and maps.
  const int k = static_cast<int>(logits.data.size());
  Gradients g;
  for (const std::string& layer : layers) {
    const int li = net.find(layer);
    model->backward_to(ref, li, g, ws);
    const Tensor& a = ref.out[li];
    const size_t count = a.data.size();
    const size_t hw = a.shape.plane();
    const NpyArray grad = load(dir + "/grad__" + layer + ".npy");
    ASSERT_EQ(grad.data.size(), count * k) << layer;
    ASSERT_EQ(g.grad[li].size(), count * k) << layer;
    for (int c = 0; c < k; ++c) {
      const float* gc = g.grad[li].data() + c * count;
      check(gc, grad.data.data() + c * count, count,
            "gradient " + layer + " class " + std::to_string(c));
      for (const Method& m : {*find_method("gradcam"), *find_method("layercam")}) {
        const NpyArray cam = load(dir + "/cam__" + m.name + "__" + layer + ".npy");
        ASSERT_EQ(cam.data.size(), hw * k) << layer;
        std::vector<float> ours(hw);
        m.map(a.data.data(), gc, a.shape.c, static_cast<int>(hw), ours.data());
        check(ours.data(), cam.data.data() + c * hw, hw,
              std::string(m.name) + " " + layer + " class " + std::to_string(c));
      }
    }
  }
  std::printf(
      "[ worst    ] %s: max relative error vs torch %.2e at %zu layers; %zu of %zu decisions "
      "flipped, all near-ties\n",
      dir.c_str(), worst, layers.size(), flips, decisions);
}

}  // namespace
}  // namespace camscope

// The fast kernel class against the exact one (wasm/kernels/config.h) on whole networks: every
// node's output of the forward pass, and the backward pass -- gradients of every raw logit,
// Grad-CAM and Layer-CAM -- at several layers, each within 1e-5 of the exact class's largest
// value (a map: of its largest sum of terms, see map_error). Both backward passes start from the
// exact class's activations, so that they take the same ReLU / max-pool decisions (a near-tie may
// fall either way between the classes, and one flipped ReLU moves a gradient element by its whole
// size; test_arch.cpp does the same against PyTorch). On the shipped model always; on an exported
// torchvision case with CAMSCOPE_ARCH_CASE=DIR (the arch_* tests).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "kernels/config.h"
#include "methods/methods.h"
#include "npy.h"
#include "plan.h"
#include "preprocess.h"
#include "weights_io.h"

namespace camscope {
namespace {

using kernels::Exactness;

// max |fast - exact| relative to max |exact|: the 1e-5 on the shipped model and the
// torchvision cases by default; a case may set CAMSCOPE_CLASS_TOL (tests/CMakeLists.txt says
// which and why).
constexpr double kShippedTol = 1e-5;

// Restores the process's class when a test is done with select().
class ClassGuard {
 public:
  ClassGuard() : before_(kernels::config().requested) {}
  ~ClassGuard() { kernels::select(before_); }

 private:
  Exactness before_;
};

double rel_error(const float* got, const float* ref, size_t n) {
  double diff = 0.0, scale = 0.0;
  for (size_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(got[i]) - ref[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(ref[i])));
  }
  return scale > 0.0 ? diff / scale : diff;
}

// A map's error relative to the size of its terms: max |fast - exact| over the largest
// sum_k |w_k A_k| at a position (w_k: Grad-CAM's channel mean of the gradient, Layer-CAM's
// ReLU of the gradient there). Why not the map's own max: at a layer before its ReLU, A has
// both signs and the weighted sum can cancel to a map far smaller than its terms (random
// VGG16, features.14: terms ~20x the map), and the gradient's 1e-5 rounding difference then
// shows up ~20x larger relative to that map. This is the sum's conditioning, not the kernels.
double map_error(const float* got, const float* ref, const float* act, const float* grad, int c,
                 size_t hw, bool per_position) {
  double diff = 0.0, scale = 0.0;
  std::vector<double> alpha(c, 0.0);
  if (!per_position) {
    for (int k = 0; k < c; ++k) {
      for (size_t p = 0; p < hw; ++p) alpha[k] += grad[k * hw + p];
      alpha[k] /= static_cast<double>(hw);
    }
  }
  for (size_t p = 0; p < hw; ++p) {
    double terms = 0.0;
    for (int k = 0; k < c; ++k) {
      const double w =
          per_position ? std::max(0.0, static_cast<double>(grad[k * hw + p])) : alpha[k];
      terms += std::fabs(w * act[k * hw + p]);
    }
    scale = std::max({scale, terms, std::fabs(static_cast<double>(ref[p]))});
    diff = std::max(diff, std::fabs(static_cast<double>(got[p]) - ref[p]));
  }
  return scale > 0.0 ? diff / scale : diff;
}

struct Worst {
  double forward = 0.0, backward = 0.0;
};

// Both classes on one network and its inputs; gradients and maps at `layers` (node indices).
void compare_classes(const Net& net, const std::vector<Tensor>& inputs,
                     const std::vector<int>& layers, const std::string& what,
                     double tol = kShippedTol) {
  ClassGuard guard;
  std::string err;
  // Each model packs its weights for the class active when it is built; the GEMVs use the
  // class active when they run, hence a select() before every pass.
  kernels::select(Exactness::Exact);
  const std::shared_ptr<const Model> exact = Model::build(net);
  kernels::select(Exactness::Fast);
  const std::shared_ptr<const Model> fast = Model::build(net);
  ops::Workspace ws;
  for (size_t v = 0; v < inputs.size(); ++v) {
    const std::string input = what + " input " + std::to_string(v);
    Worst worst;
    Activations ae, af;
    kernels::select(Exactness::Exact);
    ASSERT_TRUE(exact->forward(inputs[v], ae, ws, &err)) << err;
    kernels::select(Exactness::Fast);
    ASSERT_TRUE(fast->forward(inputs[v], af, ws, &err)) << err;
    for (size_t i = 0; i < net.nodes.size(); ++i) {
      const std::vector<float>& e = ae.out[i].data;
      ASSERT_EQ(af.out[i].data.size(), e.size());
      const double r = rel_error(af.out[i].data.data(), e.data(), e.size());
      worst.forward = std::max(worst.forward, r);
      EXPECT_LT(r, tol) << input << ": output of " << net.nodes[i].name;
    }
    const int k = static_cast<int>(ae.logits().data.size());
    for (int li : layers) {
      Gradients ge, gf;
      kernels::select(Exactness::Exact);
      exact->backward_to(ae, li, ge, ws);
      kernels::select(Exactness::Fast);
      fast->backward_to(ae, li, gf, ws);
      const Tensor& a = ae.out[li];
      const size_t count = a.data.size(), hw = a.shape.plane();
      ASSERT_EQ(ge.grad[li].size(), count * k);
      ASSERT_EQ(gf.grad[li].size(), count * k);
      for (int c = 0; c < k; ++c) {
        const float* gec = ge.grad[li].data() + c * count;
        const float* gfc = gf.grad[li].data() + c * count;
        const std::string where = input + ": " + net.nodes[li].name + " class " + std::to_string(c);
        double r = rel_error(gfc, gec, count);
        worst.backward = std::max(worst.backward, r);
        EXPECT_LT(r, tol) << where << " gradient";
        for (const Method& m : {*find_method("gradcam"), *find_method("layercam")}) {
          std::vector<float> me(hw), mf(hw);
          m.map(a.data.data(), gec, a.shape.c, static_cast<int>(hw), me.data());
          m.map(a.data.data(), gfc, a.shape.c, static_cast<int>(hw), mf.data());
          r = map_error(mf.data(), me.data(), a.data.data(), gec, a.shape.c, hw,
                        std::string(m.name) == "layercam");
          worst.backward = std::max(worst.backward, r);
          EXPECT_LT(r, tol) << where << " " << m.name;
        }
      }
    }
    std::printf("[ classes  ] %s: fast (%s) vs exact (%s): worst %.2e forward, %.2e backward\n",
                input.c_str(), kernels::config_for(Exactness::Fast).gemm->name,
                kernels::config_for(Exactness::Exact).gemm->name, worst.forward, worst.backward);
  }
}

// Every conv-like node of a network that is the output of a spatial layer, a few spread over
// the depth (the backward through all of them runs on both classes' kernels).
std::vector<int> spread_layers(const Net& net, int count) {
  std::vector<int> spatial;
  for (size_t i = 0; i < net.nodes.size(); ++i)
    if (net.nodes[i].op == Op::Conv) spatial.push_back(static_cast<int>(i));
  std::vector<int> out;
  for (int j = 0; j < count && !spatial.empty(); ++j) {
    const int pick = spatial[(spatial.size() - 1) * j / std::max(1, count - 1)];
    if (std::find(out.begin(), out.end(), pick) == out.end()) out.push_back(pick);
  }
  return out;
}

TEST(KernelClasses, ShippedModelFastMatchesExact) {
  Net net;
  std::string err;
  ASSERT_TRUE(load_weights_file(CAMSCOPE_SHIPPED_WEIGHTS, net, err)) << err;
  // Every conv (the Winograd ones, through their backward too), the pooled layer.
  std::vector<int> layers = spread_layers(net, 5);
  layers.push_back(net.find("avgpool"));
  ASSERT_GE(layers.back(), 0);
  std::vector<Tensor> inputs;  // the three demo pictures: both, cat, dog
  for (const char* stem : {"both", "cat", "dog"}) {
    NpyArray pic;
    const std::string path = std::string(CAMSCOPE_GOLDEN_DIR) + "/shipped/" + stem + ".picture.npy";
    ASSERT_TRUE(read_npy(path, pic, err)) << err;
    ASSERT_EQ(pic.shape.size(), 3u);
    const std::vector<uint8_t> px(pic.data.begin(), pic.data.end());
    inputs.push_back(preprocess(px.data(), pic.shape[1], pic.shape[0], 3, net.info));
  }
  compare_classes(net, inputs, layers, "shipped");
}

TEST(KernelClasses, ArchCaseFastMatchesExact) {
  const char* env = std::getenv("CAMSCOPE_ARCH_CASE");
  if (env == nullptr || *env == '\0') GTEST_SKIP() << "CAMSCOPE_ARCH_CASE is not set";
  const std::string dir = env;
  Net net;
  std::string err;
  ASSERT_TRUE(load_weights_file(dir + "/weights.csw", net, err)) << err;
  NpyArray in;
  ASSERT_TRUE(read_npy(dir + "/input.npy", in, err)) << err;
  ASSERT_EQ(in.shape.size(), 3u);
  const Tensor x{Shape{in.shape[0], in.shape[1], in.shape[2]}, in.data};
  std::vector<int> layers;
  std::ifstream lf(dir + "/layers.txt");
  for (std::string line; std::getline(lf, line);)
    if (!line.empty() && net.find(line) >= 0) layers.push_back(net.find(line));
  for (int li : spread_layers(net, 3))
    if (std::find(layers.begin(), layers.end(), li) == layers.end()) layers.push_back(li);
  const char* tol = std::getenv("CAMSCOPE_CLASS_TOL");
  compare_classes(net, {x}, layers, dir, tol != nullptr ? std::atof(tol) : kShippedTol);
}

}  // namespace
}  // namespace camscope

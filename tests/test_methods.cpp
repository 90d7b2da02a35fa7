// Every registered method against an independent PyTorch / NumPy reference
// (tools/reference_methods.py writes one case folder at test time; CAMSCOPE_METHODS_CASE=DIR
// runs it, without it the test skips): the shipped AlexNet-BN and torchvision's AlexNet at
// the last conv and at avgpool, both classes, 1e-4 of each result's largest value.
//
// The backward passes run on the reference's own float64 activations (Session::
// use_activations), so both decide every ReLU and max-pool alike (tests/test_arch.cpp says
// why). A method registered without reference data fails here. SmoothGrad is checked in
// parts: its noise against the reference's copy of the generator, then the mean of the
// saliency of the noisy copies computed one by one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "methods/fusion.h"
#include "npy.h"
#include "session.h"
#include "test_util.h"

namespace camscope {
namespace {

using test::exists;
using test::load;
using test::max_abs;
using test::rel_error;
using test::tensor_of;

constexpr double kTol = 1e-4;

std::vector<std::string> lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream f(path);
  for (std::string l; std::getline(f, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

TEST(Methods, EveryMethodMatchesTheReference) {
  const char* env = std::getenv("CAMSCOPE_METHODS_CASE");
  if (env == nullptr || *env == '\0') GTEST_SKIP() << "CAMSCOPE_METHODS_CASE is not set";
  const std::string dir = env;
  std::ifstream wf(dir + "/weights.csw", std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(wf)),
                                   std::istreambuf_iterator<char>());
  Session s;
  std::string err;
  ASSERT_TRUE(s.load_weights(bytes.data(), bytes.size(), err)) << err;
  const Tensor x = tensor_of(load(dir + "/input.npy"));
  ASSERT_TRUE(s.set_input(x, err)) << err;
  double worst = 0.0;
  int compared = 0;
  auto check = [&](const std::vector<float>& got, const float* ref, size_t n,
                   const std::string& what) {
    ASSERT_EQ(got.size(), n) << what;
    const double e = rel_error(got.data(), ref, n);
    worst = std::max(worst, e);
    ++compared;
    EXPECT_LT(e, kTol) << what;
  };
  const NpyArray logits = load(dir + "/logits.npy");
  check(s.logits(), logits.data.data(), logits.data.size(), "logits (own forward)");
  const int k = static_cast<int>(logits.data.size());

  // The reference's activations, for the backward passes.
  Activations ref;
  ref.input = x;
  const size_t n = s.net().nodes.size();
  for (size_t i = 0; i < n; ++i)
    ref.out.push_back(tensor_of(load(dir + "/nodes/" + std::to_string(i) + ".npy")));
  for (size_t i = 0; i < n; ++i) ref.out[i].shape = s.activation(static_cast<int>(i)).shape;
  ASSERT_TRUE(s.use_activations(ref, err)) << err;

  const std::vector<std::string> layers = lines(dir + "/layers.txt");
  ASSERT_GE(layers.size(), 2u);
  const size_t in_size = x.data.size();
  for (const Method& m : methods()) {
    const std::string name = m.name;
    if (m.kind == MethodKind::Picture) {
      if (name == "smoothgrad") continue;  // below
      for (const std::string& layer :
           (name == "guidedgradcam" ? layers : std::vector<std::string>{""})) {
        const std::string file =
            dir + "/picture__" + name + (layer.empty() ? "" : "__" + layer) + ".npy";
        ASSERT_TRUE(exists(file)) << name << " is registered but has no reference: " << file;
        const NpyArray r = load(file);
        ASSERT_EQ(r.data.size(), in_size * k) << file;
        const int li = layer.empty() ? -1 : s.net().find(layer);
        for (int c = 0; c < k; ++c)
          check(s.picture(name, c, li), r.data.data() + c * in_size, in_size,
                name + " " + layer + " class " + std::to_string(c));
      }
      continue;
    }
    for (const std::string& layer : layers) {
      const int li = s.net().find(layer);
      ASSERT_GE(li, 0) << layer;
      const std::string file = dir + "/map__" + name + "__" + layer + ".npy";
      ASSERT_TRUE(exists(file)) << name << " is registered but has no reference: " << file;
      if (m.kind == MethodKind::Score) {
        const int c = s.activation(li).shape.c;
        int done = 0;
        for (int guard = 0; done < c && guard < c; ++guard) done = s.score_cam_run(li, 40);
        ASSERT_EQ(done, c) << "Score-CAM did not finish " << layer;
      }
      const NpyArray maps = load(file);
      const size_t hw = s.activation(li).shape.plane(), ch = s.activation(li).shape.c;
      ASSERT_EQ(maps.data.size(), hw * k) << file;
      const std::string wfile = dir + "/weights__" + name + "__" + layer + ".npy";
      const bool has_weights = m.weights != nullptr || m.kind == MethodKind::Score;
      EXPECT_EQ(exists(wfile), has_weights) << name << ": channel weights and reference disagree";
      for (int c = 0; c < k; ++c) {
        const std::string what = name + " " + layer + " class " + std::to_string(c);
        check(s.cam(name, li, c), maps.data.data() + c * hw, hw, what);
        if (has_weights && exists(wfile)) {
          const NpyArray w = load(wfile);
          ASSERT_EQ(w.data.size(), ch * k);
          check(s.channel_weights(name, li, c), w.data.data() + c * ch, ch, "weights of " + what);
        } else {
          EXPECT_TRUE(s.channel_weights(name, li, c).empty()) << what;
        }
      }
    }
  }

  // Fusion of the layers' maps (listed shallow to deep) against the reference's NumPy rule.
  for (const char* method : {"gradcam", "layercam"}) {
    for (const char* rule : {"max", "mean"}) {
      const NpyArray want = load(dir + "/fused__" + method + "__" + rule + ".npy");
      const size_t plane = x.shape.plane();
      ASSERT_EQ(want.data.size(), plane * k);
      for (int c = 0; c < k; ++c) {
        std::vector<std::vector<float>> maps;
        std::vector<Shape> sizes;
        for (const std::string& layer : layers) {
          const int li = s.net().find(layer);
          maps.push_back(s.cam(method, li, c));
          sizes.push_back(s.activation(li).shape);
        }
        check(fuse_maps(maps, sizes, x.shape.h, x.shape.w,
                        std::string(rule) == "max" ? FuseRule::Max : FuseRule::Mean),
              want.data.data() + c * plane, plane,
              std::string("fusion ") + rule + " " + method + " class " + std::to_string(c));
      }
    }
  }

  // SmoothGrad: the noise, then the mean of the noisy copies' saliency, one by one.
  const NpyArray noise = load(dir + "/noise.npy");
  ASSERT_TRUE(exists(dir + "/noise.npy")) << "smoothgrad has no reference";
  const int copies = static_cast<int>(noise.data.size() / in_size);
  ASSERT_GE(copies, 2);
  double noise_err = 0.0;
  for (int i = 0; i < copies; ++i) {
    const std::vector<float> e = Session::smoothgrad_noise(in_size, i);
    for (size_t j = 0; j < in_size; ++j)
      noise_err =
          std::max(noise_err, std::fabs(static_cast<double>(e[j]) - noise.data[i * in_size + j]));
  }
  EXPECT_LT(noise_err, 1e-6) << "SmoothGrad noise differs from the reference generator";
  const float level = 0.15f;
  ASSERT_EQ(s.smoothgrad_run(copies, level, copies), copies);
  const auto mm = std::minmax_element(x.data.begin(), x.data.end());
  const float sigma = level * (*mm.second - *mm.first);
  std::vector<double> mean(in_size * k, 0.0);
  for (int i = 0; i < copies; ++i) {
    const std::vector<float> e = Session::smoothgrad_noise(in_size, i);
    Tensor xi = x;
    for (size_t j = 0; j < in_size; ++j) xi.data[j] += sigma * e[j];
    Session one;
    one.use_model(s.model());
    ASSERT_TRUE(one.set_input(std::move(xi), err)) << err;
    for (int c = 0; c < k; ++c) {
      const std::vector<float> g = one.picture("saliency", c);
      for (size_t j = 0; j < in_size; ++j) mean[c * in_size + j] += g[j];
    }
  }
  for (int c = 0; c < k; ++c) {
    std::vector<float> want(in_size);
    for (size_t j = 0; j < in_size; ++j)
      want[j] = static_cast<float>(mean[c * in_size + j] / copies);
    check(s.picture("smoothgrad", c), want.data(), in_size,
          "smoothgrad class " + std::to_string(c));
  }
  std::printf("[ worst    ] %s: max relative error %.2e over %d results of %zu methods\n",
              dir.c_str(), worst, compared, methods().size());
}

}  // namespace
}  // namespace camscope

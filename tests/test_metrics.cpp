// The faithfulness metrics against an independent NumPy / SciPy / PyTorch reference
// (tools/reference_metrics.py, made at test time; CAMSCOPE_METRICS_CASE=DIR runs it): the
// shipped model on both.png with fixed maps, including the definitions' edge cases (a flat
// map, an all-zero map, a class whose probability rises), and hand-made checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "metrics/metrics.h"
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

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double d = 0.0;
  for (size_t i = 0; i < a.size(); ++i)
    d = std::max(d, std::fabs(static_cast<double>(a[i]) - b[i]));
  return d;
}

TEST(Metrics, Definitions) {
  // Order: largest first, ties by position.
  EXPECT_EQ(metrics::order_by({0.5f, 2, 0.5f, 3, 2}), (std::vector<int>{3, 1, 4, 0, 2}));
  // Steps: round(t n / K).
  EXPECT_EQ(metrics::step_count(0, 4, 10), 0);
  EXPECT_EQ(metrics::step_count(1, 4, 10), 3);  // 2.5 rounds away from zero
  EXPECT_EQ(metrics::step_count(4, 4, 10), 10);
  // AUC by trapezoids over [0, 1].
  EXPECT_DOUBLE_EQ(metrics::auc({1, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(metrics::auc({1, 0}), 0.5);
  EXPECT_DOUBLE_EQ(metrics::auc({0, 1, 0}), 0.5);
  // Confidence: relative drop, never negative; increase when the masked score is higher.
  const metrics::Confidence c = metrics::confidence(0.8, 0.2);
  EXPECT_DOUBLE_EQ(c.drop, 0.75);
  EXPECT_FALSE(c.increase);
  const metrics::Confidence up = metrics::confidence(0.3, 0.6);
  EXPECT_DOUBLE_EQ(up.drop, 0.0);
  EXPECT_TRUE(up.increase);
  // Spearman: monotone -> 1, reversed -> -1, a constant -> 0.
  EXPECT_NEAR(metrics::spearman({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0, 1e-12);
  EXPECT_NEAR(metrics::spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0, 1e-12);
  EXPECT_EQ(metrics::spearman({1, 2, 3, 4}, {5, 5, 5, 5}), 0.0);
  // Imputation of one removed pixel in a constant picture is that constant (no noise).
  Tensor x{Shape{1, 3, 3}, std::vector<float>(9, 2.0f)};
  std::vector<uint8_t> removed(9, 0);
  removed[4] = 1;
  std::vector<float> out;
  ASSERT_TRUE(metrics::impute(x, removed, 0.0f, 1, out));
  EXPECT_NEAR(out[4], 2.0f, 1e-9);
}

TEST(Metrics, MatchTheReference) {
  const char* env = std::getenv("CAMSCOPE_METRICS_CASE");
  if (env == nullptr || *env == '\0') GTEST_SKIP() << "CAMSCOPE_METRICS_CASE is not set";
  const std::string dir = env;
  std::ifstream wf(dir + "/weights.csw", std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(wf)),
                                   std::istreambuf_iterator<char>());
  Session s;
  std::string err;
  ASSERT_TRUE(s.load_weights(bytes.data(), bytes.size(), err)) << err;
  const NpyArray in = load(dir + "/input.npy");
  const Tensor x{Shape{in.shape[0], in.shape[1], in.shape[2]}, in.data};
  ASSERT_TRUE(s.set_input(x, err)) << err;
  const metrics::Scorer score = [&](const float* inputs, int count, std::vector<float>& p) {
    return s.score_inputs(inputs, count, p);
  };
  const double tol = 1e-4;  // probabilities, absolute
  double worst = 0.0;
  auto check = [&](const std::vector<float>& got, const std::vector<float>& want,
                   const std::string& what) {
    const double d = max_diff(got, want);
    worst = std::max(worst, d);
    EXPECT_LT(d, tol) << what;
  };
  // Baselines.
  for (auto [name, b] :
       {std::pair{"zero", metrics::Baseline::Zero}, std::pair{"mean", metrics::Baseline::Mean},
        std::pair{"blur", metrics::Baseline::Blur}})
    check(metrics::baseline(x, b), load(dir + "/base__" + name + ".npy").data,
          std::string("baseline ") + name);
  for (const char* name : {"blob", "flat", "zero", "random"}) {
    const std::vector<float> map = load(dir + "/map__" + std::string(name) + ".npy").data;
    for (int c = 0; c < 2; ++c) {
      const std::string tag = std::string(name) + " class " + std::to_string(c);
      std::vector<float> curve;
      ASSERT_TRUE(metrics::curve(x, map, metrics::Baseline::Zero, false, 10, c, 4, score, curve));
      check(curve, load(dir + "/del__" + name + "__" + std::to_string(c) + ".npy").data,
            "deletion " + tag);
      ASSERT_TRUE(metrics::curve(x, map, metrics::Baseline::Blur, true, 10, c, 4, score, curve));
      check(curve, load(dir + "/ins__" + name + "__" + std::to_string(c) + ".npy").data,
            "insertion " + tag);
      ASSERT_TRUE(metrics::curve(x, map, metrics::Baseline::Mean, false, 10, c, 3, score, curve));
      check(curve, load(dir + "/delmean__" + name + "__" + std::to_string(c) + ".npy").data,
            "deletion onto the mean colour " + tag);
      const std::vector<float> conf =
          load(dir + "/conf__" + name + "__" + std::to_string(c) + ".npy").data;
      const std::vector<float> masked = metrics::masked_by_map(x, map);
      std::vector<float> p;
      ASSERT_TRUE(score(masked.data(), 1, p));
      const metrics::Confidence got = metrics::confidence(s.probabilities()[c], p[c]);
      check({static_cast<float>(got.original), static_cast<float>(got.masked),
             static_cast<float>(got.drop), got.increase ? 1.0f : 0.0f},
            conf, "average drop / increase " + tag);
      if (std::string(name) == "blob" || std::string(name) == "random") {
        for (const char* kind : {"morf", "lerf"}) {
          std::vector<float> r;
          ASSERT_TRUE(metrics::road(x, map, {20, 50, 80}, std::string(kind) == "morf", c, 0.0f, 1,
                                    score, r));
          check(r,
                load(dir + "/road__" + name + "__" + std::to_string(c) + "__" + kind + ".npy").data,
                std::string("ROAD ") + kind + " " + tag);
        }
      }
    }
  }
  // The imputation itself (50% of the blob's most relevant removed, no noise).
  {
    const std::vector<float> map = load(dir + "/map__blob.npy").data;
    const std::vector<int> order = metrics::order_by(map);
    std::vector<uint8_t> removed(map.size(), 0);
    for (size_t i = 0; i < map.size() / 2; ++i) removed[order[i]] = 1;
    std::vector<float> out;
    ASSERT_TRUE(metrics::impute(x, removed, 0.0f, 1, out));
    const double d = max_diff(out, load(dir + "/impute.npy").data);
    EXPECT_LT(d, 1e-5) << "imputation vs scipy's direct solve";
  }
  // Spearman against scipy, ties included.
  const NpyArray sp = load(dir + "/spearman_in.npy");
  const size_t n = sp.data.size() / 3;
  const std::vector<float> va(sp.data.begin(), sp.data.begin() + n),
      vb(sp.data.begin() + n, sp.data.begin() + 2 * n), vc(sp.data.begin() + 2 * n, sp.data.end());
  const std::vector<float> rho = load(dir + "/spearman.npy").data;
  EXPECT_NEAR(metrics::spearman(va, vb), rho[0], 1e-6);
  EXPECT_NEAR(metrics::spearman(va, vc), rho[1], 1e-6);
  // The Session's curve is metrics::curve on its own map.
  std::vector<float> via_session, direct;
  const int layer = s.net().find("features.14");
  int done = 0;
  while (done <= 10)
    done = s.curve_run("gradcam", layer, 1, false, 10, metrics::Baseline::Zero, 3, &via_session);
  ASSERT_TRUE(metrics::curve(x, s.metric_map("gradcam", layer, 1), metrics::Baseline::Zero, false,
                             10, 1, 5, score, direct));
  EXPECT_EQ(via_session, direct);
  std::printf("[ worst    ] %s: max probability difference %.2e\n", dir.c_str(), worst);
}

TEST(Metrics, RandomisationChangesGradientMaps) {
  // The shipped model on a picture of its own: cascading randomisation from the logits down
  // must move Grad-CAM's map (a method that explained nothing would not move).
  const char* env = std::getenv("CAMSCOPE_METRICS_CASE");
  if (env == nullptr || *env == '\0') GTEST_SKIP() << "CAMSCOPE_METRICS_CASE is not set";
  const std::string dir = env;
  std::ifstream wf(dir + "/weights.csw", std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(wf)),
                                   std::istreambuf_iterator<char>());
  Session s;
  std::string err;
  ASSERT_TRUE(s.load_weights(bytes.data(), bytes.size(), err)) << err;
  const NpyArray in = load(dir + "/input.npy");
  ASSERT_TRUE(s.set_input(Tensor{Shape{in.shape[0], in.shape[1], in.shape[2]}, in.data}, err));
  const int layer = s.net().find("features.14");
  const int steps = static_cast<int>(metrics::cascade_order(s.net()).size());
  ASSERT_GE(steps, 3);
  double last = 1.0;
  for (const char* m : {"gradcam", "layercam"}) {
    last = s.sanity_step(m, layer, s.predicted(), steps - 1);
    EXPECT_LT(std::fabs(last), 0.5) << m << ": the fully randomised model's map still correlates";
  }
  // Eigen-CAM at the last conv uses no gradients: randomising only the head leaves it intact.
  EXPECT_NEAR(s.sanity_step("eigencam", layer, 0, 0), 1.0, 1e-9);
}

}  // namespace
}  // namespace camscope

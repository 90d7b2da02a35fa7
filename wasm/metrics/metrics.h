// Are the maps right? Faithfulness numbers and sanity checks (issue 10), as plain functions
// of a network input x (C x H x W, normalised), a map at the input's resolution (H x W) and
// a way to score many inputs at once (a batched forward pass giving each input's class
// probabilities). The Session (session.h) and the CLI (`camscope evaluate`) drive them.
//
// Definitions (what the page's "Is it right?" view and the CLI state):
// - Order: the input's positions sorted by the map's value, largest first; ties in the order
//   of the positions (row-major), so every build orders alike.
// - Deletion (RISE, Petsiuk et al. 2018): step t = 0..K replaces the first round(t HW / K)
//   positions of the order, every channel, by the baseline's values; the curve is the class's
//   softmax probability at each step. Insertion: the same steps reveal the input's values on
//   top of the baseline. AUC: trapezoids over t / K in [0, 1]. Lower deletion AUC and higher
//   insertion AUC are better.
// - Baselines: zero (the normalised input's 0: the dataset's mean colour), the input's own
//   mean colour per channel, or RISE's blur (11 x 11 Gaussian, sigma 5, zero padding, per
//   channel). Defaults: zero for deletion, blur for insertion, as RISE.
// - Average Drop and Increase in Confidence (Grad-CAM++ paper, Chattopadhyay et al. 2018):
//   the input times the map scaled to [0, 1] (v / max), as pytorch-grad-cam multiplies the
//   normalised input; Y = probability on x, O = on the masked input; drop = max(0, Y - O) / Y
//   (relative to the original score; some libraries report Y - O instead), increase =
//   [O > Y]. Over a set: Average Drop = 100 mean(drop), Increase in Confidence = 100
//   mean(increase).
// - ROAD (Rong et al. 2022): at r% the r% most relevant (MoRF) or least relevant (LeRF)
//   positions of the order are removed and filled by noisy linear imputation: each removed
//   value is the weighted mean of its in-picture 8 neighbours (1/6 sideways, 1/12
//   diagonally), found by solving the sparse linear system of all removed values (Eigen's
//   sparse Cholesky, LDL^T), per channel, plus Gaussian noise (sd 0.01 by default).
//   Scores: the class probability at each percentage; combined = mean over r of
//   (LeRF - MoRF) / 2 (higher is better).
// - Sanity (Adebayo et al. 2018): cascading randomisation re-initialises the weights of the
//   network's parameterised nodes from the logits down, one more at a time; each method's
//   map is compared with the original by Spearman's rank correlation (a method whose maps
//   stay put explains nothing about the model).
// - A random map (uniform noise from a fixed seed) is scored by every metric as the baseline
//   a method must beat.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "graph.h"
#include "tensor.h"

namespace camscope {
namespace metrics {

// Class probabilities (count x classes, row after row) of `count` inputs of x's shape laid
// out one after another.
using Scorer = std::function<bool(const float* inputs, int count, std::vector<float>& probs)>;

enum class Baseline { Zero, Mean, Blur };
// "zero", "mean", "blur"; false for another name.
bool parse_baseline(const std::string& name, Baseline& out);
const char* baseline_name(Baseline b);

// The baseline input for x.
std::vector<float> baseline(const Tensor& x, Baseline b);

// Positions 0..n-1 ordered by the map's value, largest first, ties by position.
std::vector<int> order_by(const std::vector<float>& map);

// Positions removed (revealed) at step t of K over n positions: round(t n / K).
int step_count(int t, int steps, int n);

// Input of step t: x with the first step_count(t) positions of `order` taken from `from`
// (deletion: from = baseline, onto x; insertion: from = x, onto the baseline `onto`).
void step_input(const Tensor& x, const std::vector<float>& onto, const std::vector<float>& from,
                const std::vector<int>& order, int t, int steps, float* dst);

// Area under a curve of K+1 points over [0, 1] (trapezoids).
double auc(const std::vector<float>& curve);

// The deletion (insertion = false) or insertion curve of class `cls`: K+1 probabilities,
// scored in batches of `batch`.
bool curve(const Tensor& x, const std::vector<float>& map, Baseline base, bool insertion, int steps,
           int cls, int batch, const Scorer& score, std::vector<float>& out);

// The input times the map divided by its max (all zero for an all-zero map).
std::vector<float> masked_by_map(const Tensor& x, const std::vector<float>& map);

// Average Drop / Increase in Confidence terms for one picture.
struct Confidence {
  double original = 0.0;  // Y
  double masked = 0.0;    // O
  double drop = 0.0;      // max(0, Y - O) / Y
  bool increase = false;  // O > Y
};
Confidence confidence(double original, double masked);

// Noisy linear imputation (ROAD; native builds only, see road.cpp): x with the positions where
// removed[p] != 0 filled, per channel, by the solution of the neighbour-mean system, plus noise *
// N(0, 1) from `seed` (splitmix64 + Box-Muller, as the SmoothGrad noise). False if the solver does
// not converge.
bool impute(const Tensor& x, const std::vector<uint8_t>& removed, float noise, uint64_t seed,
            std::vector<float>& out);
// ROAD at the given percentages: removed = the first (MoRF) or last (LeRF) round(r n / 100)
// positions of the order; the class's probability on each imputed input.
bool road(const Tensor& x, const std::vector<float>& map, const std::vector<int>& percents,
          bool morf, int cls, float noise, uint64_t seed, const Scorer& score,
          std::vector<float>& out);

// Spearman's rank correlation of two equally long vectors (average ranks for ties); 0 where
// one is constant.
double spearman(const std::vector<float>& a, const std::vector<float>& b);

// A copy of `net` whose parameterised nodes (conv, linear, batchnorm) from index `from` on
// have fresh random weights: conv / linear N(0, 2 / fan_in) (Kaiming), zero biases,
// batchnorm gamma 1, beta 0 (running statistics kept), from a fixed-seed generator.
Net randomised(const Net& net, int from, uint64_t seed);
// Indices of the parameterised nodes, from the logits down: the order of the cascade.
std::vector<int> cascade_order(const Net& net);

// A random map of n values, uniform in [0, 1), from `seed`.
std::vector<float> random_map(int n, uint64_t seed);

}  // namespace metrics
}  // namespace camscope

// Faithfulness metrics and sanity checks (definitions in metrics.h).
#include "metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "rng.h"

namespace camscope {
namespace metrics {
namespace {

// RISE's blur: 11 x 11, sigma 5, as a separable sampled Gaussian normalised to 1.
constexpr int kBlurRadius = 5;
constexpr double kBlurSigma = 5.0;

std::vector<float> blur(const Tensor& x) {
  float k[2 * kBlurRadius + 1];
  double total = 0.0;
  for (int d = -kBlurRadius; d <= kBlurRadius; ++d)
    total += std::exp(-d * d / (2 * kBlurSigma * kBlurSigma));
  for (int d = -kBlurRadius; d <= kBlurRadius; ++d)
    k[d + kBlurRadius] =
        static_cast<float>(std::exp(-d * d / (2 * kBlurSigma * kBlurSigma)) / total);
  const int h = x.shape.h, w = x.shape.w;
  std::vector<float> tmp(x.data.size()), out(x.data.size());
  for (int c = 0; c < x.shape.c; ++c) {
    const float* src = x.data.data() + static_cast<size_t>(c) * h * w;
    float* t = tmp.data() + static_cast<size_t>(c) * h * w;
    float* o = out.data() + static_cast<size_t>(c) * h * w;
    for (int y = 0; y < h; ++y)
      for (int xx = 0; xx < w; ++xx) {
        float acc = 0.0f;
        for (int d = -kBlurRadius; d <= kBlurRadius; ++d) {
          const int sx = xx + d;
          if (sx >= 0 && sx < w) acc += k[d + kBlurRadius] * src[y * w + sx];
        }
        t[y * w + xx] = acc;
      }
    for (int y = 0; y < h; ++y)
      for (int xx = 0; xx < w; ++xx) {
        float acc = 0.0f;
        for (int d = -kBlurRadius; d <= kBlurRadius; ++d) {
          const int sy = y + d;
          if (sy >= 0 && sy < h) acc += k[d + kBlurRadius] * t[sy * w + xx];
        }
        o[y * w + xx] = acc;
      }
  }
  return out;
}

// Average ranks (1-based) of v, ties sharing their mean rank.
std::vector<double> ranks(const std::vector<float>& v) {
  std::vector<int> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    const double mean = (static_cast<double>(i) + j) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = mean;
    i = j + 1;
  }
  return r;
}

}  // namespace

bool parse_baseline(const std::string& name, Baseline& out) {
  if (name == "zero")
    out = Baseline::Zero;
  else if (name == "mean")
    out = Baseline::Mean;
  else if (name == "blur")
    out = Baseline::Blur;
  else
    return false;
  return true;
}

const char* baseline_name(Baseline b) {
  return b == Baseline::Zero ? "zero" : b == Baseline::Mean ? "mean" : "blur";
}

std::vector<float> baseline(const Tensor& x, Baseline b) {
  if (b == Baseline::Blur) return blur(x);
  std::vector<float> out(x.data.size(), 0.0f);
  if (b == Baseline::Zero) return out;
  const size_t plane = x.shape.plane();
  for (int c = 0; c < x.shape.c; ++c) {
    double sum = 0.0;
    for (size_t p = 0; p < plane; ++p) sum += x.data[c * plane + p];
    std::fill(out.begin() + c * plane, out.begin() + (c + 1) * plane,
              static_cast<float>(sum / static_cast<double>(plane)));
  }
  return out;
}

std::vector<int> order_by(const std::vector<float>& map) {
  std::vector<int> idx(map.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return map[a] > map[b]; });
  return idx;
}

int step_count(int t, int steps, int n) {
  return static_cast<int>(std::llround(static_cast<double>(t) * n / steps));
}

void step_input(const Tensor& x, const std::vector<float>& onto, const std::vector<float>& from,
                const std::vector<int>& order, int t, int steps, float* dst) {
  const size_t plane = x.shape.plane();
  std::copy(onto.begin(), onto.end(), dst);
  const int k = step_count(t, steps, static_cast<int>(plane));
  for (int c = 0; c < x.shape.c; ++c)
    for (int i = 0; i < k; ++i) {
      const size_t p = c * plane + static_cast<size_t>(order[i]);
      dst[p] = from[p];
    }
}

double auc(const std::vector<float>& c) {
  if (c.size() < 2) return c.empty() ? 0.0 : c[0];
  double a = 0.0;
  for (size_t i = 0; i + 1 < c.size(); ++i) a += (static_cast<double>(c[i]) + c[i + 1]) / 2.0;
  return a / static_cast<double>(c.size() - 1);
}

bool curve(const Tensor& x, const std::vector<float>& map, Baseline base, bool insertion, int steps,
           int cls, int batch, const Scorer& score, std::vector<float>& out) {
  const size_t n = x.data.size();
  if (map.size() != x.shape.plane() || steps < 1 || batch < 1) return false;
  const std::vector<float> b = baseline(x, base);
  const std::vector<int> order = order_by(map);
  // Deletion: the baseline goes onto x; insertion: x goes onto the baseline.
  const std::vector<float>& onto = insertion ? b : x.data;
  const std::vector<float>& from = insertion ? x.data : b;
  out.assign(static_cast<size_t>(steps) + 1, 0.0f);
  std::vector<float> inputs, probs;
  for (int t0 = 0; t0 <= steps; t0 += batch) {
    const int m = std::min(batch, steps + 1 - t0);
    inputs.resize(static_cast<size_t>(m) * n);
    for (int i = 0; i < m; ++i)
      step_input(x, onto, from, order, t0 + i, steps, inputs.data() + i * n);
    if (!score(inputs.data(), m, probs)) return false;
    const size_t k = probs.size() / m;
    for (int i = 0; i < m; ++i) out[t0 + i] = probs[i * k + cls];
  }
  return true;
}

std::vector<float> masked_by_map(const Tensor& x, const std::vector<float>& map) {
  std::vector<float> out(x.data.size(), 0.0f);
  const float mx = map.empty() ? 0.0f : *std::max_element(map.begin(), map.end());
  if (!(mx > 0.0f) || !std::isfinite(mx) || map.size() != x.shape.plane()) return out;
  const size_t plane = x.shape.plane();
  for (int c = 0; c < x.shape.c; ++c)
    for (size_t p = 0; p < plane; ++p) out[c * plane + p] = x.data[c * plane + p] * (map[p] / mx);
  return out;
}

Confidence confidence(double original, double masked) {
  Confidence r;
  r.original = original;
  r.masked = masked;
  r.drop = original > 0.0 ? std::max(0.0, original - masked) / original : 0.0;
  r.increase = masked > original;
  return r;
}

double spearman(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.size() < 2) return 0.0;
  const std::vector<double> ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(a.size());
  const double mean = (n + 1.0) / 2.0;
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) * (ra[i] - mean);
    sbb += (rb[i] - mean) * (rb[i] - mean);
  }
  return saa > 0.0 && sbb > 0.0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

std::vector<int> cascade_order(const Net& net) {
  std::vector<int> out;
  for (int i = static_cast<int>(net.nodes.size()) - 1; i >= 0; --i) {
    const Op op = net.nodes[i].op;
    if (op == Op::Conv || op == Op::Linear || op == Op::BatchNorm) out.push_back(i);
  }
  return out;
}

Net randomised(const Net& net, int from, uint64_t seed) {
  Net out = net;
  for (size_t i = static_cast<size_t>(std::max(from, 0)); i < out.nodes.size(); ++i) {
    Node& n = out.nodes[i];
    const uint64_t s = seed + 1000003ULL * i;
    if (n.op == Op::Conv || n.op == Op::Linear) {
      const size_t count =
          n.op == Op::Conv ? static_cast<size_t>(n.cout) * (n.cin / n.groups) * n.win.kh * n.win.kw
                           : static_cast<size_t>(n.cout) * n.cin;
      const double fan_in = static_cast<double>(count) / n.cout;
      const float sd = static_cast<float>(std::sqrt(2.0 / fan_in));
      n.weight = gaussian_noise(count, s);
      for (float& v : n.weight) v *= sd;
      n.qweight.clear();
      n.qscale.clear();
      std::fill(n.bias.begin(), n.bias.end(), 0.0f);
    } else if (n.op == Op::BatchNorm) {
      std::fill(n.weight.begin(), n.weight.end(), 1.0f);
      std::fill(n.bias.begin(), n.bias.end(), 0.0f);
    }
  }
  return out;
}

std::vector<float> random_map(int n, uint64_t seed) {
  SplitMix64 g(seed);
  std::vector<float> out(static_cast<size_t>(std::max(n, 0)));
  for (float& v : out) v = static_cast<float>(g.uniform());
  return out;
}

}  // namespace metrics
}  // namespace camscope

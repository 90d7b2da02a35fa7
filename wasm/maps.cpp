// Map post-processing: PyTorch-exact bilinear upsampling, statistics, normalisation.
#include "maps.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace camscope {
namespace {

// The two source indices and weights of one output index along one axis.
struct LinearTap {
  int i0 = 0;
  int i1 = 0;
  float l0 = 1.0f;
  float l1 = 0.0f;
};

// Source taps for resizing an axis of `in` values to `out` values the way PyTorch's
// bilinear (align_corners=False, no antialiasing) does on a float tensor: the ratio is a
// float, the source position is computed in double (CPU accumulate type), lambda is a float.
std::vector<LinearTap> linear_taps(int in, int out) {
  std::vector<LinearTap> taps(static_cast<size_t>(out));
  if (in == out) {
    for (int i = 0; i < out; ++i) taps[i] = {i, i, 1.0f, 0.0f};
    return taps;
  }
  const float ratio = static_cast<float>(in) / static_cast<float>(out);
  for (int i = 0; i < out; ++i) {
    double src = static_cast<double>(ratio) * (i + 0.5) - 0.5;
    if (src < 0.0) src = 0.0;
    const int i0 = std::min(static_cast<int>(src), in - 1);
    const float l1 = static_cast<float>(src - i0);
    taps[i] = {i0, std::min(i0 + 1, in - 1), 1.0f - l1, l1};
  }
  return taps;
}

}  // namespace

std::vector<float> upsample_bilinear(const float* src, int h, int w, int oh, int ow) {
  if (src == nullptr || h <= 0 || w <= 0 || oh <= 0 || ow <= 0) return {};
  const std::vector<LinearTap> ty = linear_taps(h, oh);
  const std::vector<LinearTap> tx = linear_taps(w, ow);
  std::vector<float> out(static_cast<size_t>(oh) * ow);
  for (int y = 0; y < oh; ++y) {
    const LinearTap& a = ty[y];
    const float* r0 = src + static_cast<size_t>(a.i0) * w;
    const float* r1 = src + static_cast<size_t>(a.i1) * w;
    float* o = out.data() + static_cast<size_t>(y) * ow;
    for (int x = 0; x < ow; ++x) {
      const LinearTap& b = tx[x];
      // Along x in both rows, then along y. PyTorch's CPU kernel uses fused multiply-adds
      // here, so results agree to about one float ulp rather than bit for bit.
      const float t0 = r0[b.i0] * b.l0 + r0[b.i1] * b.l1;
      const float t1 = r1[b.i0] * b.l0 + r1[b.i1] * b.l1;
      o[x] = t0 * a.l0 + t1 * a.l1;
    }
  }
  return out;
}

MapStats map_stats(const float* v, int n) {
  MapStats s;
  if (v == nullptr || n <= 0) return s;
  s.min = v[0];
  s.max = v[0];
  bool nonzero = false;
  for (int i = 0; i < n; ++i) {
    s.min = std::min(s.min, v[i]);
    s.max = std::max(s.max, v[i]);
    nonzero = nonzero || v[i] != 0.0f;
  }
  if (!nonzero) return MapStats{};
  s.empty = false;
  return s;
}

namespace {

// Largest value of a map (0 for an empty map).
float map_max(const std::vector<float>& m) {
  if (m.empty()) return 0.0f;
  return *std::max_element(m.begin(), m.end());
}

}  // namespace

void divide_map(std::vector<float>& m, float divisor) {
  if (!(divisor > 0.0f) || !std::isfinite(divisor)) {
    std::fill(m.begin(), m.end(), 0.0f);
    return;
  }
  for (float& v : m) v /= divisor;
}

void normalise_maps(std::vector<std::vector<float>*>& maps, Norm norm) {
  switch (norm) {
    case Norm::None: return;
    case Norm::PerMap:
      for (std::vector<float>* m : maps) {
        if (m != nullptr) divide_map(*m, map_max(*m));
      }
      return;
    case Norm::Shared: {
      float shared = 0.0f;
      bool first = true;
      for (const std::vector<float>* m : maps) {
        if (m == nullptr || m->empty()) continue;
        const float mx = map_max(*m);
        shared = first ? mx : std::max(shared, mx);
        first = false;
      }
      for (std::vector<float>* m : maps) {
        if (m != nullptr) divide_map(*m, shared);
      }
      return;
    }
  }
}

void gradient_rgb(const float* g, int c, int h, int w, uint8_t* rgb) {
  const size_t hw = static_cast<size_t>(h) * w, n = hw * c;
  if (n == 0) return;
  double mean = 0.0;
  for (size_t i = 0; i < n; ++i) mean += g[i];
  mean /= n;
  double var = 0.0;
  for (size_t i = 0; i < n; ++i) var += (g[i] - mean) * (g[i] - mean);
  const double sd = std::sqrt(var / n);
  for (size_t p = 0; p < hw; ++p) {
    for (int ch = 0; ch < 3; ++ch) {
      const int src = c >= 3 ? ch : 0;
      double v = (g[src * hw + p] - mean) / (sd + 1e-5) * 0.1 + 0.5;
      v = std::min(std::max(v, 0.0), 1.0);
      rgb[p * 3 + ch] = static_cast<uint8_t>(v * 255.0);
    }
  }
}

std::vector<float> gradient_magnitude(const float* g, int c, int hw) {
  std::vector<float> out(static_cast<size_t>(std::max(hw, 0)), 0.0f);
  for (int ch = 0; ch < c; ++ch)
    for (int p = 0; p < hw; ++p)
      out[p] = std::max(out[p], std::fabs(g[static_cast<size_t>(ch) * hw + p]));
  return out;
}

}  // namespace camscope

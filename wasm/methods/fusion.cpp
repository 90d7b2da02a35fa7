// Multi-layer fusion of maps (see fusion.h).
#include "fusion.h"

#include <algorithm>
#include <cmath>

#include "maps.h"

namespace camscope {

std::vector<float> fuse_maps(const std::vector<std::vector<float>>& maps,
                             const std::vector<Shape>& sizes, int oh, int ow, FuseRule rule) {
  if (maps.empty() || maps.size() != sizes.size() || oh < 1 || ow < 1) return {};
  const size_t n = static_cast<size_t>(oh) * ow;
  std::vector<float> out(n, 0.0f);
  for (size_t i = 0; i < maps.size(); ++i) {
    const Shape s = sizes[i];
    if (s.h < 1 || s.w < 1 || maps[i].size() != s.plane()) return {};
    std::vector<float> m = maps[i];
    const MapStats st = map_stats(m.data(), static_cast<int>(m.size()));
    divide_map(m, st.max);
    if (i + 1 < maps.size())
      for (float& v : m) v = std::tanh(2.0f * v);
    const std::vector<float> up = upsample_bilinear(m.data(), s.h, s.w, oh, ow);
    for (size_t p = 0; p < n; ++p) {
      if (rule == FuseRule::Max)
        out[p] = i == 0 ? up[p] : std::max(out[p], up[p]);
      else
        out[p] += up[p];
    }
  }
  if (rule == FuseRule::Mean)
    for (float& v : out) v /= static_cast<float>(maps.size());
  return out;
}

}  // namespace camscope

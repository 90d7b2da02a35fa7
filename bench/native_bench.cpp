// camscope natively: the same three timings the page bench takes (forward; full analysis;
// class switch from cached activations and gradients), printed as one JSON line with the
// logits and the four maps for cross-checking. Built and run by bench/run.sh:
//   native_bench WEIGHTS.csw PICTURE_224x224.rgba LAYER REPS
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bench_util.h"
#include "colormap.h"
#include "kernels/config.h"
#include "maps.h"
#include "session.h"

using namespace camscope;

namespace {

using bench::now_ms;
using bench::read_file;

struct Stat {
  std::vector<double> t;
  std::string json() const {
    std::vector<double> s = t;
    std::sort(s.begin(), s.end());
    char b[160];
    std::snprintf(b, sizeof b, "{\"median\":%.3f,\"min\":%.3f,\"max\":%.3f,\"n\":%zu}",
                  s[s.size() / 2], s.front(), s.back(), s.size());
    return b;
  }
};

// One map as the page shows it: raw map, upsampled to the picture, normalised, blended.
void render(Session& s, const std::string& method, int layer, int cls, const uint8_t* rgba, int w,
            int h, std::vector<float>* raw) {
  std::vector<float> m = s.cam(method, layer, cls);
  const Shape sh = s.activation(layer).shape;
  std::vector<float> up = upsample_bilinear(m.data(), sh.h, sh.w, h, w);
  std::vector<std::vector<float>*> maps = {&up};
  normalise_maps(maps, Norm::PerMap);
  std::vector<uint8_t> out(static_cast<size_t>(w) * h * 4);
  blend_overlay(rgba, w, h, up.data(), Colormap::Jet, 0.5f, out.data());
  if (raw) *raw = std::move(m);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: native_bench WEIGHTS.csw PICTURE.rgba LAYER REPS\n");
    return 2;
  }
  const std::vector<uint8_t> weights = read_file(argv[1]);
  const std::vector<uint8_t> rgba = read_file(argv[2]);
  const int side = 224;
  if (rgba.size() != static_cast<size_t>(side) * side * 4) {
    std::fprintf(stderr, "picture must be 224x224 RGBA\n");
    return 2;
  }
  const int reps = std::atoi(argv[4]);
  Session s;
  std::string err;
  const double t0 = now_ms();
  if (!s.load_weights(weights.data(), weights.size(), err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  const int layer = s.net().find(argv[3]);
  const int classes = static_cast<int>(s.net().info.classes.size());
  const char* methods[] = {"gradcam", "layercam"};
  std::vector<std::vector<float>> maps;
  // Time to the first map from a loaded weights file (load, forward, backward, one overlay).
  s.set_picture(rgba.data(), side, side, 4, err);
  render(s, "gradcam", layer, s.predicted(), rgba.data(), side, side, nullptr);
  const double first_map = now_ms() - t0;

  auto full = [&](bool keep) {
    s.set_picture(rgba.data(), side, side, 4, err);
    for (int c = 0; c < classes; ++c)
      for (const char* m : methods) {
        std::vector<float> raw;
        render(s, m, layer, c, rgba.data(), side, side, &raw);
        if (keep) maps.push_back(std::move(raw));
      }
    const Tensor& a = s.activation(layer);
    int gw = 0, gh = 0;
    feature_grid(a.data.data(), a.shape.c, a.shape.h, a.shape.w, 16, 1, 1, false, Colormap::Viridis,
                 &gw, &gh);
  };
  full(true);  // warm-up, and the maps to check
  Stat fwd, all, sw;
  for (int r = 0; r < reps; ++r) {
    double t = now_ms();
    s.set_picture(rgba.data(), side, side, 4, err);
    fwd.t.push_back(now_ms() - t);
    t = now_ms();
    full(false);
    all.t.push_back(now_ms() - t);
    // Class switch: gradients of every class are cached by full(); one map re-rendered.
    t = now_ms();
    render(s, "gradcam", layer, r % classes, rgba.data(), side, side, nullptr);
    sw.t.push_back(now_ms() - t);
  }
  // The kernels that ran (CAMSCOPE_KERNELS, CPU detection): the table's row names them.
  std::printf(
      "{\"engine\":\"camscope-native\",\"kernels\":\"%s\",\"forward\":%s,\"full\":%s,"
      "\"switch\":%s,\"first_map_ms\":%.2f,\"logits\":[",
      kernels::config().describe().c_str(), fwd.json().c_str(), all.json().c_str(),
      sw.json().c_str(), first_map);
  for (size_t i = 0; i < s.logits().size(); ++i) std::printf("%s%.7g", i ? "," : "", s.logits()[i]);
  std::printf("],\"maps\":[");
  for (size_t i = 0; i < maps.size(); ++i) {
    std::printf("%s[", i ? "," : "");
    for (size_t j = 0; j < maps[i].size(); ++j) std::printf("%s%.7g", j ? "," : "", maps[i][j]);
    std::printf("]");
  }
  std::printf("]}\n");
  return 0;
}

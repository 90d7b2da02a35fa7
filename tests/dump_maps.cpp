// Writes the native core's results for one picture as JSON, for comparing the WASM build
// with the native one: dump_maps WEIGHTS PICTURE.npy OUT.json
// (logits, probabilities, and every CAM of every spatial layer from index 3 on).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "npy.h"
#include "session.h"

namespace {

void put_array(FILE* f, const float* v, size_t n) {
  std::fputc('[', f);
  for (size_t i = 0; i < n; ++i) std::fprintf(f, "%s%.9g", i ? "," : "", static_cast<double>(v[i]));
  std::fputc(']', f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: dump_maps WEIGHTS PICTURE.npy OUT.json\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  camscope::Session s;
  std::string err;
  if (!s.load_weights(bytes.data(), bytes.size(), err)) {
    std::fprintf(stderr, "dump_maps: %s: %s\n", argv[1], err.c_str());
    return 1;
  }
  camscope::NpyArray pic;
  if (!camscope::read_npy(argv[2], pic, err) || pic.shape.size() != 3 || pic.shape[2] != 3) {
    std::fprintf(stderr, "dump_maps: %s: %s\n", argv[2],
                 err.empty() ? "need an (H, W, 3) array" : err.c_str());
    return 1;
  }
  const std::vector<uint8_t> px(pic.data.begin(), pic.data.end());
  if (!s.set_picture(px.data(), pic.shape[1], pic.shape[0], 3, err)) {
    std::fprintf(stderr, "dump_maps: %s\n", err.c_str());
    return 1;
  }
  FILE* f = std::fopen(argv[3], "w");
  if (!f) return 1;
  std::fprintf(f, "{\"logits\":");
  put_array(f, s.logits().data(), s.logits().size());
  std::fprintf(f, ",\"probabilities\":");
  const std::vector<float> p = s.probabilities();
  put_array(f, p.data(), p.size());
  std::fprintf(f, ",\"maps\":[");
  bool first = true;
  for (size_t i = 3; i < s.net().nodes.size(); ++i) {
    if (s.activation(static_cast<int>(i)).shape.plane() <= 1) continue;
    for (const camscope::Method& m : camscope::methods()) {
      if (m.kind != camscope::MethodKind::Layer) continue;  // every layer method, both builds
      for (size_t c = 0; c < s.logits().size(); ++c) {
        const std::vector<float> map = s.cam(m.name, static_cast<int>(i), static_cast<int>(c));
        std::fprintf(f, "%s{\"layer\":%zu,\"method\":\"%s\",\"class\":%zu,\"values\":",
                     first ? "" : ",", i, m.name, c);
        put_array(f, map.data(), map.size());
        std::fputc('}', f);
        first = false;
      }
    }
  }
  std::fprintf(f, "]}\n");
  std::fclose(f);
  return 0;
}

// Batched throughput: pictures per second of Model::forward_batch at N = 1, 8, 32 (logits only,
// activations not kept: what Score-CAM, SmoothGrad and the deletion curves run) against the
// page's single forward (Session::set_picture: preprocessing and kept activations), timed
// interleaved, medians. The same source natively (g++) and in WebAssembly (em++, Node), built
// and run by bench/run_batch.sh. Checks that every batch's logits equal the single forward's
// bit for bit before its time counts.
//   batch_bench WEIGHTS.csw PICTURE_224x224.rgba ROUNDS
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bench_util.h"
#include "preprocess.h"
#include "session.h"

using namespace camscope;

namespace {

using bench::now_ms;
using bench::read_file;

double median(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: batch_bench WEIGHTS.csw PICTURE.rgba ROUNDS\n");
    return 2;
  }
  const std::vector<uint8_t> weights = read_file(argv[1]);
  const std::vector<uint8_t> rgba = read_file(argv[2]);
  const int side = 224, rounds = std::max(1, std::atoi(argv[3]));
  if (rgba.size() != static_cast<size_t>(side) * side * 4) {
    std::fprintf(stderr, "picture must be 224x224 RGBA\n");
    return 2;
  }
  Session s;
  std::string err;
  if (!s.load_weights(weights.data(), weights.size(), err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  const Tensor x = preprocess(rgba.data(), side, side, 4, s.net().info);
  const Model& model = *s.model();
  const int classes = static_cast<int>(s.net().info.classes.size());
  s.set_picture(rgba.data(), side, side, 4, err);
  const std::vector<float> single(s.logits().begin(), s.logits().end());

  const int sizes[] = {1, 8, 32};
  std::vector<std::vector<float>> inputs;
  for (int n : sizes) {
    std::vector<float> in;
    for (int i = 0; i < n; ++i) in.insert(in.end(), x.data.begin(), x.data.end());
    inputs.push_back(std::move(in));
  }
  ops::Workspace ws;
  // Bit-identical logits first (and a warm-up of every size).
  for (size_t k = 0; k < inputs.size(); ++k) {
    std::vector<float> logits;
    if (!model.forward_batch(inputs[k].data(), x.shape, sizes[k], logits, ws, &err)) {
      std::fprintf(stderr, "forward_batch: %s\n", err.c_str());
      return 1;
    }
    for (int i = 0; i < sizes[k]; ++i)
      for (int c = 0; c < classes; ++c)
        if (logits[static_cast<size_t>(i) * classes + c] != single[c]) {
          std::fprintf(stderr, "N=%d: picture %d's logit %d differs from the single forward's\n",
                       sizes[k], i, c);
          return 1;
        }
  }
  std::vector<double> t_single;
  std::vector<std::vector<double>> t_batch(inputs.size());
  for (int r = 0; r < rounds; ++r) {
    double t = now_ms();
    s.set_picture(rgba.data(), side, side, 4, err);
    t_single.push_back(now_ms() - t);
    for (size_t k = 0; k < inputs.size(); ++k) {
      std::vector<float> logits;
      t = now_ms();
      model.forward_batch(inputs[k].data(), x.shape, sizes[k], logits, ws, &err);
      t_batch[k].push_back((now_ms() - t) / sizes[k]);
    }
  }
  const double single_ms = median(t_single), base = median(t_batch[0]);
  std::printf("single forward (set_picture, activations kept): %.1f ms = %.1f pictures/s\n",
              single_ms, 1000.0 / single_ms);
  std::printf("JSON {\"single_ms\":%.3f", single_ms);
  for (size_t k = 0; k < inputs.size(); ++k)
    std::printf(",\"batch%d_ms\":%.3f", sizes[k], median(t_batch[k]));
  std::printf("}\n");
  for (size_t k = 0; k < inputs.size(); ++k) {
    const double per = median(t_batch[k]);
    std::printf(
        "forward_batch N=%d: %.1f ms per picture = %.1f pictures/s (%.2fx N=1, %.2fx single)\n",
        sizes[k], per, 1000.0 / per, base / per, single_ms / per);
  }
  return 0;
}

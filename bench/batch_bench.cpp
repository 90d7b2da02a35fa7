// Batched throughput: pictures per second of Model::forward_batch at N = 1, 8, 32 (logits only,
// activations not kept: what Score-CAM, SmoothGrad and the deletion curves run) against the
// page's single forward (Session::set_picture: preprocessing and kept activations), timed
// interleaved, medians. The same source natively (g++) and in WebAssembly (em++, Node), built
// and run by bench/run_batch.sh. Checks that every batch's logits equal the single forward's
// bit for bit before its time counts. Built with CAMSCOPE_THREADS (bench/run_batch.sh --threads)
// it times one thread and the pool's default interleaved: a batch then spreads its pictures
// over the threads.
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
#include "kernels/threadpool.h"
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
  // Thread counts timed: 1, and in threaded builds (CAMSCOPE_THREADS) also the pool's
  // default (one per core, at most kMaxThreads), interleaved round by round.
  std::vector<int> thread_counts = {1};
#if defined(CAMSCOPE_THREADS)
  if (kernels::set_num_threads(0) > 1) thread_counts.push_back(kernels::num_threads());
#endif
  // Bit-identical logits first, with every thread count (and a warm-up of every size).
  for (int t : thread_counts) {
#if defined(CAMSCOPE_THREADS)
    kernels::set_num_threads(t);
#endif
    for (size_t k = 0; k < inputs.size(); ++k) {
      std::vector<float> logits;
      if (!model.forward_batch(inputs[k].data(), x.shape, sizes[k], logits, ws, &err)) {
        std::fprintf(stderr, "forward_batch: %s\n", err.c_str());
        return 1;
      }
      for (int i = 0; i < sizes[k]; ++i)
        for (int c = 0; c < classes; ++c)
          if (logits[static_cast<size_t>(i) * classes + c] != single[c]) {
            std::fprintf(stderr,
                         "%d thread%s, N=%d: picture %d's logit %d differs from the single "
                         "forward's\n",
                         t, t > 1 ? "s" : "", sizes[k], i, c);
            return 1;
          }
    }
  }
  const size_t nt = thread_counts.size();
  std::vector<std::vector<double>> t_single(nt);
  std::vector<std::vector<std::vector<double>>> t_batch(
      nt, std::vector<std::vector<double>>(inputs.size()));
  for (int r = 0; r < rounds; ++r) {
    for (size_t ti = 0; ti < nt; ++ti) {
#if defined(CAMSCOPE_THREADS)
      kernels::set_num_threads(thread_counts[ti]);
#endif
      double t = now_ms();
      s.set_picture(rgba.data(), side, side, 4, err);
      t_single[ti].push_back(now_ms() - t);
      for (size_t k = 0; k < inputs.size(); ++k) {
        std::vector<float> logits;
        t = now_ms();
        model.forward_batch(inputs[k].data(), x.shape, sizes[k], logits, ws, &err);
        t_batch[ti][k].push_back((now_ms() - t) / sizes[k]);
      }
    }
  }
  // Everything is compared with one thread's single forward, the page's default.
  const double single_ms = median(t_single[0]);
  std::printf("JSON {\"single_ms\":%.3f", single_ms);
  for (size_t ti = 0; ti < nt; ++ti) {
    const char* tag = ti == 0 ? "" : "_mt";
    if (ti > 0)
      std::printf(",\"threads\":%d,\"single_mt_ms\":%.3f", thread_counts[ti], median(t_single[ti]));
    for (size_t k = 0; k < inputs.size(); ++k)
      std::printf(",\"batch%d%s_ms\":%.3f", sizes[k], tag, median(t_batch[ti][k]));
  }
  std::printf("}\n");
  for (size_t ti = 0; ti < nt; ++ti) {
    const int t = thread_counts[ti];
    const double single_t = median(t_single[ti]), base = median(t_batch[ti][0]);
    std::printf(
        "%d thread%s: single forward (set_picture, activations kept): %.1f ms = %.1f "
        "pictures/s\n",
        t, t > 1 ? "s" : "", single_t, 1000.0 / single_t);
    for (size_t k = 0; k < inputs.size(); ++k) {
      const double per = median(t_batch[ti][k]);
      std::printf(
          "%d thread%s: forward_batch N=%d: %.1f ms per picture = %.1f pictures/s (%.2fx "
          "N=1, %.2fx single at this count, %.2fx single on 1 thread)\n",
          t, t > 1 ? "s" : "", sizes[k], per, 1000.0 / per, base / per, single_t / per,
          single_ms / per);
    }
  }
  return 0;
}

// Per-layer micro-benchmark of the conv/linear compute paths: the old path (im2col, then
// Eigen's GEMM) against the packed kernels (im2col written straight into panels, then the
// 4x8 micro-kernel), for AlexNet's layers at 224x224. Prints GFLOP/s per layer, and the
// share of the packed path spent in im2col+packing.
// Built natively and with Emscripten by bench/run.sh (see README "Performance").
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/winograd.h"

using namespace camscope::kernels;
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void im2col(const float* x, int c, int h, int w, int k, int s, int p, int oh, int ow, float* col) {
  const int ohw = oh * ow;
  for (int ch = 0; ch < c; ++ch)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) {
        float* row = col + (static_cast<size_t>(ch) * k * k + ky * k + kx) * ohw;
        for (int oy = 0; oy < oh; ++oy) {
          const int iy = oy * s - p + ky;
          for (int ox = 0; ox < ow; ++ox) {
            const int ix = ox * s - p + kx;
            row[oy * ow + ox] = (iy >= 0 && iy < h && ix >= 0 && ix < w)
                                    ? x[(static_cast<size_t>(ch) * h + iy) * w + ix]
                                    : 0.0f;
          }
        }
      }
}

struct Conv {
  const char* name;
  int cin, cout, k, s, p, in;
};

template <class F>
double median_ms(F&& f, int reps) {
  f();  // warm-up
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const double t0 = now_ms();
    f();
    t.push_back(now_ms() - t0);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 7;
  const Conv convs[] = {{"conv1 3->64 k11 s4", 3, 64, 11, 4, 2, 224},
                        {"conv2 64->192 k5", 64, 192, 5, 1, 2, 27},
                        {"conv3 192->384 k3", 192, 384, 3, 1, 1, 13},
                        {"conv4 384->256 k3", 384, 256, 3, 1, 1, 13},
                        {"conv5 256->256 k3", 256, 256, 3, 1, 1, 13}};
  std::printf("kernels=%s reps=%d\n", config().describe().c_str(), reps);
  std::printf(
      "| layer | MFLOP | old (im2col+Eigen) ms | GFLOP/s | packed ms | GFLOP/s | im2col+pack share "
      "| Winograd F(2x2,3x3) ms | effective GFLOP/s |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  double tot_old = 0, tot_new = 0, tot_flop = 0, tot_best = 0;
  std::string json = "[";
  for (const Conv& c : convs) {
    const int o = (c.in + 2 * c.p - c.k) / c.s + 1, n = o * o, kk = c.cin * c.k * c.k;
    std::vector<float> x(static_cast<size_t>(c.cin) * c.in * c.in),
        w(static_cast<size_t>(c.cout) * kk);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = static_cast<float>((i * 7919) % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < w.size(); ++i)
      w[i] = static_cast<float>((i * 104729) % 1000) / 1000.0f - 0.5f;
    std::vector<float> col(static_cast<size_t>(kk) * n), y(static_cast<size_t>(c.cout) * n);
    const double t_old = median_ms(
        [&] {
          im2col(x.data(), c.cin, c.in, c.in, c.k, c.s, c.p, o, o, col.data());
          Eigen::Map<RowMat>(y.data(), c.cout, n).noalias() =
              Eigen::Map<const RowMat>(w.data(), c.cout, kk) *
              Eigen::Map<const RowMat>(col.data(), kk, n);
        },
        reps);
    std::vector<float> ap(packed_a_size(c.cout, kk)), bp(packed_b_size(kk, n));
    pack_a(c.cout, kk, w.data(), kk, 1, ap.data());
    const double t_pack = median_ms(
        [&] { im2col_pack_b(x.data(), c.cin, c.in, c.in, c.k, c.s, c.p, o, o, bp.data()); }, reps);
    const double t_new = median_ms(
        [&] {
          im2col_pack_b(x.data(), c.cin, c.in, c.in, c.k, c.s, c.p, o, o, bp.data());
          gemm(c.cout, n, kk, ap.data(), bp.data(), y.data(), n);
        },
        reps);
    const double flop = 2.0 * c.cout * kk * n;
    // Winograd F(2x2,3x3) (3x3, stride 1, pad 1 only): "effective" GFLOP/s counts the direct
    // convolution's FLOPs, so it compares with the columns before it.
    double t_wino = 0;
    if (c.k == 3 && c.s == 1 && c.p == 1) {
      std::vector<float> u(winograd_weight_size(c.cout, c.cin));
      winograd_pack_weights(c.cout, c.cin, w.data(), c.cin * 9, 9, 3, 1, u.data());
      std::vector<float> scr(winograd_scratch_size(c.cin, c.cout, c.in, c.in));
      t_wino = median_ms(
          [&] {
            winograd_conv3x3(c.cin, c.cout, c.in, c.in, x.data(), u.data(), y.data(), scr.data());
          },
          reps);
    }
    const double t_best = t_wino > 0 ? std::min(t_new, t_wino) : t_new;
    tot_old += t_old, tot_new += t_new, tot_flop += flop, tot_best += t_best;
    char wcol[64] = "| – | –";
    if (t_wino > 0) std::snprintf(wcol, sizeof wcol, "| %.2f | %.1f", t_wino, flop / t_wino / 1e6);
    std::printf("| %s | %.0f | %.2f | %.1f | %.2f | %.1f | %.0f%% %s |\n", c.name, flop / 1e6,
                t_old, flop / t_old / 1e6, t_new, flop / t_new / 1e6, 100.0 * t_pack / t_new, wcol);
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "%s{\"layer\":\"%s\",\"old_ms\":%.3f,\"new_ms\":%.3f,\"old_gflops\":%.2f,\"new_"
                  "gflops\":%.2f,\"winograd_ms\":%.3f}",
                  json.size() > 1 ? "," : "", c.name, t_old, t_new, flop / t_old / 1e6,
                  flop / t_new / 1e6, t_wino);
    json += buf;
  }
  std::printf("| all convs | %.0f | %.2f | %.1f | %.2f | %.1f | | best per layer: %.2f | %.1f |\n",
              tot_flop / 1e6, tot_old, tot_flop / tot_old / 1e6, tot_new, tot_flop / tot_new / 1e6,
              tot_best, tot_flop / tot_best / 1e6);
  // Linear layers: the shipped head and torchvision's (matrix-vector, memory bound).
  const int lin[][2] = {{9216, 128}, {9216, 4096}, {4096, 4096}};
  for (const auto& l : lin) {
    std::vector<float> w(static_cast<size_t>(l[0]) * l[1], 0.01f), x(l[0], 0.5f), y(l[1]);
    const double t_old = median_ms(
        [&] {
          Eigen::Map<Eigen::VectorXf>(y.data(), l[1]).noalias() =
              Eigen::Map<const RowMat>(w.data(), l[1], l[0]) *
              Eigen::Map<const Eigen::VectorXf>(x.data(), l[0]);
        },
        reps);
    const double t_new =
        median_ms([&] { gemv(l[1], l[0], w.data(), l[0], x.data(), y.data()); }, reps);
    const double flop = 2.0 * l[0] * l[1];
    std::printf("| linear %d->%d | %.0f | %.2f | %.1f | %.2f | %.1f | | | |\n", l[0], l[1],
                flop / 1e6, t_old, flop / t_old / 1e6, t_new, flop / t_new / 1e6);
  }
  std::printf("JSON %s]\n", json.c_str());
  return 0;
}

// The kernel table's entries side by side (exact vs fast class), natively: AlexNet's conv
// layers at 224x224 on the path the plan takes (im2col + GEMM for conv1-2, Winograd for
// conv3-5, also im2col + GEMM for them), the GEMVs, and whole forwards of .csw files per
// class. Every measurement round runs each variant once, in turn (interleaved), and the
// times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) as well as wall time: on a
// shared machine the CPU time does not count the time other processes hold the core.
//   cmake --build build --target kernels_bench
//   build/kernels_bench [--reps N] [--layers] [--forward WEIGHTS.csw ...] [--only exact|fast]
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/winograd.h"
#include "session.h"

using namespace camscope;
using namespace camscope::kernels;

namespace {

double clock_ms(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

// Median (and min) of CPU and wall times of one variant.
struct Times {
  std::vector<double> cpu, wall;
  template <class F>
  void run(F&& f) {
    const double c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID), w0 = clock_ms(CLOCK_MONOTONIC);
    f();
    wall.push_back(clock_ms(CLOCK_MONOTONIC) - w0);
    cpu.push_back(clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0);
  }
  static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }
  double cpu_med() const { return median(cpu); }
  double cpu_min() const { return *std::min_element(cpu.begin(), cpu.end()); }
  double wall_med() const { return median(wall); }
};

std::vector<float> values(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>((i * 7919 + seed) % 1000) / 1000 - 0.5f;
  return v;
}

struct Conv {
  const char* name;
  int cin, cout, k, s, p, in;
};

// One conv on one GEMM kernel: its packed operands and scratch.
struct ConvRun {
  const GemmKernel* uk;
  std::vector<float> a, b, y, u, scratch, scratch_c;
};

void bench_layers(int reps) {
  const Conv convs[] = {{"conv1 3->64 k11 s4", 3, 64, 11, 4, 2, 224},
                        {"conv2 64->192 k5", 64, 192, 5, 1, 2, 27},
                        {"conv3 192->384 k3", 192, 384, 3, 1, 1, 13},
                        {"conv4 384->256 k3", 384, 256, 3, 1, 1, 13},
                        {"conv5 256->256 k3", 256, 256, 3, 1, 1, 13}};
  std::vector<const GemmKernel*> uks;
  for (const GemmKernel& k : gemm_kernels())
    if (k.available() && std::string(k.isa) != "scalar") uks.push_back(&k);
  std::printf(
      "| layer | MFLOP | kernel | im2col, GEMM ms | GFLOP/s | conv_gemm ms | GFLOP/s | Winograd ms "
      "| effective GFLOP/s |\n| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  std::vector<double> total(uks.size(), 0.0);
  for (const Conv& c : convs) {
    const int o = (c.in + 2 * c.p - c.k) / c.s + 1, n = o * o, kk = c.cin * c.k * c.k;
    const bool wino = c.k == 3 && c.s == 1 && c.p == 1;
    const std::vector<float> x = values(static_cast<size_t>(c.cin) * c.in * c.in, 1);
    const std::vector<float> w = values(static_cast<size_t>(c.cout) * kk, 2);
    std::vector<ConvRun> runs;
    for (const GemmKernel* uk : uks) {
      ConvRun r{uk, {}, {}, {}, {}, {}, {}};
      r.a.resize(packed_a_size(c.cout, kk, uk));
      pack_a(c.cout, kk, w.data(), kk, 1, r.a.data(), uk);
      r.b.resize(packed_b_size(kk, n, uk));
      r.y.resize(static_cast<size_t>(c.cout) * n);
      if (wino) {
        r.u.resize(winograd_weight_size(c.cout, c.cin, uk));
        winograd_pack_weights(c.cout, c.cin, w.data(), c.cin * 9, 9, 3, 1, r.u.data(), uk);
        r.scratch.resize(winograd_scratch_size(c.cin, c.cout, c.in, c.in, uk));
      }
      runs.push_back(std::move(r));
    }
    std::vector<Times> t_gemm(runs.size()), t_fused(runs.size()), t_wino(runs.size());
    ConvGeom geom;
    geom.c = c.cin, geom.h = geom.w = c.in, geom.kh = geom.kw = c.k, geom.sh = geom.sw = c.s;
    geom.pt = geom.pl = c.p, geom.oh = geom.ow = o;
    for (ConvRun& r : runs) r.scratch_c.resize(conv_gemm_scratch_size(geom));
    for (int rep = -1; rep < reps; ++rep) {  // rep -1: warm-up, not kept
      for (size_t i = 0; i < runs.size(); ++i) {
        ConvRun& r = runs[i];
        Times t;
        t.run([&] {
          im2col_pack_b(x.data(), c.cin, c.in, c.in, c.k, c.s, c.p, o, o, r.b.data(), r.uk);
          gemm(c.cout, n, kk, r.a.data(), r.b.data(), r.y.data(), n, r.uk);
        });
        if (rep >= 0) t_gemm[i].cpu.push_back(t.cpu[0]), t_gemm[i].wall.push_back(t.wall[0]);
        Times tf;
        tf.run([&] {
          conv_gemm(c.cout, geom, x.data(), r.a.data(), r.y.data(), n, r.scratch_c.data(), r.uk);
        });
        if (rep >= 0) t_fused[i].cpu.push_back(tf.cpu[0]), t_fused[i].wall.push_back(tf.wall[0]);
        if (!wino) continue;
        Times tw;
        tw.run([&] {
          winograd_conv3x3(c.cin, c.cout, c.in, c.in, x.data(), r.u.data(), r.y.data(),
                           r.scratch.data(), r.uk);
        });
        if (rep >= 0) t_wino[i].cpu.push_back(tw.cpu[0]), t_wino[i].wall.push_back(tw.wall[0]);
      }
    }
    const double flop = 2.0 * c.cout * kk * n;
    for (size_t i = 0; i < runs.size(); ++i) {
      const double g = t_gemm[i].cpu_med(), f = t_fused[i].cpu_med();
      double used = f;
      char wcol[64] = "| – | –";
      if (wino) {
        const double wt = t_wino[i].cpu_med();
        used = wt;
        std::snprintf(wcol, sizeof wcol, "| %.2f | %.1f", wt, flop / wt / 1e6);
      }
      total[i] += used;
      std::printf("| %s | %.0f | %s | %.2f | %.1f | %.2f | %.1f %s |\n", c.name, flop / 1e6,
                  runs[i].uk->name, g, flop / g / 1e6, f, flop / f / 1e6, wcol);
    }
  }
  for (size_t i = 0; i < uks.size(); ++i)
    std::printf("| all convs, as the plan runs them | 1311 | %s | | | | | %.2f | %.1f |\n",
                uks[i]->name, total[i], 1311.0 / total[i]);

  // GEMVs: the shipped head (int8), torchvision's first head layer (int8 as shipped, and f32).
  struct Lin {
    int k, m;
    bool q8;
  };
  std::printf("\n| linear | kernel | ms (CPU, median) | GFLOP/s |\n| --- | --- | ---: | ---: |\n");
  for (const Lin& l : {Lin{9216, 128, true}, Lin{9216, 4096, true}, Lin{4096, 4096, true},
                       Lin{9216, 4096, false}}) {
    const std::vector<float> w = values(static_cast<size_t>(l.k) * l.m, 3), x = values(l.k, 4);
    std::vector<int8_t> q(w.size());
    for (size_t i = 0; i < w.size(); ++i) q[i] = static_cast<int8_t>(w[i] * 250);
    const std::vector<float> scale(l.m, 0.01f);
    std::vector<float> y(l.m);
    std::vector<std::string> names;
    std::vector<Times> ts;
    std::vector<std::function<void()>> fns;
    if (l.q8) {
      for (const Qs8GemvKernel& k : qs8_gemv_kernels())
        if (k.available() && std::string(k.isa) != "scalar") {
          names.push_back(k.name);
          fns.push_back([&, kp = &k] {
            gemv_qs8(l.m, l.k, q.data(), scale.data(), l.k, x.data(), y.data(), kp);
          });
        }
    } else {
      for (const GemvKernel& k : gemv_kernels())
        if (k.available() && std::string(k.isa) != "scalar") {
          names.push_back(k.name);
          fns.push_back([&, kp = &k] { gemv(l.m, l.k, w.data(), l.k, x.data(), y.data(), kp); });
        }
    }
    ts.resize(fns.size());
    for (int rep = -1; rep < reps; ++rep)
      for (size_t i = 0; i < fns.size(); ++i) {
        Times t;
        t.run(fns[i]);
        if (rep >= 0) ts[i].cpu.push_back(t.cpu[0]), ts[i].wall.push_back(t.wall[0]);
      }
    for (size_t i = 0; i < fns.size(); ++i)
      std::printf("| %d->%d %s | %s | %.3f | %.1f |\n", l.k, l.m, l.q8 ? "int8" : "f32",
                  names[i].c_str(), ts[i].cpu_med(), 2.0 * l.k * l.m / ts[i].cpu_med() / 1e6);
  }
}

std::vector<uint8_t> read_file(const char* path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

// Whole forwards (RGBA picture to logits, as native_bench's "forward") per class,
// interleaved; the logits' largest difference between the classes.
void bench_forward(const char* path, int reps, int only) {
  const std::vector<uint8_t> bytes = read_file(path);
  const int side = 224;
  std::vector<uint8_t> rgba(static_cast<size_t>(side) * side * 4);
  for (size_t i = 0; i < rgba.size(); ++i) rgba[i] = static_cast<uint8_t>((i * 2654435761u) >> 24);
  const Exactness classes[] = {Exactness::Exact, Exactness::Fast};
  Session sessions[2];
  std::string err;
  for (int c = 0; c < 2; ++c) {
    select(classes[c]);  // the plan packs for the active kernel
    if (!sessions[c].load_weights(bytes.data(), bytes.size(), err)) {
      std::fprintf(stderr, "%s: %s\n", path, err.c_str());
      std::exit(1);
    }
  }
  Times t[2];
  for (int rep = -2; rep < reps; ++rep)
    for (int c = 0; c < 2; ++c) {
      if (only >= 0 && c != only) continue;
      select(classes[c]);  // the GEMVs use the active one
      Times one;
      one.run([&] { sessions[c].set_picture(rgba.data(), side, side, 4, err); });
      if (rep >= 0) t[c].cpu.push_back(one.cpu[0]), t[c].wall.push_back(one.wall[0]);
    }
  double diff = 0, scale = 1e-30;
  for (size_t i = 0; i < sessions[0].logits().size(); ++i) {
    diff = std::max(
        diff, static_cast<double>(std::fabs(sessions[0].logits()[i] - sessions[1].logits()[i])));
    scale = std::max(scale, static_cast<double>(std::fabs(sessions[0].logits()[i])));
  }
  if (only >= 0) {
    std::printf("forward %s %s: CPU median %.2f ms (min %.2f), wall median %.2f ms, n=%d\n", path,
                class_name(classes[only]), t[only].cpu_med(), t[only].cpu_min(), t[only].wall_med(),
                reps);
    return;
  }
  for (int c = 0; c < 2; ++c)
    std::printf("forward %s %s: CPU median %.2f ms (min %.2f), wall median %.2f ms, n=%d  [%s]\n",
                path, class_name(classes[c]), t[c].cpu_med(), t[c].cpu_min(), t[c].wall_med(), reps,
                config_for(classes[c]).describe().c_str());
  std::printf(
      "forward %s: fast / exact (CPU medians) %.3f; logits max |fast - exact| / max |exact| "
      "%.2e\n",
      path, t[1].cpu_med() / t[0].cpu_med(), diff / scale);
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 15;
  bool layers = false;
  int only = -1;  // both classes
  std::vector<const char*> forwards;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--reps") && i + 1 < argc)
      reps = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc)
      only = std::strcmp(argv[++i], "exact") == 0 ? 0 : 1;
    else if (!std::strcmp(argv[i], "--layers"))
      layers = true;
    else if (!std::strcmp(argv[i], "--forward") && i + 1 < argc)
      forwards.push_back(argv[++i]);
    else {
      std::fprintf(stderr,
                   "usage: kernels_bench [--reps N] [--layers] [--forward WEIGHTS.csw]... [--only "
                   "exact|fast]\n");
      return 2;
    }
  }
  std::printf("kernels_bench: reps=%d; exact: %s; fast: %s\n", reps,
              config_for(Exactness::Exact).describe().c_str(),
              config_for(Exactness::Fast).describe().c_str());
  if (layers || forwards.empty()) bench_layers(reps);
  for (const char* f : forwards) bench_forward(f, reps, only);
  return 0;
}

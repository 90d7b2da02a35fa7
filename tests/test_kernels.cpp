// The GEMM/GEMV kernels (wasm/kernels/) against naive loops: every kernel of the table this
// CPU runs, odd sizes (M, N, K not multiples of the tile, ones, K across several K blocks).
// Exact-class kernels must also agree bit for bit; fast ones to 1e-5.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/threadpool.h"
#include "kernels/winograd.h"

namespace camscope {
namespace kernels {
namespace {

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 1;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(static_cast<int>(s >> 9) - (1 << 22)) / static_cast<float>(1 << 22);
  }
  return v;
}

// max |a - b| / max(1, max |b|).
double rel_error(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 1;
  for (size_t i = 0; i < b.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
  }
  return diff / scale;
}

// Every kernel of a table this CPU runs.
template <class K>
std::vector<const K*> runnable(const std::vector<K>& table) {
  std::vector<const K*> v;
  for (const K& k : table)
    if (k.available()) v.push_back(&k);
  return v;
}
std::vector<const GemmKernel*> gemm_variants() {
  return runnable(gemm_kernels());
}
std::vector<const GemvKernel*> gemv_variants() {
  return runnable(gemv_kernels());
}

// The scalar exact kernel of a table (the reference every exact variant equals bit for bit).
template <class K>
const K* scalar_of(const std::vector<K>& table) {
  for (const K& k : table)
    if (std::string(k.isa) == "scalar") return &k;
  return nullptr;
}

bool exact(const GemmKernel* k) {
  return k->cls == Exactness::Exact;
}

struct Size {
  int m, n, k;
};
const Size kSizes[] = {{1, 1, 1},     {1, 9, 3},     {4, 8, 1},     {5, 7, 13},   {3, 17, 256},
                       {9, 8, 257},   {13, 33, 600}, {64, 29, 363}, {6, 1, 1000}, {8, 16, 4},
                       {12, 32, 300}, {8, 48, 70},   {7, 21, 2100}};

TEST(Kernels, GemmMatchesNaiveLoopInEveryVariant) {
  for (const Size& s : kSizes) {
    const std::vector<float> a = random_values(static_cast<size_t>(s.m) * s.k, s.m + 7 * s.k);
    const std::vector<float> b = random_values(static_cast<size_t>(s.k) * s.n, s.n + 3 * s.k);
    std::vector<float> ref(static_cast<size_t>(s.m) * s.n);
    for (int i = 0; i < s.m; ++i)
      for (int j = 0; j < s.n; ++j) {
        double acc = 0;
        for (int p = 0; p < s.k; ++p) acc += static_cast<double>(a[i * s.k + p]) * b[p * s.n + j];
        ref[i * s.n + j] = static_cast<float>(acc);
      }
    std::vector<float> first;
    for (const GemmKernel* v : gemm_variants()) {
      std::vector<float> ap(packed_a_size(s.m, s.k, v)), bp(packed_b_size(s.k, s.n, v));
      pack_a(s.m, s.k, a.data(), s.k, 1, ap.data(), v);
      pack_b(s.k, s.n, b.data(), s.n, bp.data(), v);
      // C with a wider row stride, its margin must stay untouched.
      const int ldc = s.n + 3;
      std::vector<float> c(static_cast<size_t>(s.m) * ldc, 42.0f);
      gemm(s.m, s.n, s.k, ap.data(), bp.data(), c.data(), ldc, v);
      std::vector<float> got(static_cast<size_t>(s.m) * s.n);
      for (int i = 0; i < s.m; ++i)
        for (int j = 0; j < ldc; ++j) {
          if (j < s.n)
            got[i * s.n + j] = c[i * ldc + j];
          else
            EXPECT_EQ(c[i * ldc + j], 42.0f) << v->name << " wrote past N";
        }
      EXPECT_LT(rel_error(got, ref), 1e-5) << v->name << " " << s.m << "x" << s.n << "x" << s.k;
      // Every exact variant rounds exactly alike (the scalar one, last in the table, too).
      if (!exact(v)) continue;
      if (first.empty())
        first = got;
      else
        EXPECT_EQ(got, first) << v->name << " differs from the first exact kernel at " << s.m << "x"
                              << s.n << "x" << s.k;
    }
  }
}

TEST(Kernels, PackATransposedMatchesTranspose) {
  const int m = 7, k = 5;
  const std::vector<float> w = random_values(static_cast<size_t>(m) * k, 1);  // k x m source
  std::vector<float> t(static_cast<size_t>(m) * k);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < k; ++j) t[i * k + j] = w[j * m + i];
  for (const GemmKernel* v : gemm_variants()) {
    std::vector<float> p1(packed_a_size(m, k, v)), p2(packed_a_size(m, k, v));
    pack_a(m, k, t.data(), k, 1, p1.data(), v);
    pack_a(m, k, w.data(), 1, m, p2.data(), v);
    EXPECT_EQ(p1, p2) << v->name;
    // Panels of MR rows, k-major, zero rows past M.
    const int mr = v->mr;
    for (int i = 0; i < (m + mr - 1) / mr * mr; ++i)
      for (int j = 0; j < k; ++j)
        EXPECT_EQ(p1[(i / mr) * k * mr + j * mr + i % mr], i < m ? t[i * k + j] : 0.0f)
            << v->name << " " << i << "," << j;
  }
}

TEST(Kernels, Im2colPackMatchesIm2colThenPack) {
  struct Case {
    int c, h, w, ks, stride, pad;
  };
  for (const Case& cs : {Case{3, 11, 9, 3, 1, 1}, Case{2, 23, 23, 11, 4, 2}, Case{1, 5, 7, 5, 2, 2},
                         Case{4, 6, 6, 1, 1, 0}, Case{2, 4, 3, 3, 1, 0}, Case{1, 3, 3, 7, 4, 2},
                         Case{2, 3, 4, 7, 1, 2}, Case{1, 9, 10, 3, 2, 0}, Case{1, 1, 1, 3, 1, 1}}) {
    const int oh = (cs.h + 2 * cs.pad - cs.ks) / cs.stride + 1;
    const int ow = (cs.w + 2 * cs.pad - cs.ks) / cs.stride + 1;
    const int kk = cs.c * cs.ks * cs.ks, n = oh * ow;
    const std::vector<float> x = random_values(static_cast<size_t>(cs.c) * cs.h * cs.w, cs.h);
    std::vector<float> col(static_cast<size_t>(kk) * n);
    for (int ch = 0; ch < cs.c; ++ch)
      for (int ky = 0; ky < cs.ks; ++ky)
        for (int kx = 0; kx < cs.ks; ++kx)
          for (int oy = 0; oy < oh; ++oy)
            for (int ox = 0; ox < ow; ++ox) {
              const int iy = oy * cs.stride - cs.pad + ky, ix = ox * cs.stride - cs.pad + kx;
              const bool in = iy >= 0 && iy < cs.h && ix >= 0 && ix < cs.w;
              col[((ch * cs.ks + ky) * cs.ks + kx) * n + oy * ow + ox] =
                  in ? x[(ch * cs.h + iy) * cs.w + ix] : 0.0f;
            }
    for (const GemmKernel* v : gemm_variants()) {  // every tile width
      std::vector<float> want(packed_b_size(kk, n, v)), got(packed_b_size(kk, n, v), 99.0f);
      pack_b(kk, n, col.data(), n, want.data(), v);
      im2col_pack_b(x.data(), cs.c, cs.h, cs.w, cs.ks, cs.stride, cs.pad, oh, ow, got.data(), v);
      EXPECT_EQ(got, want) << v->name << " " << cs.c << "x" << cs.h << "x" << cs.w << " k" << cs.ks;
    }
  }
}

TEST(Kernels, ConvGemmIsBitIdenticalToIm2colThenGemm) {
  // Strides, padding on some sides only, dilation, 1x1, K over two K blocks starting inside
  // a channel (30*9 = 270 for the exact class, 120*9 = 1080 for the fast one), columns fewer
  // than one panel, rows not a multiple of MR.
  struct Case {
    ConvGeom g;
    int m;
  };
  auto geom = [](int c, int h, int w, int kh, int kw, int sh, int sw, int pt, int pl, int dh,
                 int dw, int oh, int ow) {
    ConvGeom g;
    g.c = c, g.h = h, g.w = w, g.kh = kh, g.kw = kw, g.sh = sh, g.sw = sw, g.pt = pt, g.pl = pl;
    g.dh = dh, g.dw = dw, g.oh = oh, g.ow = ow;
    return g;
  };
  const Case cases[] = {{geom(3, 23, 23, 11, 11, 4, 4, 2, 2, 1, 1, 5, 5), 7},
                        {geom(30, 9, 10, 3, 3, 1, 1, 1, 1, 1, 1, 9, 10), 13},
                        {geom(4, 6, 7, 1, 1, 1, 1, 0, 0, 1, 1, 6, 7), 5},
                        {geom(2, 9, 9, 3, 3, 2, 1, 0, 1, 2, 2, 3, 8), 9},
                        {geom(5, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3, 3), 64},
                        {geom(2, 40, 3, 3, 2, 1, 1, 1, 0, 1, 1, 40, 2), 6},
                        {geom(120, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 5, 5), 7}};
  for (const Case& cs : cases) {
    const ConvGeom& g = cs.g;
    const int kk = g.c * g.kh * g.kw, n = g.oh * g.ow;
    const std::vector<float> x = random_values(static_cast<size_t>(g.c) * g.h * g.w, kk + n);
    const std::vector<float> w = random_values(static_cast<size_t>(cs.m) * kk, cs.m);
    for (const GemmKernel* v : gemm_variants()) {
      std::vector<float> pa(packed_a_size(cs.m, kk, v)), pb(packed_b_size(kk, n, v));
      pack_a(cs.m, kk, w.data(), kk, 1, pa.data(), v);
      im2col_pack_b(x.data(), g, pb.data(), v);
      const int ldc = n + 2;
      std::vector<float> want(static_cast<size_t>(cs.m) * ldc, 3.0f), got(want.size(), 3.0f);
      gemm(cs.m, n, kk, pa.data(), pb.data(), want.data(), ldc, v);
      std::vector<float> scratch(conv_gemm_scratch_size(g) + 1, 7.0f);
      conv_gemm(cs.m, g, x.data(), pa.data(), got.data(), ldc, scratch.data(), v);
      EXPECT_EQ(got, want) << v->name << " c" << g.c << " " << g.h << "x" << g.w << " k" << g.kh
                           << "x" << g.kw;
    }
  }
}

TEST(Kernels, GemvMatchesNaiveLoopInEveryVariant) {
  for (const Size& s : kSizes) {
    const int ldw = s.k + 5;
    const std::vector<float> w = random_values(static_cast<size_t>(s.m) * ldw, s.m + s.k);
    const std::vector<float> x = random_values(s.k, 3 * s.k);
    std::vector<float> ref(s.m);
    for (int o = 0; o < s.m; ++o) {
      double acc = 0;
      for (int p = 0; p < s.k; ++p) acc += static_cast<double>(w[o * ldw + p]) * x[p];
      ref[o] = static_cast<float>(acc);
    }
    std::vector<float> first;
    for (const GemvKernel* v : gemv_variants()) {
      std::vector<float> y(s.m);
      gemv(s.m, s.k, w.data(), ldw, x.data(), y.data(), v);
      EXPECT_LT(rel_error(y, ref), 1e-5) << v->name << " " << s.m << "x" << s.k;
      if (v->cls != Exactness::Exact) continue;
      if (first.empty())
        first = y;
      else
        EXPECT_EQ(y, first) << v->name << " differs from the first exact kernel at " << s.m << "x"
                            << s.k;
    }
  }
}

TEST(Kernels, GemvTransposedMatchesNaiveLoop) {
  for (const Size& s : {Size{1, 1, 1}, Size{2, 4100, 37}, Size{3, 9, 2}, Size{2, 2049, 128}}) {
    const int rows = s.m, n = s.n, m = s.k;  // gx (rows x n) = gy (rows x m) * W (m x n)
    const std::vector<float> w = random_values(static_cast<size_t>(m) * n, n + m);
    std::vector<float> gy = random_values(static_cast<size_t>(rows) * m, rows + m);
    for (size_t i = 0; i < gy.size(); i += 3) gy[i] = 0.0f;  // skipped rows
    std::vector<float> ref(static_cast<size_t>(rows) * n), got(ref.size(), 5.0f);
    for (int r = 0; r < rows; ++r)
      for (int j = 0; j < n; ++j) {
        double acc = 0;
        for (int o = 0; o < m; ++o) acc += static_cast<double>(gy[r * m + o]) * w[o * n + j];
        ref[r * n + j] = static_cast<float>(acc);
      }
    gemv_t(rows, m, n, gy.data(), m, w.data(), n, got.data(), n);
    EXPECT_LT(rel_error(got, ref), 1e-5) << rows << "x" << m << "x" << n;
  }
}

// int8 weights with per-row scales, and the float weights the loader makes of them.
struct Qs8 {
  std::vector<int8_t> q;
  std::vector<float> scale, w;
};
Qs8 random_qs8(int m, int ld, uint32_t seed) {
  Qs8 r;
  const std::vector<float> v = random_values(static_cast<size_t>(m) * ld + m, seed);
  r.q.resize(static_cast<size_t>(m) * ld);
  for (size_t i = 0; i < r.q.size(); ++i)
    r.q[i] = static_cast<int8_t>(static_cast<int>(v[i] * 128.0f));
  r.q[0] = -128;
  for (int o = 0; o < m; ++o) r.scale.push_back(std::fabs(v[r.q.size() + o]) * 0.01f + 1e-4f);
  for (size_t i = 0; i < r.q.size(); ++i)
    r.w.push_back(static_cast<float>(r.q[i]) * r.scale[i / ld]);
  return r;
}

TEST(Kernels, Qs8GemvIsBitIdenticalToGemvOnDequantisedWeights) {
  // Exact kernels: bit-identical to the scalar float GEMV on the dequantised weights; fast
  // kernels (the scale applied once per row): within 1e-5 of it.
  for (const Size& s : kSizes) {
    const int ldq = s.k + 5;
    const Qs8 w = random_qs8(s.m, ldq, s.m + 2 * s.k);
    const std::vector<float> x = random_values(s.k, 5 * s.k);
    std::vector<float> want(s.m);
    gemv(s.m, s.k, w.w.data(), ldq, x.data(), want.data(), scalar_of(gemv_kernels()));
    for (const Qs8GemvKernel* v : runnable(qs8_gemv_kernels())) {
      std::vector<float> y(s.m);
      gemv_qs8(s.m, s.k, w.q.data(), w.scale.data(), ldq, x.data(), y.data(), v);
      if (v->cls == Exactness::Exact)
        EXPECT_EQ(y, want) << v->name << " " << s.m << "x" << s.k;
      else
        EXPECT_LT(rel_error(y, want), 1e-5) << v->name << " " << s.m << "x" << s.k;
    }
  }
}

TEST(Kernels, Qs8GemvTransposedIsBitIdenticalToGemvTransposed) {
  for (const Size& s : {Size{1, 1, 1}, Size{2, 4100, 37}, Size{3, 9, 2}, Size{2, 2049, 128}}) {
    const int rows = s.m, n = s.n, m = s.k;
    const Qs8 w = random_qs8(m, n, n + 3 * m);
    std::vector<float> gy = random_values(static_cast<size_t>(rows) * m, rows + m);
    for (size_t i = 0; i < gy.size(); i += 3) gy[i] = 0.0f;
    std::vector<float> want(static_cast<size_t>(rows) * n), got(want.size(), 5.0f);
    gemv_t(rows, m, n, gy.data(), m, w.w.data(), n, want.data(), n);
    gemv_t_qs8(rows, m, n, gy.data(), m, w.q.data(), w.scale.data(), n, got.data(), n);
    EXPECT_EQ(got, want) << rows << "x" << m << "x" << n;
  }
}

// Direct 3x3, stride 1, pad 1 convolution in double: y (cout x h x w) from x (cin x h x w),
// weight element (o, c, ky, kx) at w[((o*cin + c)*3 + ky)*3 + kx].
std::vector<float> conv3x3_reference(int cin, int cout, int h, int w, const std::vector<float>& x,
                                     const std::vector<float>& wt) {
  std::vector<float> y(static_cast<size_t>(cout) * h * w);
  for (int o = 0; o < cout; ++o)
    for (int oy = 0; oy < h; ++oy)
      for (int ox = 0; ox < w; ++ox) {
        double acc = 0;
        for (int c = 0; c < cin; ++c)
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy - 1 + ky, ix = ox - 1 + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              acc += static_cast<double>(wt[((o * cin + c) * 3 + ky) * 3 + kx]) *
                     x[(static_cast<size_t>(c) * h + iy) * w + ix];
            }
        y[(static_cast<size_t>(o) * h + oy) * w + ox] = static_cast<float>(acc);
      }
  return y;
}

TEST(Kernels, WinogradMatchesDirectConvInEveryVariant) {
  struct Case {
    int cin, cout, h, w;
  };
  // Odd and even sizes, one pixel, channels not multiples of the tile, K over two kKC blocks.
  for (const Case& cs : {Case{3, 5, 13, 13}, Case{8, 4, 6, 7}, Case{1, 1, 1, 1}, Case{300, 9, 5, 4},
                         Case{16, 33, 2, 9}}) {
    const std::vector<float> x =
        random_values(static_cast<size_t>(cs.cin) * cs.h * cs.w, cs.h + cs.cin);
    const std::vector<float> wt = random_values(static_cast<size_t>(cs.cout) * cs.cin * 9, cs.cout);
    const std::vector<float> ref = conv3x3_reference(cs.cin, cs.cout, cs.h, cs.w, x, wt);
    std::vector<float> first;
    for (const GemmKernel* v : gemm_variants()) {
      std::vector<float> u(winograd_weight_size(cs.cout, cs.cin, v));
      winograd_pack_weights(cs.cout, cs.cin, wt.data(), cs.cin * 9, 9, 3, 1, u.data(), v);
      std::vector<float> scratch(winograd_scratch_size(cs.cin, cs.cout, cs.h, cs.w, v), 7.0f);
      std::vector<float> y(static_cast<size_t>(cs.cout) * cs.h * cs.w, 99.0f);
      winograd_conv3x3(cs.cin, cs.cout, cs.h, cs.w, x.data(), u.data(), y.data(), scratch.data(),
                       v);
      EXPECT_LT(rel_error(y, ref), 1e-5)
          << v->name << " " << cs.cin << "->" << cs.cout << " " << cs.h << "x" << cs.w;
      if (!exact(v)) continue;
      if (first.empty())
        first = y;
      else
        EXPECT_EQ(y, first) << v->name << " differs from the first exact kernel";
    }
  }
}

// The transformed weights are written straight into the packed layout: they must be exactly
// (bit for bit, zero padding included) pack_b of U = G g G^T computed channel by channel.
TEST(Kernels, WinogradPackedWeightsArePackBOfTheTransform) {
  for (const auto& [cin, cout] :
       {std::pair{3, 5}, std::pair{7, 33}, std::pair{2, 16}, std::pair{1, 1}}) {
    std::vector<float> wt = random_values(static_cast<size_t>(cout) * cin * 9, cout + cin);
    for (float& v : wt) v = std::sin(7.0f * v);  // full mantissas: sums round, their order shows
    const size_t plane = static_cast<size_t>(cout) * cin;
    std::vector<float> u(16 * plane);
    for (int o = 0; o < cout; ++o)
      for (int c = 0; c < cin; ++c) {
        const float* g = wt.data() + (static_cast<size_t>(o) * cin + c) * 9;
        float t[4][3];
        for (int j = 0; j < 3; ++j) {
          t[0][j] = g[j];
          t[1][j] = ((g[j] + g[3 + j]) + g[6 + j]) * 0.5f;
          t[2][j] = ((g[j] - g[3 + j]) + g[6 + j]) * 0.5f;
          t[3][j] = g[6 + j];
        }
        for (int i = 0; i < 4; ++i) {
          const float r[4] = {t[i][0], ((t[i][0] + t[i][1]) + t[i][2]) * 0.5f,
                              ((t[i][0] - t[i][1]) + t[i][2]) * 0.5f, t[i][2]};
          for (int j = 0; j < 4; ++j)
            u[(i * 4 + j) * plane + static_cast<size_t>(c) * cout + o] = r[j];
        }
      }
    for (const GemmKernel* v : gemm_variants()) {
      const size_t per = packed_b_size(cin, cout, v);
      std::vector<float> want(16 * per), got(winograd_weight_size(cout, cin, v), 7.0f);
      ASSERT_EQ(got.size(), want.size());
      for (int xi = 0; xi < 16; ++xi)
        pack_b(cin, cout, u.data() + xi * plane, cout, want.data() + xi * per, v);
      winograd_pack_weights(cout, cin, wt.data(), cin * 9, 9, 3, 1, got.data(), v);
      EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0)
          << v->name << " " << cin << "->" << cout;
    }
  }
}

TEST(Kernels, WinogradFlippedTransposedWeightsGiveTheInputGradient) {
  // dX = conv3x3_pad1(dY, W') with W'(c, o, ky, kx) = W(o, c, 2 - ky, 2 - kx), from W itself
  // through negative strides.
  const int cin = 6, cout = 5, h = 7, w = 8;
  const std::vector<float> wt = random_values(static_cast<size_t>(cout) * cin * 9, 11);
  const std::vector<float> gy = random_values(static_cast<size_t>(cout) * h * w, 12);
  std::vector<float> flipped(wt.size());
  for (int o = 0; o < cout; ++o)
    for (int c = 0; c < cin; ++c)
      for (int k = 0; k < 9; ++k) flipped[(c * cout + o) * 9 + k] = wt[(o * cin + c) * 9 + 8 - k];
  const std::vector<float> ref = conv3x3_reference(cout, cin, h, w, gy, flipped);
  // The adjoint of the direct convolution, as the input gradient.
  std::vector<double> adj(static_cast<size_t>(cin) * h * w, 0.0);
  for (int o = 0; o < cout; ++o)
    for (int oy = 0; oy < h; ++oy)
      for (int ox = 0; ox < w; ++ox)
        for (int c = 0; c < cin; ++c)
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy - 1 + ky, ix = ox - 1 + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              adj[(static_cast<size_t>(c) * h + iy) * w + ix] +=
                  static_cast<double>(wt[((o * cin + c) * 3 + ky) * 3 + kx]) *
                  gy[(o * h + oy) * w + ox];
            }
  std::vector<float> adjf(adj.begin(), adj.end());
  EXPECT_LT(rel_error(ref, adjf), 1e-6);
  for (const GemmKernel* v : gemm_variants()) {
    std::vector<float> u(winograd_weight_size(cin, cout, v));
    winograd_pack_weights(cin, cout, wt.data() + 8, 9, cin * 9, -3, -1, u.data(), v);
    std::vector<float> scratch(winograd_scratch_size(cout, cin, h, w, v));
    std::vector<float> got(static_cast<size_t>(cin) * h * w);
    winograd_conv3x3(cout, cin, h, w, gy.data(), u.data(), got.data(), scratch.data(), v);
    EXPECT_LT(rel_error(got, adjf), 1e-5) << v->name;
  }
}

#if defined(CAMSCOPE_THREADS)
// The threaded build (CAMSCOPE_THREADS): the pool covers each index once, and every kernel it
// splits gives bit-identical results with 1, 2, 3 and 4 threads.
class ThreadCount {  // restores the default count
 public:
  explicit ThreadCount(int n) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(0); }
};

TEST(KernelsThreaded, ParallelForCoversEachIndexOnceAndNestsSerially) {
  for (int threads = 1; threads <= kMaxThreads; ++threads) {
    ThreadCount tc(threads);
    EXPECT_EQ(num_threads(), threads);
    for (int n : {0, 1, 2, 3, 5, 17, 1000}) {
      std::vector<int> hits(n, 0);
      std::vector<int> inner(n, 0);
      parallel_for(n, [&](int b, int e) {
        EXPECT_LT(b, e);
        for (int i = b; i < e; ++i) ++hits[i];
        parallel_for(e - b, [&](int b2, int e2) {  // nested: runs on this thread, whole
          EXPECT_EQ(b2, 0);
          EXPECT_EQ(e2, e - b);
          for (int i = b + b2; i < b + e2; ++i) ++inner[i];
        });
      });
      std::atomic<int> ranges{0};
      parallel_for(n, [&](int, int) { ++ranges; });
      EXPECT_EQ(hits, std::vector<int>(n, 1)) << threads << " threads, n " << n;
      EXPECT_EQ(inner, std::vector<int>(n, 1)) << threads << " threads, n " << n;
      EXPECT_EQ(ranges.load(), std::min(n, threads)) << threads << " threads, n " << n;
    }
  }
  EXPECT_EQ(set_num_threads(kMaxThreads + 5), kMaxThreads);
  EXPECT_GE(set_num_threads(0), 1);
}

template <class Run>
void expect_same_for_every_thread_count(const char* what, Run run) {
  std::vector<float> one;
  {
    ThreadCount tc(1);
    one = run();
  }
  for (int threads = 2; threads <= kMaxThreads; ++threads) {
    ThreadCount tc(threads);
    EXPECT_EQ(run(), one) << what << ": " << threads << " threads differ from 1";
  }
}

TEST(KernelsThreaded, GemmIsBitIdenticalForEveryThreadCount) {
  // Column splits (many panels), row splits (few), edge tiles, K over several kKC blocks.
  for (const Size& sz : {Size{64, 729, 100}, Size{384, 49, 192}, Size{5, 1000, 300},
                         Size{130, 9, 1000}, Size{1, 4097, 300}, Size{67, 61, 600}}) {
    const auto a = random_values(static_cast<size_t>(sz.m) * sz.k, sz.m + 1);
    const auto b = random_values(static_cast<size_t>(sz.k) * sz.n, sz.n + 2);
    for (const GemmKernel* v : gemm_variants()) {
      std::vector<float> pa(packed_a_size(sz.m, sz.k, v)), pb(packed_b_size(sz.k, sz.n, v));
      pack_a(sz.m, sz.k, a.data(), sz.k, 1, pa.data(), v);
      pack_b(sz.k, sz.n, b.data(), sz.n, pb.data(), v);
      const std::string what = std::string(v->name) + " " + std::to_string(sz.m) + "x" +
                               std::to_string(sz.n) + "x" + std::to_string(sz.k);
      expect_same_for_every_thread_count(what.c_str(), [&] {
        std::vector<float> c(static_cast<size_t>(sz.m) * (sz.n + 3), 5.0f);  // ldc > n
        gemm(sz.m, sz.n, sz.k, pa.data(), pb.data(), c.data(), sz.n + 3, v);
        return c;
      });
    }
  }
}

TEST(KernelsThreaded, ConvGemmIsBitIdenticalForEveryThreadCount) {
  ConvGeom g;  // AlexNet's conv2 at a smaller size: column splits; few columns: row splits
  g.c = 16, g.h = g.w = 27, g.kh = g.kw = 5, g.pt = g.pl = 2, g.oh = g.ow = 27;
  for (int m : {192, 7}) {
    for (const int side : {27, 3}) {
      g.h = g.w = g.oh = g.ow = side;
      const int kk = g.c * 25, n = side * side;
      const auto x = random_values(static_cast<size_t>(g.c) * side * side, 9);
      const auto w = random_values(static_cast<size_t>(m) * kk, 10);
      for (const GemmKernel* v : gemm_variants()) {
        std::vector<float> pa(packed_a_size(m, kk, v));
        pack_a(m, kk, w.data(), kk, 1, pa.data(), v);
        expect_same_for_every_thread_count((std::string("conv_gemm ") + v->name).c_str(), [&] {
          std::vector<float> c(static_cast<size_t>(m) * n, 5.0f);
          std::vector<float> scratch(conv_gemm_scratch_size(g));
          conv_gemm(m, g, x.data(), pa.data(), c.data(), n, scratch.data(), v);
          return c;
        });
      }
    }
  }
}

TEST(KernelsThreaded, GemvAndTransposedGemvAreBitIdenticalForEveryThreadCount) {
  const int m = 1031, k = 1100, rows = 2, n = 2049;
  const auto w = random_values(static_cast<size_t>(m) * n, 3);
  const auto x = random_values(n, 4);
  auto gy = random_values(static_cast<size_t>(rows) * m, 5);
  for (int o = 0; o < m; o += 3) gy[o] = 0.0f;  // some skipped coefficients
  std::vector<int8_t> q(static_cast<size_t>(m) * n);
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<int8_t>(w[i] * 127.0f);
  const auto scale = random_values(m, 6);
  for (const GemvKernel* v : gemv_variants()) {
    expect_same_for_every_thread_count((std::string("gemv ") + v->name).c_str(), [&] {
      std::vector<float> y(m);
      gemv(m, k, w.data(), n, x.data(), y.data(), v);
      return y;
    });
  }
  for (const Qs8GemvKernel* v : runnable(qs8_gemv_kernels())) {
    expect_same_for_every_thread_count((std::string("gemv_qs8 ") + v->name).c_str(), [&] {
      std::vector<float> y(m);
      gemv_qs8(m, k, q.data(), scale.data(), n, x.data(), y.data(), v);
      return y;
    });
  }
  expect_same_for_every_thread_count("gemv_t", [&] {
    std::vector<float> gx(static_cast<size_t>(rows) * (n + 1), 9.0f);
    gemv_t(rows, m, n, gy.data(), m, w.data(), n, gx.data(), n + 1);
    return gx;
  });
  expect_same_for_every_thread_count("gemv_t_qs8", [&] {
    std::vector<float> gx(static_cast<size_t>(rows) * (n + 1), 9.0f);
    gemv_t_qs8(rows, m, n, gy.data(), m, q.data(), scale.data(), n, gx.data(), n + 1);
    return gx;
  });
}

TEST(KernelsThreaded, WinogradIsBitIdenticalForEveryThreadCount) {
  struct Case {
    int cin, cout, h, w;
  };
  for (const Case& cs : {Case{192, 384, 13, 13}, Case{64, 33, 9, 10}, Case{300, 9, 5, 4}}) {
    const auto x = random_values(static_cast<size_t>(cs.cin) * cs.h * cs.w, 7);
    const auto wt = random_values(static_cast<size_t>(cs.cout) * cs.cin * 9, 8);
    for (const GemmKernel* v : gemm_variants()) {
      std::vector<float> u(winograd_weight_size(cs.cout, cs.cin, v));
      winograd_pack_weights(cs.cout, cs.cin, wt.data(), cs.cin * 9, 9, 3, 1, u.data(), v);
      std::vector<float> scratch(winograd_scratch_size(cs.cin, cs.cout, cs.h, cs.w, v));
      expect_same_for_every_thread_count((std::string("winograd ") + v->name).c_str(), [&] {
        std::vector<float> y(static_cast<size_t>(cs.cout) * cs.h * cs.w, 99.0f);
        winograd_conv3x3(cs.cin, cs.cout, cs.h, cs.w, x.data(), u.data(), y.data(), scratch.data(),
                         v);
        return y;
      });
    }
  }
}
#endif  // CAMSCOPE_THREADS

// Each table: unique names, tiles within the driver's limits, a scalar exact entry last (so
// every class always has a kernel); the exact configuration only exact kernels.
template <class K>
void expect_sound_table(const std::vector<K>& table, bool tiles) {
  ASSERT_FALSE(table.empty());
  EXPECT_EQ(std::string(table.back().isa), "scalar");
  EXPECT_TRUE(table.back().cls == Exactness::Exact && table.back().available());
  for (size_t i = 0; i < table.size(); ++i) {
    const K& k = table[i];
    EXPECT_NE(k.fn, nullptr) << k.name;
    if (tiles) {
      EXPECT_TRUE(k.mr >= 1 && k.mr <= kMaxMR && k.nr >= 1 && k.nr <= kMaxNR) << k.name;
      EXPECT_TRUE(k.kc >= 1 && k.kc <= kMaxKC) << k.name;
      EXPECT_TRUE(k.cls != Exactness::Exact || k.kc == kKC) << k.name;
      // The name says the tile: f32_gemm_MRxNR__isa.
      const std::string tile = "_" + std::to_string(k.mr) + "x" + std::to_string(k.nr) + "__";
      EXPECT_NE(std::string(k.name).find(tile), std::string::npos) << k.name;
    }
    const std::string isa = k.isa;
    EXPECT_NE(std::string(k.name).find("__" + (isa == "avx2+fma" ? "avx2_fma" : isa)),
              std::string::npos)
        << k.name;
    // Fast kernels are exactly the FMA ones.
    EXPECT_EQ(k.cls == Exactness::Fast, isa.find("fma") != std::string::npos) << k.name;
    for (size_t j = 0; j < i; ++j) EXPECT_STRNE(table[j].name, k.name);
  }
}

TEST(Kernels, TableAndConfigurations) {
  expect_sound_table(gemm_kernels(), true);
  expect_sound_table(gemv_kernels(), false);
  expect_sound_table(qs8_gemv_kernels(), false);
  const Config& ex = config_for(Exactness::Exact);
  EXPECT_EQ(ex.cls(), Exactness::Exact);
  EXPECT_TRUE(ex.gemm->cls == Exactness::Exact && ex.gemv->cls == Exactness::Exact &&
              ex.qs8_gemv->cls == Exactness::Exact);
  EXPECT_EQ(ex.describe().rfind("exact (", 0), 0u) << ex.describe();
  const Config& fast = config_for(Exactness::Fast);
  // Fast where this CPU runs a fast kernel of every kind, else the exact kernels.
  bool fast_here = false;
  for (const GemmKernel& k : gemm_kernels())
    fast_here = fast_here || (k.cls == Exactness::Fast && k.available());
  EXPECT_EQ(fast.cls(), fast_here ? Exactness::Fast : Exactness::Exact) << fast.describe();
  EXPECT_NE(fast.describe().find(fast.gemm->name), std::string::npos);
#if defined(__wasm_simd128__) || defined(__EMSCRIPTEN__)
  EXPECT_EQ(startup_class(), Exactness::Exact);
#endif
  // select() switches the active configuration; the packing follows it.
  const Exactness before = config().requested;
  select(Exactness::Fast);
  EXPECT_EQ(&config(), &fast);
  EXPECT_EQ(packed_a_size(13, 5), packed_a_size(13, 5, fast.gemm));
  select(Exactness::Exact);
  EXPECT_EQ(&config(), &ex);
  EXPECT_EQ(packed_b_size(5, 13), packed_b_size(5, 13, ex.gemm));
  select(before);
}

}  // namespace
}  // namespace kernels
}  // namespace camscope

// Winograd F(2x2, 3x3): weight, input and output transforms (portable float code, one fixed
// operation order) around 16 packed GEMMs (tiles x CIN times CIN x COUT). See winograd.h.
#include "winograd.h"

#include <algorithm>
#include <cstring>

#include "gemm.h"
#include "threadpool.h"

namespace camscope {
namespace kernels {
namespace {

constexpr int kPos = 16;  // transformed positions of a 4x4 tile

int tiles(int n) {
  return (n + 1) / 2;
}

// The 16 transformed inputs and products are 16 streams written (read) together; spacing
// them a whole cache line past a multiple of their size keeps them off the same cache sets
// (sizes like 256*56 floats are multiples of 4 KiB: 16 streams in one 8-way set).
constexpr size_t kSkew = 16;

}  // namespace

size_t winograd_weight_size(int cout, int cin, const GemmKernel* uk) {
  return kPos * packed_b_size(cin, cout, uk);
}

namespace {

// Lanes (output channels) of transform_lanes: up to one packed panel of the GEMM's B (its NR
// columns), so that each transformed value is written straight into its place in the 16
// packed matrices, a run of lanes at a time, each of the 16 streams in order. Before, the
// transform went channel by channel into 16 unpacked CIN x COUT planes (one float per cache
// line) that pack_b then copied: the shipped model's Model::build natively 34-40 -> 8-9 ms;
// its whole load in Node (WebAssembly SIMD) 43 -> 15 ms warm, 60-74 -> 40-48 ms the first time.
constexpr int kLanes = 16;

// The lane loops vectorised but not unrolled further: the page downloads this code, and the
// packing runs once per model.
#if defined(__clang__)
#define CAMSCOPE_NO_UNROLL _Pragma("clang loop unroll(disable) interleave_count(1)")
#else
#define CAMSCOPE_NO_UNROLL
#endif

// U = G g G^T of output channels o0 .. o0+lanes-1 (all CIN kernels of each; channels from
// COUT on are the panel's zero padding), U[xi] element (c, o0 + l) written to
// dst[xi * per + c * nr + l]. One call per run of lanes, never inlined (called through a
// volatile pointer: binaryen's link-time inliner ignores noinline): V8 runs a WebAssembly call
// to its end in the tier it started in (no on-stack replacement), so after the first calls the
// optimised code takes over (at load, this was most of the packing time in baseline code).
__attribute__((noinline)) void transform_lanes(int o0, int lanes, int cout, int cin, const float* w,
                                               ptrdiff_t so, ptrdiff_t sc, ptrdiff_t sy,
                                               ptrdiff_t sx, float* dst, int nr, size_t per) {
  const int n = std::max(0, std::min(lanes, cout - o0));  // real channels; the rest stay 0
  // One lane per output channel: the loops over lanes vectorise, and every lane does the
  // same operations in the same order as one channel alone (no FMA contraction).
  float g[9][kLanes] = {};
  float t[4][3][kLanes];
  float r[4][kLanes];
  for (int c = 0; c < cin; ++c) {
    for (int l = 0; l < n; ++l) {
      const float* gc = w + (o0 + l) * so + c * sc;
      for (int k = 0; k < 9; ++k) g[k][l] = gc[(k / 3) * sy + (k % 3) * sx];
    }
    // t = G g (4 x 3)
    for (int j = 0; j < 3; ++j) {
      CAMSCOPE_NO_UNROLL
      for (int l = 0; l < kLanes; ++l) {
        const float g0 = g[j][l], g1 = g[3 + j][l], g2 = g[6 + j][l];
        t[0][j][l] = g0;
        t[1][j][l] = ((g0 + g1) + g2) * 0.5f;
        t[2][j][l] = ((g0 - g1) + g2) * 0.5f;
        t[3][j][l] = g2;
      }
    }
    // U = t G^T (4 x 4), row i to the packed matrices i*4 .. i*4+3
    float* dc = dst + static_cast<size_t>(c) * nr;
    for (int i = 0; i < 4; ++i) {
      CAMSCOPE_NO_UNROLL
      for (int l = 0; l < kLanes; ++l) {
        const float t0 = t[i][0][l], t1 = t[i][1][l], t2 = t[i][2][l];
        r[0][l] = t0;
        r[1][l] = ((t0 + t1) + t2) * 0.5f;
        r[2][l] = ((t0 - t1) + t2) * 0.5f;
        r[3][l] = t2;
      }
      for (int j = 0; j < 4; ++j) {
        float* out = dc + (i * 4 + j) * per;
        // Constant sizes for the kernels' NR (inline stores, not a call per run).
        if (lanes == 16)
          std::memcpy(out, r[j], 16 * sizeof(float));
        else if (lanes == 8)
          std::memcpy(out, r[j], 8 * sizeof(float));
        else
          std::memcpy(out, r[j], lanes * sizeof(float));
      }
    }
  }
}

}  // namespace

void winograd_pack_weights(int cout, int cin, const float* w, ptrdiff_t so, ptrdiff_t sc,
                           ptrdiff_t sy, ptrdiff_t sx, float* dst, const GemmKernel* uk) {
  // U[xi] transposed, as a CIN x COUT matrix (the GEMMs' B), packed as pack_b lays it out:
  // panels of NR columns, each CIN rows of NR floats, the last panel zero-padded.
  const int nr = gemm_kernel(uk).nr;
  const size_t per = packed_b_size(cin, cout, uk);
  static void (*volatile const transform)(int, int, int, int, const float*, ptrdiff_t, ptrdiff_t,
                                          ptrdiff_t, ptrdiff_t, float*, int, size_t) =
      transform_lanes;
  for (int q = 0; q < cout; q += nr) {
    float* panel = dst + static_cast<size_t>(q) * cin;  // panel q / nr: cin * nr floats each
    for (int l0 = 0; l0 < nr; l0 += kLanes)
      transform(q + l0, std::min(kLanes, nr - l0), cout, cin, w, so, sc, sy, sx, panel + l0, nr,
                per);
  }
}

size_t winograd_scratch_size(int cin, int cout, int h, int w, const GemmKernel* uk) {
  const int t = tiles(h) * tiles(w);
  const size_t padded = static_cast<size_t>(2 * tiles(h) + 2) * (2 * tiles(w) + 2);
  return kPos * (packed_a_size(t, cin, uk) + kSkew) +
         kPos * (static_cast<size_t>(cout) * t + kSkew) + padded;
}

void winograd_conv3x3(int cin, int cout, int h, int w, const float* x, const float* packed_u,
                      float* y, float* scratch, const GemmKernel* kernel) {
  const GemmKernel& uk = gemm_kernel(kernel);
  const int mr = uk.mr;
  const int th = tiles(h), tw = tiles(w), nt = th * tw;
  const int ph = 2 * th + 2, pw = 2 * tw + 2;                // zero-padded plane: row/col -1 .. 2*t
  const size_t vsize = packed_a_size(nt, cin, &uk) + kSkew;  // stride of the 16 V
  const size_t mp = static_cast<size_t>(nt) * cout + kSkew;  // stride of the 16 M
  float* v = scratch;                                        // 16 packed A (tiles x CIN)
  float* m = v + kPos * vsize;                               // 16 tiles x COUT products
  float* pad = m + kPos * mp;                                // one padded input plane
  // Packed-A padding rows (tiles nt .. next multiple of MR): zero (their products are
  // dropped, but stay finite).
  if (nt % mr != 0) {
    for (int xi = 0; xi < kPos; ++xi) {
      float* last = v + xi * vsize + static_cast<size_t>(nt / mr) * cin * mr;
      for (int c = 0; c < cin; ++c) std::fill(last + c * mr + nt % mr, last + (c + 1) * mr, 0.0f);
    }
  }
  // Input transform, straight into the 16 packed A matrices.
  std::fill(pad, pad + static_cast<size_t>(ph) * pw, 0.0f);
  for (int c = 0; c < cin; ++c) {
    const float* xc = x + static_cast<size_t>(c) * h * w;
    for (int iy = 0; iy < h; ++iy)
      std::memcpy(pad + (iy + 1) * pw + 1, xc + iy * w, w * sizeof(float));
    for (int ty = 0; ty < th; ++ty) {
      for (int tx = 0; tx < tw; ++tx) {
        const int t = ty * tw + tx;
        const float* d = pad + (2 * ty) * pw + 2 * tx;
        // s = B^T d (rows)
        float s[4][4];
        for (int j = 0; j < 4; ++j) {
          const float d0 = d[j], d1 = d[pw + j], d2 = d[2 * pw + j], d3 = d[3 * pw + j];
          s[0][j] = d0 - d2;
          s[1][j] = d1 + d2;
          s[2][j] = d2 - d1;
          s[3][j] = d1 - d3;
        }
        float* dst = v + static_cast<size_t>(t / mr) * cin * mr + c * mr + t % mr;
        for (int i = 0; i < 4; ++i) {
          dst[(i * 4 + 0) * vsize] = s[i][0] - s[i][2];
          dst[(i * 4 + 1) * vsize] = s[i][1] + s[i][2];
          dst[(i * 4 + 2) * vsize] = s[i][2] - s[i][1];
          dst[(i * 4 + 3) * vsize] = s[i][1] - s[i][3];
        }
      }
    }
    // Rows past the picture stay zero: only rows/cols 1..h / 1..w were written.
  }
  // 16 products M[xi] = V[xi] U[xi] (tiles x COUT; the tiles as the GEMM's rows pad less
  // than as its columns: 49 tiles -> 54 rows of 6 vs 64 columns of 16). With
  // CAMSCOPE_THREADS, whole products per thread; the input transform above stays serial: it
  // shares one padded plane.
  const size_t usize = packed_b_size(cin, cout, &uk);
  parallel_for(kPos, [&](int x0, int x1) {
    for (int xi = x0; xi < x1; ++xi)
      gemm(nt, cout, cin, v + xi * vsize, packed_u + xi * usize, m + xi * mp, cout, &uk);
  });
  // Output transform, by blocks of 16 output channels (one cache line of each product row),
  // with CAMSCOPE_THREADS split across threads.
  constexpr int kOB = 16;
  parallel_for((cout + kOB - 1) / kOB, [=](int b0, int b1) {  // by value: kept in registers
    for (int o0 = b0 * kOB; o0 < std::min(cout, b1 * kOB); o0 += kOB) {
      const int o1 = std::min(cout, o0 + kOB);
      for (int ty = 0; ty < th; ++ty) {
        for (int tx = 0; tx < tw; ++tx) {
          const float* mt = m + static_cast<size_t>(ty * tw + tx) * cout;
          const int oy = 2 * ty, ox = 2 * tx;
          for (int o = o0; o < o1; ++o) {
            float q[4][4];
            for (int i = 0; i < 16; ++i) q[i / 4][i % 4] = mt[i * mp + o];
            // r = A^T q (2 x 4)
            float r0[4], r1[4];
            for (int j = 0; j < 4; ++j) {
              r0[j] = (q[0][j] + q[1][j]) + q[2][j];
              r1[j] = (q[1][j] - q[2][j]) - q[3][j];
            }
            const float y00 = (r0[0] + r0[1]) + r0[2], y01 = (r0[1] - r0[2]) - r0[3];
            const float y10 = (r1[0] + r1[1]) + r1[2], y11 = (r1[1] - r1[2]) - r1[3];
            float* row0 = y + static_cast<size_t>(o) * h * w + oy * w + ox;
            row0[0] = y00;
            if (ox + 1 < w) row0[1] = y01;
            if (oy + 1 < h) {
              row0[w] = y10;
              if (ox + 1 < w) row0[w + 1] = y11;
            }
          }
        }
      }
    }
  });
}

}  // namespace kernels
}  // namespace camscope

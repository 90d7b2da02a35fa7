// Winograd F(2x2, 3x3): weight, input and output transforms (portable float code, one fixed
// operation order) around 16 packed GEMMs. See winograd.h.
#include "winograd.h"

#include <algorithm>
#include <cstring>
#include <vector>

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
  return kPos * packed_a_size(cout, cin, uk);
}

void winograd_pack_weights(int cout, int cin, const float* w, ptrdiff_t so, ptrdiff_t sc,
                           ptrdiff_t sy, ptrdiff_t sx, float* dst, const GemmKernel* uk) {
  // U[xi] as a COUT x CIN matrix, then packed.
  std::vector<float> u(static_cast<size_t>(kPos) * cout * cin);
  const size_t plane = static_cast<size_t>(cout) * cin;
  for (int o = 0; o < cout; ++o) {
    for (int c = 0; c < cin; ++c) {
      const float* g = w + o * so + c * sc;
      float gg[3][3];
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) gg[ky][kx] = g[ky * sy + kx * sx];
      // t = G g (4 x 3)
      float t[4][3];
      for (int j = 0; j < 3; ++j) {
        t[0][j] = gg[0][j];
        t[1][j] = ((gg[0][j] + gg[1][j]) + gg[2][j]) * 0.5f;
        t[2][j] = ((gg[0][j] - gg[1][j]) + gg[2][j]) * 0.5f;
        t[3][j] = gg[2][j];
      }
      // U = t G^T (4 x 4)
      for (int i = 0; i < 4; ++i) {
        float r[4];
        r[0] = t[i][0];
        r[1] = ((t[i][0] + t[i][1]) + t[i][2]) * 0.5f;
        r[2] = ((t[i][0] - t[i][1]) + t[i][2]) * 0.5f;
        r[3] = t[i][2];
        for (int j = 0; j < 4; ++j)
          u[(i * 4 + j) * plane + static_cast<size_t>(o) * cin + c] = r[j];
      }
    }
  }
  const size_t per = packed_a_size(cout, cin, uk);
  for (int xi = 0; xi < kPos; ++xi)
    pack_a(cout, cin, u.data() + xi * plane, cin, 1, dst + xi * per, uk);
}

size_t winograd_scratch_size(int cin, int cout, int h, int w, const GemmKernel* uk) {
  const int t = tiles(h) * tiles(w);
  const size_t padded = static_cast<size_t>(2 * tiles(h) + 2) * (2 * tiles(w) + 2);
  return kPos * (packed_b_size(cin, t, uk) + kSkew) +
         kPos * (static_cast<size_t>(cout) * t + kSkew) + padded;
}

void winograd_conv3x3(int cin, int cout, int h, int w, const float* x, const float* packed_u,
                      float* y, float* scratch, const GemmKernel* kernel) {
  const GemmKernel& uk = gemm_kernel(kernel);
  const int nr = uk.nr;
  const int th = tiles(h), tw = tiles(w), nt = th * tw;
  const int ph = 2 * th + 2, pw = 2 * tw + 2;                // zero-padded plane: row/col -1 .. 2*t
  const size_t vsize = packed_b_size(cin, nt, &uk) + kSkew;  // stride of the 16 V
  const size_t mp = static_cast<size_t>(cout) * nt + kSkew;  // stride of the 16 M
  float* v = scratch;                                        // 16 packed B (CIN x tiles)
  float* m = v + kPos * vsize;                               // 16 COUT x tiles products
  float* pad = m + kPos * mp;                                // one padded input plane
  // Packed-B padding columns (tiles nt .. next multiple of NR) must be zero.
  if (nt % nr != 0) {
    for (int xi = 0; xi < kPos; ++xi) {
      float* last = v + xi * vsize + static_cast<size_t>(nt / nr) * cin * nr;
      for (int c = 0; c < cin; ++c) std::fill(last + c * nr + nt % nr, last + (c + 1) * nr, 0.0f);
    }
  }
  // Input transform, straight into the 16 packed B matrices.
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
        float* dst = v + static_cast<size_t>(t / nr) * cin * nr + c * nr + t % nr;
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
  // 16 products M[xi] = U[xi] V[xi] (with CAMSCOPE_THREADS, whole products per thread;
  // the input transform above stays serial: it shares one padded plane).
  const size_t usize = packed_a_size(cout, cin, &uk);
  parallel_for(kPos, [&](int x0, int x1) {
    for (int xi = x0; xi < x1; ++xi)
      gemm(cout, nt, cin, packed_u + xi * usize, v + xi * vsize, m + xi * mp, nt, &uk);
  });
  // Output transform (with CAMSCOPE_THREADS, output channels split across threads).
  parallel_for(cout, [=](int o0, int o1) {  // by value: the loop keeps them in registers
    for (int o = o0; o < o1; ++o) {
      float* yo = y + static_cast<size_t>(o) * h * w;
      for (int ty = 0; ty < th; ++ty) {
        for (int tx = 0; tx < tw; ++tx) {
          const float* mt = m + static_cast<size_t>(o) * nt + ty * tw + tx;
          float q[4][4];
          for (int i = 0; i < 16; ++i) q[i / 4][i % 4] = mt[i * mp];
          // r = A^T q (2 x 4)
          float r0[4], r1[4];
          for (int j = 0; j < 4; ++j) {
            r0[j] = (q[0][j] + q[1][j]) + q[2][j];
            r1[j] = (q[1][j] - q[2][j]) - q[3][j];
          }
          const float y00 = (r0[0] + r0[1]) + r0[2], y01 = (r0[1] - r0[2]) - r0[3];
          const float y10 = (r1[0] + r1[1]) + r1[2], y11 = (r1[1] - r1[2]) - r1[3];
          const int oy = 2 * ty, ox = 2 * tx;
          float* row0 = yo + oy * w + ox;
          row0[0] = y00;
          if (ox + 1 < w) row0[1] = y01;
          if (oy + 1 < h) {
            row0[w] = y10;
            if (ox + 1 < w) row0[w + 1] = y11;
          }
        }
      }
    }
  });
}

}  // namespace kernels
}  // namespace camscope

// Packing (by the chosen kernel's tile), the blocked GEMM driver, the GEMV drivers and the
// transposed GEMV.
#include "gemm.h"

#include <algorithm>
#include <cstring>

#include "threadpool.h"

namespace camscope {
namespace kernels {

size_t packed_a_size(int m, int k, const GemmKernel* uk) {
  const int mr = gemm_kernel(uk).mr;
  return static_cast<size_t>((m + mr - 1) / mr) * mr * static_cast<size_t>(k);
}

size_t packed_b_size(int k, int n, const GemmKernel* uk) {
  const int nr = gemm_kernel(uk).nr;
  return static_cast<size_t>((n + nr - 1) / nr) * nr * static_cast<size_t>(k);
}

void pack_a(int m, int k, const float* src, ptrdiff_t rs, ptrdiff_t cs, float* dst,
            const GemmKernel* uk) {
  const int mr = gemm_kernel(uk).mr;
  for (int p = 0; p < m; p += mr) {
    const int rows = std::min(mr, m - p);
    for (int j = 0; j < k; ++j) {
      for (int r = 0; r < rows; ++r) dst[r] = src[(p + r) * rs + j * cs];
      for (int r = rows; r < mr; ++r) dst[r] = 0.0f;
      dst += mr;
    }
  }
}

void pack_b(int k, int n, const float* src, ptrdiff_t ldb, float* dst, const GemmKernel* uk) {
  const int nr = gemm_kernel(uk).nr;
  for (int q = 0; q < n; q += nr) {
    const int cols = std::min(nr, n - q);
    for (int i = 0; i < k; ++i) {
      const float* s = src + i * ldb + q;
      for (int j = 0; j < cols; ++j) dst[j] = s[j];
      for (int j = cols; j < nr; ++j) dst[j] = 0.0f;
      dst += nr;
    }
  }
}

void im2col_pack_b(const float* x, const ConvGeom& g, float* dst, const GemmKernel* uk) {
  const int nr = gemm_kernel(uk).nr;
  const int kk = g.c * g.kh * g.kw;
  const int n = g.oh * g.ow;
  const int ow = g.ow, sw = g.sw;
  const size_t panel = static_cast<size_t>(kk) * nr;  // floats per packed panel
  // Zero the padding columns of the last panel once (the loops below never write them).
  if (n % nr != 0) {
    float* last = dst + static_cast<size_t>(n / nr) * panel;
    for (int i = 0; i < kk; ++i) std::fill(last + i * nr + n % nr, last + (i + 1) * nr, 0.0f);
  }
  for (int ch = 0; ch < g.c; ++ch) {
    const float* xc = x + static_cast<size_t>(ch) * g.h * g.w;
    for (int ky = 0; ky < g.kh; ++ky) {
      for (int kx = 0; kx < g.kw; ++kx) {
        const int row = (ch * g.kh + ky) * g.kw + kx;
        float* d = dst + static_cast<size_t>(row) * nr;
        // Output columns [lo, hi) read inside the picture: ox*sw - pl + kx*dw in [0, w),
        // computed once per kernel row instead of a bounds test per element.
        const int off = kx * g.dw - g.pl;
        const int first = -off, last = g.w - 1 - off;  // ox*sw in [first, last]
        const int lo = std::min(ow, first <= 0 ? 0 : (first + sw - 1) / sw);
        const int hi = last < 0 ? lo : std::max(lo, std::min(ow, last / sw + 1));
        int q = 0, j = 0;  // panel and column of output position oy*ow + ox
        auto put = [&](float v) {
          d[q * panel + j] = v;
          if (++j == nr) j = 0, ++q;
        };
        for (int oy = 0; oy < g.oh; ++oy) {
          const int iy = oy * g.sh - g.pt + ky * g.dh;
          if (iy < 0 || iy >= g.h) {
            for (int ox = 0; ox < ow; ++ox) put(0.0f);
            continue;
          }
          const float* src = xc + static_cast<size_t>(iy) * g.w + off;
          for (int ox = 0; ox < lo; ++ox) put(0.0f);
          for (int ox = lo; ox < hi; ++ox) put(src[ox * sw]);
          for (int ox = hi; ox < ow; ++ox) put(0.0f);
        }
      }
    }
  }
}

namespace {

// The input as conv_gemm reads it: every row and column a window touches, the padding as
// zeros (rows -pt .. (OH-1)*SH - pt + (KH-1)*DH, likewise columns), so that the windows need
// no bounds tests. Without padding and windows inside the picture, the input itself.
struct Padded {
  int hp, wp;
  bool copy;
};
Padded padded_shape(const ConvGeom& g) {
  Padded p;
  p.hp = (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  p.wp = (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1;
  p.copy = g.pt != 0 || g.pl != 0 || p.hp > g.h || p.wp > g.w;
  if (!p.copy) p.hp = g.h, p.wp = g.w;  // read in place, with the input's own strides
  return p;
}

// Rows [k0, k0 + kc) of columns [n0, n0 + cols) (cols <= nr) of the window matrix (row
// (ch*KH + ky)*KW + kx, column oy*OW + ox) of the padded input xp, as one block of a packed-B
// panel: dst[i*nr + j], zero columns past cols. A gather by offsets computed once per block.
void im2col_block(const float* xp, const ConvGeom& g, const Padded& p, int n0, int cols, int k0,
                  int kc, int nr, float* dst) {
  ptrdiff_t base[kMaxNR];  // window origin of each column
  for (int j = 0; j < cols; ++j) {
    const int oy = (n0 + j) / g.ow, ox = (n0 + j) % g.ow;
    base[j] = static_cast<ptrdiff_t>(oy) * g.sh * p.wp + static_cast<ptrdiff_t>(ox) * g.sw;
  }
  const int taps = g.kh * g.kw;
  int ch = k0 / taps, ky = k0 % taps / g.kw, kx = k0 % g.kw;
  const ptrdiff_t plane = static_cast<ptrdiff_t>(p.hp) * p.wp;
  for (int i = 0; i < kc; ++i) {
    const float* s = xp + ch * plane + static_cast<ptrdiff_t>(ky) * g.dh * p.wp + kx * g.dw;
    float* d = dst + static_cast<size_t>(i) * nr;
    for (int j = 0; j < cols; ++j) d[j] = s[base[j]];
    for (int j = cols; j < nr; ++j) d[j] = 0.0f;
    if (++kx == g.kw) {
      kx = 0;
      if (++ky == g.kh) ky = 0, ++ch;
    }
  }
}

}  // namespace

size_t conv_gemm_scratch_size(const ConvGeom& g) {
  const Padded p = padded_shape(g);
  return p.copy ? static_cast<size_t>(g.c) * p.hp * p.wp : 0;
}

void im2col_pack_b(const float* x, int c, int h, int w, int ks, int stride, int pad, int oh, int ow,
                   float* dst, const GemmKernel* uk) {
  ConvGeom g;
  g.c = c, g.h = h, g.w = w, g.kh = g.kw = ks, g.sh = g.sw = stride, g.pt = g.pl = pad;
  g.oh = oh, g.ow = ow;
  im2col_pack_b(x, g, dst, uk);
}

void col2im_add(const float* col, const ConvGeom& g, float* dx) {
  const int ohw = g.oh * g.ow;
  for (int c = 0; c < g.c; ++c) {
    float* dc = dx + static_cast<size_t>(c) * g.h * g.w;
    for (int ky = 0; ky < g.kh; ++ky) {
      for (int kx = 0; kx < g.kw; ++kx) {
        const float* row = col + (static_cast<size_t>(c) * g.kh * g.kw + ky * g.kw + kx) * ohw;
        for (int oy = 0; oy < g.oh; ++oy) {
          const int iy = oy * g.sh - g.pt + ky * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          float* dst = dc + static_cast<size_t>(iy) * g.w;
          const float* src = row + oy * g.ow;
          for (int ox = 0; ox < g.ow; ++ox) {
            const int ix = ox * g.sw - g.pl + kx * g.dw;
            if (ix >= 0 && ix < g.w) dst[ix] += src[ox];
          }
        }
      }
    }
  }
}

namespace {

// Below about a million multiply-adds a dispatch (~10-50 us) is not worth it.
bool worth_threads(double macs) {
  return macs >= (1 << 20) && num_threads() > 1;
}

// The GEMM driver on one thread, with B blocks from `b_block(q, k0, kc)`: rows [k0, k0 + kc)
// of the packed-B panel of columns [q, q + NR) (kc x NR floats). A block of row panels
// [p0, p0 + m') is the same call on packed_a + p0*k and c + p0*ldc (p0 a multiple of MR).
template <class BBlock>
void gemm_serial(int m, int n, int k, const float* packed_a, BBlock&& b_block, float* c,
                 ptrdiff_t ldc, const GemmKernel& uk) {
  if (k == 0) {
    for (int i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    return;
  }
  const int mr = uk.mr, nr = uk.nr, kb = uk.kc;
  const GemmUkernel fn = uk.fn;
  float tile[kMaxMR * kMaxNR];
  for (int k0 = 0; k0 < k; k0 += kb) {
    const int kc = std::min(kb, k - k0);
    const bool acc = k0 > 0;
    for (int q = 0; q < n; q += nr) {
      const int cols = std::min(nr, n - q);
      const float* b = b_block(q, k0, kc);
      for (int p = 0; p < m; p += mr) {
        const int rows = std::min(mr, m - p);
        const float* a = packed_a + static_cast<size_t>(p) * k + static_cast<size_t>(k0) * mr;
        float* ct = c + p * ldc + q;
        if (rows == mr && cols == nr) {
          fn(kc, a, b, ct, ldc, acc);
          continue;
        }
        // Edge tile: through a full-size scratch tile.
        if (acc)
          for (int i = 0; i < rows; ++i)
            std::memcpy(tile + i * nr, ct + i * ldc, cols * sizeof(float));
        fn(kc, a, b, tile, nr, acc);
        for (int i = 0; i < rows; ++i)
          std::memcpy(ct + i * ldc, tile + i * nr, cols * sizeof(float));
      }
    }
  }
}

// Splits an M x N GEMM across threads: column panels while there are a few per thread (each
// thread reads all of A and its own panels of B), else row panels. Either way each tile is
// one thread's, K blocks in order. run(c0, c1, r0, r1) computes columns [c0, c1) of rows
// [r0, r1) (c0 a multiple of NR, r0 of MR).
template <class Run>
void split(int m, int n, int k, const GemmKernel& uk, Run&& run) {
  if (!worth_threads(static_cast<double>(m) * n * k)) {
    run(0, n, 0, m);
    return;
  }
  const int mr = uk.mr, nr = uk.nr;
  const int qn = (n + nr - 1) / nr, pn = (m + mr - 1) / mr;
  if (qn >= 4 * num_threads() || qn >= pn) {
    parallel_for(qn, [&](int q0, int q1) { run(q0 * nr, std::min(n, q1 * nr), 0, m); });
  } else {
    parallel_for(pn, [&](int p0, int p1) { run(0, n, p0 * mr, std::min(m, p1 * mr)); });
  }
}

}  // namespace

void gemm(int m, int n, int k, const float* packed_a, const float* packed_b, float* c,
          ptrdiff_t ldc, const GemmKernel* kernel) {
  const GemmKernel& uk = gemm_kernel(kernel);
  const int nr = uk.nr;
  split(m, n, k, uk, [&](int c0, int c1, int r0, int r1) {
    const float* pb = packed_b + static_cast<size_t>(c0) * k;
    gemm_serial(
        r1 - r0, c1 - c0, k, packed_a + static_cast<size_t>(r0) * k,
        [&](int q, int k0, int) {
          return pb + static_cast<size_t>(q) * k + static_cast<size_t>(k0) * nr;
        },
        c + r0 * ldc + c0, ldc, uk);
  });
}

void conv_gemm(int m, const ConvGeom& g, const float* x, const float* packed_a, float* c,
               ptrdiff_t ldc, float* scratch, const GemmKernel* kernel) {
  const GemmKernel& uk = gemm_kernel(kernel);
  const int n = g.oh * g.ow, k = g.c * g.kh * g.kw, nr = uk.nr;
  const Padded p = padded_shape(g);
  const float* xp = x;
  if (p.copy) {
    for (int ch = 0; ch < g.c; ++ch)
      for (int r = 0; r < p.hp; ++r) {
        float* d = scratch + (static_cast<size_t>(ch) * p.hp + r) * p.wp;
        const int iy = r - g.pt;
        const int c0 = std::min(p.wp, g.pl), c1 = std::max(c0, std::min(p.wp, g.pl + g.w));
        std::fill(d, d + p.wp, 0.0f);
        if (iy >= 0 && iy < g.h)
          std::memcpy(d + c0, x + (static_cast<size_t>(ch) * g.h + iy) * g.w,
                      (c1 - c0) * sizeof(float));
      }
    xp = scratch;
  }
  split(m, n, k, uk, [&](int c0, int c1, int r0, int r1) {
    float block[kMaxKC * kMaxNR];  // one B block, packed as it is used (in L1 or L2)
    gemm_serial(
        r1 - r0, c1 - c0, k, packed_a + static_cast<size_t>(r0) * k,
        [&](int q, int k0, int kc) {
          im2col_block(xp, g, p, c0 + q, std::min(nr, c1 - c0 - q), k0, kc, nr, block);
          return static_cast<const float*>(block);
        },
        c + r0 * ldc + c0, ldc, uk);
  });
}

void gemv(int m, int k, const float* w, ptrdiff_t ldw, const float* x, float* y,
          const GemvKernel* kernel) {
  const GemvUkernel uk = (kernel ? kernel : config().gemv)->fn;
  if (worth_threads(static_cast<double>(m) * k)) {
    parallel_for(m, [&](int o0, int o1) { uk(o1 - o0, k, w + o0 * ldw, ldw, x, y + o0); });
    return;
  }
  uk(m, k, w, ldw, x, y);
}

void gemv_qs8(int m, int k, const int8_t* q, const float* scale, ptrdiff_t ldq, const float* x,
              float* y, const Qs8GemvKernel* kernel) {
  const Qs8GemvUkernel uk = (kernel ? kernel : config().qs8_gemv)->fn;
  if (worth_threads(static_cast<double>(m) * k)) {
    parallel_for(m,
                 [&](int o0, int o1) { uk(o1 - o0, k, q + o0 * ldq, scale + o0, ldq, x, y + o0); });
    return;
  }
  uk(m, k, q, scale, ldq, x, y);
}

namespace {

// Rows of W per block of the batched GEMVs: about 256 KiB of weights (L2), at least 4 rows.
int batch_rows(int k, int bytes_per_weight) {
  return std::max(4, (256 << 10) / std::max(1, k * bytes_per_weight));
}

}  // namespace

void gemv_batch(int m, int k, const float* w, ptrdiff_t ldw, const float* x, ptrdiff_t ldx, int nv,
                float* y, ptrdiff_t ldy) {
  const GemvUkernel uk = config().gemv->fn;
  const int rb = batch_rows(k, 4);
  parallel_for((m + rb - 1) / rb, [&](int b0, int b1) {
    for (int b = b0; b < b1; ++b) {
      const int o0 = b * rb, rows = std::min(rb, m - o0);
      for (int v = 0; v < nv; ++v) uk(rows, k, w + o0 * ldw, ldw, x + v * ldx, y + v * ldy + o0);
    }
  });
}

void gemv_qs8_batch(int m, int k, const int8_t* q, const float* scale, ptrdiff_t ldq,
                    const float* x, ptrdiff_t ldx, int nv, float* y, ptrdiff_t ldy) {
  const Qs8GemvUkernel uk = config().qs8_gemv->fn;
  const int rb = batch_rows(k, 1);
  parallel_for((m + rb - 1) / rb, [&](int b0, int b1) {
    for (int b = b0; b < b1; ++b) {
      const int o0 = b * rb, rows = std::min(rb, m - o0);
      for (int v = 0; v < nv; ++v)
        uk(rows, k, q + o0 * ldq, scale + o0, ldq, x + v * ldx, y + v * ldy + o0);
    }
  });
}

namespace {

// gemv_t_qs8 on one thread, for a block of gradient columns.
void gemv_t_qs8_serial(int rows, int m, int n, const float* gy, ptrdiff_t ldg, const int8_t* q,
                       const float* scale, ptrdiff_t ldq, float* gx, ptrdiff_t ldx) {
  for (int r = 0; r < rows; ++r) std::fill(gx + r * ldx, gx + r * ldx + n, 0.0f);
  constexpr int kChunk = 2048;  // as gemv_t
  float wr[kChunk];             // one dequantised row chunk, shared by every gradient row
  for (int j0 = 0; j0 < n; j0 += kChunk) {
    const int len = std::min(kChunk, n - j0);
    for (int o = 0; o < m; ++o) {
      bool any = false;
      for (int r = 0; r < rows; ++r) any = any || gy[r * ldg + o] != 0.0f;
      if (!any) continue;
      const int8_t* qr = q + o * ldq + j0;
      const float s = scale[o];
      for (int j = 0; j < len; ++j) wr[j] = static_cast<float>(qr[j]) * s;
      for (int r = 0; r < rows; ++r) {
        const float g = gy[r * ldg + o];
        if (g == 0.0f) continue;
        float* dst = gx + r * ldx + j0;
        for (int j = 0; j < len; ++j) dst[j] = dst[j] + g * wr[j];
      }
    }
  }
}

// gemv_t on one thread, for a block of gradient columns.
void gemv_t_serial(int rows, int m, int n, const float* gy, ptrdiff_t ldg, const float* w,
                   ptrdiff_t ldw, float* gx, ptrdiff_t ldx) {
  for (int r = 0; r < rows; ++r) std::fill(gx + r * ldx, gx + r * ldx + n, 0.0f);
  constexpr int kChunk = 2048;  // columns per sweep: the rows of gx being summed stay in L1
  for (int j0 = 0; j0 < n; j0 += kChunk) {
    const int len = std::min(kChunk, n - j0);
    for (int o = 0; o < m; ++o) {
      const float* wr = w + o * ldw + j0;
      for (int r = 0; r < rows; ++r) {
        const float g = gy[r * ldg + o];
        if (g == 0.0f) continue;
        float* dst = gx + r * ldx + j0;
        for (int j = 0; j < len; ++j) dst[j] = dst[j] + g * wr[j];
      }
    }
  }
}

// Column blocks of 64 (a cache line's worth of floats times four), one range per thread.
constexpr int kColBlock = 64;

}  // namespace

void gemv_t_qs8(int rows, int m, int n, const float* gy, ptrdiff_t ldg, const int8_t* q,
                const float* scale, ptrdiff_t ldq, float* gx, ptrdiff_t ldx) {
  if (!worth_threads(static_cast<double>(rows) * m * n)) {
    gemv_t_qs8_serial(rows, m, n, gy, ldg, q, scale, ldq, gx, ldx);
    return;
  }
  parallel_for((n + kColBlock - 1) / kColBlock, [&](int b0, int b1) {
    const int j0 = b0 * kColBlock, j1 = std::min(n, b1 * kColBlock);
    gemv_t_qs8_serial(rows, m, j1 - j0, gy, ldg, q + j0, scale, ldq, gx + j0, ldx);
  });
}

void gemv_t(int rows, int m, int n, const float* gy, ptrdiff_t ldg, const float* w, ptrdiff_t ldw,
            float* gx, ptrdiff_t ldx) {
  if (!worth_threads(static_cast<double>(rows) * m * n)) {
    gemv_t_serial(rows, m, n, gy, ldg, w, ldw, gx, ldx);
    return;
  }
  parallel_for((n + kColBlock - 1) / kColBlock, [&](int b0, int b1) {
    const int j0 = b0 * kColBlock, j1 = std::min(n, b1 * kColBlock);
    gemv_t_serial(rows, m, j1 - j0, gy, ldg, w + j0, ldw, gx + j0, ldx);
  });
}

}  // namespace kernels
}  // namespace camscope

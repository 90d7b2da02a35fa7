// Pools with PyTorch's semantics: MaxPool2d (padding, dilation, ceil_mode), AvgPool2d
// (padding, ceil_mode, count_include_pad), AdaptiveAvgPool2d; forward and input gradient.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops.h"

namespace camscope {
namespace ops {
namespace {

// PyTorch's adaptive pooling window [start, end) for output index i of o over n inputs.
int adaptive_start(int i, int n, int o) {
  return static_cast<int>((static_cast<long>(i) * n) / o);
}
int adaptive_end(int i, int n, int o) {
  return static_cast<int>(((static_cast<long>(i) + 1) * n + o - 1) / o);
}

// Windows that never leave the input: no padding, no dilation, the last window inside.
bool plain_windows(const Window& w, Shape in, Shape out) {
  return w.pt == 0 && w.pl == 0 && w.dh == 1 && w.dw == 1 && (out.h - 1) * w.sh + w.kh <= in.h &&
         (out.w - 1) * w.sw + w.kw <= in.w;
}

// Max-pool, separably: the max over each window's row (kx in order), then over the window's
// rows (ky in order). Same winner as PyTorch's raster scan: the first maximum (strict >), and
// a NaN replaces whatever came before it (so the last NaN wins), in both orders.
void maxpool_separable(const Window& w, const float* x, Shape in, float* y, Shape out, int32_t* arg,
                       Workspace& ws) {
  const size_t n = static_cast<size_t>(in.h) * out.w;
  float* hv = Workspace::get(ws.rows, n);
  if (ws.irows.size() < n) ws.irows.resize(n);
  int32_t* hi = ws.irows.data();
  for (int c = 0; c < in.c; ++c) {
    const float* xc = x + c * in.plane();
    const int32_t base = static_cast<int32_t>(c * in.plane());
    // Row pass over every input row a window uses.
    const int rows = (out.h - 1) * w.sh + w.kh;
    for (int iy = 0; iy < rows; ++iy) {
      const float* src = xc + iy * in.w;
      float* v = hv + iy * out.w;
      int32_t* ix = hi + iy * out.w;
      for (int ox = 0; ox < out.w; ++ox) {
        const int x0 = ox * w.sw;
        float bv = src[x0];
        int bi = x0;
        for (int kx = 1; kx < w.kw; ++kx) {
          const float u = src[x0 + kx];
          if (u > bv || std::isnan(u)) bv = u, bi = x0 + kx;
        }
        v[ox] = bv;
        ix[ox] = base + iy * in.w + bi;
      }
    }
    float* yc = y + c * out.plane();
    int32_t* ac = arg + c * out.plane();
    for (int oy = 0; oy < out.h; ++oy) {
      const int y0 = oy * w.sh;
      float* yr = yc + oy * out.w;
      int32_t* ar = ac + oy * out.w;
      std::copy(hv + y0 * out.w, hv + (y0 + 1) * out.w, yr);
      std::copy(hi + y0 * out.w, hi + (y0 + 1) * out.w, ar);
      for (int ky = 1; ky < w.kh; ++ky) {
        const float* v = hv + (y0 + ky) * out.w;
        const int32_t* ix = hi + (y0 + ky) * out.w;
        for (int ox = 0; ox < out.w; ++ox) {
          if (v[ox] > yr[ox] || std::isnan(v[ox])) yr[ox] = v[ox], ar[ox] = ix[ox];
        }
      }
    }
  }
}

// First valid tap of a window starting at s (may be negative) with dilation d.
int first_tap(int s, int d) {
  while (s < 0) s += d;
  return s;
}

}  // namespace

void maxpool_forward(const Node& n, const float* x, Shape in, float* y, Shape out,
                     std::vector<int32_t>& argmax, Workspace& ws) {
  argmax.resize(out.size());
  const Window& w = n.win;
  if (plain_windows(w, in, out)) {
    maxpool_separable(w, x, in, y, out, argmax.data(), ws);
    return;
  }
  // PyTorch's CPU loop: the window clipped to the input, -inf padding, raster order.
  for (int c = 0; c < in.c; ++c) {
    const float* xc = x + c * in.plane();
    const int32_t base = static_cast<int32_t>(c * in.plane());
    for (int oy = 0; oy < out.h; ++oy) {
      const int hs = oy * w.sh - w.pt;
      const int he = std::min(hs + (w.kh - 1) * w.dh + 1, in.h);
      const int y0 = first_tap(hs, w.dh);
      for (int ox = 0; ox < out.w; ++ox) {
        const int ws0 = ox * w.sw - w.pl;
        const int we = std::min(ws0 + (w.kw - 1) * w.dw + 1, in.w);
        const int x0 = first_tap(ws0, w.dw);
        float best = -std::numeric_limits<float>::infinity();
        int bi = y0 * in.w + x0;
        for (int iy = y0; iy < he; iy += w.dh) {
          for (int ix = x0; ix < we; ix += w.dw) {
            const float v = xc[iy * in.w + ix];
            if (v > best || std::isnan(v)) best = v, bi = iy * in.w + ix;
          }
        }
        const size_t o = static_cast<size_t>(c) * out.plane() + oy * out.w + ox;
        y[o] = best;
        argmax[o] = base + bi;
      }
    }
  }
}

void maxpool_backward(Shape in, Shape out, const std::vector<int32_t>& argmax, int k_rows,
                      const float* gy, float* gx) {
  const size_t n_in = in.size(), n_out = out.size();
  std::fill(gx, gx + k_rows * n_in, 0.0f);
  for (int r = 0; r < k_rows; ++r)
    for (size_t i = 0; i < n_out; ++i) gx[r * n_in + argmax[i]] += gy[r * n_out + i];
}

namespace {

// One average-pool window, PyTorch's rule: [y0, y1) x [x0, x1) clipped to the input, and the
// divisor: the window's size inside input + padding (count_include_pad) or inside the input.
struct AvgWindow {
  int y0, y1, x0, x1;
  float divisor;
};

AvgWindow avg_window(const Node& n, Shape in, int oy, int ox) {
  const Window& w = n.win;
  int y0 = oy * w.sh - w.pt, x0 = ox * w.sw - w.pl;
  int y1 = std::min(y0 + w.kh, in.h + w.pb), x1 = std::min(x0 + w.kw, in.w + w.pr);
  const int pool = (y1 - y0) * (x1 - x0);
  y0 = std::max(y0, 0), x0 = std::max(x0, 0);
  y1 = std::min(y1, in.h), x1 = std::min(x1, in.w);
  const int inside = std::max(0, y1 - y0) * std::max(0, x1 - x0);
  return {y0, y1, x0, x1, static_cast<float>(n.count_include_pad ? pool : inside)};
}

}  // namespace

void avgpool_forward(const Node& n, const float* x, Shape in, float* y, Shape out) {
  for (int c = 0; c < in.c; ++c) {
    const float* xc = x + c * in.plane();
    for (int oy = 0; oy < out.h; ++oy) {
      for (int ox = 0; ox < out.w; ++ox) {
        const AvgWindow a = avg_window(n, in, oy, ox);
        float sum = 0.0f;
        for (int iy = a.y0; iy < a.y1; ++iy)
          for (int ix = a.x0; ix < a.x1; ++ix) sum += xc[iy * in.w + ix];
        y[c * out.plane() + oy * out.w + ox] =
            a.y0 < a.y1 && a.x0 < a.x1 && a.divisor > 0.0f ? sum / a.divisor : 0.0f;
      }
    }
  }
}

void avgpool_backward(const Node& n, Shape in, Shape out, int k_rows, const float* gy, float* gx) {
  std::fill(gx, gx + static_cast<size_t>(k_rows) * in.size(), 0.0f);
  for (int r = 0; r < k_rows; ++r) {
    for (int c = 0; c < in.c; ++c) {
      float* dc = gx + r * in.size() + c * in.plane();
      const float* gc = gy + r * out.size() + c * out.plane();
      for (int oy = 0; oy < out.h; ++oy) {
        for (int ox = 0; ox < out.w; ++ox) {
          const AvgWindow a = avg_window(n, in, oy, ox);
          if (!(a.divisor > 0.0f)) continue;
          const float g = gc[oy * out.w + ox] / a.divisor;
          for (int iy = a.y0; iy < a.y1; ++iy)
            for (int ix = a.x0; ix < a.x1; ++ix) dc[iy * in.w + ix] += g;
        }
      }
    }
  }
}

void adaptive_forward(const float* x, Shape in, float* y, Shape out) {
  for (int c = 0; c < in.c; ++c) {
    const float* xc = x + c * in.plane();
    for (int oy = 0; oy < out.h; ++oy) {
      const int ys = adaptive_start(oy, in.h, out.h), ye = adaptive_end(oy, in.h, out.h);
      for (int ox = 0; ox < out.w; ++ox) {
        const int xs = adaptive_start(ox, in.w, out.w), xe = adaptive_end(ox, in.w, out.w);
        float sum = 0.0f;
        for (int iy = ys; iy < ye; ++iy)
          for (int ix = xs; ix < xe; ++ix) sum += xc[iy * in.w + ix];
        y[c * out.plane() + oy * out.w + ox] = sum / static_cast<float>((ye - ys) * (xe - xs));
      }
    }
  }
}

void adaptive_backward(Shape in, Shape out, int k_rows, const float* gy, float* gx) {
  std::fill(gx, gx + static_cast<size_t>(k_rows) * in.size(), 0.0f);
  for (int r = 0; r < k_rows; ++r) {
    for (int c = 0; c < in.c; ++c) {
      float* dc = gx + r * in.size() + c * in.plane();
      const float* gc = gy + r * out.size() + c * out.plane();
      for (int oy = 0; oy < out.h; ++oy) {
        const int ys = adaptive_start(oy, in.h, out.h), ye = adaptive_end(oy, in.h, out.h);
        for (int ox = 0; ox < out.w; ++ox) {
          const int xs = adaptive_start(ox, in.w, out.w), xe = adaptive_end(ox, in.w, out.w);
          const float g = gc[oy * out.w + ox] / static_cast<float>((ye - ys) * (xe - xs));
          for (int iy = ys; iy < ye; ++iy)
            for (int ix = xs; ix < xe; ++ix) dc[iy * in.w + ix] += g;
        }
      }
    }
  }
}

}  // namespace ops
}  // namespace camscope

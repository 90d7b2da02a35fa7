// Conv2d: Winograd F(2x2,3x3), im2col + packed GEMM per group, or direct depthwise loops;
// the input gradient by the same kernels on the transposed weights; the fused epilogue.
#include <algorithm>
#include <cmath>

#include "kernels/gemm.h"
#include "kernels/winograd.h"
#include "ops.h"

namespace camscope {
namespace ops {
namespace {

kernels::ConvGeom geometry(const Node& n, int channels, Shape in, Shape out) {
  kernels::ConvGeom g;
  g.c = channels, g.h = in.h, g.w = in.w;
  g.kh = n.win.kh, g.kw = n.win.kw, g.sh = n.win.sh, g.sw = n.win.sw;
  g.pt = n.win.pt, g.pl = n.win.pl, g.dh = n.win.dh, g.dw = n.win.dw;
  g.oh = out.h, g.ow = out.w;
  return g;
}

// A 1x1, stride-1, unpadded conv reads its input as the GEMM's B matrix as it is.
bool pointwise(const Node& n) {
  const Window& w = n.win;
  return w.kh == 1 && w.kw == 1 && w.sh == 1 && w.sw == 1 && w.pt == 0 && w.pl == 0 && w.pb == 0 &&
         w.pr == 0;
}

// Weights per group's GEMM row (CIN/G * KH * KW).
int group_k(const Node& n) {
  return n.cin / n.groups * n.win.kh * n.win.kw;
}

void make_backward(const Node& n, const ConvWeights& cw) {
  std::vector<float> scratch;
  const float* weight = n.float_weight(scratch);
  if (cw.algo == ConvAlgo::Winograd) {
    // dX = conv3x3_pad1(dY, W') with W'(c, o, ky, kx) = W(o, c, 2 - ky, 2 - kx).
    cw.bwd.resize(kernels::winograd_weight_size(n.cin, n.cout, cw.gemm));
    kernels::winograd_pack_weights(n.cin, n.cout, weight + 8, 9, n.cin * 9, -3, -1, cw.bwd.data(),
                                   cw.gemm);
  } else if (cw.algo == ConvAlgo::Gemm) {
    const int cog = n.cout / n.groups, kk = group_k(n);
    const size_t per = kernels::packed_a_size(kk, cog, cw.gemm);
    cw.bwd.resize(per * n.groups);
    for (int g = 0; g < n.groups; ++g)
      kernels::pack_a(kk, cog, weight + static_cast<size_t>(g) * cog * kk, 1, kk,
                      cw.bwd.data() + g * per, cw.gemm);
  }
}

void depthwise_forward(const Node& n, const float* x, Shape in, float* y, Shape out) {
  const int mult = n.cout / n.cin;
  const Window& w = n.win;
  const size_t oplane = out.plane();
  for (int co = 0; co < n.cout; ++co) {
    const float* xc = x + static_cast<size_t>(co / mult) * in.plane();
    float* yc = y + static_cast<size_t>(co) * oplane;
    std::fill(yc, yc + oplane, 0.0f);
    const float* wk = n.weight.data() + static_cast<size_t>(co) * w.kh * w.kw;
    for (int ky = 0; ky < w.kh; ++ky) {
      for (int kx = 0; kx < w.kw; ++kx) {
        const float wv = wk[ky * w.kw + kx];
        const int off = kx * w.dw - w.pl;  // ix = ox * sw + off
        const int lo = std::min(out.w, off >= 0 ? 0 : (-off + w.sw - 1) / w.sw);
        const int hi =
            in.w - 1 - off < 0 ? lo : std::max(lo, std::min(out.w, (in.w - 1 - off) / w.sw + 1));
        for (int oy = 0; oy < out.h; ++oy) {
          const int iy = oy * w.sh - w.pt + ky * w.dh;
          if (iy < 0 || iy >= in.h) continue;
          const float* src = xc + static_cast<size_t>(iy) * in.w + off;
          float* dst = yc + static_cast<size_t>(oy) * out.w;
          if (w.sw == 1) {
            for (int ox = lo; ox < hi; ++ox) dst[ox] += wv * src[ox];
          } else {
            for (int ox = lo; ox < hi; ++ox) dst[ox] += wv * src[ox * w.sw];
          }
        }
      }
    }
  }
}

void depthwise_backward(const Node& n, Shape in, Shape out, const float* gy, float* gx) {
  const int mult = n.cout / n.cin;
  const Window& w = n.win;
  std::fill(gx, gx + in.size(), 0.0f);
  for (int co = 0; co < n.cout; ++co) {
    float* dc = gx + static_cast<size_t>(co / mult) * in.plane();
    const float* gc = gy + static_cast<size_t>(co) * out.plane();
    const float* wk = n.weight.data() + static_cast<size_t>(co) * w.kh * w.kw;
    for (int ky = 0; ky < w.kh; ++ky) {
      for (int kx = 0; kx < w.kw; ++kx) {
        const float wv = wk[ky * w.kw + kx];
        for (int oy = 0; oy < out.h; ++oy) {
          const int iy = oy * w.sh - w.pt + ky * w.dh;
          if (iy < 0 || iy >= in.h) continue;
          float* dst = dc + static_cast<size_t>(iy) * in.w;
          const float* src = gc + static_cast<size_t>(oy) * out.w;
          for (int ox = 0; ox < out.w; ++ox) {
            const int ix = ox * w.sw - w.pl + kx * w.dw;
            if (ix >= 0 && ix < in.w) dst[ix] += wv * src[ox];
          }
        }
      }
    }
  }
}

// One output channel of the conv epilogue: v = conv (+ bias), u = v * a + c (batchnorm), then
// ReLU (kAct 1) or Clip to [lo, hi] (kAct 2) -- the float operations of the separate nodes
// (and of activate()), each value written to its own kept output.
template <bool kBias, bool kBn, int kAct>
void epilogue_row(float* row, float b, float a, float c, float lo, float hi, float* z, float* r,
                  size_t hw) {
  for (size_t i = 0; i < hw; ++i) {
    float v = row[i];
    if (kBias) {
      v = v + b;
      row[i] = v;
    }
    float u = v;
    if (kBn) {
      u = v * a + c;
      z[i] = u;
    }
    if (kAct == 1) r[i] = u > 0.0f ? u : 0.0f;
    if (kAct == 2) r[i] = u < lo ? lo : (u > hi ? hi : u);
  }
}

using EpilogueRow = void (*)(float*, float, float, float, float, float, float*, float*, size_t);

template <bool kBias, bool kBn>
EpilogueRow epilogue_row_for_act(int act) {
  return act == 0 ? epilogue_row<kBias, kBn, 0>
                  : (act == 1 ? epilogue_row<kBias, kBn, 1> : epilogue_row<kBias, kBn, 2>);
}

// The sweep for a bias or not, a batchnorm or not, and no activation (0), ReLU (1) or Clip (2).
EpilogueRow epilogue_row_for(bool bias, bool bn, int act) {
  if (bias)
    return bn ? epilogue_row_for_act<true, true>(act) : epilogue_row_for_act<true, false>(act);
  return bn ? epilogue_row_for_act<false, true>(act) : epilogue_row_for_act<false, false>(act);
}

}  // namespace

ConvAlgo conv_algo(const Node& n) {
  const Window& w = n.win;
  if (n.groups == 1 && w.kh == 3 && w.kw == 3 && w.sh == 1 && w.sw == 1 && w.dh == 1 && w.dw == 1 &&
      w.pt == 1 && w.pl == 1 && w.pb == 1 && w.pr == 1 && n.cin >= 32 && n.cout >= 32)
    return ConvAlgo::Winograd;
  if (n.depthwise()) return ConvAlgo::Depthwise;
  return ConvAlgo::Gemm;
}

std::unique_ptr<ConvWeights> prepare_conv(const Node& n, std::vector<float>& scratch) {
  auto cw = std::make_unique<ConvWeights>();
  cw->algo = conv_algo(n);
  cw->gemm = kernels::config().gemm;
  const float* weight = n.float_weight(scratch);
  if (cw->algo == ConvAlgo::Winograd) {
    cw->fwd.resize(kernels::winograd_weight_size(n.cout, n.cin, cw->gemm));
    kernels::winograd_pack_weights(n.cout, n.cin, weight, n.cin * 9, 9, 3, 1, cw->fwd.data(),
                                   cw->gemm);
  } else if (cw->algo == ConvAlgo::Gemm) {
    const int cog = n.cout / n.groups, kk = group_k(n);
    const size_t per = kernels::packed_a_size(cog, kk, cw->gemm);
    cw->fwd.resize(per * n.groups);
    for (int g = 0; g < n.groups; ++g)
      kernels::pack_a(cog, kk, weight + static_cast<size_t>(g) * cog * kk, kk, 1,
                      cw->fwd.data() + g * per, cw->gemm);
  }
  return cw;
}

void conv_forward(const Node& n, const ConvWeights& cw, const float* x, Shape in, float* y,
                  Shape out, Workspace& ws) {
  if (cw.algo == ConvAlgo::Winograd) {
    float* s =
        Workspace::get(ws.cols, kernels::winograd_scratch_size(n.cin, n.cout, in.h, in.w, cw.gemm));
    kernels::winograd_conv3x3(n.cin, n.cout, in.h, in.w, x, cw.fwd.data(), y, s, cw.gemm);
    return;
  }
  if (cw.algo == ConvAlgo::Depthwise) {
    depthwise_forward(n, x, in, y, out);
    return;
  }
  const int cig = n.cin / n.groups, cog = n.cout / n.groups, kk = group_k(n);
  const int ohw = static_cast<int>(out.plane());
  const size_t per = kernels::packed_a_size(cog, kk, cw.gemm);
  const kernels::ConvGeom geom = geometry(n, cig, in, out);
  float* scratch = Workspace::get(ws.panels, kernels::conv_gemm_scratch_size(geom));
  for (int g = 0; g < n.groups; ++g)  // im2col packed block by block inside the GEMM
    kernels::conv_gemm(cog, geom, x + static_cast<size_t>(g) * cig * in.plane(),
                       cw.fwd.data() + g * per, y + static_cast<size_t>(g) * cog * ohw, ohw,
                       scratch, cw.gemm);
}

void conv_backward(const Node& n, const ConvWeights& cw, Shape in, Shape out, int k_rows,
                   const float* gy, float* gx, Workspace& ws) {
  std::call_once(cw.bwd_once, [&] { make_backward(n, cw); });
  if (cw.algo == ConvAlgo::Winograd) {
    float* s =
        Workspace::get(ws.cols, kernels::winograd_scratch_size(n.cout, n.cin, in.h, in.w, cw.gemm));
    for (int r = 0; r < k_rows; ++r)
      kernels::winograd_conv3x3(n.cout, n.cin, in.h, in.w, gy + static_cast<size_t>(r) * out.size(),
                                cw.bwd.data(), gx + static_cast<size_t>(r) * in.size(), s, cw.gemm);
    return;
  }
  if (cw.algo == ConvAlgo::Depthwise) {
    for (int r = 0; r < k_rows; ++r)
      depthwise_backward(n, in, out, gy + static_cast<size_t>(r) * out.size(),
                         gx + static_cast<size_t>(r) * in.size());
    return;
  }
  const int cig = n.cin / n.groups, cog = n.cout / n.groups, kk = group_k(n);
  const int ohw = static_cast<int>(out.plane());
  const size_t per = kernels::packed_a_size(kk, cog, cw.gemm);
  const kernels::ConvGeom geom = geometry(n, cig, in, out);
  float* bp = Workspace::get(ws.panels, kernels::packed_b_size(cog, ohw, cw.gemm));
  float* col = pointwise(n) ? nullptr : Workspace::get(ws.cols, static_cast<size_t>(kk) * ohw);
  for (int r = 0; r < k_rows; ++r) {
    const float* g_r = gy + static_cast<size_t>(r) * out.size();
    float* dx = gx + static_cast<size_t>(r) * in.size();
    for (int g = 0; g < n.groups; ++g) {
      float* dxg = dx + static_cast<size_t>(g) * cig * in.plane();
      kernels::pack_b(cog, ohw, g_r + static_cast<size_t>(g) * cog * ohw, ohw, bp, cw.gemm);
      if (col == nullptr) {  // 1x1 stride 1: the window matrix is the gradient itself
        kernels::gemm(kk, ohw, cog, cw.bwd.data() + g * per, bp, dxg, ohw, cw.gemm);
        continue;
      }
      kernels::gemm(kk, ohw, cog, cw.bwd.data() + g * per, bp, col, ohw, cw.gemm);
      std::fill(dxg, dxg + static_cast<size_t>(cig) * in.plane(), 0.0f);
      kernels::col2im_add(col, geom, dxg);
    }
  }
}

void conv_epilogue(const Node& conv, const Node* bn, const Node* act, float* y, float* bn_out,
                   float* act_out, size_t hw) {
  // Every choice (bias, batchnorm, activation kind) made once per call, outside the loops: each
  // loop is a plain element-wise sweep with nothing to test per element.
  if (!conv.has_bias && bn == nullptr && act == nullptr) return;
  const EpilogueRow fn = epilogue_row_for(conv.has_bias, bn != nullptr,
                                          act == nullptr ? 0 : (act->op == Op::ReLU ? 1 : 2));
  const float lo = act != nullptr ? act->lo : 0.0f, hi = act != nullptr ? act->hi : 0.0f;
  for (int o = 0; o < conv.cout; ++o) {
    const size_t off = static_cast<size_t>(o) * hw;
    float a = 1.0f, c = 0.0f;
    if (bn != nullptr) batchnorm_coefficients(*bn, o, a, c);
    fn(y + off, conv.has_bias ? conv.bias[o] : 0.0f, a, c, lo, hi,
       bn_out != nullptr ? bn_out + off : nullptr, act_out != nullptr ? act_out + off : nullptr,
       hw);
  }
}

}  // namespace ops
}  // namespace camscope

// Layers with PyTorch semantics (forward and input-gradient), and the network chain.
#include "network.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/gemm.h"
#include "kernels/winograd.h"

namespace camscope {
namespace {

// Output length of a window of size k, stride s, padding p over n inputs (floor mode).
int window_out(int n, int k, int s, int p) {
  return (n + 2 * p - k) / s + 1;
}

// PyTorch's adaptive pooling window [start, end) for output index i of o over n inputs.
int adaptive_start(int i, int n, int o) {
  return static_cast<int>((static_cast<long>(i) * n) / o);
}
int adaptive_end(int i, int n, int o) {
  return static_cast<int>(((static_cast<long>(i) + 1) * n + o - 1) / o);
}

// Adds a (C*K*K) x (OH*OW) window matrix back onto a zeroed CHW gradient (im2col's adjoint).
void col2im(const float* col, Shape in, int k, int s, int p, int oh, int ow, float* dx) {
  const int ohw = oh * ow;
  for (int c = 0; c < in.c; ++c) {
    float* dc = dx + static_cast<size_t>(c) * in.plane();
    for (int ky = 0; ky < k; ++ky) {
      for (int kx = 0; kx < k; ++kx) {
        const float* row = col + (static_cast<size_t>(c) * k * k + ky * k + kx) * ohw;
        for (int oy = 0; oy < oh; ++oy) {
          const int iy = oy * s - p + ky;
          if (iy < 0 || iy >= in.h) continue;
          float* dst = dc + static_cast<size_t>(iy) * in.w;
          const float* src = row + oy * ow;
          for (int ox = 0; ox < ow; ++ox) {
            const int ix = ox * s - p + kx;
            if (ix >= 0 && ix < in.w) dst[ix] += src[ox];
          }
        }
      }
    }
  }
}

// BatchNorm (inference) as y = x * scale + shift for channel c, the one place these are
// computed: the fused conv epilogue and the batchnorm layer must round alike.
void batchnorm_coefficients(const Layer& bn, int c, float& scale, float& shift) {
  const float invstd = 1.0f / std::sqrt(bn.var[c] + bn.eps);
  scale = bn.weight[c] * invstd;
  shift = bn.bias[c] - bn.mean[c] * scale;
}

// A scratch buffer reused across calls (large: no allocation and page faults per layer).
float* scratch(std::vector<float>& buf, size_t n) {
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// W (COUT x CIN*K*K) as packed A panels, and W^T for the backward pass.
const std::vector<float>& packed_weight(const Layer& l) {
  const int kk = l.cin * l.k * l.k;
  const size_t n = kernels::packed_a_size(l.cout, kk);
  if (l.packed.size() != n) {
    l.packed.resize(n);
    kernels::pack_a(l.cout, kk, l.weight.data(), kk, 1, l.packed.data());
  }
  return l.packed;
}

const std::vector<float>& packed_weight_t(const Layer& l) {
  const int kk = l.cin * l.k * l.k;
  const size_t n = kernels::packed_a_size(kk, l.cout);
  if (l.packed_t.size() != n) {
    l.packed_t.resize(n);
    kernels::pack_a(kk, l.cout, l.weight.data(), 1, kk, l.packed_t.data());
  }
  return l.packed_t;
}

// Winograd F(2x2,3x3) for 3x3, stride 1, padding 1 convs with enough channels for the
// transforms to pay off (measured per layer: bench/layer_bench.cpp; README "Performance").
// A fixed rule, never a run-time measurement, so every build picks the same path and
// rounds alike.
bool use_winograd(const Layer& l) {
  return l.k == 3 && l.stride == 1 && l.pad == 1 && l.cin >= 32 && l.cout >= 32;
}

const std::vector<float>& winograd_weight(const Layer& l) {
  const size_t n = kernels::winograd_weight_size(l.cout, l.cin);
  if (l.wino.size() != n) {
    l.wino.resize(n);
    kernels::winograd_pack_weights(l.cout, l.cin, l.weight.data(), l.cin * 9, 9, 3, 1,
                                   l.wino.data());
  }
  return l.wino;
}

// dX = conv3x3_pad1(dY, W') with W'(c, o, ky, kx) = W(o, c, 2 - ky, 2 - kx).
const std::vector<float>& winograd_weight_t(const Layer& l) {
  const size_t n = kernels::winograd_weight_size(l.cin, l.cout);
  if (l.wino_t.size() != n) {
    l.wino_t.resize(n);
    kernels::winograd_pack_weights(l.cin, l.cout, l.weight.data() + 8, 9, l.cin * 9, -3, -1,
                                   l.wino_t.data());
  }
  return l.wino_t;
}

void winograd_forward(const Layer& l, const float* x, Shape in, float* y) {
  thread_local std::vector<float> buf;
  float* s = scratch(buf, kernels::winograd_scratch_size(l.cin, l.cout, in.h, in.w));
  kernels::winograd_conv3x3(l.cin, l.cout, in.h, in.w, x, winograd_weight(l).data(), y, s);
}

// The per-channel pass after a conv GEMM: adds the bias to the conv output and, in the
// same sweep, computes the batchnorm (if `bn`) and ReLU (if `relu`) layers that follow it,
// each into its own kept output, with exactly the float operations of the separate layers.
void conv_epilogue(const Layer& l, const Layer* bn, float* conv, float* bn_out, float* relu_out,
                   size_t hw) {
  for (int o = 0; o < l.cout; ++o) {
    float* row = conv + static_cast<size_t>(o) * hw;
    const float b = l.bias[o];
    if (bn == nullptr && relu_out == nullptr) {
      for (size_t i = 0; i < hw; ++i) row[i] += b;
      continue;
    }
    if (bn == nullptr) {
      float* r = relu_out + static_cast<size_t>(o) * hw;
      for (size_t i = 0; i < hw; ++i) {
        const float v = row[i] + b;
        row[i] = v;
        r[i] = v > 0.0f ? v : 0.0f;
      }
      continue;
    }
    float a, c;
    batchnorm_coefficients(*bn, o, a, c);
    float* z = bn_out + static_cast<size_t>(o) * hw;
    if (relu_out == nullptr) {
      for (size_t i = 0; i < hw; ++i) {
        const float v = row[i] + b;
        row[i] = v;
        z[i] = v * a + c;
      }
      continue;
    }
    float* r = relu_out + static_cast<size_t>(o) * hw;
    for (size_t i = 0; i < hw; ++i) {
      const float v = row[i] + b;
      const float u = v * a + c;
      row[i] = v;
      z[i] = u;
      r[i] = u > 0.0f ? u : 0.0f;
    }
  }
}

// Convolution without bias: Y (COUT x OH*OW) = W (COUT x CIN*K*K) * im2col(X), with im2col
// written straight into packed panels; or Winograd F(2x2,3x3) where use_winograd(l) says.
void conv_forward_nobias(const Layer& l, const Tensor& x, Tensor& y) {
  if (use_winograd(l)) {
    winograd_forward(l, x.data.data(), x.shape, y.data.data());
    return;
  }
  thread_local std::vector<float> panels;
  const int ohw = static_cast<int>(y.shape.plane());
  const int kk = l.cin * l.k * l.k;
  float* bp = scratch(panels, kernels::packed_b_size(kk, ohw));
  if (l.k == 1 && l.stride == 1 && l.pad == 0) {
    kernels::pack_b(kk, ohw, x.data.data(), ohw, bp);
  } else {
    kernels::im2col_pack_b(x.data.data(), x.shape.c, x.shape.h, x.shape.w, l.k, l.stride, l.pad,
                           y.shape.h, y.shape.w, bp);
  }
  kernels::gemm(l.cout, ohw, kk, packed_weight(l).data(), bp, y.data.data(), ohw);
}

// dX = col2im(W^T (CIN*K*K x COUT) * dY (COUT x OH*OW)), one GEMM per gradient row.
void conv_backward(const Layer& l, Shape in, Shape outs, int k_rows, const float* gy, float* gx) {
  if (use_winograd(l)) {
    thread_local std::vector<float> buf;
    float* s = scratch(buf, kernels::winograd_scratch_size(l.cout, l.cin, in.h, in.w));
    const float* u = winograd_weight_t(l).data();
    for (int r = 0; r < k_rows; ++r)
      kernels::winograd_conv3x3(l.cout, l.cin, in.h, in.w,
                                gy + static_cast<size_t>(r) * outs.size(), u,
                                gx + static_cast<size_t>(r) * in.size(), s);
    return;
  }
  thread_local std::vector<float> panels, cols;
  const int ohw = static_cast<int>(outs.plane());
  const int kk = l.cin * l.k * l.k;
  const float* wt = packed_weight_t(l).data();
  float* bp = scratch(panels, kernels::packed_b_size(l.cout, ohw));
  float* col = scratch(cols, static_cast<size_t>(kk) * ohw);
  for (int r = 0; r < k_rows; ++r) {
    const float* g = gy + static_cast<size_t>(r) * outs.size();
    float* dx = gx + static_cast<size_t>(r) * in.size();
    kernels::pack_b(l.cout, ohw, g, ohw, bp);
    kernels::gemm(kk, ohw, l.cout, wt, bp, col, ohw);
    std::fill(dx, dx + in.size(), 0.0f);
    col2im(col, in, l.k, l.stride, l.pad, outs.h, outs.w, dx);
  }
}

void batchnorm_forward(const Layer& l, const Tensor& x, Tensor& y) {
  const size_t hw = x.shape.plane();
  for (int c = 0; c < x.shape.c; ++c) {
    float a, b;
    batchnorm_coefficients(l, c, a, b);
    const float* src = x.data.data() + c * hw;
    float* dst = y.data.data() + c * hw;
    for (size_t i = 0; i < hw; ++i) dst[i] = src[i] * a + b;
  }
}

void batchnorm_backward(const Layer& l, Shape s, int k_rows, const float* gy, float* gx) {
  const size_t hw = s.plane();
  for (int r = 0; r < k_rows; ++r) {
    for (int c = 0; c < s.c; ++c) {
      float a, shift;
      batchnorm_coefficients(l, c, a, shift);
      const size_t base = r * s.size() + c * hw;
      for (size_t i = 0; i < hw; ++i) gx[base + i] = gy[base + i] * a;
    }
  }
}

// Max-pool, separably: the max over each window's row (kx in order), then over the window's
// rows (ky in order). Same winner as PyTorch's raster scan: the first maximum (strict >), and
// a NaN replaces whatever came before it (so the last NaN wins), in both orders.
void maxpool_forward(const Layer& l, const Tensor& x, Tensor& y, std::vector<int32_t>& arg) {
  const Shape in = x.shape, out = y.shape;
  arg.resize(out.size());
  thread_local std::vector<float> hv;
  thread_local std::vector<int32_t> hi;
  hv.resize(static_cast<size_t>(in.h) * out.w);
  hi.resize(hv.size());
  for (int c = 0; c < in.c; ++c) {
    const float* xc = x.data.data() + c * in.plane();
    const int32_t base = static_cast<int32_t>(c * in.plane());
    // Row pass over every input row a window uses.
    const int rows = (out.h - 1) * l.stride + l.k;
    for (int iy = 0; iy < rows; ++iy) {
      const float* src = xc + iy * in.w;
      float* v = hv.data() + iy * out.w;
      int32_t* ix = hi.data() + iy * out.w;
      for (int ox = 0; ox < out.w; ++ox) {
        const int x0 = ox * l.stride;
        float bv = src[x0];
        int bi = x0;
        for (int kx = 1; kx < l.k; ++kx) {
          const float u = src[x0 + kx];
          if (u > bv || std::isnan(u)) bv = u, bi = x0 + kx;
        }
        v[ox] = bv;
        ix[ox] = base + iy * in.w + bi;
      }
    }
    float* yc = y.data.data() + c * out.plane();
    int32_t* ac = arg.data() + c * out.plane();
    for (int oy = 0; oy < out.h; ++oy) {
      const int y0 = oy * l.stride;
      float* yr = yc + oy * out.w;
      int32_t* ar = ac + oy * out.w;
      std::copy(hv.data() + y0 * out.w, hv.data() + (y0 + 1) * out.w, yr);
      std::copy(hi.data() + y0 * out.w, hi.data() + (y0 + 1) * out.w, ar);
      for (int ky = 1; ky < l.k; ++ky) {
        const float* v = hv.data() + (y0 + ky) * out.w;
        const int32_t* ix = hi.data() + (y0 + ky) * out.w;
        for (int ox = 0; ox < out.w; ++ox) {
          if (v[ox] > yr[ox] || std::isnan(v[ox])) yr[ox] = v[ox], ar[ox] = ix[ox];
        }
      }
    }
  }
}

void adaptive_forward(const Tensor& x, Tensor& y) {
  const Shape in = x.shape, out = y.shape;
  for (int c = 0; c < in.c; ++c) {
    const float* xc = x.data.data() + c * in.plane();
    for (int oy = 0; oy < out.h; ++oy) {
      const int ys = adaptive_start(oy, in.h, out.h), ye = adaptive_end(oy, in.h, out.h);
      for (int ox = 0; ox < out.w; ++ox) {
        const int xs = adaptive_start(ox, in.w, out.w), xe = adaptive_end(ox, in.w, out.w);
        float sum = 0.0f;
        for (int iy = ys; iy < ye; ++iy)
          for (int ix = xs; ix < xe; ++ix) sum += xc[iy * in.w + ix];
        y.data[c * out.plane() + oy * out.w + ox] = sum / static_cast<float>((ye - ys) * (xe - xs));
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

void linear_forward(const Layer& l, const Tensor& x, Tensor& y) {
  if (!l.qweight.empty())
    kernels::gemv_qs8(l.cout, l.cin, l.qweight.data(), l.qscale.data(), l.cin, x.data.data(),
                      y.data.data());
  else
    kernels::gemv(l.cout, l.cin, l.weight.data(), l.cin, x.data.data(), y.data.data());
  for (int o = 0; o < l.cout; ++o) y.data[o] += l.bias[o];
}

// Gradient of K rows through layer `l` (input `x`, output `y`): gy -> gx.
void layer_backward(const Layer& l, const Tensor& x, const Tensor& y,
                    const std::vector<int32_t>& arg, int k_rows, const float* gy, float* gx) {
  const size_t n_in = x.shape.size(), n_out = y.shape.size();
  switch (l.type) {
    case LayerType::Conv: conv_backward(l, x.shape, y.shape, k_rows, gy, gx); break;
    case LayerType::BatchNorm: batchnorm_backward(l, x.shape, k_rows, gy, gx); break;
    case LayerType::ReLU:
      for (int r = 0; r < k_rows; ++r)
        for (size_t i = 0; i < n_in; ++i)
          gx[r * n_in + i] = y.data[i] > 0.0f ? gy[r * n_out + i] : 0.0f;
      break;
    case LayerType::MaxPool:
      std::fill(gx, gx + k_rows * n_in, 0.0f);
      for (int r = 0; r < k_rows; ++r)
        for (size_t i = 0; i < n_out; ++i) gx[r * n_in + arg[i]] += gy[r * n_out + i];
      break;
    case LayerType::AdaptiveAvgPool: adaptive_backward(x.shape, y.shape, k_rows, gy, gx); break;
    case LayerType::Dropout:
    case LayerType::Flatten: std::copy(gy, gy + k_rows * n_out, gx); break;
    case LayerType::Linear:
      if (!l.qweight.empty())
        kernels::gemv_t_qs8(k_rows, l.cout, l.cin, gy, l.cout, l.qweight.data(), l.qscale.data(),
                            l.cin, gx, l.cin);
      else
        kernels::gemv_t(k_rows, l.cout, l.cin, gy, l.cout, l.weight.data(), l.cin, gx, l.cin);
      break;
  }
}

// Output shape of one layer, or false with a message.
bool layer_shape(const Layer& l, Shape in, Shape& out, std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error) {
      *error = "layer " + l.name + ": input " + std::to_string(in.c) + "x" + std::to_string(in.h) +
               "x" + std::to_string(in.w) + " " + why;
    }
    return false;
  };
  switch (l.type) {
    case LayerType::Conv:
      if (in.c != l.cin) return fail("does not have " + std::to_string(l.cin) + " channels");
      if (in.h + 2 * l.pad < l.k || in.w + 2 * l.pad < l.k)
        return fail("is smaller than the kernel");
      out = {l.cout, window_out(in.h, l.k, l.stride, l.pad),
             window_out(in.w, l.k, l.stride, l.pad)};
      return true;
    case LayerType::BatchNorm:
      if (in.c != l.cin) return fail("does not have " + std::to_string(l.cin) + " channels");
      out = in;
      return true;
    case LayerType::MaxPool:
      if (in.h < l.k || in.w < l.k) return fail("is smaller than the pooling window");
      out = {in.c, window_out(in.h, l.k, l.stride, 0), window_out(in.w, l.k, l.stride, 0)};
      return true;
    case LayerType::AdaptiveAvgPool: out = {in.c, l.oh, l.ow}; return true;
    case LayerType::Flatten: out = {static_cast<int>(in.size()), 1, 1}; return true;
    case LayerType::Linear:
      if (in.h != 1 || in.w != 1 || in.c != l.cin)
        return fail("is not a flat vector of " + std::to_string(l.cin) + " values");
      out = {l.cout, 1, 1};
      return true;
    case LayerType::ReLU:
    case LayerType::Dropout: out = in; return true;
  }
  return fail("has an unknown layer type");
}

}  // namespace

void pack_weights(const Net& net) {
  for (const Layer& l : net.layers) {
    if (l.type != LayerType::Conv) continue;
    if (use_winograd(l)) {
      winograd_weight(l);
      winograd_weight_t(l);
    } else {
      packed_weight(l);
      packed_weight_t(l);
    }
  }
}

int Net::find(const std::string& name) const {
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].name == name) return static_cast<int>(i);
  return -1;
}

std::vector<Shape> Net::shapes(Shape in, std::string* error) const {
  std::vector<Shape> out;
  out.reserve(layers.size());
  for (const Layer& l : layers) {
    Shape s;
    if (!layer_shape(l, in, s, error)) return {};
    out.push_back(s);
    in = s;
  }
  return out;
}

bool forward(const Net& net, Tensor input, Activations& acts, std::string* error) {
  const std::vector<Shape> shapes = net.shapes(input.shape, error);
  if (shapes.empty()) return false;
  const size_t n = net.layers.size();
  acts.input = std::move(input);
  // Reuse the previous forward's buffers: every layer below writes all of its output.
  acts.out.resize(n);
  acts.argmax.resize(n);
  for (size_t i = 0; i < n; ++i) {
    acts.out[i].shape = shapes[i];
    acts.out[i].data.resize(shapes[i].size());
    if (net.layers[i].type != LayerType::MaxPool) acts.argmax[i].clear();
  }
  for (size_t i = 0; i < n; ++i) {
    const Layer& l = net.layers[i];
    const Tensor& x = i == 0 ? acts.input : acts.out[i - 1];
    Tensor& y = acts.out[i];
    switch (l.type) {
      case LayerType::Conv: {
        conv_forward_nobias(l, x, y);
        // Fold a following batchnorm and/or ReLU into the bias pass (outputs still kept).
        const Layer* bn = nullptr;
        float* bn_out = nullptr;
        float* relu_out = nullptr;
        size_t j = i + 1;
        if (j < n && net.layers[j].type == LayerType::BatchNorm) {
          bn = &net.layers[j];
          bn_out = acts.out[j].data.data();
          ++j;
        }
        if (j < n && net.layers[j].type == LayerType::ReLU) {
          relu_out = acts.out[j].data.data();
          ++j;
        }
        conv_epilogue(l, bn, y.data.data(), bn_out, relu_out, y.shape.plane());
        i = j - 1;
        break;
      }
      case LayerType::BatchNorm: batchnorm_forward(l, x, y); break;
      case LayerType::ReLU:
        for (size_t j = 0; j < x.data.size(); ++j) y.data[j] = x.data[j] > 0.0f ? x.data[j] : 0.0f;
        break;
      case LayerType::MaxPool: maxpool_forward(l, x, y, acts.argmax[i]); break;
      case LayerType::AdaptiveAvgPool: adaptive_forward(x, y); break;
      case LayerType::Dropout:
      case LayerType::Flatten: std::copy(x.data.begin(), x.data.end(), y.data.begin()); break;
      case LayerType::Linear: linear_forward(l, x, y); break;
    }
  }
  return true;
}

void backward_to(const Net& net, const Activations& acts, int target, Gradients& g,
                 const std::vector<int>& classes) {
  const int n = static_cast<int>(net.layers.size());
  if (target < 0 || target >= n || acts.out.size() != static_cast<size_t>(n)) return;
  const int k = static_cast<int>(acts.out.back().shape.size());
  if (g.lowest < 0) {
    g.classes.clear();
    for (int c : classes)
      if (c >= 0 && c < k) g.classes.push_back(c);
    if (classes.empty())
      for (int c = 0; c < k; ++c) g.classes.push_back(c);
    g.grad.assign(n, {});
    std::vector<float>& top = g.grad[n - 1];
    top.assign(g.classes.size() * k, 0.0f);
    for (size_t r = 0; r < g.classes.size(); ++r) top[r * k + g.classes[r]] = 1.0f;
    g.lowest = n - 1;
  }
  const int k_rows = static_cast<int>(g.classes.size());
  for (int i = g.lowest; i > target; --i) {
    const Tensor& x = acts.out[i - 1];
    g.grad[i - 1].resize(static_cast<size_t>(k_rows) * x.shape.size());
    layer_backward(net.layers[i], x, acts.out[i], acts.argmax[i], k_rows, g.grad[i].data(),
                   g.grad[i - 1].data());
    g.lowest = i - 1;
  }
}

std::vector<float> softmax(const std::vector<float>& logits) {
  std::vector<float> p(logits.size());
  if (logits.empty()) return p;
  const float m = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) sum += std::exp(static_cast<double>(logits[i] - m));
  for (size_t i = 0; i < logits.size(); ++i)
    p[i] = static_cast<float>(std::exp(static_cast<double>(logits[i] - m)) / sum);
  return p;
}

}  // namespace camscope

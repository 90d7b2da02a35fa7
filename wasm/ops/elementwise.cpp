// Element-wise and reshaping ops: BatchNorm, ReLU / Clip, Flatten, Concat's gradient.
#include <algorithm>
#include <cmath>

#include "ops.h"

namespace camscope {
namespace ops {

void batchnorm_coefficients(const Node& bn, int c, float& scale, float& shift) {
  const float invstd = 1.0f / std::sqrt(bn.var[c] + bn.eps);
  scale = bn.weight[c] * invstd;
  shift = bn.bias[c] - bn.mean[c] * scale;
}

void batchnorm_forward(const Node& n, const float* x, Shape s, float* y) {
  const size_t hw = s.plane();
  for (int c = 0; c < s.c; ++c) {
    float a, b;
    batchnorm_coefficients(n, c, a, b);
    const float* src = x + c * hw;
    float* dst = y + c * hw;
    for (size_t i = 0; i < hw; ++i) dst[i] = src[i] * a + b;
  }
}

void batchnorm_backward(const Node& n, Shape s, int k_rows, const float* gy, float* gx) {
  const size_t hw = s.plane();
  for (int r = 0; r < k_rows; ++r) {
    for (int c = 0; c < s.c; ++c) {
      float a, shift;
      batchnorm_coefficients(n, c, a, shift);
      const size_t base = r * s.size() + c * hw;
      for (size_t i = 0; i < hw; ++i) gx[base + i] = gy[base + i] * a;
    }
  }
}

void activation_forward(const Node& n, const float* x, size_t count, float* y) {
  if (n.op == Op::ReLU) {
    for (size_t j = 0; j < count; ++j) y[j] = x[j] > 0.0f ? x[j] : 0.0f;
    return;
  }
  for (size_t j = 0; j < count; ++j) y[j] = activate(n, x[j]);
}

void activation_backward(const Node& n, const float* x, size_t count, int k_rows, const float* gy,
                         float* gx, bool guided) {
  const bool relu = n.op == Op::ReLU;
  for (int r = 0; r < k_rows; ++r) {
    const float* g = gy + static_cast<size_t>(r) * count;
    float* d = gx + static_cast<size_t>(r) * count;
    for (size_t i = 0; i < count; ++i) {
      const bool pass = relu ? x[i] > 0.0f : (x[i] > n.lo && x[i] < n.hi);
      d[i] = pass && (!guided || g[i] > 0.0f) ? g[i] : 0.0f;
    }
  }
}

void flatten_forward(const Node& n, const float* x, Shape in, float* y) {
  if (!n.nhwc) {
    std::copy(x, x + in.size(), y);
    return;
  }
  // Channels last: y[(h * W + w) * C + c] = x[c][h][w] (Keras's Flatten of an NHWC tensor).
  const size_t plane = in.plane();
  for (int c = 0; c < in.c; ++c)
    for (size_t p = 0; p < plane; ++p) y[p * in.c + c] = x[c * plane + p];
}

void flatten_backward(const Node& n, Shape in, int k_rows, const float* gy, float* gx) {
  const size_t count = in.size(), plane = in.plane();
  for (int r = 0; r < k_rows; ++r) {
    const float* g = gy + static_cast<size_t>(r) * count;
    float* d = gx + static_cast<size_t>(r) * count;
    if (!n.nhwc) {
      std::copy(g, g + count, d);
      continue;
    }
    for (int c = 0; c < in.c; ++c)
      for (size_t p = 0; p < plane; ++p) d[c * plane + p] = g[p * in.c + c];
  }
}

void concat_backward(Shape in, Shape out, int c0, int k_rows, const float* gy, float* gx) {
  for (int r = 0; r < k_rows; ++r) {
    const float* g =
        gy + static_cast<size_t>(r) * out.size() + static_cast<size_t>(c0) * out.plane();
    std::copy(g, g + in.size(), gx + static_cast<size_t>(r) * in.size());
  }
}

}  // namespace ops
}  // namespace camscope

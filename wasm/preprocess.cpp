// Antialiased bilinear resize (PIL / torch antialias=True rule) and input normalisation.
#include "preprocess.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace camscope {
namespace {

// Triangle-filter weights of every output index along one axis: output i reads inputs
// [start[i], start[i] + count[i]) with weights[offset[i] + j], which sum to 1.
struct AxisFilter {
  std::vector<int> start;
  std::vector<int> count;
  std::vector<size_t> offset;
  std::vector<float> weights;
};

// Triangle (bilinear) kernel with support 1.
double triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Filter for resizing an axis of `in` values to `out` values: half-pixel centres, the
// kernel stretched by the scale when shrinking (antialiasing), weights normalised to 1.
// Computed in double, as torch does for the float64 tensors of tools/model.py.
AxisFilter axis_filter(int in, int out) {
  AxisFilter f;
  f.start.resize(static_cast<size_t>(out));
  f.count.resize(static_cast<size_t>(out));
  f.offset.resize(static_cast<size_t>(out));
  const double scale = static_cast<double>(in) / out;
  const double support = scale >= 1.0 ? scale : 1.0;
  const double invscale = scale >= 1.0 ? 1.0 / scale : 1.0;
  f.weights.reserve(static_cast<size_t>(out) * (static_cast<size_t>(2.0 * support) + 2));
  std::vector<double> w;
  for (int i = 0; i < out; ++i) {
    const double center = scale * (i + 0.5);
    // Truncation as in PIL/torch; negative values are clamped to 0 right after.
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in);
    w.clear();
    double total = 0.0;
    for (int j = xmin; j < xmax; ++j) {
      const double wj = triangle((j - center + 0.5) * invscale);
      w.push_back(wj);
      total += wj;
    }
    f.start[i] = xmin;
    f.count[i] = xmax - xmin;
    f.offset[i] = f.weights.size();
    for (double wj : w) f.weights.push_back(static_cast<float>(total != 0.0 ? wj / total : wj));
  }
  return f;
}

// Resizes the c x h x w image whose value (ch, y, x) is src[ch * cs + y * rs + x * ps]
// (any layout, any element type) to a CHW float image of c x oh x ow: horizontal pass
// first, then vertical, as torch does; an axis whose size does not change is copied.
template <typename T>
std::vector<float> resize_aa(const T* src, int c, int h, int w, ptrdiff_t cs, ptrdiff_t rs,
                             ptrdiff_t ps, int oh, int ow) {
  const size_t in_plane = static_cast<size_t>(h) * ow;
  // Horizontal pass (or conversion to float): c x h x ow.
  std::vector<float> tmp(static_cast<size_t>(c) * in_plane);
  const AxisFilter fx = w != ow ? axis_filter(w, ow) : AxisFilter{};
  for (int ch = 0; ch < c; ++ch) {
    for (int y = 0; y < h; ++y) {
      const T* row = src + ch * cs + y * rs;
      float* o = tmp.data() + ch * in_plane + static_cast<size_t>(y) * ow;
      if (w == ow) {
        for (int x = 0; x < ow; ++x) o[x] = static_cast<float>(row[x * ps]);
        continue;
      }
      for (int x = 0; x < ow; ++x) {
        const T* s = row + fx.start[x] * ps;
        const float* wt = fx.weights.data() + fx.offset[x];
        const int n = fx.count[x];
        float acc = static_cast<float>(s[0]) * wt[0];
        for (int j = 1; j < n; ++j) acc += static_cast<float>(s[j * ps]) * wt[j];
        o[x] = acc;
      }
    }
  }
  if (h == oh) return tmp;
  // Vertical pass: each output row is a weighted sum of whole intermediate rows.
  const AxisFilter fy = axis_filter(h, oh);
  const size_t out_plane = static_cast<size_t>(oh) * ow;
  std::vector<float> out(static_cast<size_t>(c) * out_plane);
  for (int ch = 0; ch < c; ++ch) {
    const float* plane = tmp.data() + ch * in_plane;
    for (int y = 0; y < oh; ++y) {
      float* o = out.data() + ch * out_plane + static_cast<size_t>(y) * ow;
      const float* wt = fy.weights.data() + fy.offset[y];
      const int n = fy.count[y];
      const float* r = plane + static_cast<size_t>(fy.start[y]) * ow;
      for (int x = 0; x < ow; ++x) o[x] = r[x] * wt[0];
      for (int j = 1; j < n; ++j) {
        r += ow;
        const float wj = wt[j];
        for (int x = 0; x < ow; ++x) o[x] += r[x] * wj;
      }
    }
  }
  return out;
}

}  // namespace

std::vector<float> resize_bilinear_aa(const float* src, int c, int h, int w, int oh, int ow) {
  if (src == nullptr || c <= 0 || h <= 0 || w <= 0 || oh <= 0 || ow <= 0) return {};
  const ptrdiff_t plane = static_cast<ptrdiff_t>(h) * w;
  return resize_aa(src, c, h, w, plane, w, 1, oh, ow);
}

Tensor preprocess(const uint8_t* pixels, int width, int height, int channels, int oh, int ow,
                  const std::vector<float>& mean, const std::vector<float>& std) {
  NetInfo info;
  info.input = Shape{static_cast<int>(mean.size()), oh, ow};
  info.mean = mean;
  info.std = std;
  return preprocess(pixels, width, height, channels, info);
}

std::vector<int> nearest_indices(int in, int out) {
  std::vector<int> idx(static_cast<size_t>(std::max(out, 0)));
  const double scale = static_cast<double>(in) / out;
  double x = scale * 0.5;  // PIL's ImagingScaleAffine: start at half a step, then add steps
  for (int i = 0; i < out; ++i) {
    const int v = x < 0.0 ? -1 : static_cast<int>(x);
    idx[i] = std::min(std::max(v, 0), in - 1);
    x += scale;
  }
  return idx;
}

Tensor preprocess(const uint8_t* pixels, int width, int height, int channels, const NetInfo& info) {
  const int c = static_cast<int>(info.mean.size());
  const int oh = info.input.h, ow = info.input.w;
  if (pixels == nullptr || width <= 0 || height <= 0 || (channels != 3 && channels != 4) ||
      oh <= 0 || ow <= 0 || c < 1 || c > 3 || info.std.size() != info.mean.size() ||
      (info.bgr && c != 3) || !(info.range > 0.0f)) {
    return Tensor{};
  }
  Tensor t;
  t.shape = Shape{c, oh, ow};
  const size_t plane = t.shape.plane();
  // BGR: the tensor's channel 0 reads the picture's blue byte (offset 2).
  const ptrdiff_t first = info.bgr ? 2 : 0, step = info.bgr ? -1 : 1;
  if (info.resize == Resize::Nearest) {
    const std::vector<int> xs = nearest_indices(width, ow), ys = nearest_indices(height, oh);
    t.data.resize(static_cast<size_t>(c) * plane);
    for (int ch = 0; ch < c; ++ch)
      for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x)
          t.data[ch * plane + static_cast<size_t>(y) * ow + x] = static_cast<float>(
              pixels[(static_cast<size_t>(ys[y]) * width + xs[x]) * channels + first + ch * step]);
  } else {
    // Reads the interleaved pixels in place: no full-size float copy of a large picture.
    t.data = resize_aa(pixels + first, c, height, width, step,
                       static_cast<ptrdiff_t>(width) * channels, channels, oh, ow);
  }
  // pixel / 255 * range: for range 1 exactly pixel / 255.0, for 255 the pixel itself.
  const double divisor = 255.0 / info.range;
  for (int ch = 0; ch < c; ++ch) {
    const double m = info.mean[ch];
    const double s = info.std[ch];
    float* p = t.data.data() + ch * plane;
    for (size_t i = 0; i < plane; ++i) p[i] = static_cast<float>((p[i] / divisor - m) / s);
  }
  return t;
}

}  // namespace camscope

// Plain float tensors: one picture (batch 1), CHW, row-major, owned by std::vector.
#pragma once

#include <cstddef>
#include <vector>

namespace camscope {

// Shape of one activation: channels x height x width (a vector is C x 1 x 1).
struct Shape {
  int c = 0;
  int h = 1;
  int w = 1;
  // Number of values.
  size_t size() const { return static_cast<size_t>(c) * h * w; }
  // Values per channel.
  size_t plane() const { return static_cast<size_t>(h) * w; }
  bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
};

// An activation: shape plus values, data.size() == shape.size().
struct Tensor {
  Shape shape;
  std::vector<float> data;
  // A zero tensor of the given shape.
  static Tensor zeros(Shape s) { return Tensor{s, std::vector<float>(s.size(), 0.0f)}; }
};

}  // namespace camscope

// Picture -> network input: resize the whole picture to the network's input size with
// antialiased bilinear filtering (PIL / torch antialias=True rule), scale to [0, 1],
// subtract mean and divide by std per channel.
#pragma once

#include <cstdint>
#include <vector>

#include "graph.h"
#include "tensor.h"

namespace camscope {

// Separable triangle-filter resize of a CHW float image (antialiased when shrinking),
// identical to F.interpolate(mode="bilinear", align_corners=False, antialias=True).
// Empty if a size is not positive.
std::vector<float> resize_bilinear_aa(const float* src, int c, int h, int w, int oh, int ow);

// Interleaved 8-bit pixels (channels 3 = RGB or 4 = RGBA, alpha ignored) of any size ->
// normalised CHW tensor of size c x oh x ow (c = mean.size()). Returns an empty tensor
// (shape.c == 0, no data) if channels is not 3 or 4, a size is not positive, or mean and
// std differ in size or do not have 1 to 3 entries.
Tensor preprocess(const uint8_t* pixels, int width, int height, int channels, int oh, int ow,
                  const std::vector<float>& mean, const std::vector<float>& std);

// The same by the network's preprocessing descriptor: resize rule (antialiased bilinear, or
// PIL's nearest), channel order (RGB / BGR), value range (1 or 255), mean and std.
Tensor preprocess(const uint8_t* pixels, int width, int height, int channels, const NetInfo& info);

// Source index of each of `out` outputs along an axis of `in` values under PIL's NEAREST
// resize: floor of (i + 0.5) * in / out, accumulated in double exactly as PIL does.
std::vector<int> nearest_indices(int in, int out);

}  // namespace camscope

// Map post-processing: bilinear upsampling like PyTorch, normalisation, statistics.
#pragma once

#include <cstdint>
#include <vector>

namespace camscope {

// Bilinear resize of one H x W plane to OH x OW, identical to PyTorch's
// F.interpolate(mode="bilinear", align_corners=False) without antialiasing.
// Empty if a size is not positive.
std::vector<float> upsample_bilinear(const float* src, int h, int w, int oh, int ow);

// Raw value range of a map; `empty` when every value is zero (or the map has no values).
struct MapStats {
  float min = 0.0f;
  float max = 0.0f;
  bool empty = true;
};
// Statistics of n values.
MapStats map_stats(const float* v, int n);

enum class Norm {
  PerMap,  // each map divided by its own max (min -> 0 when min > 0 is kept: v / max)
  Shared,  // all maps divided by the largest max among them
  None     // values left as they are
};

// Divides every value by `divisor`; a divisor that is not a positive finite number
// (all-zero map) makes the map all zeros instead of NaN or Inf.
void divide_map(std::vector<float>& m, float divisor);

// The RGB image (H x W x 3 bytes) of a C x H x W input gradient (guided backpropagation,
// Guided Grad-CAM), pytorch-grad-cam's deprocess_image rule over all values: (g - mean) /
// (std + 1e-5) * 0.1 + 0.5, clipped to [0, 1], times 255 truncated; one channel gives grey.
void gradient_rgb(const float* g, int c, int h, int w, uint8_t* rgb);
// max over channels of |g| at each of the hw positions: the saliency (SmoothGrad) map.
std::vector<float> gradient_magnitude(const float* g, int c, int hw);

// Scales maps in place to [0, 1] by `norm`: v / max (per map or shared). A map whose
// divisor is zero is left all zero, never NaN. Values are assumed >= 0 (after ReLU).
void normalise_maps(std::vector<std::vector<float>*>& maps, Norm norm);

}  // namespace camscope

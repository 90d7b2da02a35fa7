// Multi-layer fusion (the Layer-CAM paper, section III-C): one map from several layers' maps
// of one method and class, at one resolution.
#pragma once

#include <vector>

#include "tensor.h"

namespace camscope {

enum class FuseRule { Max, Mean };

// Each raw map (h_i x w_i, after the method's ReLU; ordered shallow to deep) is divided by its
// maximum; every map but the deepest is then scaled by tanh(2 M) (the paper's Eq. 9: shallow
// layers' maps are weaker and noisier); each is upsampled (bilinear, PyTorch's
// align_corners=False rule) to oh x ow; they are combined element-wise by maximum (the
// paper's rule) or mean. An all-zero map stays zero. Empty if the inputs disagree in count or
// size, or a size is not positive.
std::vector<float> fuse_maps(const std::vector<std::vector<float>>& maps,
                             const std::vector<Shape>& sizes, int oh, int ow, FuseRule rule);

}  // namespace camscope

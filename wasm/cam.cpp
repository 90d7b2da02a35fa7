// CAM methods: Grad-CAM and Layer-CAM from one layer's activations and one class's gradient.
#include "cam.h"

#include <algorithm>
#include <cstddef>

namespace camscope {

std::vector<float> gradcam_weights(const float* g, int c, int hw) {
  std::vector<float> w(static_cast<size_t>(std::max(c, 0)), 0.0f);
  if (hw <= 0) return w;
  for (int k = 0; k < c; ++k) {
    const float* gk = g + static_cast<size_t>(k) * hw;
    double sum = 0.0;
    for (int p = 0; p < hw; ++p) sum += gk[p];
    w[k] = static_cast<float>(sum / hw);
  }
  return w;
}

void gradcam(const float* a, const float* g, int c, int hw, float* out) {
  if (hw <= 0) return;
  std::vector<double> acc(static_cast<size_t>(hw), 0.0);
  const std::vector<float> w = gradcam_weights(g, c, hw);
  for (int k = 0; k < c; ++k) {
    const double wk = w[k];
    if (wk == 0.0) continue;
    const float* ak = a + static_cast<size_t>(k) * hw;
    for (int p = 0; p < hw; ++p) acc[p] += wk * ak[p];
  }
  for (int p = 0; p < hw; ++p) out[p] = static_cast<float>(std::max(acc[p], 0.0));
}

void layercam(const float* a, const float* g, int c, int hw, float* out) {
  if (hw <= 0) return;
  std::vector<double> acc(static_cast<size_t>(hw), 0.0);
  for (int k = 0; k < c; ++k) {
    const float* ak = a + static_cast<size_t>(k) * hw;
    const float* gk = g + static_cast<size_t>(k) * hw;
    for (int p = 0; p < hw; ++p) {
      if (gk[p] > 0.0f) acc[p] += static_cast<double>(gk[p]) * ak[p];
    }
  }
  for (int p = 0; p < hw; ++p) out[p] = static_cast<float>(std::max(acc[p], 0.0));
}

const std::vector<CamMethod>& cam_methods() {
  static const std::vector<CamMethod> methods = {
      {"gradcam", "Grad-CAM", &gradcam},
      {"layercam", "Layer-CAM", &layercam},
  };
  return methods;
}

const CamMethod* find_cam_method(const std::string& name) {
  for (const CamMethod& m : cam_methods()) {
    if (name == m.name) return &m;
  }
  return nullptr;
}

}  // namespace camscope

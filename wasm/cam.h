// CAM methods: each a small function of (A, G) for one class at one layer.
#pragma once

#include <string>
#include <vector>

namespace camscope {

// out[HW] from activations A[C][HW] and one class's gradient G[C][HW] (both CHW).
using CamFn = void (*)(const float* a, const float* g, int c, int hw, float* out);

// Grad-CAM: w_k = mean over positions of G_k; out = ReLU(sum_k w_k A_k).
void gradcam(const float* a, const float* g, int c, int hw, float* out);
// Layer-CAM: out = ReLU(sum_k ReLU(G_k) * A_k), elementwise.
void layercam(const float* a, const float* g, int c, int hw, float* out);
// Grad-CAM's channel weights w_k = mean over positions of G_k (for display and sorting).
std::vector<float> gradcam_weights(const float* g, int c, int hw);

// A registered method.
struct CamMethod {
  const char* name;   // "gradcam", "layercam"
  const char* title;  // "Grad-CAM", "Layer-CAM"
  CamFn fn;
};

// All methods, in display order.
const std::vector<CamMethod>& cam_methods();
// The method with this name, or nullptr.
const CamMethod* find_cam_method(const std::string& name);

}  // namespace camscope

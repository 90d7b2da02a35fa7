// Explanation methods as descriptors (in the spirit of pytorch-grad-cam's split of a method
// into channel weights and a map): what each needs (the backward pass? the class? extra
// forward passes?), its channel weights where it has them, and its map.
//
// Layer methods work on one layer's kept activations A (C x HW) and one class's gradient G
// of the raw logit (C x HW), and give a map at the layer's resolution, after the method's
// ReLU, before upsampling. Sums run in double.
//
//   gradcam        w_k = mean_p G_kp;                       M = ReLU(sum_k w_k A_k)
//   gradcam_neg    the same against the class: w_k = -mean_p G_kp (what argues against it)
//   gradcampp      Grad-CAM++ as pytorch-grad-cam computes it (the paper's Eq. 19):
//                  a_kp = G^2 / (2 G^2 + S_k G^3 + 1e-6) where G != 0 (else 0), S_k = sum_p A_kp;
//                  w_k = sum_p ReLU(G_kp) a_kp;             M = ReLU(sum_k w_k A_k)
//   xgradcam       w_k = sum_p G_kp A_kp / (S_k + 1e-7);    M = ReLU(sum_k w_k A_k)
//   layercam       M = ReLU(sum_k ReLU(G_k) * A_k)          (element-wise, no channel weights)
//   layercam_neg   M = ReLU(sum_k ReLU(-G_k) * A_k)         (against the class)
//   hirescam       M = ReLU(sum_k G_k * A_k)
//   gradcam_ew     Grad-CAM element-wise: M = ReLU(sum_k ReLU(G_k * A_k))
//   eigencam       M = ReLU(projection of the centred A^T (HW x C) on its first principal
//                  axis), no gradients, the same for every class
//   eigengradcam   the same on G * A (per class)
//   Sign of a principal axis (an SVD leaves it open): the projection must correlate
//   positively with the mean over channels of the matrix projected (A, or G * A), i.e. it
//   points to where the layer is most active; exactly uncorrelated: the axis's largest
//   entry is positive.
//
// Score-CAM (score): channel k of A, upsampled to the input (bilinear, align_corners=False)
// and min-max normalised to [0, 1], multiplies the network input; the class's softmax
// probability on that masked input is w_k (channels whose map is constant are skipped,
// w_k = 0, as in the paper's code); M = ReLU(sum_k w_k A_k) at the layer's resolution.
// Picture methods (guided backpropagation, saliency, SmoothGrad, Guided Grad-CAM) give an
// image at the network input's size; they live in the Session (session.h).
#pragma once

#include <string>
#include <vector>

namespace camscope {

enum class MethodKind {
  Layer,    // from one layer's A and G (or A alone)
  Score,    // from one layer's A and forward passes of masked inputs
  Picture,  // an image at the network input's size, from a backward pass to the input
};

// Channel weights w[C] of a method for one class.
using WeightsFn = void (*)(const float* a, const float* g, int c, int hw, float* w);
// A layer method's map out[HW].
using MapFn = void (*)(const float* a, const float* g, int c, int hw, float* out);

// A registered method.
struct Method {
  const char* name;   // "gradcam", as the CLI and the page spell it
  const char* title;  // "Grad-CAM"
  MethodKind kind;
  bool gradients;       // needs the backward pass (false: no backward runs for it)
  bool per_class;       // depends on the class (false: one map serves every class)
  WeightsFn weights;    // null where the method has no channel weights
  MapFn map;            // Layer methods; null otherwise
  const char* formula;  // one line, plain text
};

// All methods, in display order.
const std::vector<Method>& methods();
// The method with this name, or nullptr.
const Method* find_method(const std::string& name);

// M = ReLU(sum_k w_k A_k): the map of every method with channel weights.
void weighted_map(const float* a, const float* w, int c, int hw, float* out);

// Grad-CAM's channel weights w_k = mean over positions of G_k.
std::vector<float> gradcam_weights(const float* g, int c, int hw);
// Grad-CAM: w_k = mean over positions of G_k; out = ReLU(sum_k w_k A_k).
void gradcam(const float* a, const float* g, int c, int hw, float* out);
// Layer-CAM: out = ReLU(sum_k ReLU(G_k) * A_k), elementwise.
void layercam(const float* a, const float* g, int c, int hw, float* out);
// First principal component of the rows of X (HW x C given as C x HW, like A), projected:
// out[p] = (X_p - mean) . v with the sign rule above, before any ReLU.
void principal_projection(const float* x, int c, int hw, float* out);

}  // namespace camscope

// The layer methods (formulas in methods.h) and the registry.
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "methods.h"

namespace camscope {
namespace {

// sum_p A_kp per channel.
std::vector<double> channel_sums(const float* a, int c, int hw) {
  std::vector<double> s(static_cast<size_t>(std::max(c, 0)), 0.0);
  for (int k = 0; k < c; ++k) {
    const float* ak = a + static_cast<size_t>(k) * hw;
    for (int p = 0; p < hw; ++p) s[k] += ak[p];
  }
  return s;
}

void gradcam_w(const float*, const float* g, int c, int hw, float* w) {
  const std::vector<float> v = gradcam_weights(g, c, hw);
  std::copy(v.begin(), v.end(), w);
}

void gradcam_neg_w(const float* a, const float* g, int c, int hw, float* w) {
  gradcam_w(a, g, c, hw, w);
  for (int k = 0; k < c; ++k) w[k] = -w[k];
}

void gradcampp_w(const float* a, const float* g, int c, int hw, float* w) {
  const std::vector<double> s = channel_sums(a, c, hw);
  for (int k = 0; k < c; ++k) {
    const float* gk = g + static_cast<size_t>(k) * hw;
    double sum = 0.0;
    for (int p = 0; p < hw; ++p) {
      const double gv = gk[p];
      if (gv <= 0.0) continue;  // ReLU(G) * alpha: zero where G <= 0 (and alpha = 0 where G = 0)
      const double g2 = gv * gv;
      sum += gv * (g2 / (2.0 * g2 + s[k] * g2 * gv + 1e-6));
    }
    w[k] = static_cast<float>(sum);
  }
}

void xgradcam_w(const float* a, const float* g, int c, int hw, float* w) {
  const std::vector<double> s = channel_sums(a, c, hw);
  for (int k = 0; k < c; ++k) {
    const float* ak = a + static_cast<size_t>(k) * hw;
    const float* gk = g + static_cast<size_t>(k) * hw;
    double sum = 0.0;
    for (int p = 0; p < hw; ++p) sum += static_cast<double>(gk[p]) * ak[p];
    w[k] = static_cast<float>(sum / (s[k] + 1e-7));
  }
}

// A method with channel weights: its map is always the weighted sum.
template <WeightsFn W>
void weighted(const float* a, const float* g, int c, int hw, float* out) {
  std::vector<float> w(static_cast<size_t>(std::max(c, 0)));
  W(a, g, c, hw, w.data());
  weighted_map(a, w.data(), c, hw, out);
}

// out = ReLU(sum_k f(G_kp, A_kp)) for an element-wise f.
template <typename F>
void elementwise(const float* a, const float* g, int c, int hw, float* out, F f) {
  std::vector<double> acc(static_cast<size_t>(std::max(hw, 0)), 0.0);
  for (int k = 0; k < c; ++k) {
    const float* ak = a + static_cast<size_t>(k) * hw;
    const float* gk = g + static_cast<size_t>(k) * hw;
    for (int p = 0; p < hw; ++p) acc[p] += f(gk[p], ak[p]);
  }
  for (int p = 0; p < hw; ++p) out[p] = static_cast<float>(std::max(acc[p], 0.0));
}

void layercam_neg(const float* a, const float* g, int c, int hw, float* out) {
  elementwise(a, g, c, hw, out,
              [](float gv, float av) { return gv < 0.0f ? -static_cast<double>(gv) * av : 0.0; });
}

void hirescam(const float* a, const float* g, int c, int hw, float* out) {
  elementwise(a, g, c, hw, out, [](float gv, float av) { return static_cast<double>(gv) * av; });
}

void gradcam_ew(const float* a, const float* g, int c, int hw, float* out) {
  elementwise(a, g, c, hw, out, [](float gv, float av) {
    const double v = static_cast<double>(gv) * av;
    return v > 0.0 ? v : 0.0;
  });
}

void relu_inplace(float* out, int hw) {
  for (int p = 0; p < hw; ++p) out[p] = std::max(out[p], 0.0f);
}

void eigencam(const float* a, const float*, int c, int hw, float* out) {
  principal_projection(a, c, hw, out);
  relu_inplace(out, hw);
}

void eigengradcam(const float* a, const float* g, int c, int hw, float* out) {
  std::vector<float> ga(static_cast<size_t>(c) * hw);
  for (size_t i = 0; i < ga.size(); ++i) ga[i] = g[i] * a[i];
  principal_projection(ga.data(), c, hw, out);
  relu_inplace(out, hw);
}

}  // namespace

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

void weighted_map(const float* a, const float* w, int c, int hw, float* out) {
  if (hw <= 0) return;
  std::vector<double> acc(static_cast<size_t>(hw), 0.0);
  for (int k = 0; k < c; ++k) {
    const double wk = w[k];
    if (wk == 0.0) continue;
    const float* ak = a + static_cast<size_t>(k) * hw;
    for (int p = 0; p < hw; ++p) acc[p] += wk * ak[p];
  }
  for (int p = 0; p < hw; ++p) out[p] = static_cast<float>(std::max(acc[p], 0.0));
}

void gradcam(const float* a, const float* g, int c, int hw, float* out) {
  weighted<gradcam_w>(a, g, c, hw, out);
}

void layercam(const float* a, const float* g, int c, int hw, float* out) {
  elementwise(a, g, c, hw, out,
              [](float gv, float av) { return gv > 0.0f ? static_cast<double>(gv) * av : 0.0; });
}

void principal_projection(const float* x, int c, int hw, float* out) {
  if (hw <= 0) return;
  std::fill(out, out + hw, 0.0f);
  if (c <= 0) return;
  // Rows: positions; columns: channels, each centred.
  Eigen::MatrixXd m(hw, c);
  for (int k = 0; k < c; ++k) {
    const float* xk = x + static_cast<size_t>(k) * hw;
    double mean = 0.0;
    for (int p = 0; p < hw; ++p) mean += xk[p];
    mean /= hw;
    for (int p = 0; p < hw; ++p) m(p, k) = xk[p] - mean;
  }
  if (m.isZero(0.0)) return;
  // The first principal component from the eigenvectors of the smaller Gram matrix (M^T M,
  // channels x channels, or M M^T, positions x positions): v, the SVD's first right singular
  // vector, is the top eigenvector of M^T M, or M^T u normalised for u the top one of M M^T.
  // JacobiSVD of the 169 x 256 matrix took 55 ms in WebAssembly (a forward pass is ~30 ms);
  // this takes a few. Eigenvalues come ascending: the last is the largest.
  Eigen::VectorXd v;
  if (c <= hw) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(m.transpose() * m);
    v = eig.eigenvectors().col(c - 1);
  } else {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(m * m.transpose());
    v = (m.transpose() * eig.eigenvectors().col(hw - 1)).normalized();
  }
  Eigen::VectorXd proj = m * v;
  // Sign: positively correlated with the channel mean of x (where the layer is most active).
  double corr = 0.0;
  for (int p = 0; p < hw; ++p) {
    double mean_c = 0.0;
    for (int k = 0; k < c; ++k) mean_c += x[static_cast<size_t>(k) * hw + p];
    corr += proj[p] * (mean_c / c);
  }
  Eigen::Index big = 0;
  v.cwiseAbs().maxCoeff(&big);
  if (corr < 0.0 || (corr == 0.0 && v[big] < 0.0)) proj = -proj;
  for (int p = 0; p < hw; ++p) out[p] = static_cast<float>(proj[p]);
}

const std::vector<Method>& methods() {
  using K = MethodKind;
  static const std::vector<Method> all = {
      {"gradcam", "Grad-CAM", K::Layer, true, true, &gradcam_w, &gradcam,
       "w_k = mean_p dy_c/dA_kp; M = ReLU(sum_k w_k A_k)"},
      {"layercam", "Layer-CAM", K::Layer, true, true, nullptr, &layercam,
       "M = ReLU(sum_k ReLU(dy_c/dA_k) * A_k)"},
      {"gradcampp", "Grad-CAM++", K::Layer, true, true, &gradcampp_w, &weighted<gradcampp_w>,
       "a_kp = G^2 / (2 G^2 + sum_q A_kq G^3); w_k = sum_p ReLU(G_kp) a_kp; M = ReLU(sum_k w_k "
       "A_k)"},
      {"xgradcam", "XGrad-CAM", K::Layer, true, true, &xgradcam_w, &weighted<xgradcam_w>,
       "w_k = sum_p G_kp A_kp / sum_p A_kp; M = ReLU(sum_k w_k A_k)"},
      {"hirescam", "HiResCAM", K::Layer, true, true, nullptr, &hirescam,
       "M = ReLU(sum_k G_k * A_k)"},
      {"gradcam_ew", "Grad-CAM element-wise", K::Layer, true, true, nullptr, &gradcam_ew,
       "M = ReLU(sum_k ReLU(G_k * A_k))"},
      {"eigencam", "Eigen-CAM", K::Layer, false, false, nullptr, &eigencam,
       "M = ReLU(first principal component of A, projected)"},
      {"eigengradcam", "Eigen-Grad-CAM", K::Layer, true, true, nullptr, &eigengradcam,
       "M = ReLU(first principal component of G * A, projected)"},
      {"scorecam", "Score-CAM", K::Score, false, true, nullptr, nullptr,
       "w_k = softmax_c(f(X * norm(up(A_k)))); M = ReLU(sum_k w_k A_k)"},
      {"gradcam_neg", "Grad-CAM, against the class", K::Layer, true, true, &gradcam_neg_w,
       &weighted<gradcam_neg_w>, "w_k = -mean_p dy_c/dA_kp; M = ReLU(sum_k w_k A_k)"},
      {"layercam_neg", "Layer-CAM, against the class", K::Layer, true, true, nullptr, &layercam_neg,
       "M = ReLU(sum_k ReLU(-dy_c/dA_k) * A_k)"},
      {"guidedbackprop", "Guided Backpropagation", K::Picture, true, true, nullptr, nullptr,
       "dy_c/dx through ReLUs that pass a gradient only where input and gradient are > 0"},
      {"guidedgradcam", "Guided Grad-CAM", K::Picture, true, true, nullptr, nullptr,
       "guided backpropagation * Grad-CAM upsampled to the input"},
      {"saliency", "Saliency (input gradient)", K::Picture, true, true, nullptr, nullptr,
       "dy_c/dx"},
      {"smoothgrad", "SmoothGrad", K::Picture, true, true, nullptr, nullptr,
       "mean over N noisy copies x + e (e ~ N(0, (0.15 (max x - min x))^2)) of dy_c/dx"},
  };
  return all;
}

const Method* find_method(const std::string& name) {
  for (const Method& m : methods())
    if (name == m.name) return &m;
  return nullptr;
}

}  // namespace camscope

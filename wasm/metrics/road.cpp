// ROAD's noisy linear imputation and scores (metrics.h). Native builds only: a sparse solve of
// tens of thousands of unknowns per percentage is too slow for the page (and Eigen's sparse
// Cholesky would double the WebAssembly module), so the page points to `camscope evaluate`.
#include <Eigen/Sparse>
#include <Eigen/SparseCholesky>
#include <algorithm>
#include <cmath>

#include "metrics.h"
#include "rng.h"

namespace camscope {
namespace metrics {

bool impute(const Tensor& x, const std::vector<uint8_t>& removed, float noise, uint64_t seed,
            std::vector<float>& out) {
  const int h = x.shape.h, w = x.shape.w;
  const size_t plane = x.shape.plane();
  out = x.data;
  if (removed.size() != plane) return false;
  // Unknowns: the removed positions, numbered in raster order.
  std::vector<int> var(plane, -1);
  int n = 0;
  for (size_t p = 0; p < plane; ++p)
    if (removed[p]) var[p] = n++;
  if (n == 0) return true;
  static const int kOff[8][2] = {{1, 1},  {0, 1},   {-1, 1}, {1, -1},
                                 {0, -1}, {-1, -1}, {1, 0},  {-1, 0}};
  static const double kW[8] = {1.0 / 12, 1.0 / 6,  1.0 / 12, 1.0 / 12,
                               1.0 / 6,  1.0 / 12, 1.0 / 6,  1.0 / 6};
  // s_i x_i - sum_(unknown j) w x_j = sum_(known k) w x_k: symmetric positive definite.
  std::vector<Eigen::Triplet<double>> tri;
  tri.reserve(static_cast<size_t>(n) * 9);
  Eigen::MatrixXd rhs = Eigen::MatrixXd::Zero(n, x.shape.c);
  for (int y = 0; y < h; ++y)
    for (int xx = 0; xx < w; ++xx) {
      const int i = var[y * w + xx];
      if (i < 0) continue;
      double s = 0.0;
      for (int k = 0; k < 8; ++k) {
        const int ny = y + kOff[k][0], nx = xx + kOff[k][1];
        if (ny < 0 || ny >= h || nx < 0 || nx >= w) continue;
        s += kW[k];
        const int j = var[ny * w + nx];
        if (j >= 0) {
          tri.emplace_back(i, j, -kW[k]);
        } else {
          for (int c = 0; c < x.shape.c; ++c) rhs(i, c) += kW[k] * x.data[c * plane + ny * w + nx];
        }
      }
      tri.emplace_back(i, i, s);
    }
  Eigen::SparseMatrix<double> a(n, n);
  a.setFromTriplets(tri.begin(), tri.end());
  // A sparse Cholesky (LDL^T, AMD ordering): factored once, solved per channel.
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> cg;
  cg.compute(a);
  if (cg.info() != Eigen::Success) return false;
  const std::vector<float> e = gaussian_noise(static_cast<size_t>(n) * x.shape.c, seed);
  for (int c = 0; c < x.shape.c; ++c) {
    const Eigen::VectorXd sol = cg.solve(rhs.col(c));
    if (cg.info() != Eigen::Success) return false;
    for (size_t p = 0; p < plane; ++p) {
      const int i = var[p];
      if (i >= 0)
        out[c * plane + p] = static_cast<float>(sol[i]) + noise * e[static_cast<size_t>(c) * n + i];
    }
  }
  return true;
}

bool road(const Tensor& x, const std::vector<float>& map, const std::vector<int>& percents,
          bool morf, int cls, float noise, uint64_t seed, const Scorer& score,
          std::vector<float>& out) {
  const size_t plane = x.shape.plane();
  if (map.size() != plane) return false;
  const std::vector<int> order = order_by(map);
  out.clear();
  std::vector<float> imputed, probs;
  for (size_t q = 0; q < percents.size(); ++q) {
    const int r = std::min(std::max(percents[q], 0), 100);
    const int k = static_cast<int>(std::llround(static_cast<double>(r) * plane / 100.0));
    std::vector<uint8_t> removed(plane, 0);
    for (int i = 0; i < k; ++i) removed[order[morf ? i : plane - 1 - i]] = 1;
    if (!impute(x, removed, noise, seed + q, imputed)) return false;
    if (!score(imputed.data(), 1, probs)) return false;
    out.push_back(probs[cls]);
  }
  return true;
}

}  // namespace metrics
}  // namespace camscope

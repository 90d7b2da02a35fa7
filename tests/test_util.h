// Small helpers the C++ test suites share: files, .npy arrays, relative errors.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "npy.h"
#include "tensor.h"

namespace camscope {
namespace test {

// True if the file can be opened.
inline bool exists(const std::string& path) {
  return std::ifstream(path).good();
}

// A whole file's bytes (empty if it cannot be read: the loader then says so).
inline std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// An .npy file (a failed read fails the test).
inline NpyArray load(const std::string& path) {
  NpyArray a;
  std::string err;
  EXPECT_TRUE(read_npy(path, a, err)) << err;
  return a;
}

// max |v| over n values.
inline double max_abs(const float* v, size_t n) {
  double m = 0.0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(static_cast<double>(v[i])));
  return m;
}

// max |got - ref| / max |ref| over n values (ref all zero: max |got - ref|).
inline double rel_error(const float* got, const float* ref, size_t n) {
  double diff = 0.0;
  for (size_t i = 0; i < n; ++i)
    diff = std::max(diff, std::fabs(static_cast<double>(got[i]) - ref[i]));
  const double scale = max_abs(ref, n);
  return scale > 0.0 ? diff / scale : diff;
}

// A (C, H, W) or (N,) array as a tensor (N x 1 x 1).
inline Tensor tensor_of(const NpyArray& a) {
  Shape s{a.shape.empty() ? 0 : a.shape[0], 1, 1};
  if (a.shape.size() == 3) s = {a.shape[0], a.shape[1], a.shape[2]};
  if (a.shape.size() == 4) s = {a.shape[1], a.shape[2], a.shape[3]};
  return Tensor{s, a.data};
}

}  // namespace test
}  // namespace camscope

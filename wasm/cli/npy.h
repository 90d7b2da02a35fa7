// Minimal .npy files: write float32 / uint8 arrays, read little-endian float32 / uint8 arrays.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace camscope {

// A loaded .npy array (values converted to float).
struct NpyArray {
  std::vector<int> shape;
  std::vector<float> data;
};

// Writes a C-order float32 array; false on I/O failure.
bool write_npy(const std::string& path, const float* data, const std::vector<int>& shape);

// Writes a C-order uint8 array ('|u1'); false on I/O failure.
bool write_npy_u8(const std::string& path, const uint8_t* data, const std::vector<int>& shape);

// Reads a C-order '<f4' or '|u1' array; false with `error` set otherwise.
bool read_npy(const std::string& path, NpyArray& out, std::string& error);

}  // namespace camscope

// Small helpers the native/WebAssembly benchmark programs share (bench/*_bench.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <vector>

namespace bench {

// Milliseconds on the steady clock (differences only).
inline double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A whole file's bytes (empty when it cannot be read).
inline std::vector<uint8_t> read_file(const char* path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

}  // namespace bench

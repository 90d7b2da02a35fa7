// The one random-number rule of the core, the same in every build and reproduced by the
// Python references: splitmix64 for 64-bit values, 53-bit uniforms, Box-Muller normals.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace camscope {

// splitmix64 (Steele, Lea, Flood 2014) from a seed.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  // The next 64-bit value.
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

// `count` standard normal values from `seed`: Box-Muller on pairs (1 - u1, u2) of uniforms,
// cos then sin.
inline std::vector<float> gaussian_noise(size_t count, uint64_t seed) {
  SplitMix64 g(seed);
  std::vector<float> out(count);
  const double two_pi = 6.283185307179586;
  for (size_t i = 0; i < count; i += 2) {
    const double u1 = 1.0 - g.uniform();  // (0, 1]
    const double u2 = g.uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    out[i] = static_cast<float>(r * std::cos(two_pi * u2));
    if (i + 1 < count) out[i + 1] = static_cast<float>(r * std::sin(two_pi * u2));
  }
  return out;
}

}  // namespace camscope

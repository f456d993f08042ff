// Deterministic normal(0, 1) inputs for the kernel benchmarks.
// Thread-safe: pure function.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace plexus::kernels {

inline std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace plexus::kernels

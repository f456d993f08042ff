// Helpers shared by the tensor tests: seeded random rows, byte-sized quantized buffers and error
// measures.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gguf/tensor_type.h"
#include "tensor/quant.h"

namespace plexus::tensor::testing {

// Every type with a reference quantizer, in the order tests report them.
inline const std::vector<tensor_type>& quantizable_types() {
  static const std::vector<tensor_type> types = {
      tensor_type::f32,  tensor_type::f16,  tensor_type::bf16, tensor_type::q4_0, tensor_type::q4_1,
      tensor_type::q5_0, tensor_type::q5_1, tensor_type::q8_0, tensor_type::q8_1, tensor_type::q2_k,
      tensor_type::q3_k, tensor_type::q4_k, tensor_type::q5_k, tensor_type::q6_k, tensor_type::q8_k,
  };
  return types;
}

// The weight types (those with a vec_dot).
inline const std::vector<tensor_type>& weight_types() {
  static const std::vector<tensor_type> types = {
      tensor_type::f32,  tensor_type::f16,  tensor_type::bf16, tensor_type::q4_0, tensor_type::q4_1,
      tensor_type::q5_0, tensor_type::q5_1, tensor_type::q8_0, tensor_type::q2_k, tensor_type::q3_k,
      tensor_type::q4_k, tensor_type::q5_k, tensor_type::q6_k,
  };
  return types;
}

inline std::vector<float> random_normal(size_t n, uint32_t seed, float stddev = 1.0f, float mean = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(mean, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// A byte buffer for n elements of `type` (n a multiple of the block size), 8-byte aligned.
inline std::vector<uint64_t> buffer_for(tensor_type type, int64_t n) {
  const auto bytes = row_bytes(type, static_cast<uint64_t>(n));
  return std::vector<uint64_t>(bytes ? (*bytes + 7) / 8 : 0);
}

inline std::vector<float> quantize_dequantize(tensor_type type, const std::vector<float>& x) {
  const auto n = static_cast<int64_t>(x.size());
  auto q = buffer_for(type, n);
  quantize_row(type, x.data(), q.data(), n);
  std::vector<float> y(x.size());
  dequantize_row(type, q.data(), y.data(), n);
  return y;
}

// sqrt(mean((a - b)^2)) / sqrt(mean(a^2)).
inline double relative_rmse(const std::vector<float>& a, const std::vector<float>& b) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    err += d * d;
    ref += static_cast<double>(a[i]) * a[i];
  }
  return ref > 0 ? std::sqrt(err / ref) : std::sqrt(err);
}

}  // namespace plexus::tensor::testing

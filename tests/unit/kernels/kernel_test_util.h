// Helpers for the kernel variant tests: random quantized matrices, activations as a kernel sees
// them, and the error scale the tolerances are stated against.
//
// Tolerance convention: a variant's dot product may differ from the reference only in float
// summation order (and FMA contraction), so its error is bounded by a small multiple of
// eps * sum_i |w_i * a_i|, where w_i and a_i are the dequantized weight and activation values.
// kDotTolerance states that multiple (as a fraction of the absolute-term sum).
// Thread-safe: helpers are pure functions of their arguments.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/ops.h"
#include "tensor/quant.h"

namespace plexus::kernels::testing {

// |variant - reference| <= kDotTolerance * sum |w_i a_i| + kDotFloor. Measured worst cases (k up
// to 2048, random normal data): 4.5e-8 on the row-dot path, 1.1e-7 on the gemm path (its offset
// and min corrections are summed separately); 2e-6 leaves a 20x margin and still catches a wrong
// block, scale or lane (those are >= 1e-3).
inline constexpr double kDotTolerance = 2e-6;
inline constexpr double kDotFloor = 1e-6;

inline const std::vector<tensor_type>& weight_types() {
  static const std::vector<tensor_type> types = {
      tensor_type::f32,  tensor_type::f16,  tensor_type::bf16, tensor_type::q4_0, tensor_type::q4_1,
      tensor_type::q5_0, tensor_type::q5_1, tensor_type::q8_0, tensor_type::q2_k, tensor_type::q3_k,
      tensor_type::q4_k, tensor_type::q5_k, tensor_type::q6_k,
  };
  return types;
}

inline std::vector<float> random_floats(size_t n, uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

inline uint64_t row_size(tensor_type t, int64_t n) { return *row_bytes(t, static_cast<uint64_t>(n)); }

// A quantized [rows, cols] matrix whose rows are `pad` bytes apart beyond their size, 64-byte
// aligned storage.
struct test_matrix {
  std::vector<uint64_t> storage;
  MatrixView view;
};

inline test_matrix make_matrix(tensor_type type, int64_t rows, int64_t cols, uint64_t pad, uint32_t seed) {
  test_matrix m;
  const uint64_t stride = row_size(type, cols) + pad;
  m.storage.assign((stride * static_cast<uint64_t>(rows) + 7) / 8 + 1, 0);
  auto* base = reinterpret_cast<uint8_t*>(m.storage.data());
  const auto w = random_floats(static_cast<size_t>(rows * cols), seed);
  for (int64_t r = 0; r < rows; ++r) tensor::quantize_row(type, w.data() + r * cols, base + r * stride, cols);
  m.view = MatrixView{type, rows, cols, stride, base};
  return m;
}

// The matrix dequantized: [rows][cols].
inline std::vector<float> dequantized(const MatrixView& w) {
  std::vector<float> out(static_cast<size_t>(w.rows * w.cols));
  for (int64_t r = 0; r < w.rows; ++r) tensor::dequantize_row(w.type, w.data + r * w.row_stride, out.data() + r * w.cols, w.cols);
  return out;
}

// x as the kernels see it: converted to the vec-dot type of `weights` and back.
inline std::vector<float> as_activation(tensor_type weights, const float* x, int64_t n) {
  const tensor_type at = tensor::vec_dot_type(weights);
  std::vector<uint64_t> q((row_size(at, n) + 7) / 8);
  tensor::quantize_row(at, x, q.data(), n);
  std::vector<float> out(static_cast<size_t>(n));
  tensor::dequantize_row(at, q.data(), out.data(), n);
  return out;
}

inline double abs_term_sum(const float* w, const float* a, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(w[i]) * a[i]);
  return s;
}

inline double dot_tolerance(double abs_terms) { return kDotTolerance * abs_terms + kDotFloor; }

}  // namespace plexus::kernels::testing

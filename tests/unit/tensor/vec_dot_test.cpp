// vec_dot of every weight type against the exact dot product of the dequantized operands
// (weights dequantized, activations quantized to the vec-dot type and dequantized), computed in
// double. The reference vec_dot forms exact integer block sums and only rounds the float scale
// products and their float accumulation, so the difference must stay within a few float ulps of
// the sum of |terms|: the tolerance is 1e-5 * sum_i |w_i a_i|.
#include <gtest/gtest.h>

#include <cmath>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/quant.h"
#include "tensor_test_util.h"

namespace plexus::tensor {
namespace {

using testing::buffer_for;
using testing::random_normal;
using testing::weight_types;

struct dot_case {
  std::vector<uint64_t> w;     // weights in `type`
  std::vector<uint64_t> acts;  // activations in vec_dot_type(type)
  std::vector<float> w_deq;
  std::vector<float> a_deq;
};

dot_case make_case(tensor_type type, int64_t n, uint32_t seed) {
  dot_case c;
  const auto w = random_normal(static_cast<size_t>(n), seed);
  const auto x = random_normal(static_cast<size_t>(n), seed + 1000, 2.0f);
  c.w = buffer_for(type, n);
  quantize_row(type, w.data(), c.w.data(), n);
  const tensor_type at = vec_dot_type(type);
  c.acts = buffer_for(at, n);
  quantize_row(at, x.data(), c.acts.data(), n);
  c.w_deq.resize(static_cast<size_t>(n));
  c.a_deq.resize(static_cast<size_t>(n));
  dequantize_row(type, c.w.data(), c.w_deq.data(), n);
  dequantize_row(at, c.acts.data(), c.a_deq.data(), n);
  return c;
}

// The exact value the format defines. For Q4_1/Q5_1 the min term uses the activation block's
// stored s (= fp16(d * sum q), rounded once on its own), not fp16(d) * sum q.
double exact_dot(tensor_type type, const dot_case& c, double* abs_sum) {
  double sum = 0;
  *abs_sum = 0;
  const size_t n = c.w_deq.size();
  if (type == tensor_type::q4_1 || type == tensor_type::q5_1) {
    const auto* a = reinterpret_cast<const block_q8_1*>(c.acts.data());
    for (size_t b = 0; b < n / 32; ++b) {
      const float m = type == tensor_type::q4_1 ? fp16_to_fp32(reinterpret_cast<const block_q4_1*>(c.w.data())[b].m)
                                                : fp16_to_fp32(reinterpret_cast<const block_q5_1*>(c.w.data())[b].m);
      for (size_t j = 0; j < 32; ++j) {
        const double t = (static_cast<double>(c.w_deq[b * 32 + j]) - m) * c.a_deq[b * 32 + j];
        sum += t;
        *abs_sum += std::fabs(t);
      }
      const double min_term = static_cast<double>(m) * fp16_to_fp32(a[b].s);
      sum += min_term;
      *abs_sum += std::fabs(min_term);
    }
    return sum;
  }
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(c.w_deq[i]) * c.a_deq[i];
    sum += t;
    *abs_sum += std::fabs(t);
  }
  return sum;
}

TEST(VecDot, MatchesExactDotOfDequantizedOperands) {
  for (tensor_type t : weight_types()) {
    for (int64_t n : {256, 1024, 4096}) {
      for (uint32_t seed : {1u, 2u, 3u}) {
        const dot_case c = make_case(t, n, seed + static_cast<uint32_t>(n));
        double abs_sum;
        const double expected = exact_dot(t, c, &abs_sum);
        const float got = vec_dot(t, n, c.w.data(), c.acts.data());
        EXPECT_NEAR(got, expected, 1e-5 * abs_sum) << tensor_type_name(t) << " n=" << n << " seed=" << seed;
      }
    }
  }
}

// The full pipeline (weight quantization + activation quantization + dot) approximates the
// float dot product within the type's quantization error. This catches a wrong vec-dot type or
// a dot product that reads the activations in the wrong layout.
TEST(VecDot, ApproximatesTheFloatDotProduct) {
  const int64_t n = 4096;
  const auto w = random_normal(n, 77);
  const auto x = random_normal(n, 78);
  double exact = 0, norm_w = 0, norm_x = 0;
  for (int64_t i = 0; i < n; ++i) {
    exact += static_cast<double>(w[i]) * x[i];
    norm_w += static_cast<double>(w[i]) * w[i];
    norm_x += static_cast<double>(x[i]) * x[i];
  }
  const double scale = std::sqrt(norm_w * norm_x);  // |w| |x|: the size of a dot-product error
  for (tensor_type t : weight_types()) {
    auto wq = buffer_for(t, n);
    quantize_row(t, w.data(), wq.data(), n);
    auto xq = buffer_for(vec_dot_type(t), n);
    quantize_row(vec_dot_type(t), x.data(), xq.data(), n);
    const float got = vec_dot(t, n, wq.data(), xq.data());
    // relative errors of a random-phase error vector: ~ rmse / sqrt(n) of |w||x|; allow 4x the
    // round-trip bound of the coarsest types.
    const double tol = (t == tensor_type::q2_k ? 0.4 : t == tensor_type::q3_k ? 0.25 : 0.15) * scale / std::sqrt(n) * 4;
    EXPECT_NEAR(got, exact, tol) << tensor_type_name(t);
  }
}

TEST(VecDot, FloatTypesAccumulateInDouble) {
  // 1e8 + many small terms: a float accumulator would drop every 1.0; ggml's generic path sums in
  // double and rounds once.
  const int64_t n = 1025;
  std::vector<float> w(n, 1.0f), x(n, 1.0f);
  w[0] = 1e8f;
  EXPECT_EQ(vec_dot(tensor_type::f32, n, w.data(), x.data()), 1e8f + 1024.0f);
  std::vector<uint16_t> wb(n), xb(n);
  for (int64_t i = 0; i < n; ++i) {
    wb[i] = fp32_to_bf16(w[i]);
    xb[i] = fp32_to_bf16(x[i]);
  }
  EXPECT_EQ(vec_dot(tensor_type::bf16, n, wb.data(), xb.data()), static_cast<float>(static_cast<double>(bf16_to_fp32(wb[0])) + 1024.0));
  std::vector<uint16_t> wh(n, fp32_to_fp16(1.0f)), xh(n, fp32_to_fp16(1.0f));
  wh[0] = fp32_to_fp16(60000.0f);
  xh[0] = fp32_to_fp16(60000.0f);  // 3.6e9: far outside fp16, exact in the float product
  EXPECT_EQ(vec_dot(tensor_type::f16, n, wh.data(), xh.data()),
            static_cast<float>(static_cast<double>(fp16_to_fp32(wh[0])) * fp16_to_fp32(xh[0]) + 1024.0));
}

TEST(VecDot, ZeroLengthIsZero) {
  for (tensor_type t : weight_types()) EXPECT_EQ(vec_dot(t, 0, nullptr, nullptr), 0.0f) << tensor_type_name(t);
}

}  // namespace
}  // namespace plexus::tensor

// quantize_row -> dequantize_row round trips: error bounds per type on random data, special rows
// (zeros, constants, shifted and one-signed data, NaN/inf), block geometry against the GGUF type
// table, and the auxiliary fields of the activation formats (Q8_1 s, Q8_K bsums).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/quant.h"
#include "tensor_test_util.h"

namespace plexus::tensor {
namespace {

using testing::buffer_for;
using testing::quantizable_types;
using testing::quantize_dequantize;
using testing::random_normal;
using testing::relative_rmse;

TEST(BlockGeometry, StructSizesMatchTheGgufTypeTable) {
  const std::map<tensor_type, size_t> sizes = {
      {tensor_type::q4_0, sizeof(block_q4_0)}, {tensor_type::q4_1, sizeof(block_q4_1)},
      {tensor_type::q5_0, sizeof(block_q5_0)}, {tensor_type::q5_1, sizeof(block_q5_1)},
      {tensor_type::q8_0, sizeof(block_q8_0)}, {tensor_type::q8_1, sizeof(block_q8_1)},
      {tensor_type::q2_k, sizeof(block_q2_k)}, {tensor_type::q3_k, sizeof(block_q3_k)},
      {tensor_type::q4_k, sizeof(block_q4_k)}, {tensor_type::q5_k, sizeof(block_q5_k)},
      {tensor_type::q6_k, sizeof(block_q6_k)}, {tensor_type::q8_k, sizeof(block_q8_k)},
      {tensor_type::f32, 4},                   {tensor_type::f16, 2},
      {tensor_type::bf16, 2},
  };
  for (const auto& [type, size] : sizes) {
    const auto traits = traits_of(type);
    ASSERT_TRUE(traits.has_value()) << static_cast<int>(type);
    EXPECT_EQ(traits->block_bytes, size) << traits->name;
    EXPECT_EQ(row_bytes(type, traits->block_elems), size) << traits->name;
  }
  EXPECT_EQ(traits_of(tensor_type::q4_0)->block_elems, static_cast<uint32_t>(qk4_0));
  EXPECT_EQ(traits_of(tensor_type::q6_k)->block_elems, static_cast<uint32_t>(qk_k));
}

TEST(TypeTable, CoverageAndVecDotTypes) {
  for (tensor_type t : quantizable_types()) {
    EXPECT_TRUE(can_dequantize(t)) << tensor_type_name(t);
    EXPECT_TRUE(can_quantize(t)) << tensor_type_name(t);
  }
  for (tensor_type t : testing::weight_types()) EXPECT_TRUE(can_vec_dot(t)) << tensor_type_name(t);
  EXPECT_FALSE(can_vec_dot(tensor_type::q8_1));
  EXPECT_FALSE(can_vec_dot(tensor_type::q8_k));
  for (tensor_type t : {tensor_type::i8, tensor_type::i32, tensor_type::f64}) {
    EXPECT_FALSE(can_dequantize(t));
    EXPECT_FALSE(can_quantize(t));
    EXPECT_FALSE(can_vec_dot(t));
  }
  EXPECT_FALSE(can_dequantize(static_cast<tensor_type>(20)));  // IQ4_NL: known id, no kernels
  EXPECT_FALSE(can_dequantize(static_cast<tensor_type>(1000)));

  EXPECT_EQ(vec_dot_type(tensor_type::f32), tensor_type::f32);
  EXPECT_EQ(vec_dot_type(tensor_type::f16), tensor_type::f16);
  EXPECT_EQ(vec_dot_type(tensor_type::bf16), tensor_type::bf16);
  EXPECT_EQ(vec_dot_type(tensor_type::q4_0), tensor_type::q8_0);
  EXPECT_EQ(vec_dot_type(tensor_type::q5_0), tensor_type::q8_0);
  EXPECT_EQ(vec_dot_type(tensor_type::q8_0), tensor_type::q8_0);
  EXPECT_EQ(vec_dot_type(tensor_type::q4_1), tensor_type::q8_1);
  EXPECT_EQ(vec_dot_type(tensor_type::q5_1), tensor_type::q8_1);
  for (tensor_type t : {tensor_type::q2_k, tensor_type::q3_k, tensor_type::q4_k, tensor_type::q5_k, tensor_type::q6_k}) {
    EXPECT_EQ(vec_dot_type(t), tensor_type::q8_k);
  }
  EXPECT_EQ(vec_dot_type(tensor_type::q8_k), tensor_type::q8_k);  // activation formats map to themselves
  EXPECT_EQ(vec_dot_type(tensor_type::q8_1), tensor_type::q8_1);
  EXPECT_EQ(vec_dot_type(tensor_type::i8), tensor_type::f32);  // total: no abort for other ids
  EXPECT_EQ(vec_dot_type(static_cast<tensor_type>(20)), tensor_type::f32);
  EXPECT_EQ(required_alignment(tensor_type::f32), 4u);
  EXPECT_EQ(required_alignment(tensor_type::q4_k), 2u);
  EXPECT_EQ(required_alignment(tensor_type::i8), 1u);
}

// Relative RMS error on N(0, 1) data. Bounds sit ~25% above what the quantizers reach (printed),
// and far below what a layout bug gives (~1.0 or more).
TEST(RoundTrip, RelativeErrorOnGaussianData) {
  const std::map<tensor_type, double> bound = {
      {tensor_type::f32, 0.0},     {tensor_type::f16, 3.5e-4},  {tensor_type::bf16, 2.8e-3},
      {tensor_type::q8_0, 0.0065}, {tensor_type::q8_1, 0.0065}, {tensor_type::q8_k, 0.0085},
      {tensor_type::q4_0, 0.11},   {tensor_type::q4_1, 0.10},   {tensor_type::q5_0, 0.055},
      {tensor_type::q5_1, 0.05},   {tensor_type::q2_k, 0.36},   {tensor_type::q3_k, 0.20},
      {tensor_type::q4_k, 0.10},   {tensor_type::q5_k, 0.05},   {tensor_type::q6_k, 0.025},
  };
  const auto x = random_normal(16 * 256, 42);
  for (tensor_type t : quantizable_types()) {
    const double err = relative_rmse(x, quantize_dequantize(t, x));
    std::printf("%-5s relative rmse %.5f\n", tensor_type_name(t), err);
    EXPECT_LE(err, bound.at(t)) << tensor_type_name(t);
  }
}

// Relative error bound on data with |mean| 3, std 1 (rms ~3.2). Q2_K has 4 levels per 16 values;
// the symmetric Q3_K spends half of its 8 levels on the unused sign.
double one_signed_bound(tensor_type t) {
  if (t == tensor_type::q2_k) return 0.15;
  if (t == tensor_type::q3_k) return 0.12;
  return 0.06;
}

// Shifted data (mean 3, std 1), all-positive and all-negative data exercise the min/offset
// handling of Q4_1/Q5_1/Q2_K/Q4_K/Q5_K and the sign convention of the symmetric types.
TEST(RoundTrip, ShiftedAndOneSignedData) {
  for (float mean : {3.0f, -3.0f}) {
    const auto x = random_normal(8 * 256, 7, 1.0f, mean);
    for (tensor_type t : quantizable_types()) {
      const double err = relative_rmse(x, quantize_dequantize(t, x));
      EXPECT_LE(err, one_signed_bound(t)) << tensor_type_name(t) << " mean " << mean;
    }
  }
  std::vector<float> positive(4 * 256);
  for (size_t i = 0; i < positive.size(); ++i) positive[i] = 0.25f + static_cast<float>(i % 37) * 0.1f;
  for (tensor_type t : quantizable_types()) {
    EXPECT_LE(relative_rmse(positive, quantize_dequantize(t, positive)), one_signed_bound(t)) << tensor_type_name(t);
  }
}

TEST(RoundTrip, ZerosStayExactlyZero) {
  const std::vector<float> zeros(2 * 256, 0.0f);
  for (tensor_type t : quantizable_types()) {
    const auto y = quantize_dequantize(t, zeros);
    for (float v : y) ASSERT_EQ(v, 0.0f) << tensor_type_name(t);
  }
}

TEST(RoundTrip, ConstantRows) {
  for (float c : {1.5f, -0.75f, 100.0f}) {
    const std::vector<float> x(256, c);
    for (tensor_type t : quantizable_types()) {
      const auto y = quantize_dequantize(t, x);
      for (float v : y) ASSERT_NEAR(v, c, std::fabs(c) * 0.02) << tensor_type_name(t) << " c=" << c;
    }
  }
}

TEST(RoundTrip, Q8_0PerElementErrorIsHalfAStep) {
  const auto x = random_normal(64 * 32, 3);
  const auto y = quantize_dequantize(tensor_type::q8_0, x);
  for (size_t b = 0; b < x.size() / 32; ++b) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    const float d = amax / 127;
    // half a step, plus the fp16 rounding of d times |q| <= 127
    for (int j = 0; j < 32; ++j) ASSERT_LE(std::fabs(x[b * 32 + j] - y[b * 32 + j]), 0.5f * d + 127 * d * 0x1p-11f);
  }
}

TEST(RoundTrip, Q8_1StoresDTimesSum) {
  const auto x = random_normal(4 * 32, 5);
  auto q = buffer_for(tensor_type::q8_1, 128);
  quantize_row(tensor_type::q8_1, x.data(), q.data(), 128);
  const auto* blocks = reinterpret_cast<const block_q8_1*>(q.data());
  for (int b = 0; b < 4; ++b) {
    int sum = 0;
    for (int8_t v : blocks[b].qs) sum += v;
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    const float d = amax / 127;  // s uses the unrounded d, as ggml does
    EXPECT_EQ(blocks[b].s, fp32_to_fp16(static_cast<float>(sum) * d));
    EXPECT_EQ(blocks[b].d, fp32_to_fp16(d));
  }
}

TEST(RoundTrip, Q8_KBlockSumsAndSign) {
  auto x = random_normal(2 * 256, 9);
  // The element of largest magnitude always quantizes to -127: the scale takes its opposite sign.
  x[17] = 10.0f;    // block 0: largest magnitude positive -> d < 0
  x[300] = -10.0f;  // block 1: largest magnitude negative -> d > 0
  auto q = buffer_for(tensor_type::q8_k, 512);
  quantize_row(tensor_type::q8_k, x.data(), q.data(), 512);
  const auto* blocks = reinterpret_cast<const block_q8_k*>(q.data());
  EXPECT_EQ(blocks[0].qs[17], -127);
  EXPECT_LT(blocks[0].d, 0.0f);
  EXPECT_EQ(blocks[1].qs[300 - 256], -127);
  EXPECT_GT(blocks[1].d, 0.0f);
  for (int b = 0; b < 2; ++b) {
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int k = 0; k < 16; ++k) sum += blocks[b].qs[16 * g + k];
      EXPECT_EQ(blocks[b].bsums[g], sum);
    }
  }
}

// Hostile weights (NaN, inf, huge values) must not cause undefined behaviour in any quantizer
// (checked under UBSan); the finite values of a block without them still round-trip.
TEST(RoundTrip, NonFiniteInputsAreHandled) {
  std::vector<float> x = random_normal(2 * 256, 11);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[40] = INFINITY;
  x[100] = -INFINITY;
  x[200] = 3e38f;
  for (tensor_type t : quantizable_types()) {
    auto q = buffer_for(t, 512);
    quantize_row(t, x.data(), q.data(), 512);
    std::vector<float> y(512);
    dequantize_row(t, q.data(), y.data(), 512);
    // The second super-block is clean.
    std::vector<float> x2(x.begin() + 256, x.end()), y2(y.begin() + 256, y.end());
    EXPECT_LE(relative_rmse(x2, y2), 0.4) << tensor_type_name(t);
  }
}

// Broken caller invariants stop the process with a message instead of reading out of bounds.
TEST(ContractViolationDeathTest, BadTypeOrLength) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  float out[64];
  const std::vector<uint8_t> bytes(256);
  EXPECT_DEATH(dequantize_row(tensor_type::i8, bytes.data(), out, 32), "I8 .*no reference implementation");
  EXPECT_DEATH(dequantize_row(tensor_type::q4_0, bytes.data(), out, 33), "Q4_0 .*multiple of the block size");
  EXPECT_DEATH(quantize_row(tensor_type::q4_k, out, nullptr, 64), "multiple of the block size");
  EXPECT_DEATH(vec_dot(tensor_type::q8_k, 256, bytes.data(), bytes.data()), "not a weight type");
}

TEST(RoundTrip, EmptyRowIsANoOp) {
  for (tensor_type t : quantizable_types()) {
    quantize_row(t, nullptr, nullptr, 0);
    dequantize_row(t, nullptr, nullptr, 0);
  }
}

}  // namespace
}  // namespace plexus::tensor

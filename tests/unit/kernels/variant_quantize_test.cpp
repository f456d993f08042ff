// Activation conversion of every variant (Q8_0, Q8_1, Q8_K, F16, BF16) must produce the same bytes
// as the reference quantizers, so that the goldens, which pin the reference engine's rounding,
// hold whatever variant runs: random rows at several scales, odd lengths, and the edge cases of
// the reference's rules (rounding ties, sign of the Q8_K scale, NaN, infinities, subnormals,
// all-zero blocks, overflowing scales).
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/op_table.h"

namespace plexus::kernels {
namespace {

using testing::random_floats;
using testing::row_size;

const tensor_type kActivationTypes[] = {tensor_type::q8_0, tensor_type::q8_1, tensor_type::q8_k, tensor_type::f16,
                                        tensor_type::bf16};

int64_t block_of(tensor_type t) {
  if (t == tensor_type::q8_k) return 256;
  if (t == tensor_type::q8_0 || t == tensor_type::q8_1) return 32;
  return 1;
}

void expect_same_bytes(tensor_type type, const std::vector<float>& x, const char* what) {
  const auto n = static_cast<int64_t>(x.size());
  const uint64_t bytes = row_size(type, n);
  std::vector<uint8_t> expected(bytes, 0xAB), got(bytes, 0xCD);
  tensor::quantize_row(type, x.data(), expected.data(), n);
  for (const op_table* variant : available_op_tables()) {
    std::fill(got.begin(), got.end(), 0xCD);
    variant->quantize_row(type, x.data(), got.data(), n);
    for (uint64_t i = 0; i < bytes; ++i) {
      ASSERT_EQ(got[i], expected[i]) << variant->name << " " << tensor_type_name(type) << " (" << what << "), n " << n
                                     << ": first difference at byte " << i;
    }
  }
}

// n rounded up to the type's block, at least one block.
int64_t whole_blocks(tensor_type t, int64_t n) { return (n + block_of(t) - 1) / block_of(t) * block_of(t); }

TEST(VariantQuantize, RandomRowsAreByteIdentical) {
  for (tensor_type type : kActivationTypes) {
    for (int64_t n : {1, 7, 8, 33, 256, 1000, 2048}) {
      for (float scale : {1e-6f, 1.0f, 37.0f, 1e4f}) {
        const auto x = random_floats(static_cast<size_t>(whole_blocks(type, n)), static_cast<uint32_t>(n), scale);
        expect_same_bytes(type, x, "random");
      }
    }
  }
}

// Values at exact rounding ties: with max |x| = 127 the Q8_0 scale is 1 (x * id = x), and with a
// leading -127 the Q8_K scale is 1 too; so k + 0.5 lands on a tie for both quantizers.
TEST(VariantQuantize, RoundingTiesFollowTheReference) {
  for (tensor_type type : kActivationTypes) {
    std::vector<float> x(static_cast<size_t>(whole_blocks(type, 512)));
    for (size_t i = 0; i < x.size(); ++i) {
      const float k = static_cast<float>(static_cast<int>(i % 250) - 125);
      x[i] = k + ((i % 2) != 0 ? 0.5f : -0.5f);
    }
    for (size_t b = 0; b < x.size(); b += 32) x[b] = -127.0f;  // block scale 1 (and the Q8_K sign)
    expect_same_bytes(type, x, "ties");
  }
}

TEST(VariantQuantize, LargestMagnitudeTiesPickTheFirstElement) {
  for (tensor_type type : kActivationTypes) {
    std::vector<float> x(static_cast<size_t>(whole_blocks(type, 512)), 0.25f);
    x[3] = -3.0f;  // first of two magnitude-3 elements: negative
    x[200] = 3.0f;
    x[256 + 10] = 5.0f;  // second block: positive first
    x[256 + 100] = -5.0f;
    expect_same_bytes(type, x, "magnitude ties");
  }
}

TEST(VariantQuantize, SpecialValuesAreByteIdentical) {
  const float inf = std::numeric_limits<float>::infinity();
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  float payload_nan;
  const uint32_t nan_bits = 0xffc12345u;  // negative quiet NaN with a payload
  std::memcpy(&payload_nan, &nan_bits, sizeof(float));
  const float subnormal = std::numeric_limits<float>::denorm_min() * 37.0f;
  struct pattern {
    const char* name;
    std::vector<float> values;  // repeated to fill the row
  };
  const pattern patterns[] = {
      {"zeros", {0.0f, -0.0f}},
      {"nan among values", {1.0f, qnan, -2.0f, 0.5f, payload_nan, 3.0f}},
      {"nan only", {qnan, payload_nan}},
      {"infinities", {1.0f, inf, -2.0f, -inf}},
      {"one infinity", {1.0f, 2.0f, -inf, 0.25f, 1.5f, -3.0f, 0.0f, 7.0f}},
      {"subnormals", {subnormal, -subnormal * 3.0f, 0.0f, std::numeric_limits<float>::denorm_min()}},
      {"tiny normals", {FLT_MIN, -FLT_MIN * 2.0f, FLT_MIN * 0.75f}},
      {"huge", {FLT_MAX, -FLT_MAX, 1e30f, 65504.0f, 65520.0f, -65519.0f}},
      {"fp16 edges", {6.1035156e-05f, 5.9604645e-08f, 2.9802322e-08f, 2.9802326e-08f, 1.0009765625f, 1.00048828125f}},
      {"bf16 ties", {1.00390625f, 1.01171875f, -1.00390625f, 3.3895314e38f}},
  };
  for (tensor_type type : kActivationTypes) {
    for (const pattern& p : patterns) {
      std::vector<float> x(static_cast<size_t>(whole_blocks(type, 300)));
      for (size_t i = 0; i < x.size(); ++i) x[i] = p.values[(i * 7 + i / 13) % p.values.size()];
      expect_same_bytes(type, x, p.name);
    }
  }
}

// One block with special values among ordinary ones, the others ordinary: the blocks must not
// leak into each other.
TEST(VariantQuantize, OneBadBlockDoesNotAffectTheOthers) {
  for (tensor_type type : kActivationTypes) {
    auto x = random_floats(static_cast<size_t>(whole_blocks(type, 1024)), 9, 2.0f);
    x[300] = std::numeric_limits<float>::infinity();
    x[301] = std::numeric_limits<float>::quiet_NaN();
    expect_same_bytes(type, x, "one bad block");
  }
}

}  // namespace
}  // namespace plexus::kernels

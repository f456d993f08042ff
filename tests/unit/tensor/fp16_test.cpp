// fp16 / bf16 conversions: edge cases (zeros, infinities, NaN, subnormals, overflow, rounding
// ties), exhaustive round trips, and agreement with the compiler's own _Float16 conversion.
#include "tensor/fp16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>

namespace plexus::tensor {
namespace {

bool is_fp16_nan(uint16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0; }

TEST(Fp16, ExactValues) {
  EXPECT_EQ(fp32_to_fp16(0.0f), 0x0000);
  EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(fp32_to_fp16(-2.0f), 0xc000);
  EXPECT_EQ(fp32_to_fp16(0.5f), 0x3800);
  EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7bff);           // largest finite
  EXPECT_EQ(fp32_to_fp16(0x1p-14f), 0x0400);           // smallest normal
  EXPECT_EQ(fp32_to_fp16(0x1p-24f), 0x0001);           // smallest subnormal
  EXPECT_EQ(fp32_to_fp16(0x3ffp-24f), 0x03ff);         // largest subnormal
  EXPECT_EQ(fp16_to_fp32(0x3c00), 1.0f);
  EXPECT_EQ(fp16_to_fp32(0x0001), 0x1p-24f);
  EXPECT_EQ(fp16_to_fp32(0x03ff), 0x3ffp-24f);
  EXPECT_EQ(fp16_to_fp32(0x7bff), 65504.0f);
  EXPECT_EQ(fp16_to_fp32(0xfbff), -65504.0f);
  EXPECT_TRUE(std::signbit(fp16_to_fp32(0x8000)));
}

TEST(Fp16, InfinityAndOverflow) {
  EXPECT_EQ(fp32_to_fp16(INFINITY), 0x7c00);
  EXPECT_EQ(fp32_to_fp16(-INFINITY), 0xfc00);
  EXPECT_EQ(fp32_to_fp16(65519.996f), 0x7bff);  // below the midpoint to "65536"
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7c00);    // the midpoint: ties to even = infinity
  EXPECT_EQ(fp32_to_fp16(1e10f), 0x7c00);
  EXPECT_EQ(fp32_to_fp16(-3.4e38f), 0xfc00);
  EXPECT_EQ(fp16_to_fp32(0x7c00), INFINITY);
  EXPECT_EQ(fp16_to_fp32(0xfc00), -INFINITY);
}

TEST(Fp16, NaN) {
  const uint16_t h = fp32_to_fp16(NAN);
  EXPECT_TRUE(is_fp16_nan(h));
  EXPECT_TRUE(h & 0x0200);  // quiet
  EXPECT_TRUE(is_fp16_nan(fp32_to_fp16(bits_float(0x7f800001u))));  // signalling, tiny payload
  EXPECT_EQ(fp32_to_fp16(bits_float(0xffc00000u)) & 0x8000, 0x8000);  // sign kept
  EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7e00)));
  EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7c01)));
}

TEST(Fp16, RoundingTies) {
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1.0).
  EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f), 0x3c00);
  // 1 + 3 * 2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
  EXPECT_EQ(fp32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3c02);
  // Just above a tie rounds up.
  EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f + 0x1p-20f), 0x3c01);
  // Subnormal ties: 2^-25 -> 0 (even), 3 * 2^-25 -> 2 * 2^-24 (even), just above 2^-25 -> 2^-24.
  EXPECT_EQ(fp32_to_fp16(0x1p-25f), 0x0000);
  EXPECT_EQ(fp32_to_fp16(3 * 0x1p-25f), 0x0002);
  EXPECT_EQ(fp32_to_fp16(0x1p-25f * 1.0000001f), 0x0001);
  EXPECT_EQ(fp32_to_fp16(-0x1p-26f), 0x8000);
  // Halfway between the largest subnormal and the smallest normal: rounds to the even normal.
  EXPECT_EQ(fp32_to_fp16(0x1p-14f - 0x1p-25f), 0x0400);
  // binary32 subnormals become zero.
  EXPECT_EQ(fp32_to_fp16(bits_float(0x00000001u)), 0x0000);
}

TEST(Fp16, ExhaustiveRoundTrip) {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const auto bits = static_cast<uint16_t>(h);
    const float f = fp16_to_fp32(bits);
    if (is_fp16_nan(bits)) {
      ASSERT_TRUE(std::isnan(f)) << h;
      ASSERT_TRUE(is_fp16_nan(fp32_to_fp16(f))) << h;
    } else {
      ASSERT_EQ(fp32_to_fp16(f), bits) << h;
    }
  }
}

#if defined(__FLT16_MAX__)
// The compiler's _Float16 conversion rounds to nearest even too: an independent oracle.
uint16_t compiler_fp16(float f) {
  const auto h = static_cast<_Float16>(f);
  uint16_t bits;
  std::memcpy(&bits, &h, sizeof(bits));
  return bits;
}

TEST(Fp16, MatchesCompilerConversion) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<uint32_t> any_bits;
  for (int i = 0; i < 2000000; ++i) {
    // Half of the samples in the binary16 range (exponents 100..145), where rounding happens.
    uint32_t u = any_bits(rng);
    if (i % 2 == 0) u = (u & 0x807fffffu) | ((100u + (u >> 23) % 46u) << 23);
    const float f = bits_float(u);
    if (std::isnan(f)) continue;
    ASSERT_EQ(fp32_to_fp16(f), compiler_fp16(f)) << std::hex << u;
  }
  for (uint32_t h = 0; h < 0x7c00u; ++h) {  // every midpoint between adjacent halves
    const double mid = (static_cast<double>(fp16_to_fp32(static_cast<uint16_t>(h))) +
                        static_cast<double>(fp16_to_fp32(static_cast<uint16_t>(h + 1)))) / 2;
    const auto f = static_cast<float>(mid);  // exact: a midpoint needs 12 significant bits
    ASSERT_EQ(fp32_to_fp16(f), compiler_fp16(f)) << h;
  }
}
#endif

TEST(Bf16, ExactValuesAndRounding) {
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(fp32_to_bf16(-2.0f), 0xc000);
  EXPECT_EQ(fp32_to_bf16(0.0f), 0x0000);
  EXPECT_EQ(fp32_to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_bf16(bits_float(0x3f808000u)), 0x3f80);  // tie, even stays
  EXPECT_EQ(fp32_to_bf16(bits_float(0x3f818000u)), 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(fp32_to_bf16(bits_float(0x3f808001u)), 0x3f81);  // above the tie
  EXPECT_EQ(fp32_to_bf16(bits_float(0x3f807fffu)), 0x3f80);  // below the tie
  EXPECT_EQ(fp32_to_bf16(INFINITY), 0x7f80);
  EXPECT_EQ(fp32_to_bf16(-INFINITY), 0xff80);
  EXPECT_EQ(fp32_to_bf16(bits_float(0x7f7fffffu)), 0x7f80);  // FLT_MAX rounds to infinity
  EXPECT_EQ(bf16_to_fp32(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_fp32(0x7f80), INFINITY);
}

TEST(Bf16, SubnormalsAreRoundedNotFlushed) {
  EXPECT_EQ(fp32_to_bf16(bits_float(0x00000001u)), 0x0000);
  EXPECT_EQ(fp32_to_bf16(bits_float(0x00008000u)), 0x0000);  // tie to even
  EXPECT_EQ(fp32_to_bf16(bits_float(0x00018000u)), 0x0002);  // tie to even (up)
  EXPECT_EQ(fp32_to_bf16(bits_float(0x00010000u)), 0x0001);  // exact subnormal
  EXPECT_EQ(fp32_to_bf16(bits_float(0x80010000u)), 0x8001);
}

TEST(Bf16, NaNIsQuiet) {
  EXPECT_EQ(fp32_to_bf16(bits_float(0x7f800001u)), 0x7fc0);  // payload below bit 16: forced quiet
  EXPECT_EQ(fp32_to_bf16(bits_float(0xffc00000u)), 0xffc0);
  EXPECT_EQ(fp32_to_bf16(bits_float(0x7fa00000u)), 0x7fe0);
  EXPECT_TRUE(std::isnan(bf16_to_fp32(0x7fc0)));
}

TEST(Bf16, ExhaustiveRoundTrip) {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const auto bits = static_cast<uint16_t>(h);
    const float f = bf16_to_fp32(bits);
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(bf16_to_fp32(fp32_to_bf16(f))));
    } else {
      ASSERT_EQ(fp32_to_bf16(f), bits) << h;
    }
  }
}

}  // namespace
}  // namespace plexus::tensor

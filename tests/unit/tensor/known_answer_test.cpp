// Known-answer tests with hand-built blocks: each expected value is written out from the layout
// description (blocks.h) independently of the dequantizer's loop structure, and the reference
// quantizers' rounding rules (ggml's *_ref: roundf for Q8_0/Q8_1, truncation of x + 8.5 for
// Q4_0, round-half-even with a negative scale for Q8_K) are pinned on inputs that sit exactly on
// rounding ties.
#include <gtest/gtest.h>

#include <cstring>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/quant.h"

namespace plexus::tensor {
namespace {

TEST(KnownAnswer, Q4_0Dequantize) {
  block_q4_0 b{};
  b.d = fp32_to_fp16(0.5f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y[32];
  dequantize_row(tensor_type::q4_0, &b, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 0.5f) << j;
    EXPECT_EQ(y[j + 16], (15 - j - 8) * 0.5f) << j;
  }
}

TEST(KnownAnswer, Q4_1Dequantize) {
  block_q4_1 b{};
  b.d = fp32_to_fp16(0.25f);
  b.m = fp32_to_fp16(-1.0f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | (((j * 7) % 16) << 4));
  float y[32];
  dequantize_row(tensor_type::q4_1, &b, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], j * 0.25f - 1.0f);
    EXPECT_EQ(y[j + 16], ((j * 7) % 16) * 0.25f - 1.0f);
  }
}

TEST(KnownAnswer, Q5_0AndQ5_1Dequantize) {
  const uint32_t qh = 0xA5A50FF0u;  // bit e is the fifth bit of element e
  block_q5_0 b0{};
  b0.d = fp32_to_fp16(2.0f);
  std::memcpy(b0.qh, &qh, 4);
  block_q5_1 b1{};
  b1.d = fp32_to_fp16(0.5f);
  b1.m = fp32_to_fp16(3.0f);
  std::memcpy(b1.qh, &qh, 4);
  for (int j = 0; j < 16; ++j) {
    b0.qs[j] = b1.qs[j] = static_cast<uint8_t>((j ^ 5) | ((15 - j) << 4));
  }
  float y0[32], y1[32];
  dequantize_row(tensor_type::q5_0, &b0, y0, 32);
  dequantize_row(tensor_type::q5_1, &b1, y1, 32);
  for (int e = 0; e < 32; ++e) {
    const int low = e < 16 ? (e ^ 5) : (15 - (e - 16));
    const int q = low | static_cast<int>(((qh >> e) & 1u) << 4);
    EXPECT_EQ(y0[e], (q - 16) * 2.0f) << e;
    EXPECT_EQ(y1[e], q * 0.5f + 3.0f) << e;
  }
}

TEST(KnownAnswer, Q8_0Dequantize) {
  block_q8_0 b{};
  b.d = fp32_to_fp16(-0.125f);
  for (int j = 0; j < 32; ++j) b.qs[j] = static_cast<int8_t>(j * 8 - 128);
  float y[32];
  dequantize_row(tensor_type::q8_0, &b, y, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], (j * 8 - 128) * -0.125f);
}

// Element e of a Q2_K/Q3_K super-block: 2 low bits at qs[32 * (e / 128) + e % 32], bit pair
// (e % 128) / 32.
int q2_bits(const uint8_t* qs, int e) { return (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3; }

TEST(KnownAnswer, Q2_KDequantize) {
  block_q2_k b{};
  b.d = fp32_to_fp16(0.5f);
  b.dmin = fp32_to_fp16(0.25f);
  for (int i = 0; i < 16; ++i) b.scales[i] = static_cast<uint8_t>((i % 16) | (((i * 3) % 16) << 4));
  for (int i = 0; i < 64; ++i) b.qs[i] = static_cast<uint8_t>(i * 37 + 11);
  float y[256];
  dequantize_row(tensor_type::q2_k, &b, y, 256);
  for (int e = 0; e < 256; ++e) {
    const int s = e / 16;
    const float expected = 0.5f * (s % 16) * q2_bits(b.qs, e) - 0.25f * ((s * 3) % 16);
    EXPECT_EQ(y[e], expected) << e;
  }
}

TEST(KnownAnswer, Q3_KDequantize) {
  block_q3_k b{};
  b.d = fp32_to_fp16(0.125f);
  int scale6[16];  // 6-bit stored scales, value = scale6 - 32
  for (int i = 0; i < 16; ++i) scale6[i] = (i * 13 + 5) % 64;
  for (int i = 0; i < 16; ++i) {
    if (i < 8) b.scales[i] |= static_cast<uint8_t>(scale6[i] & 15);
    else b.scales[i - 8] |= static_cast<uint8_t>((scale6[i] & 15) << 4);
    b.scales[8 + i % 4] |= static_cast<uint8_t>((scale6[i] >> 4) << (2 * (i / 4)));
  }
  for (int i = 0; i < 64; ++i) b.qs[i] = static_cast<uint8_t>(i * 29 + 3);
  for (int i = 0; i < 32; ++i) b.hmask[i] = static_cast<uint8_t>(i * 53 + 7);
  float y[256];
  dequantize_row(tensor_type::q3_k, &b, y, 256);
  for (int e = 0; e < 256; ++e) {
    const int high = (b.hmask[e % 32] >> (e / 32)) & 1;
    const int q = q2_bits(b.qs, e) + 4 * high - 4;  // the high bit SET means no -4 offset
    EXPECT_EQ(y[e], 0.125f * (scale6[e / 16] - 32) * q) << e;
  }
}

// Packs 8 six-bit scales and mins into the 12-byte Q4_K/Q5_K layout, written out bit by bit.
void pack_k4(const int* sc, const int* m, uint8_t* out) {
  std::memset(out, 0, 12);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      out[j] |= static_cast<uint8_t>(sc[j]);
      out[j + 4] |= static_cast<uint8_t>(m[j]);
    } else {
      out[j + 4] |= static_cast<uint8_t>((sc[j] & 15) | ((m[j] & 15) << 4));
      out[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
      out[j] |= static_cast<uint8_t>((m[j] >> 4) << 6);
    }
  }
}

TEST(KnownAnswer, Q4_KAndQ5_KDequantize) {
  int sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = (j * 23 + 9) % 64;
    m[j] = (j * 41 + 2) % 64;
  }
  block_q4_k b4{};
  block_q5_k b5{};
  b4.d = b5.d = fp32_to_fp16(0.0625f);
  b4.dmin = b5.dmin = fp32_to_fp16(0.5f);
  pack_k4(sc, m, b4.scales);
  pack_k4(sc, m, b5.scales);
  for (int i = 0; i < 128; ++i) b4.qs[i] = b5.qs[i] = static_cast<uint8_t>(i * 97 + 1);
  for (int i = 0; i < 32; ++i) b5.qh[i] = static_cast<uint8_t>(i * 71 + 13);
  float y4[256], y5[256];
  dequantize_row(tensor_type::q4_k, &b4, y4, 256);
  dequantize_row(tensor_type::q5_k, &b5, y5, 256);
  for (int e = 0; e < 256; ++e) {
    const int s = e / 32;
    const uint8_t byte = b4.qs[32 * (e / 64) + e % 32];
    const int q4 = (e % 64) < 32 ? (byte & 15) : (byte >> 4);
    const int q5 = q4 + 16 * ((b5.qh[e % 32] >> (e / 32)) & 1);
    EXPECT_EQ(y4[e], 0.0625f * sc[s] * q4 - 0.5f * m[s]) << e;
    EXPECT_EQ(y5[e], 0.0625f * sc[s] * q5 - 0.5f * m[s]) << e;
  }
}

TEST(KnownAnswer, Q6_KDequantize) {
  block_q6_k b{};
  b.d = fp32_to_fp16(0.03125f);
  for (int i = 0; i < 16; ++i) b.scales[i] = static_cast<int8_t>(i * 17 - 120);
  // Element e: half h = e / 128, group g = (e % 128) / 32, position l = e % 32. Low 4 bits in
  // ql[64 h + l + 32 (g & 1)] (low nibble for g < 2, high for g >= 2), high 2 bits in
  // qh[32 h + l] at bit 2 g.
  int q[256];
  for (int e = 0; e < 256; ++e) {
    q[e] = (e * 45 + 7) % 64;
    const int h = e / 128, g = (e % 128) / 32, l = e % 32;
    b.ql[64 * h + l + 32 * (g & 1)] |= static_cast<uint8_t>((q[e] & 15) << (g < 2 ? 0 : 4));
    b.qh[32 * h + l] |= static_cast<uint8_t>((q[e] >> 4) << (2 * g));
  }
  float y[256];
  dequantize_row(tensor_type::q6_k, &b, y, 256);
  for (int e = 0; e < 256; ++e) EXPECT_EQ(y[e], 0.03125f * b.scales[e / 16] * (q[e] - 32)) << e;
}

TEST(KnownAnswer, Q8_0QuantizeRoundsHalfAwayFromZero) {
  float x[32] = {127.0f, 2.5f, -2.5f, 0.5f, -0.5f, 1.5f, -1.5f, 0.49f, 126.5f};
  block_q8_0 b{};
  quantize_row(tensor_type::q8_0, x, &b, 32);
  EXPECT_EQ(b.d, fp32_to_fp16(1.0f));  // amax / 127
  const int expected[9] = {127, 3, -3, 1, -1, 2, -2, 0, 127};
  for (int j = 0; j < 9; ++j) EXPECT_EQ(b.qs[j], expected[j]) << j;
  for (int j = 9; j < 32; ++j) EXPECT_EQ(b.qs[j], 0);
}

TEST(KnownAnswer, Q8_1QuantizeStoresTheScaledSum) {
  float x[32] = {-127.0f, 2.5f, 10.0f};
  block_q8_1 b{};
  quantize_row(tensor_type::q8_1, x, &b, 32);
  EXPECT_EQ(b.qs[0], -127);
  EXPECT_EQ(b.qs[1], 3);
  EXPECT_EQ(b.qs[2], 10);
  EXPECT_EQ(b.s, fp32_to_fp16(-114.0f));
}

TEST(KnownAnswer, Q4_0QuantizeTruncatesXPlus8Point5) {
  // Largest magnitude -8 -> d = -8 / -8 = 1, q = (int)(x / d + 8.5) clamped to 15.
  float x[32] = {-8.0f, 7.0f, 0.5f, -0.5f, 7.6f, -7.9f, 1.49f};
  block_q4_0 b{};
  quantize_row(tensor_type::q4_0, x, &b, 32);
  EXPECT_EQ(fp16_to_fp32(b.d), 1.0f);
  const int expected[7] = {0, 15, 9, 8, 15, 0, 9};
  for (int j = 0; j < 7; ++j) EXPECT_EQ(b.qs[j] & 15, expected[j]) << j;
  for (int j = 7; j < 16; ++j) EXPECT_EQ(b.qs[j] & 15, 8) << j;
  for (int j = 0; j < 16; ++j) EXPECT_EQ(b.qs[j] >> 4, 8) << j;  // x[16..31] = 0
  // Largest magnitude positive: d is negative, so +max lands on q = 0.
  float y[32] = {4.0f, -2.0f};
  quantize_row(tensor_type::q4_0, y, &b, 32);
  EXPECT_EQ(fp16_to_fp32(b.d), -0.5f);
  EXPECT_EQ(b.qs[0] & 15, 0);
  EXPECT_EQ(b.qs[1] & 15, 12);
}

TEST(KnownAnswer, Q8_KQuantizeNegativeScaleAndTiesToEven) {
  float x[256] = {};
  x[0] = 127.0f;  // largest magnitude, positive -> iscale = -1, d = -1
  x[1] = 2.5f;    // -2.5 -> -2 (ties to even)
  x[2] = 3.5f;    // -3.5 -> -4
  x[3] = -0.5f;   // 0.5 -> 0
  x[4] = -1.5f;   // 1.5 -> 2
  block_q8_k b{};
  quantize_row(tensor_type::q8_k, x, &b, 256);
  EXPECT_EQ(b.d, -1.0f);
  EXPECT_EQ(b.qs[0], -127);
  EXPECT_EQ(b.qs[1], -2);
  EXPECT_EQ(b.qs[2], -4);
  EXPECT_EQ(b.qs[3], 0);
  EXPECT_EQ(b.qs[4], 2);
  EXPECT_EQ(b.bsums[0], -127 - 2 - 4 + 0 + 2);
  for (int g = 1; g < 16; ++g) EXPECT_EQ(b.bsums[g], 0);
}

TEST(KnownAnswer, VecDotQ4_0Q8_0) {
  block_q4_0 w[2]{};
  block_q8_0 a[2]{};
  w[0].d = fp32_to_fp16(0.5f);
  w[1].d = fp32_to_fp16(-2.0f);
  a[0].d = fp32_to_fp16(1.0f);
  a[1].d = fp32_to_fp16(0.25f);
  for (int j = 0; j < 16; ++j) {
    w[0].qs[j] = 0x99;  // q = 9 -> +1 for all 32
    w[1].qs[j] = 0x70;  // low: 0 -> -8, high: 7 -> -1
  }
  for (int j = 0; j < 32; ++j) {
    a[0].qs[j] = 2;
    a[1].qs[j] = static_cast<int8_t>(j < 16 ? 1 : -4);
  }
  // block 0: 32 * 1 * 2 * 0.5 * 1 = 32; block 1: (16 * -8 * 1 + 16 * -1 * -4) * -2 * 0.25 = 32
  EXPECT_EQ(vec_dot(tensor_type::q4_0, 64, w, a), 64.0f);
}

TEST(KnownAnswer, VecDotQ4_1Q8_1UsesTheStoredSum) {
  block_q4_1 w{};
  block_q8_1 a{};
  w.d = fp32_to_fp16(1.0f);
  w.m = fp32_to_fp16(-2.0f);
  for (int j = 0; j < 16; ++j) w.qs[j] = 0x33;  // q = 3 -> 1
  a.d = fp32_to_fp16(0.5f);
  for (int j = 0; j < 32; ++j) a.qs[j] = 4;
  a.s = fp32_to_fp16(10.0f);  // deliberately not d * sum(qs) = 64: the kernel must use s
  // d_w d_a sum(q_w q_a) + m_w s_a = 0.5 * 32 * 3 * 4 + (-2) * 10 = 192 - 20
  EXPECT_EQ(vec_dot(tensor_type::q4_1, 32, &w, &a), 172.0f);
}

TEST(KnownAnswer, VecDotQ6_KQ8_K) {
  block_q6_k w{};
  w.d = fp32_to_fp16(0.5f);
  for (int i = 0; i < 16; ++i) w.scales[i] = static_cast<int8_t>(i - 8);
  for (int i = 0; i < 128; ++i) w.ql[i] = 0x55;  // low nibbles 5
  for (int i = 0; i < 64; ++i) w.qh[i] = 0xAA;   // high bits 2 -> q = 5 | 32 = 37 -> +5
  block_q8_k a{};
  a.d = 0.25f;
  for (int j = 0; j < 256; ++j) a.qs[j] = 3;
  // each element: 0.5 * s * 5 * 0.25 * 3; sum over s = -8..7 of s * 16 = -128
  EXPECT_EQ(vec_dot(tensor_type::q6_k, 256, &w, &a), 0.5f * 0.25f * 15.0f * -128.0f);
}

}  // namespace
}  // namespace plexus::tensor

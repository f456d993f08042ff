// Quantized block layouts, byte-for-byte as GGUF/ggml store them (little-endian; fp16 fields are
// raw binary16 bit patterns, see fp16.h). A row of n elements is n / block_elems consecutive
// blocks with no padding. Each struct is plain data.
// Thread-safe: plain data types.
#pragma once

#include <cstddef>
#include <cstdint>

namespace plexus::tensor {

inline constexpr int qk4_0 = 32;
inline constexpr int qk4_1 = 32;
inline constexpr int qk5_0 = 32;
inline constexpr int qk5_1 = 32;
inline constexpr int qk8_0 = 32;
inline constexpr int qk8_1 = 32;
inline constexpr int qk_k = 256;  // super-block size of the k-quants
inline constexpr int k_scale_size = 12;

// x[j] = d * (q[j] - 8); q[j] for j < 16 in the low nibbles of qs[j], j >= 16 in the high nibbles
// of qs[j - 16].
struct block_q4_0 {
  uint16_t d;
  uint8_t qs[qk4_0 / 2];
};
// x[j] = d * q[j] + m; nibbles as Q4_0.
struct block_q4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[qk4_1 / 2];
};
// x[j] = d * (q[j] - 16), q 5-bit: low 4 bits as Q4_0, bit 4 of q[j] is bit j of qh (LE u32).
struct block_q5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[qk5_0 / 2];
};
// x[j] = d * q[j] + m; q as Q5_0.
struct block_q5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[qk5_1 / 2];
};
// x[j] = d * qs[j].
struct block_q8_0 {
  uint16_t d;
  int8_t qs[qk8_0];
};
// x[j] = d * qs[j]; s = d * sum(qs) (used for the min term of Q4_1/Q5_1 dot products).
struct block_q8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[qk8_1];
};

// 16 sub-blocks of 16: x = d * (scales[i] & 0xF) * q - dmin * (scales[i] >> 4), q 2-bit.
// Element e of the super-block: q = (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3,
// sub-block e / 16.
struct block_q2_k {
  uint8_t scales[qk_k / 16];
  uint8_t qs[qk_k / 4];
  uint16_t d;
  uint16_t dmin;
};
// 16 sub-blocks of 16: x = d * (s - 32) * (q - 4), q 3-bit: low 2 bits packed as Q2_K, bit 2 is
// bit (e / 32) of hmask[e % 32]; s 6-bit: low 4 bits in scales[i % 8] (nibble i / 8), high 2 bits
// in scales[8 + i % 4] at bit 2 * (i / 4).
struct block_q3_k {
  uint8_t hmask[qk_k / 8];
  uint8_t qs[qk_k / 4];
  uint8_t scales[12];
  uint16_t d;
};
// 8 sub-blocks of 32: x = d * sc * q - dmin * m, q 4-bit (e in chunk c = e / 64: low nibbles of
// qs[32 c .. 32 c + 31] for the first 32, high nibbles for the next 32); sc, m 6-bit packed in
// scales (see get_scale_min_k4 in quant_k.cpp).
struct block_q4_k {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[k_scale_size];
  uint8_t qs[qk_k / 2];
};
// As Q4_K with a fifth bit: bit (e / 32) of qh[e % 32].
struct block_q5_k {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[k_scale_size];
  uint8_t qh[qk_k / 8];
  uint8_t qs[qk_k / 2];
};
// 16 sub-blocks of 16: x = d * scales[e / 16] * (q - 32), q 6-bit: low 4 bits in ql, high 2 in qh.
struct block_q6_k {
  uint8_t ql[qk_k / 2];
  uint8_t qh[qk_k / 4];
  int8_t scales[qk_k / 16];
  uint16_t d;
};
// Activations for k-quant dot products: x = d * qs; bsums[i] = sum of qs[16 i .. 16 i + 15].
struct block_q8_k {
  float d;
  int8_t qs[qk_k];
  int16_t bsums[qk_k / 16];
};

static_assert(sizeof(block_q4_0) == 2 + qk4_0 / 2, "wrong q4_0 block size/padding");
static_assert(sizeof(block_q4_1) == 4 + qk4_1 / 2, "wrong q4_1 block size/padding");
static_assert(sizeof(block_q5_0) == 2 + 4 + qk5_0 / 2, "wrong q5_0 block size/padding");
static_assert(sizeof(block_q5_1) == 4 + 4 + qk5_1 / 2, "wrong q5_1 block size/padding");
static_assert(sizeof(block_q8_0) == 2 + qk8_0, "wrong q8_0 block size/padding");
static_assert(sizeof(block_q8_1) == 4 + qk8_1, "wrong q8_1 block size/padding");
static_assert(sizeof(block_q2_k) == 4 + qk_k / 16 + qk_k / 4, "wrong q2_K block size/padding");
static_assert(sizeof(block_q3_k) == 2 + qk_k / 4 + qk_k / 8 + 12, "wrong q3_K block size/padding");
static_assert(sizeof(block_q4_k) == 4 + k_scale_size + qk_k / 2, "wrong q4_K block size/padding");
static_assert(sizeof(block_q5_k) == 4 + k_scale_size + qk_k / 2 + qk_k / 8, "wrong q5_K block size/padding");
static_assert(sizeof(block_q6_k) == 2 + qk_k / 16 + 3 * qk_k / 4, "wrong q6_K block size/padding");
static_assert(sizeof(block_q8_k) == 4 + qk_k + 2 * qk_k / 16, "wrong q8_K block size/padding");

static_assert(sizeof(block_q4_0) == 18 && sizeof(block_q4_1) == 20 && sizeof(block_q5_0) == 22 &&
              sizeof(block_q5_1) == 24 && sizeof(block_q8_0) == 34 && sizeof(block_q8_1) == 36);
static_assert(sizeof(block_q2_k) == 84 && sizeof(block_q3_k) == 110 && sizeof(block_q4_k) == 144 &&
              sizeof(block_q5_k) == 176 && sizeof(block_q6_k) == 210 && sizeof(block_q8_k) == 292);
// Blocks are read straight from (possibly unaligned) mapped files: only byte alignment is assumed
// for the 1/2-byte-field blocks. block_q8_k (float, int16) only ever lives in our own buffers.
static_assert(alignof(block_q4_0) == 2 && alignof(block_q6_k) == 2 && alignof(block_q8_k) == 4);

}  // namespace plexus::tensor

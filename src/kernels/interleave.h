// Weight layouts interleaved for the SIMD kernels, and the conversions to and from GGUF's
// row-major blocks.
//
// rows16: a matrix's rows in groups of 16; within a group, columns [256 i, 256 i + 256) of all 16
// rows (one K-quant super-block, or 8 Q4_0 / Q8_0 blocks) form one interleaved block
// (block_q4_0_x16, block_q8_0_x16, block_q2_k_x16 ... block_q6_k_x16). Each 64-byte run of quants holds 4
// consecutive elements of each of the 16 rows (row r in bytes 4r .. 4r + 3, nibble-packed for
// two such runs), so one vpdpbusd multiplies 16 rows by 4 elements of a broadcast activation
// and leaves one partial sum per row in its own lane: no horizontal sums, and each sub-block
// scale is applied to 16 rows with one vector multiply. An interleaved block is exactly as large
// as the 16 row blocks it replaces, so group g occupies the same bytes in both layouts
// ([16 g, 16 g + 16) * row_bytes) and a matrix is converted in place, one group at a time.
// Thread-safe: pure functions over caller-owned memory.
#pragma once

#include <cstdint>

#include "gguf/tensor_type.h"
#include "kernels/ops.h"
#include "tensor/blocks.h"

namespace plexus::kernels {

inline constexpr int64_t kRowsPerGroup = 16;

// The header of a Q4_K or Q5_K group: d and dmin of the 16 rows, then the six-bit scale s of
// sub-block j (32 elements) of row r: low nibble in sc_lo[j % 4][r] (bits 4 * (j / 4)), top two
// bits in sc_hi[j / 4][r] (bits 2 * (j % 4)); mins likewise.
struct k4_x16_header {
  uint16_t d[16];
  uint16_t dmin[16];
  uint8_t sc_lo[4][16];
  uint8_t sc_hi[2][16];
  uint8_t m_lo[4][16];
  uint8_t m_hi[2][16];
};

// Q4_K, 16 rows x one super-block: the header, then qs[j][p] covering elements 32 j + 8 p ..
// 32 j + 8 p + 7: byte 4 r + b holds element 32 j + 8 p + b of row r in its low nibble and element
// 32 j + 8 p + 4 + b in its high nibble.
struct block_q4_k_x16 : k4_x16_header {
  uint8_t qs[8][4][64];
};
static_assert(sizeof(block_q4_k_x16) == 16 * sizeof(tensor::block_q4_k), "a Q4_K group must keep its size");

// Q5_K, 16 rows x one super-block: the header, then per sub-block j its qh, byte 4 r + b holding
// the fifth bit of element 32 j + 4 k + b of row r at bit k (step k of the sub-block), and right
// after it its 4 nibble runs as Q4_K's qs[j].
struct q5_k_x16_sub {
  uint8_t qh[64];  // first: read before the runs (after them, the AVX-512 dot streamed 20-30% slower)
  uint8_t qs[4][64];
};
struct block_q5_k_x16 : k4_x16_header {
  q5_k_x16_sub q[8];
};
static_assert(sizeof(block_q5_k_x16) == 16 * sizeof(tensor::block_q5_k), "a Q5_K group must keep its size");

// Q6_K, 16 rows x one super-block of unsigned 6-bit quants u = q + 32. Sub-block j (16 elements):
// q[j].ql[p] holds the low nibbles of elements 16 j + 8 p + b (low) and 16 j + 8 p + 4 + b (high)
// of row r in byte 4 r + b; q[j].qh holds the top two bits of element 16 j + 4 c + b at bits 2c,
// 2c + 1 of byte 4 r + b; sc[j][r] is the signed scale. A sub-block's 192 quant bytes are
// adjacent, so a dot reads the group as one ascending stream (with ql and qh in two regions, the
// AVX-512 single-token dot streamed 20-30% slower from DRAM on a Zen 4).
struct q6_k_x16_step {
  uint8_t ql[2][64];
  uint8_t qh[64];
};
struct block_q6_k_x16 {
  uint16_t d[16];
  int8_t sc[16][16];
  q6_k_x16_step q[16];
};
static_assert(sizeof(block_q6_k_x16) == 16 * sizeof(tensor::block_q6_k), "a Q6_K group must keep its size");

// Q2_K, 16 rows x one super-block of 2-bit quants: sc[j][r] = scales[j] of row r (scale in the
// low nibble, min in the high one); q[j] byte 4 r + b holds element 16 j + 4 c + b of row r at
// bits 2 c.
struct block_q2_k_x16 {
  uint16_t d[16];
  uint16_t dmin[16];
  uint8_t sc[16][16];
  uint8_t q[16][64];
};
static_assert(sizeof(block_q2_k_x16) == 16 * sizeof(tensor::block_q2_k), "a Q2_K group must keep its size");

// Q3_K, 16 rows x one super-block of unsigned 3-bit quants u = q + 4 (the two low bits of qs and
// the hmask bit on top). The six-bit scales keep Q3_K's own packing, one row per byte column:
// sc_lo[k][r] = scales[k] of row r (low nibbles of groups k and k + 8), sc_hi[k][r] =
// scales[8 + k] (top bits of group k + 4 m at bits 2 m). Step s covers elements 32 s .. 32 s + 31
// (groups 2 s and 2 s + 1), its 192 bytes adjacent as Q6_K's: q[s].ql[g] byte 4 r + b holds the
// low two bits of element 16 (2 s + g) + 4 c + b of row r at bits 2 c; q[s].qh byte 4 r + b holds
// the high bit of element 32 s + 4 k + b at bit k.
struct q3_k_x16_step {
  uint8_t qh[64];  // first: the dots read it first, and the stream must only ascend
  uint8_t ql[2][64];
};
struct block_q3_k_x16 {
  uint16_t d[16];
  uint8_t sc_lo[8][16];
  uint8_t sc_hi[4][16];
  q3_k_x16_step q[8];
};
static_assert(sizeof(block_q3_k_x16) == 16 * sizeof(tensor::block_q3_k), "a Q3_K group must keep its size");

// Q4_0, 16 rows x 8 blocks (256 elements, so that every type's group spans qk_k columns). Block
// b of row r: scale d[b][r]; qs[b][p] covers its elements 8 p .. 8 p + 7: byte 4 r + k holds
// element 8 p + k of row r in its low nibble and element 8 p + 4 + k in its high nibble (as Q4_K).
struct block_q4_0_x16 {
  uint16_t d[8][16];
  uint8_t qs[8][4][64];
};
static_assert(sizeof(block_q4_0_x16) == 16 * 8 * sizeof(tensor::block_q4_0), "a Q4_0 group must keep its size");

// Q8_0, 16 rows x 8 blocks: block b of row r has scale d[b][r]; qs[b][k] holds its elements
// 4 k .. 4 k + 3 (byte 4 r + e = element 4 k + e of row r), 8 such runs per block.
struct block_q8_0_x16 {
  uint16_t d[8][16];
  int8_t qs[8][8][64];
};
static_assert(sizeof(block_q8_0_x16) == 16 * 8 * sizeof(tensor::block_q8_0), "a Q8_0 group must keep its size");

// Whether `type` has a rows16 layout (Q4_0, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K).
bool rows16_layout_exists(tensor_type type);

// The 16 rows at rows + r * row_stride (cols elements each, a whole number of super-blocks) ->
// one interleaved group at `group` (16 * row bytes). rows and group must not overlap.
void interleave_group16(tensor_type type, int64_t cols, const uint8_t* rows, uint64_t row_stride, uint8_t* group);
// One interleaved group -> its 16 rows, contiguous at `rows` (16 * row bytes).
void deinterleave_group16(tensor_type type, int64_t cols, const uint8_t* group, uint8_t* rows);

// Whether w's shape admits rows16: its type has the layout, rows are a positive multiple of 16,
// columns a multiple of 256 and rows packed (row_stride = row bytes). What a rows16 matrix must
// satisfy, whatever w.layout says.
bool rows16_shape_fits(const MatrixView& w);
// Whether w (layout rows) can become rows16: rows16_shape_fits(w).
bool can_interleave_rows16(const MatrixView& w);
// Converts w's bytes in place (`data` is the writable address of w.data) and marks w rows16.
// Requires can_interleave_rows16(w).
void interleave_rows16_in_place(MatrixView& w, uint8_t* data);

}  // namespace plexus::kernels

// Dots of interleaved weight groups (kernels/interleave.h: 16 rows per group) with Q8_K
// activations (Q2_K ... Q6_K) or Q8_0 ones (Q4_0, Q8_0: one float step per 32-element block), in
// 512-bit vectors (AVX-512 F/BW + VNNI); included by avx512_dot.cpp.
//
// Each 64-byte run of a group holds 4 consecutive quants of 16 rows, so one vpdpbusd with the
// matching 4 activation bytes broadcast adds those 4 products to each row's own int32 lane. A
// sub-block (32 elements for Q4_K, 16 for Q6_K) is 8 or 4 such steps; its scale (d * scale of
// each of the 16 rows, one float vector shared by every token) then moves the integer sums into
// the float accumulators. There is no horizontal sum at all, and every multiply is a vpdpbusd:
// about half the instructions per weight of the row-at-a-time dots (dot_kquant512_impl.h), which
// need vpmaddubsw + vpdpwssd per 64 quants. The quants are unsigned (Q4_K's 0..15, Q6_K's
// q + 32), so mins and offsets cost one fnmadd per token and sub-block with the activation's
// d * (sum of the sub-block's quants), precomputed in the row panel.
//
// A token's sequence of float operations is the same whatever the number of tokens per call
// (integer sums are exact in any order), so its results equal a single-token call bit for bit.
// Thread-safe: pure functions.
#pragma once
#define PLEXUS_X86_ROWS16 1

#include "kernels/interleave.h"
#include "kernels/x86/isa_kernels.h"
#include "kernels/x86/rows16_q8_0_panel.h"
#include "kernels/x86/simd_common.h"
#include "tensor/blocks.h"

namespace plexus::kernels::x86::PLEXUS_X86_NS {
namespace {

// Row panel of a rows16 matmul: the Q8_K row, then f32 d * bsum of each 16-element group
// (fb16[n / 16]), then of each 32-element sub-block (fb32[n / 32]).
inline uint64_t rows16_fb16_off(int64_t n) { return static_cast<uint64_t>(n / tensor::qk_k) * sizeof(tensor::block_q8_k); }
inline uint64_t rows16_fb32_off(int64_t n) { return rows16_fb16_off(n) + static_cast<uint64_t>(n / 16) * sizeof(float); }
uint64_t rows16_act_bytes(int64_t n) { return rows16_fb32_off(n) + static_cast<uint64_t>(n / 32) * sizeof(float); }
void pack_rows16_acts_q8_k(const uint8_t* src, int64_t n, uint8_t* panel) {
  std::memcpy(panel, src, static_cast<size_t>(rows16_fb16_off(n)));
  const auto* y = reinterpret_cast<const tensor::block_q8_k*>(src);
  float* fb16 = reinterpret_cast<float*>(panel + rows16_fb16_off(n));
  float* fb32 = reinterpret_cast<float*>(panel + rows16_fb32_off(n));
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    const __m256i b16 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].bsums));
    const __m512 d = _mm512_set1_ps(y[i].d);
    _mm512_storeu_ps(fb16 + 16 * i, _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(b16))));
    const __m256i b32 = _mm256_madd_epi16(b16, _mm256_set1_epi16(1));  // pairs of groups
    _mm256_storeu_ps(fb32 + 8 * i, _mm256_mul_ps(_mm256_set1_ps(y[i].d), _mm256_cvtepi32_ps(b32)));
  }
}

inline __m512i bcast32(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return _mm512_set1_epi32(v);
}

// acc[t] += sum over the K steps of w[k] . (4 activation bytes at q_off + 4k of token t), scaled
// by scale * d_t, minus corr * (the token's f32 at corr_off in its panel). Independent integer
// chains when few tokens would leave vpdpbusd's latency exposed.
template <int T, int K>
inline void token_steps(const __m512i (&w)[K], __m512 scale, __m512 corr, const uint8_t* a, uint64_t a_stride, int64_t i,
                        int q_off, uint64_t corr_off, __m512 (&acc)[T]) {
  constexpr int kChains = T == 1 ? (K >= 4 ? 4 : K) : (T == 2 ? 2 : 1);
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    const uint8_t* at = a + static_cast<uint64_t>(t) * a_stride;
    const auto& y = reinterpret_cast<const tensor::block_q8_k*>(at)[i];
    __m512i sum[kChains];
#pragma GCC unroll 4
    for (int c = 0; c < kChains; ++c) sum[c] = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) sum[k % kChains] = _mm512_dpbusd_epi32(sum[k % kChains], w[k], bcast32(y.qs + q_off + 4 * k));
#pragma GCC unroll 4
    for (int c = 1; c < kChains; ++c) sum[0] = _mm512_add_epi32(sum[0], sum[c]);
    acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[0]), _mm512_mul_ps(scale, _mm512_set1_ps(y.d)), acc[t]);
    float c;
    std::memcpy(&c, at + corr_off, sizeof(c));
    acc[t] = _mm512_fnmadd_ps(corr, _mm512_set1_ps(c), acc[t]);
  }
}

// The six-bit scales (or mins) of all 8 sub-blocks of a Q4_K group as bytes out[16 j + r].
inline void q4_k_x16_six_bits(const uint8_t (&lo)[4][16], const uint8_t (&hi)[2][16], uint8_t* out) {
  const __m512i m4 = _mm512_set1_epi8(0x0f), m2 = _mm512_set1_epi8(3);
  const __m512i shifts = _mm512_set_epi64(6, 6, 4, 4, 2, 2, 0, 0);  // 128-bit lane j: 2 j
  const __m512i shifts16 = _mm512_or_si512(shifts, _mm512_slli_epi64(shifts, 16));
  const __m512i count = _mm512_or_si512(shifts16, _mm512_slli_epi64(shifts16, 32));  // every int16 lane of lane j: 2 j
  const __m512i l = _mm512_loadu_si512(lo);
  for (int h = 0; h < 2; ++h) {
    const __m512i top = _mm512_and_si512(_mm512_srlv_epi16(_mm512_broadcast_i32x4(load128(hi[h])), count), m2);
    const __m512i low = _mm512_and_si512(h == 0 ? l : _mm512_srli_epi16(l, 4), m4);
    _mm512_storeu_si512(out + 64 * h, _mm512_or_si512(low, _mm512_slli_epi16(top, 4)));
  }
}

inline __m512 u8_to_ps(const uint8_t* p) { return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(load128(p))); }
inline __m512 s8_to_ps(const int8_t* p) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(load128(p))); }
// No software prefetches: every group is one ascending stream (Q6_K's steps keep their ql and qh
// bytes adjacent for that), which the hardware prefetchers follow. Kernel bench from DRAM on a
// Zen 4, 2 threads, two alternations (GB/s, 2048x2048 and 5632x2048): none Q4_0 27.6-31.7,
// Q6_K 28.1-30.7, Q8_0 28.0-31.7; prefetcht1 8 KiB ahead Q4_0 25.0-27.5, Q6_K 22.2-25.7, Q8_0
// 25.8-26.8; prefetcht0 4 KiB ahead lower still. (A Zen 5 earlier preferred prefetcht0 8 KiB
// ahead over 2 and 16 KiB; none was not measured there.)

// Bit From of every byte of `bits` moved to bit To (the other bits are not cleared). For From and
// To in 0..7 the 16-bit shifts bring no bit of the other byte to bit To.
template <int From, int To>
inline __m512i bit_moved(__m512i bits) {
  if constexpr (From < To) return _mm512_slli_epi16(bits, To - From);
  else if constexpr (From == To) return bits;
  else return _mm512_srli_epi16(bits, From - To);
}

// Four nibble-packed 64-byte runs as 8 vpdpbusd operands: run p's low nibbles are step 2 p, its
// high nibbles step 2 p + 1 (Q4_K / Q5_K sub-blocks, Q4_0 blocks).
inline void nibble_run_steps(const uint8_t (&runs)[4][64], __m512i (&w)[8]) {
  const __m512i m4 = _mm512_set1_epi8(0x0f);
#pragma GCC unroll 4
  for (int p = 0; p < 4; ++p) {
    const __m512i v = _mm512_loadu_si512(runs[p]);
    w[2 * p] = _mm512_and_si512(v, m4);
    w[2 * p + 1] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
  }
}

// The 8 steps of sub-block j of a Q4_K or Q5_K group as vpdpbusd operands; Q5_K adds bit k of the
// sub-block's qh as bit 4 of step k (one vpternlogd: (h & 16) | q).
inline void q45_k_x16_steps(const block_q4_k_x16& b, int j, __m512i (&w)[8]) { nibble_run_steps(b.qs[j], w); }
inline void q45_k_x16_steps(const block_q5_k_x16& b, int j, __m512i (&w)[8]) {
  const __m512i sixteen = _mm512_set1_epi8(16);
  const __m512i hi = _mm512_loadu_si512(b.q[j].qh);
  const __m512i top[8] = {bit_moved<0, 4>(hi), bit_moved<1, 4>(hi), bit_moved<2, 4>(hi), bit_moved<3, 4>(hi),
                          bit_moved<4, 4>(hi), bit_moved<5, 4>(hi), bit_moved<6, 4>(hi), bit_moved<7, 4>(hi)};
  constexpr int kOr = 0xea;  // (a & b) | c
  nibble_run_steps(b.q[j].qs, w);
#pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) w[k] = _mm512_ternarylogic_epi32(top[k], sixteen, w[k], kOr);
}

// Q4_K (Group = block_q4_k_x16) and Q5_K (block_q5_k_x16): 32-element sub-blocks of 8 steps,
// unsigned quants with mins.
template <int T, class Group>
void rows16_q45_k(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, float* out, int64_t out_stride) {
  const auto* x = reinterpret_cast<const Group*>(group);
  const uint64_t fb32 = rows16_fb32_off(n);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    const Group& b = x[i];
    alignas(64) uint8_t sc[128], mn[128];
    q4_k_x16_six_bits(b.sc_lo, b.sc_hi, sc);
    q4_k_x16_six_bits(b.m_lo, b.m_hi, mn);
    const __m512 d = _mm512_cvtph_ps(load256(b.d)), dmin = _mm512_cvtph_ps(load256(b.dmin));
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      __m512i w[8];
      q45_k_x16_steps(b, j, w);
      const __m512 scale = _mm512_mul_ps(d, u8_to_ps(sc + 16 * j));
      const __m512 corr = _mm512_mul_ps(dmin, u8_to_ps(mn + 16 * j));
      const uint64_t corr_off = fb32 + static_cast<uint64_t>(8 * i + j) * sizeof(float);
      token_steps<T, 8>(w, scale, corr, a, a_stride, i, 32 * j, corr_off, acc);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(out + t * out_stride, acc[t]);
}

template <int T>
void rows16_q6_k(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, float* out, int64_t out_stride) {
  const auto* x = reinterpret_cast<const block_q6_k_x16*>(group);
  const uint64_t fb16 = rows16_fb16_off(n);
  const __m512i m4 = _mm512_set1_epi8(0x0f), m30 = _mm512_set1_epi8(0x30);
  const __m512 offset = _mm512_set1_ps(32.0f);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    const block_q6_k_x16& b = x[i];
    const __m512 d = _mm512_cvtph_ps(load256(b.d));
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) {
      const __m512i lo0 = _mm512_loadu_si512(b.q[j].ql[0]), lo1 = _mm512_loadu_si512(b.q[j].ql[1]);
      const __m512i hi = _mm512_loadu_si512(b.q[j].qh);
      const __m512i w[4] = {
          _mm512_or_si512(_mm512_and_si512(lo0, m4), _mm512_and_si512(_mm512_slli_epi16(hi, 4), m30)),
          _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(lo0, 4), m4), _mm512_and_si512(_mm512_slli_epi16(hi, 2), m30)),
          _mm512_or_si512(_mm512_and_si512(lo1, m4), _mm512_and_si512(hi, m30)),
          _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(lo1, 4), m4), _mm512_and_si512(_mm512_srli_epi16(hi, 2), m30)),
      };
      const __m512 scale = _mm512_mul_ps(d, s8_to_ps(b.sc[j]));
      const __m512 corr = _mm512_mul_ps(scale, offset);
      const uint64_t corr_off = fb16 + static_cast<uint64_t>(16 * i + j) * sizeof(float);
      token_steps<T, 4>(w, scale, corr, a, a_stride, i, 16 * j, corr_off, acc);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(out + t * out_stride, acc[t]);
}

// Q2_K: 16-element groups of 4 steps (2-bit quants, unsigned), a four-bit scale and min per
// group and row: the min costs each token one fnmadd per group with d_t * (the group's sum).
template <int T>
void rows16_q2_k(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, float* out, int64_t out_stride) {
  const auto* x = reinterpret_cast<const block_q2_k_x16*>(group);
  const uint64_t fb16 = rows16_fb16_off(n);
  const __m512i m3 = _mm512_set1_epi8(3), m4 = _mm512_set1_epi8(0x0f);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    const block_q2_k_x16& b = x[i];
    alignas(64) uint8_t sc[256], mn[256];  // [16 j + r]
    for (int v = 0; v < 4; ++v) {
      const __m512i packed = _mm512_loadu_si512(b.sc[4 * v]);
      _mm512_store_si512(sc + 64 * v, _mm512_and_si512(packed, m4));
      _mm512_store_si512(mn + 64 * v, _mm512_and_si512(_mm512_srli_epi16(packed, 4), m4));
    }
    const __m512 d = _mm512_cvtph_ps(load256(b.d)), dmin = _mm512_cvtph_ps(load256(b.dmin));
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) {
      const __m512i v = _mm512_loadu_si512(b.q[j]);
      const __m512i w[4] = {_mm512_and_si512(v, m3), _mm512_and_si512(_mm512_srli_epi16(v, 2), m3),
                            _mm512_and_si512(_mm512_srli_epi16(v, 4), m3), _mm512_and_si512(_mm512_srli_epi16(v, 6), m3)};
      const __m512 scale = _mm512_mul_ps(d, u8_to_ps(sc + 16 * j));
      const __m512 corr = _mm512_mul_ps(dmin, u8_to_ps(mn + 16 * j));
      const uint64_t corr_off = fb16 + static_cast<uint64_t>(16 * i + j) * sizeof(float);
      token_steps<T, 4>(w, scale, corr, a, a_stride, i, 16 * j, corr_off, acc);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(out + t * out_stride, acc[t]);
}

// Q3_K group scales: sc[16 j + r] = six-bit scale of group j of row r, less 32. Vector v holds
// groups 4 v .. 4 v + 3 (one per 128-bit lane m, whose bytes are sc_lo[(4 v + m) % 8] and
// sc_hi[m]): low nibble from sc_lo row 4 (v % 2) + m shifted by 4 (v / 2), top bits from sc_hi[m]
// shifted by 2 v.
inline void q3_k_x16_scales(const block_q3_k_x16& b, int8_t* sc) {
  const __m512i m4 = _mm512_set1_epi8(0x0f), m3 = _mm512_set1_epi8(3), bias = _mm512_set1_epi8(32);
  const __m512i lo[2] = {_mm512_loadu_si512(b.sc_lo[0]), _mm512_loadu_si512(b.sc_lo[4])};
  const __m512i hi = _mm512_loadu_si512(b.sc_hi);
  const __m512i low[4] = {_mm512_and_si512(lo[0], m4), _mm512_and_si512(lo[1], m4),
                          _mm512_and_si512(_mm512_srli_epi16(lo[0], 4), m4), _mm512_and_si512(_mm512_srli_epi16(lo[1], 4), m4)};
  const __m512i top[4] = {_mm512_slli_epi16(_mm512_and_si512(hi, m3), 4),
                          _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(hi, 2), m3), 4),
                          _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(hi, 4), m3), 4),
                          _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(hi, 6), m3), 4)};
  for (int v = 0; v < 4; ++v) _mm512_storeu_si512(sc + 64 * v, _mm512_sub_epi8(_mm512_or_si512(low[v], top[v]), bias));
}

// Q3_K quants of group 2 s + G of a step as vpdpbusd operands: w[c] = the bits 2 c of ql[G]
// (& 3) with bit 4 G + c of qh as bit 2, by one vpternlogd ((h & 4) | q) each.
template <int G>
inline void q3_k_x16_group(const q3_k_x16_step& step, __m512i (&w)[4]) {
  const __m512i m3 = _mm512_set1_epi8(3), four = _mm512_set1_epi8(4);
  const __m512i lo = _mm512_loadu_si512(step.ql[G]), hi = _mm512_loadu_si512(step.qh);
  constexpr int kOr = 0xea;  // (a & b) | c
  // Locals: the template's comma must not reach a macro argument (SIMDe's intrinsics are macros).
  const __m512i h[4] = {bit_moved<4 * G, 2>(hi), bit_moved<4 * G + 1, 2>(hi), bit_moved<4 * G + 2, 2>(hi),
                        bit_moved<4 * G + 3, 2>(hi)};
  w[0] = _mm512_ternarylogic_epi32(h[0], four, _mm512_and_si512(lo, m3), kOr);
  w[1] = _mm512_ternarylogic_epi32(h[1], four, _mm512_and_si512(_mm512_srli_epi16(lo, 2), m3), kOr);
  w[2] = _mm512_ternarylogic_epi32(h[2], four, _mm512_and_si512(_mm512_srli_epi16(lo, 4), m3), kOr);
  w[3] = _mm512_ternarylogic_epi32(h[3], four, _mm512_and_si512(_mm512_srli_epi16(lo, 6), m3), kOr);
}

// Q3_K: 16-element groups as Q6_K's (4 vpdpbusd steps each), unsigned u = q + 4, so the offset is
// 4 * d * scale per group and row.
template <int T>
void rows16_q3_k(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, float* out, int64_t out_stride) {
  const auto* x = reinterpret_cast<const block_q3_k_x16*>(group);
  const uint64_t fb16 = rows16_fb16_off(n);
  const __m512 offset = _mm512_set1_ps(4.0f);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    const block_q3_k_x16& b = x[i];
    alignas(64) int8_t sc[256];
    q3_k_x16_scales(b, sc);
    const __m512 d = _mm512_cvtph_ps(load256(b.d));
#pragma GCC unroll 8
    for (int s = 0; s < 8; ++s) {
      __m512i w[2][4];
      q3_k_x16_group<0>(b.q[s], w[0]);
      q3_k_x16_group<1>(b.q[s], w[1]);
#pragma GCC unroll 2
      for (int g = 0; g < 2; ++g) {
        const int j = 2 * s + g;
        const __m512 scale = _mm512_mul_ps(d, s8_to_ps(sc + 16 * j));
        const __m512 corr = _mm512_mul_ps(scale, offset);
        const uint64_t corr_off = fb16 + static_cast<uint64_t>(16 * i + j) * sizeof(float);
        token_steps<T, 4>(w[g], scale, corr, a, a_stride, i, 16 * j, corr_off, acc);
      }
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(out + t * out_stride, acc[t]);
}

// acc[t] += dw * d_t * (the K steps of w against token t's 4-byte runs of block `blk` of group i,
// less the block's sum8 << offset_shift), read from the Q8_0 row panel (rows16_q8_0_panel.h).
// Every operation but the last is on exact integers, so a token's result does not depend on T.
template <int T, int K>
inline void q8_0_block_steps(const __m512i (&w)[K], __m512 dw, int offset_shift, const uint8_t* a, uint64_t a_stride,
                             uint64_t n, int64_t i, int blk, __m512 (&acc)[T]) {
  constexpr int kChains = T == 1 ? 4 : (T == 2 ? 2 : 1);
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    const q8_0_panel_part x = q8_0_panel(a + static_cast<uint64_t>(t) * a_stride, n, i);
    const int8_t* q = x.q + 32 * blk;
    __m512i sum[kChains];
#pragma GCC unroll 4
    for (int c = 0; c < kChains; ++c) sum[c] = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int k = 0; k < K; ++k) sum[k % kChains] = _mm512_dpbusd_epi32(sum[k % kChains], w[k], bcast32(q + 4 * k));
#pragma GCC unroll 4
    for (int c = 1; c < kChains; ++c) sum[0] = _mm512_add_epi32(sum[0], sum[c]);
    const __m512i total = _mm512_sub_epi32(sum[0], _mm512_set1_epi32(x.sum8[blk] << offset_shift));
    acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total), _mm512_mul_ps(dw, _mm512_set1_ps(x.d[blk])), acc[t]);
  }
}

// A group of 8 blocks of 32 columns per 256 (Q4_0 or Q8_0) against T tokens: load(b, blk, w)
// gives a block's 8 weight vectors as vpdpbusd's unsigned operand, and OffsetShift scales the
// panel's 8 x (sum of the block's activations) into what that unsigned form adds.
template <int T, int OffsetShift, class Block, class Load>
inline void rows16_q8_0_acts(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, float* out,
                             int64_t out_stride, Load load) {
  const auto* x = reinterpret_cast<const Block*>(group);
  const uint64_t un = static_cast<uint64_t>(n);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
#pragma GCC unroll 8
    for (int blk = 0; blk < 8; ++blk) {
      __m512i w[8];
      load(x[i], blk, w);
      q8_0_block_steps<T, 8>(w, _mm512_cvtph_ps(load256(x[i].d[blk])), OffsetShift, a, a_stride, un, i, blk, acc);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(out + t * out_stride, acc[t]);
}

// Q4_0: each 64-byte run p of block b holds elements 8 p + k (low nibbles) and 8 p + 4 + k (high
// nibbles) of the 16 rows, unsigned 0..15, so vpdpbusd takes them as they are; the offset of
// q - 8 is the panel's 8 x (sum of the block's activations), shift 0.
template <int T>
void rows16_q4_0(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, float* out, int64_t out_stride) {
  rows16_q8_0_acts<T, 0, block_q4_0_x16>(
      n, group, a, a_stride, out, out_stride,
      [](const block_q4_0_x16& b, int blk, __m512i (&w)[8]) { nibble_run_steps(b.qs[blk], w); });
}

// Q8_0: each 64-byte run k of block b holds elements 4 k .. 4 k + 3 of the 16 rows. The signed
// weights go to vpdpbusd as w + 128 (a sign-bit flip), and 128 x (sum of the block's
// activations) = 16 x sum8 comes off the integer total (shift 4): one instruction per 64
// products, where AVX2 needs four (dot_rows16_impl.h, q8_0_prepared).
template <int T>
void rows16_q8_0(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, float* out, int64_t out_stride) {
  rows16_q8_0_acts<T, 4, block_q8_0_x16>(n, group, a, a_stride, out, out_stride,
                                          [](const block_q8_0_x16& b, int blk, __m512i (&w)[8]) {
                                            const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
#pragma GCC unroll 8
                                            for (int k = 0; k < 8; ++k) w[k] = _mm512_xor_si512(_mm512_loadu_si512(b.qs[blk][k]), flip);
                                          });
}

enum class rows16_kind { q2_k, q3_k, q4_k, q5_k, q6_k, q4_0, q8_0 };

// One group against T tokens, with the kernel of `Kind`.
template <rows16_kind Kind, int T>
inline void rows16_tile(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, float* out, int64_t out_stride) {
  if constexpr (Kind == rows16_kind::q2_k) rows16_q2_k<T>(n, group, a, a_stride, out, out_stride);
  if constexpr (Kind == rows16_kind::q3_k) rows16_q3_k<T>(n, group, a, a_stride, out, out_stride);
  if constexpr (Kind == rows16_kind::q4_k) rows16_q45_k<T, block_q4_k_x16>(n, group, a, a_stride, out, out_stride);
  if constexpr (Kind == rows16_kind::q5_k) rows16_q45_k<T, block_q5_k_x16>(n, group, a, a_stride, out, out_stride);
  if constexpr (Kind == rows16_kind::q6_k) rows16_q6_k<T>(n, group, a, a_stride, out, out_stride);
  if constexpr (Kind == rows16_kind::q4_0) rows16_q4_0<T>(n, group, a, a_stride, out, out_stride);
  if constexpr (Kind == rows16_kind::q8_0) rows16_q8_0<T>(n, group, a, a_stride, out, out_stride);
}

// The rows16_dots_fn of each type: tokens 8 at a time, then the rest in one tile.
template <rows16_kind Kind>
void rows16_dots(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out,
                 int64_t out_stride) {
  for_token_tiles(n_tok, a, a_stride, out, out_stride,
                  [&]<int T>(const uint8_t* at, float* ot) { rows16_tile<Kind, T>(n, group, at, a_stride, ot, out_stride); });
}

constexpr rows16_dots_fn rows16_dots_q2_k = rows16_dots<rows16_kind::q2_k>;
constexpr rows16_dots_fn rows16_dots_q3_k = rows16_dots<rows16_kind::q3_k>;
constexpr rows16_dots_fn rows16_dots_q4_k = rows16_dots<rows16_kind::q4_k>;
constexpr rows16_dots_fn rows16_dots_q5_k = rows16_dots<rows16_kind::q5_k>;
constexpr rows16_dots_fn rows16_dots_q6_k = rows16_dots<rows16_kind::q6_k>;
constexpr rows16_dots_fn rows16_dots_q4_0 = rows16_dots<rows16_kind::q4_0>;
constexpr rows16_dots_fn rows16_dots_q8_0 = rows16_dots<rows16_kind::q8_0>;

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

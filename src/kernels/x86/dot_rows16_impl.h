// Dots of interleaved weight groups (kernels/interleave.h: 16 rows per group) with Q8_K
// activations (Q2_K ... Q6_K) or Q8_0 ones (Q4_0, Q8_0), in 256-bit vectors without VNNI (AVX2);
// included by avx2_dot.cpp. Q4_0 works as Q4_K below, with one float step per 32-element block
// (its own scale) instead of per super-block; Q8_0 likewise, with signed weights (see
// q8_0_prepared).
//
// A 64-byte run of a group holds 4 consecutive quants of 16 rows; its first 32 bytes are rows 0..7
// and its last 32 bytes rows 8..15 (the two "halves"). One vpmaddubsw of a half with the matching
// 4 activation bytes broadcast leaves two int16 partial sums per row in that row's own 32-bit lane:
// no horizontal sums. Each super-block of a group is first unpacked once into one unsigned byte
// per quant (Q4_K: 0..15, Q6_K: q + 32 = 0..63, Q3_K: q + 4 = 0..7) in an L1 buffer, with its
// sub-block scales widened to int16 pairs; then tokens are taken up to 4 at a time, each weight
// vector loaded once for all of them (a lone token skips the copy and reads the group's bytes
// directly). Per token and sub-block the int16 sums stay in range (Q4_K: 8 steps x 2 x 15 x 128
// = 30720; Q5_K: 4 steps x 2 x 31 x 128 = 31744; Q6_K: 2 steps x 2 x 63 x 128 = 32256 before each
// vpmaddwd), vpmaddwd applies the integer scale per row, and a super-block's integer total (the
// Q6_K / Q3_K offsets subtracted via the activation's sub-block sums; mins likewise, in float) is
// converted to float once: every integer step is exact, so a token's result is the same whatever
// the number of tokens per call (bit for bit).
// Thread-safe: pure functions.
#pragma once
#define PLEXUS_X86_ROWS16 1

#include "kernels/interleave.h"
#include "kernels/x86/rows16_q8_0_panel.h"
#include "kernels/x86/simd_common.h"
#include "tensor/blocks.h"

namespace plexus::kernels::x86::PLEXUS_X86_NS {
namespace {

// Row panel of a rows16 matmul: the Q8_K row, then int16 b32[n / 32], the sum of each 32-element
// sub-block's quants (|b32| <= 32 x 128).
inline uint64_t rows16_b32_off(int64_t n) { return static_cast<uint64_t>(n / tensor::qk_k) * sizeof(tensor::block_q8_k); }
uint64_t rows16_act_bytes(int64_t n) { return rows16_b32_off(n) + static_cast<uint64_t>(n / 32) * sizeof(int16_t); }
void pack_rows16_acts_q8_k(const uint8_t* src, int64_t n, uint8_t* panel) {
  const uint64_t off = rows16_b32_off(n);
  std::memcpy(panel, src, static_cast<size_t>(off));
  const auto* y = reinterpret_cast<const tensor::block_q8_k*>(src);
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    int16_t b32[8];
    for (int j = 0; j < 8; ++j) b32[j] = static_cast<int16_t>(y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    std::memcpy(panel + off + static_cast<uint64_t>(i) * sizeof(b32), b32, sizeof(b32));
  }
}

// Each group streams 16 rows' bytes per super-block; ask for them well ahead of the unpacking.
inline constexpr size_t kRows16PrefetchAhead = 8192;
inline constexpr int kRows16TokenTile = 4;
inline constexpr int64_t kRows16MaxTokens = 64;  // per pass over the group's super-blocks

inline __m256i bcast4(const void* p) { return _mm256_set1_epi32(static_cast<int>(load_u32(p))); }
// The same 32 bits broadcast by vbroadcastss, for the multi-token loops, whose vector ALUs are the
// limit: on this Zen 3 it is a pure load, while the integer vpbroadcastd from memory takes an ALU
// slot too (kernel bench, Q4_K n:64 on 1 thread, best of 6: 193 against 149 GFLOP/s). The
// single-token dots, limited by memory, keep vpbroadcastd: switched, tg measured 3% lower (noise-level).
inline __m256i bcast4_load(const void* p) { return _mm256_castps_si256(_mm256_broadcast_ss(static_cast<const float*>(p))); }
// Pins v to a register at this point (no instruction). In an unrolled sum of independent terms GCC
// otherwise reassociates: it computes every term first, spills them to the stack and adds them as
// a tree, a store and a load per term (seen in q8_0_tokens, 58 stack accesses per block).
inline void in_register(__m256i& v) { asm("" : "+x"(v)); }
// 16 bytes as 16 int16 lanes: fed (v_r, w_r) byte pairs of 8 rows (an unpack of two row vectors),
// they give each row's 32-bit lane the two multipliers vpmaddwd applies to its two int16 sums.
inline __m256i u8_pairs(__m128i bytes) { return _mm256_cvtepu8_epi16(bytes); }
inline __m256i s8_pairs(__m128i bytes) { return _mm256_cvtepi8_epi16(bytes); }
inline __m128i srl16(__m128i v, int bits) { return _mm_srl_epi16(v, _mm_cvtsi32_si128(bits)); }

// The 4 nibble-packed 64-byte runs of 32 elements (Q4_K sub-block, Q4_0 block) -> 8 unpacked
// steps of 4 elements: run p's low nibbles are step 2p, its high nibbles step 2p + 1.
inline void unpack_nibble_runs(const uint8_t (&runs)[4][64], uint8_t (&q)[8][64]) {
  const __m256i m4 = _mm256_set1_epi8(0x0f);
#pragma GCC unroll 4
  for (int p = 0; p < 4; ++p) {
    prefetch_stream(runs[p], kRows16PrefetchAhead);
    for (int h = 0; h < 2; ++h) {
      const __m256i v = load256(runs[p] + 32 * h);
      _mm256_store_si256(reinterpret_cast<__m256i*>(q[2 * p] + 32 * h), _mm256_and_si256(v, m4));
      _mm256_store_si256(reinterpret_cast<__m256i*>(q[2 * p + 1] + 32 * h), _mm256_and_si256(_mm256_srli_epi16(v, 4), m4));
    }
  }
}

// acc16[h] += the 32 elements of 4 nibble-packed runs (half h) times one token's bytes x[0..31],
// read straight from the group.
inline void add_nibble_runs(const uint8_t (&runs)[4][64], const int8_t* x, __m256i (&acc16)[2]) {
  const __m256i m4 = _mm256_set1_epi8(0x0f);
#pragma GCC unroll 4
  for (int p = 0; p < 4; ++p) {
    prefetch_stream(runs[p], kRows16PrefetchAhead);
    const __m256i x0 = bcast4(x + 8 * p), x1 = bcast4(x + 8 * p + 4);
    for (int h = 0; h < 2; ++h) {
      const __m256i v = load256(runs[p] + 32 * h);
      acc16[h] = _mm256_add_epi16(acc16[h], _mm256_maddubs_epi16(_mm256_and_si256(v, m4), x0));
      acc16[h] = _mm256_add_epi16(acc16[h], _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 4), m4), x1));
    }
  }
}

// One super-block of a Q4_K or Q5_K group, prepared for every token.
struct q4_k_prepared {
  alignas(32) uint8_t q[8][8][64];  // [sub-block j][step k][4 r + b]: element 32 j + 4 k + b of row r
  __m256i sc[8][2];                 // [j][half]: (scale_j[r], scale_j[r]) as int16
  __m256i mn[4][2];                 // [j / 2][half]: (min_2jp[r], min_2jp+1[r]) as int16
  __m256 d[2], dmin[2];
};

// Q5_K's fifth bits of sub-block j's step k, half h: bit k of the sub-block's qh moved to bit 4.
inline __m256i q5_k_fifth_bits(const q5_k_x16_sub& sub, int h, int k) {
  const __m256i hb = load256(sub.qh + 32 * h);
  const __m256i at4 = k < 4 ? _mm256_sll_epi16(hb, _mm_cvtsi32_si128(4 - k)) : _mm256_srl_epi16(hb, _mm_cvtsi32_si128(k - 4));
  return _mm256_and_si256(at4, _mm256_set1_epi8(16));
}

inline void unpack_q45_k(const block_q4_k_x16& b, q4_k_prepared& s) {
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) unpack_nibble_runs(b.qs[j], s.q[j]);
}
inline void unpack_q45_k(const block_q5_k_x16& b, q4_k_prepared& s) {
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) {
    prefetch_stream(b.q[j].qh, kRows16PrefetchAhead);
    unpack_nibble_runs(b.q[j].qs, s.q[j]);
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) {
      for (int h = 0; h < 2; ++h) {
        auto* q = reinterpret_cast<__m256i*>(s.q[j][k] + 32 * h);
        _mm256_store_si256(q, _mm256_or_si256(_mm256_load_si256(q), q5_k_fifth_bits(b.q[j], h, k)));
      }
    }
  }
}

// The scales, mins and d of a Q4_K or Q5_K group's super-block (s.q untouched).
template <class Group>
inline void prepare_scales_q45_k(const Group& b, q4_k_prepared& s) {
  for (int line = 0; line < 3; ++line) {  // d, dmin and the scales: 160 bytes
    prefetch_stream(&b, kRows16PrefetchAhead + 64 * line);
  }
  const __m128i low4 = _mm_set1_epi8(0x0f), low2 = _mm_set1_epi8(3);
  __m128i sc[8], mn[8];  // six-bit values, byte r = row r
  for (int j = 0; j < 8; ++j) {
    const int lo_shift = 4 * (j / 4), hi_shift = 2 * (j % 4);
    sc[j] = _mm_or_si128(_mm_and_si128(srl16(load128(b.sc_lo[j % 4]), lo_shift), low4),
                         _mm_slli_epi16(_mm_and_si128(srl16(load128(b.sc_hi[j / 4]), hi_shift), low2), 4));
    mn[j] = _mm_or_si128(_mm_and_si128(srl16(load128(b.m_lo[j % 4]), lo_shift), low4),
                         _mm_slli_epi16(_mm_and_si128(srl16(load128(b.m_hi[j / 4]), hi_shift), low2), 4));
    s.sc[j][0] = u8_pairs(_mm_unpacklo_epi8(sc[j], sc[j]));
    s.sc[j][1] = u8_pairs(_mm_unpackhi_epi8(sc[j], sc[j]));
  }
  for (int jp = 0; jp < 4; ++jp) {
    s.mn[jp][0] = u8_pairs(_mm_unpacklo_epi8(mn[2 * jp], mn[2 * jp + 1]));
    s.mn[jp][1] = u8_pairs(_mm_unpackhi_epi8(mn[2 * jp], mn[2 * jp + 1]));
  }
  for (int h = 0; h < 2; ++h) {
    s.d[h] = _mm256_cvtph_ps(load128(b.d + 8 * h));
    s.dmin[h] = _mm256_cvtph_ps(load128(b.dmin + 8 * h));
  }
}

// o[8] (half h of a token's 16 results) += d * yd * sums - dmin * yd * (mins . the token's
// sub-block sums at b32): the same float steps for every path, so every path gives the same bits.
inline void q4_k_finish(const q4_k_prepared& s, int h, __m256i sums, const uint8_t* b32, __m256 yd, float* o) {
  __m256i mins = _mm256_setzero_si256();
  for (int jp = 0; jp < 4; ++jp) mins = _mm256_add_epi32(mins, _mm256_madd_epi16(s.mn[jp][h], bcast4(b32 + 4 * jp)));
  __m256 f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(s.d[h], yd), _mm256_loadu_ps(o));
  f = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(mins), _mm256_mul_ps(s.dmin[h], yd), f);
  _mm256_storeu_ps(o, f);
}

// Sub-block j's int32 sums of one token (x: its 32 activation bytes) times the scale pairs sc.
// Q4_K: all 8 steps in one int16 sum (8 x 2 x 15 x 128 = 30720); Q5_K's quants reach 31, so
// its steps go in two sums of 4 (4 x 2 x 31 x 128 = 31744).
inline void add_sub_block(const block_q4_k_x16& b, int j, const int8_t* x, const __m256i (&sc)[2], __m256i (&acc32)[2]) {
  __m256i acc16[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
  add_nibble_runs(b.qs[j], x, acc16);
  for (int h = 0; h < 2; ++h) acc32[h] = _mm256_add_epi32(acc32[h], _mm256_madd_epi16(acc16[h], sc[h]));
}
inline void add_sub_block(const block_q5_k_x16& b, int j, const int8_t* x, const __m256i (&sc)[2], __m256i (&acc32)[2]) {
  const __m256i m4 = _mm256_set1_epi8(0x0f);
  const q5_k_x16_sub& sub = b.q[j];
  prefetch_stream(sub.qh, kRows16PrefetchAhead);
#pragma GCC unroll 2
  for (int part = 0; part < 2; ++part) {
    __m256i acc16[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
#pragma GCC unroll 2
    for (int p = 2 * part; p < 2 * part + 2; ++p) {
      prefetch_stream(sub.qs[p], kRows16PrefetchAhead);
      const __m256i x0 = bcast4(x + 8 * p), x1 = bcast4(x + 8 * p + 4);
      for (int h = 0; h < 2; ++h) {
        const __m256i v = load256(sub.qs[p] + 32 * h);
        const __m256i w0 = _mm256_or_si256(_mm256_and_si256(v, m4), q5_k_fifth_bits(sub, h, 2 * p));
        const __m256i w1 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), m4), q5_k_fifth_bits(sub, h, 2 * p + 1));
        acc16[h] = _mm256_add_epi16(acc16[h], _mm256_maddubs_epi16(w0, x0));
        acc16[h] = _mm256_add_epi16(acc16[h], _mm256_maddubs_epi16(w1, x1));
      }
    }
    for (int h = 0; h < 2; ++h) acc32[h] = _mm256_add_epi32(acc32[h], _mm256_madd_epi16(acc16[h], sc[h]));
  }
}

// One token straight from the group's bytes (nothing to share, so no unpacked copy).
template <class Group>
inline void q45_k_single(const Group& b, const q4_k_prepared& s, const uint8_t* a, uint64_t, int64_t i, uint64_t b32_off,
                         float* acc) {
  const auto& y = reinterpret_cast<const tensor::block_q8_k*>(a)[i];
  const __m256 yd = _mm256_set1_ps(y.d);
  __m256i acc32[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) add_sub_block(b, j, y.qs + 32 * j, s.sc[j], acc32);
  const uint8_t* b32 = a + b32_off + static_cast<uint64_t>(i) * 8 * sizeof(int16_t);
  for (int h = 0; h < 2; ++h) q4_k_finish(s, h, acc32[h], b32, yd, acc + 8 * h);
}

// acc16[t][h] += the K unpacked 64-byte runs q[k] (half h: rows 8h..8h+7) times token t's
// activation bytes x_off + 4k .. x_off + 4k + 3, each broadcast once for both halves. Pin: keep
// each sum in its register (in_register); measured per type, kernel bench n:512: Q4_0 +20%, Q4_K
// -20% (its scaled widening that follows then spills instead).
template <int T, int K, bool Pin>
inline void add_steps(const uint8_t (*q)[64], const int8_t* const (&yq)[T], int x_off, __m256i (&acc16)[T][2]) {
#pragma GCC unroll 2  // fully unrolled, GCC spills the int16 sums
  for (int k = 0; k < K; ++k) {
    __m256i x[T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) x[t] = bcast4_load(yq[t] + x_off + 4 * k);
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i*>(q[k] + 32 * h));
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        acc16[t][h] = _mm256_add_epi16(acc16[t][h], _mm256_maddubs_epi16(w, x[t]));
        if constexpr (Pin) in_register(acc16[t][h]);
      }
    }
  }
}

// acc32[t][h] += the int16 sums times the sub-block's per-row scale pairs.
template <int T>
inline void add_scaled(const __m256i (&acc16)[T][2], const __m256i (&scale)[2], __m256i (&acc32)[T][2]) {
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    for (int h = 0; h < 2; ++h) acc32[t][h] = _mm256_add_epi32(acc32[t][h], _mm256_madd_epi16(acc16[t][h], scale[h]));
  }
}

// acc[t][16] += the super-block i of T tokens (token t's panel at a + t * a_stride): each step's
// activation bytes are broadcast once for both halves; 2T int16 sums, T broadcasts and one weight
// vector fit in the 16 registers.
// Five: Q5_K, whose int16 sums take 4 steps at a time (see add_sub_block).
template <bool Five, int T>
inline void q45_k_tokens(const q4_k_prepared& s, const uint8_t* a, uint64_t a_stride, int64_t i, uint64_t b32_off,
                         float* acc) {
  const int8_t* yq[T];
  __m256 yd[T];
  for (int t = 0; t < T; ++t) {
    const auto& y = reinterpret_cast<const tensor::block_q8_k*>(a + static_cast<uint64_t>(t) * a_stride)[i];
    yq[t] = y.qs;
    yd[t] = _mm256_set1_ps(y.d);
  }
  __m256i acc32[T][2];
  for (int t = 0; t < T; ++t) acc32[t][0] = acc32[t][1] = _mm256_setzero_si256();
#pragma GCC unroll 1
  for (int j = 0; j < 8; ++j) {
    if constexpr (Five) {
#pragma GCC unroll 2
      for (int part = 0; part < 2; ++part) {
        __m256i acc16[T][2];
        for (int t = 0; t < T; ++t) acc16[t][0] = acc16[t][1] = _mm256_setzero_si256();
        add_steps<T, 4, false>(s.q[j] + 4 * part, yq, 32 * j + 16 * part, acc16);
        add_scaled<T>(acc16, s.sc[j], acc32);
      }
    } else {
      __m256i acc16[T][2];
      for (int t = 0; t < T; ++t) acc16[t][0] = acc16[t][1] = _mm256_setzero_si256();
      add_steps<T, 8, false>(s.q[j], yq, 32 * j, acc16);
      add_scaled<T>(acc16, s.sc[j], acc32);
    }
  }
  for (int t = 0; t < T; ++t) {
    for (int h = 0; h < 2; ++h) {
      q4_k_finish(s, h, acc32[t][h], a + static_cast<uint64_t>(t) * a_stride + b32_off + static_cast<uint64_t>(i) * 8 * sizeof(int16_t),
                  yd[t], acc + 16 * t + 8 * h);
    }
  }
}

// The types of 16-element groups with one scale per group and row (Q6_K, Q3_K, Q2_K): 16 groups
// of 4 steps per super-block. Q6_K and Q3_K store unsigned u = q + (1 << kOffsetShift) with signed
// scales; Q2_K (kMins) unsigned q with unsigned scales and a min per group and row, times dmin.
// Each gives its steps (one half of a group as 4 vectors of u), its scales (16 bytes, byte r = row
// r; and its mins) and the prefetches that cover a group.
//
// Q6_K: a group's 192 quant bytes follow d and the scales (288 bytes).
struct q6_k_group16 {
  using block = block_q6_k_x16;
  static constexpr bool kMins = false;
  static constexpr int kOffsetShift = 5;
  static void steps(const block& b, int j, int h, __m256i (&w)[4]) {
    const __m256i m4 = _mm256_set1_epi8(0x0f), m30 = _mm256_set1_epi8(0x30);
    const __m256i lo0 = load256(b.q[j].ql[0] + 32 * h), lo1 = load256(b.q[j].ql[1] + 32 * h), hi = load256(b.q[j].qh + 32 * h);
    w[0] = _mm256_or_si256(_mm256_and_si256(lo0, m4), _mm256_and_si256(_mm256_slli_epi16(hi, 4), m30));
    w[1] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(lo0, 4), m4), _mm256_and_si256(_mm256_slli_epi16(hi, 2), m30));
    w[2] = _mm256_or_si256(_mm256_and_si256(lo1, m4), _mm256_and_si256(hi, m30));
    w[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(lo1, 4), m4), _mm256_and_si256(_mm256_srli_epi16(hi, 2), m30));
  }
  static __m128i scales(const block& b, int j) { return load128(b.sc[j]); }
  // d and the scales: 288 bytes.
  static void prefetch_header(const block& b) {
    for (int line = 0; line < 5; ++line) prefetch_stream(&b, kRows16PrefetchAhead + 64 * line);
  }
  // Group j's share of the quant bytes: 3 of the 48 quant lines after the header's 5, in address
  // order (kernel bench, Q6_K 5632x2048 n:1 from DRAM on a Zen 3, best of 6, three pairs, when ql
  // and qh were two regions: 1 thread 13.5 / 14.1 / 14.7 against 11.3 / 11.2 / 11.9 GB/s by the
  // step's runs; 2 threads 22.2 / 20.4 / 21.3 against 20.4 / 18.1 / 20.5). With a group's bytes
  // now adjacent, these are about the group's own lines.
  static void prefetch_group(const block& b, int j) {
    for (int line = 0; line < 3; ++line) prefetch_stream(&b, kRows16PrefetchAhead + 64 * (5 + 3 * j + line));
  }
  static_assert(64 * (5 + 3 * 16) >= sizeof(block) + 32, "the prefetches must cover a group's lines");
};

// Q3_K: step s (groups 2 s and 2 s + 1) holds the low bits of each group in ql[g] (bits 2 c for
// step c) and the high bits of both in qh (bit 4 g + c), moved to bit 2 of u; a super-block's
// header (d and the scales) is 224 bytes, each step 192.
struct q3_k_group16 {
  using block = block_q3_k_x16;
  static constexpr bool kMins = false;
  static constexpr int kOffsetShift = 2;
  static void steps(const block& b, int j, int h, __m256i (&w)[4]) {
    const __m256i m3 = _mm256_set1_epi8(3), four = _mm256_set1_epi8(4);
    const q3_k_x16_step& step = b.q[j / 2];
    const int g = j % 2;
    const __m256i lo = load256(step.ql[g] + 32 * h), hi = load256(step.qh + 32 * h);
    // Bit 4 g + c of hi at bit 2 (16-bit shifts move no other byte's bit there).
    const __m256i h0 = g == 0 ? _mm256_slli_epi16(hi, 2) : _mm256_srli_epi16(hi, 2);
    const __m256i h1 = g == 0 ? _mm256_slli_epi16(hi, 1) : _mm256_srli_epi16(hi, 3);
    const __m256i h2 = g == 0 ? hi : _mm256_srli_epi16(hi, 4);
    const __m256i h3 = g == 0 ? _mm256_srli_epi16(hi, 1) : _mm256_srli_epi16(hi, 5);
    w[0] = _mm256_or_si256(_mm256_and_si256(lo, m3), _mm256_and_si256(h0, four));
    w[1] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(lo, 2), m3), _mm256_and_si256(h1, four));
    w[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(lo, 4), m3), _mm256_and_si256(h2, four));
    w[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(lo, 6), m3), _mm256_and_si256(h3, four));
  }
  // Six-bit scale of group j less 32: low nibble of sc_lo[j % 8] (shifted by 4 (j / 8)), top bits
  // of sc_hi[j % 4] (shifted by 2 (j / 4)).
  static __m128i scales(const block& b, int j) {
    const __m128i low = _mm_and_si128(srl16(load128(b.sc_lo[j % 8]), 4 * (j / 8)), _mm_set1_epi8(0x0f));
    const __m128i top = _mm_and_si128(srl16(load128(b.sc_hi[j % 4]), 2 * (j / 4)), _mm_set1_epi8(3));
    return _mm_sub_epi8(_mm_or_si128(low, _mm_slli_epi16(top, 4)), _mm_set1_epi8(32));
  }
  static void prefetch_header(const block& b) {
    for (int line = 0; line < 4; ++line) prefetch_stream(&b, kRows16PrefetchAhead + 64 * line);
  }
  // Step j / 2's 192 bytes, asked for with its first group.
  static void prefetch_group(const block& b, int j) {
    if (j % 2 != 0) return;
    for (int line = 0; line < 4; ++line) prefetch_stream(&b.q[j / 2], kRows16PrefetchAhead + 64 * line);
  }
};

// Q2_K: group j's 64 quant bytes follow the 320-byte header (d, dmin, the scale/min bytes).
struct q2_k_group16 {
  using block = block_q2_k_x16;
  static constexpr bool kMins = true;
  static constexpr int kOffsetShift = 0;
  static void steps(const block& b, int j, int h, __m256i (&w)[4]) {
    const __m256i m3 = _mm256_set1_epi8(3);
    const __m256i v = load256(b.q[j] + 32 * h);
    w[0] = _mm256_and_si256(v, m3);
    w[1] = _mm256_and_si256(_mm256_srli_epi16(v, 2), m3);
    w[2] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m3);
    w[3] = _mm256_and_si256(_mm256_srli_epi16(v, 6), m3);
  }
  static __m128i scales(const block& b, int j) { return _mm_and_si128(load128(b.sc[j]), _mm_set1_epi8(0x0f)); }
  static __m128i mins(const block& b, int j) { return _mm_and_si128(_mm_srli_epi16(load128(b.sc[j]), 4), _mm_set1_epi8(0x0f)); }
  static void prefetch_header(const block& b) {
    for (int line = 0; line < 5; ++line) prefetch_stream(&b, kRows16PrefetchAhead + 64 * line);
  }
  static void prefetch_group(const block& b, int j) { prefetch_stream(b.q[j], kRows16PrefetchAhead); }
};

// One super-block of a group-16 type, prepared for every token.
template <class G>
struct group16_prepared {
  alignas(32) uint8_t q[16][4][64];  // [group j][step k][4 r + b]: u of element 16 j + 4 k + b of row r
  __m256i sc[16][2];                 // [j][half]: (scale_j[r], scale_j[r]) as int16
  __m256i scp[8][2];                 // [j / 2][half]: (scale_2jp[r], scale_2jp+1[r]) as int16 (kMins: the mins)
  alignas(16) int8_t sc8[16][16];    // [j][r]: the scales as bytes, for group16_single
  alignas(16) int8_t mn8[16][16];    // [j][r]: kMins only, the mins as bytes
  __m256 d[2], dmin[2];
};

template <class G>
inline void unpack_group16(const typename G::block& b, group16_prepared<G>& s) {
#pragma GCC unroll 16
  for (int j = 0; j < 16; ++j) {
    G::prefetch_group(b, j);
    for (int h = 0; h < 2; ++h) {
      __m256i w[4];
      G::steps(b, j, h, w);
      for (int k = 0; k < 4; ++k) _mm256_store_si256(reinterpret_cast<__m256i*>(s.q[j][k] + 32 * h), w[k]);
    }
  }
}

template <class G>
inline void prepare_d_values(const typename G::block& b, group16_prepared<G>& s) {
  for (int h = 0; h < 2; ++h) {
    s.d[h] = _mm256_cvtph_ps(load128(b.d + 8 * h));
    if constexpr (G::kMins) s.dmin[h] = _mm256_cvtph_ps(load128(b.dmin + 8 * h));
  }
}

// d and the byte scales of a super-block, enough for group16_single (Q3_K's six-bit scales are
// unpacked once here, not once per half there).
template <class G>
inline void prepare_d_group16(const typename G::block& b, group16_prepared<G>& s) {
  G::prefetch_header(b);
  for (int j = 0; j < 16; ++j) _mm_store_si128(reinterpret_cast<__m128i*>(s.sc8[j]), G::scales(b, j));
  if constexpr (G::kMins) {
    for (int j = 0; j < 16; ++j) _mm_store_si128(reinterpret_cast<__m128i*>(s.mn8[j]), G::mins(b, j));
  }
  prepare_d_values(b, s);
}

// The scales and d of a super-block (s.q untouched).
template <class G>
inline void prepare_scales_group16(const typename G::block& b, group16_prepared<G>& s) {
  G::prefetch_header(b);
  __m128i sc[16];
  for (int j = 0; j < 16; ++j) {
    sc[j] = G::scales(b, j);
    s.sc[j][0] = s8_pairs(_mm_unpacklo_epi8(sc[j], sc[j]));
    s.sc[j][1] = s8_pairs(_mm_unpackhi_epi8(sc[j], sc[j]));
  }
  // The per-group factors of the activation's group sums: the mins, or the offset's scales.
  __m128i f[16];
  for (int j = 0; j < 16; ++j) {
    if constexpr (G::kMins) f[j] = G::mins(b, j);
    else f[j] = sc[j];
  }
  for (int jp = 0; jp < 8; ++jp) {
    s.scp[jp][0] = s8_pairs(_mm_unpacklo_epi8(f[2 * jp], f[2 * jp + 1]));
    s.scp[jp][1] = s8_pairs(_mm_unpackhi_epi8(f[2 * jp], f[2 * jp + 1]));
  }
  prepare_d_values(b, s);
}

// o[8] (half h of a token's 16 results) += d * yd * sums less the group sums' share: kMins
// dmin * yd * (mins . bsums) in float, else d * yd * offset * (scales . bsums) in the integer
// total. The same steps for every path.
template <class G>
inline void group16_add(const group16_prepared<G>& s, int h, __m256i sums, __m256i factor_bsums, __m256 yd, float* o) {
  if constexpr (G::kMins) {
    __m256 f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(s.d[h], yd), _mm256_loadu_ps(o));
    f = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(factor_bsums), _mm256_mul_ps(s.dmin[h], yd), f);
    _mm256_storeu_ps(o, f);
  } else {
    const __m256i total = _mm256_sub_epi32(sums, _mm256_slli_epi32(factor_bsums, G::kOffsetShift));
    _mm256_storeu_ps(o, _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_mul_ps(s.d[h], yd), _mm256_loadu_ps(o)));
  }
}

template <class G>
inline void group16_finish(const group16_prepared<G>& s, int h, __m256i sums, const tensor::block_q8_k& y, __m256 yd, float* o) {
  __m256i factor_bsums = _mm256_setzero_si256();  // sum_j factor_j * bsum_j
  for (int jp = 0; jp < 8; ++jp) {
    factor_bsums = _mm256_add_epi32(factor_bsums, _mm256_madd_epi16(s.scp[jp][h], bcast4(y.bsums + 2 * jp)));
  }
  group16_add(s, h, sums, factor_bsums, yd, o);
}

// One token straight from the group's bytes, one half at a time (few enough live vectors for the
// 16 registers); the byte scales are widened here, only they and d are read from `s`.
template <class G>
inline void group16_single(const typename G::block& b, const group16_prepared<G>& s, const uint8_t* a, uint64_t, int64_t i,
                           uint64_t, float* acc) {
  const auto& y = reinterpret_cast<const tensor::block_q8_k*>(a)[i];
  const __m256 yd = _mm256_set1_ps(y.d);
#pragma GCC unroll 1
  for (int h = 0; h < 2; ++h) {
    __m256i sums = _mm256_setzero_si256(), factor_bsums = _mm256_setzero_si256();  // sum_j factor_j * bsum_j
#pragma GCC unroll 2
    for (int j = 0; j < 16; ++j) {
      if (h == 0) G::prefetch_group(b, j);
      const __m128i sc = _mm_load_si128(reinterpret_cast<const __m128i*>(s.sc8[j]));
      const __m256i scale = s8_pairs(h == 0 ? _mm_unpacklo_epi8(sc, sc) : _mm_unpackhi_epi8(sc, sc));
      __m256i w[4];
      G::steps(b, j, h, w);
      const __m256i lo = _mm256_add_epi16(_mm256_maddubs_epi16(w[0], bcast4(y.qs + 16 * j)),
                                          _mm256_maddubs_epi16(w[1], bcast4(y.qs + 16 * j + 4)));
      const __m256i hi = _mm256_add_epi16(_mm256_maddubs_epi16(w[2], bcast4(y.qs + 16 * j + 8)),
                                          _mm256_maddubs_epi16(w[3], bcast4(y.qs + 16 * j + 12)));
      sums = _mm256_add_epi32(sums, _mm256_add_epi32(_mm256_madd_epi16(lo, scale), _mm256_madd_epi16(hi, scale)));
      __m256i factor = scale;
      if constexpr (G::kMins) {
        const __m128i mn = _mm_load_si128(reinterpret_cast<const __m128i*>(s.mn8[j]));
        factor = s8_pairs(h == 0 ? _mm_unpacklo_epi8(mn, mn) : _mm_unpackhi_epi8(mn, mn));
      }
      // (bsum_j, 0) in each 32-bit lane
      factor_bsums = _mm256_add_epi32(factor_bsums, _mm256_madd_epi16(factor, _mm256_set1_epi32(static_cast<uint16_t>(y.bsums[j]))));
    }
    group16_add(s, h, sums, factor_bsums, yd, acc + 8 * h);
  }
}

template <class G, int T>
inline void group16_tokens(const group16_prepared<G>& s, const uint8_t* a, uint64_t a_stride, int64_t i, uint64_t, float* acc) {
  const tensor::block_q8_k* y[T];
  const int8_t* yq[T];
  __m256 yd[T];
  for (int t = 0; t < T; ++t) {
    y[t] = reinterpret_cast<const tensor::block_q8_k*>(a + static_cast<uint64_t>(t) * a_stride) + i;
    yq[t] = y[t]->qs;
    yd[t] = _mm256_set1_ps(y[t]->d);
  }
  __m256i acc32[T][2];
  for (int t = 0; t < T; ++t) acc32[t][0] = acc32[t][1] = _mm256_setzero_si256();
#pragma GCC unroll 1
  for (int j = 0; j < 16; ++j) {
#pragma GCC unroll 2
    for (int pair = 0; pair < 2; ++pair) {  // two steps at a time keep Q6_K's int16 sums in range
      __m256i acc16[T][2];
      for (int t = 0; t < T; ++t) acc16[t][0] = acc16[t][1] = _mm256_setzero_si256();
      add_steps<T, 2, true>(s.q[j] + 2 * pair, yq, 16 * j + 8 * pair, acc16);
      add_scaled<T>(acc16, s.sc[j], acc32);
    }
  }
  for (int t = 0; t < T; ++t) {
    for (int h = 0; h < 2; ++h) group16_finish<G>(s, h, acc32[t][h], *y[t], yd[t], acc + 16 * t + 8 * h);
  }
}

// One group of Q4_0 (8 blocks of 16 rows), prepared for every token.
struct q4_0_prepared {
  alignas(32) uint8_t q[8][8][64];  // [block][step k][4 r + b]: element 4 k + b of the block, row r
  __m256 d[8][2];                   // [block][half]: the rows' scales
};

// The block scales of a Q4_0 or Q8_0 group (both d[8][16]): all that `single` reads besides the quants.
template <class Block, class Prepared>
inline void prepare_d_blocks(const Block& b, Prepared& s) {
  for (int line = 0; line < 4; ++line) {  // the scales: 256 bytes
    prefetch_stream(&b, kRows16PrefetchAhead + 64 * line);
  }
  for (int blk = 0; blk < 8; ++blk) {
    for (int h = 0; h < 2; ++h) s.d[blk][h] = _mm256_cvtph_ps(load128(b.d[blk] + 8 * h));
  }
}

inline void unpack_q4_0(const block_q4_0_x16& b, q4_0_prepared& s) {
#pragma GCC unroll 8
  for (int blk = 0; blk < 8; ++blk) unpack_nibble_runs(b.qs[blk], s.q[blk]);
}

// o[8] (half h of a token's 16 results) += d_w * d_x * sums: the same float steps on every path,
// so every path gives the same bits.
inline void add_block_sums(__m256i sums, __m256 dw, float dx, float* o) {
  _mm256_storeu_ps(o, _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(dw, _mm256_set1_ps(dx)), _mm256_loadu_ps(o)));
}
// Q4_0: the sums less 8 x the block's quant sum (the offset of q - 8).
inline void q4_0_finish(__m256i acc16, __m256 dw, float dx, int32_t sum8, float* o) {
  add_block_sums(_mm256_sub_epi32(_mm256_madd_epi16(acc16, _mm256_set1_epi16(1)), _mm256_set1_epi32(sum8)), dw, dx, o);
}

// One token straight from the group's bytes. i: the group's index along the row (256 columns).
inline void q4_0_single(const block_q4_0_x16& b, const q4_0_prepared& s, const uint8_t* a, uint64_t, int64_t i, uint64_t tail_off,
                        float* acc) {
  const q8_0_panel_part x = q8_0_panel(a, tail_off, i);
#pragma GCC unroll 1
  for (int blk = 0; blk < 8; ++blk) {
    __m256i acc16[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    add_nibble_runs(b.qs[blk], x.q + 32 * blk, acc16);
    for (int h = 0; h < 2; ++h) q4_0_finish(acc16[h], s.d[blk][h], x.d[blk], x.sum8[blk], acc + 8 * h);
  }
}

// acc[t][16] += group i of T tokens (token t's panel at a + t * a_stride).
template <int T>
inline void q4_0_tokens(const q4_0_prepared& s, const uint8_t* a, uint64_t a_stride, int64_t i, uint64_t tail_off, float* acc) {
  q8_0_panel_part x[T];
  const int8_t* yq[T];
  for (int t = 0; t < T; ++t) {
    x[t] = q8_0_panel(a + static_cast<uint64_t>(t) * a_stride, tail_off, i);
    yq[t] = x[t].q;
  }
#pragma GCC unroll 1
  for (int blk = 0; blk < 8; ++blk) {
    __m256i acc16[T][2];
    for (int t = 0; t < T; ++t) acc16[t][0] = acc16[t][1] = _mm256_setzero_si256();
    add_steps<T, 8, true>(s.q[blk], yq, 32 * blk, acc16);
    for (int t = 0; t < T; ++t) {
      for (int h = 0; h < 2; ++h) q4_0_finish(acc16[t][h], s.d[blk][h], x[t].d[blk], x[t].sum8[blk], acc + 16 * t + 8 * h);
    }
  }
}

// One group of Q8_0 (8 blocks of 16 rows), prepared for every token. Signed weights times signed
// activations go through vpmaddubsw as |w| (unsigned; -128 gives 128) times the activation with
// w's sign (vpsignb; activations are never -128). A step's int16 pair sums reach 2 x 128 x 127 =
// 32512, so each step is widened (vpmaddwd by ones) before the next is added: 4 vector
// operations per 32 products, which bounds Q8_0 below Q4_0 without VNNI (docs/PERFORMANCE.md).
struct q8_0_prepared {
  alignas(32) uint8_t abs_q[8][8][64];  // [block][step k][4 r + e]: |element 4 k + e of row r|
  const int8_t (*q)[8][64];             // the group's own quants, for the signs
  __m256 d[8][2];                       // [block][half]: the rows' scales
};

inline void unpack_q8_0(const block_q8_0_x16& b, q8_0_prepared& s) {
  s.q = b.qs;
#pragma GCC unroll 8
  for (int blk = 0; blk < 8; ++blk) {
    for (int k = 0; k < 8; ++k) {
      prefetch_stream(b.qs[blk][k], kRows16PrefetchAhead);  // one line per step
      for (int h = 0; h < 2; ++h) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(s.abs_q[blk][k] + 32 * h), _mm256_abs_epi8(load256(b.qs[blk][k] + 32 * h)));
      }
    }
  }
}

// acc32 += w (8 rows x 4 quants) times the 4 activation bytes broadcast in x.
inline __m256i add_signed_step(__m256i acc32, __m256i abs_w, __m256i w, __m256i x) {
  return _mm256_add_epi32(acc32, _mm256_madd_epi16(_mm256_maddubs_epi16(abs_w, _mm256_sign_epi8(x, w)), _mm256_set1_epi16(1)));
}

// One token straight from the group's bytes. i: the group's index along the row (256 columns).
inline void q8_0_single(const block_q8_0_x16& b, const q8_0_prepared& s, const uint8_t* a, uint64_t, int64_t i, uint64_t tail_off,
                        float* acc) {
  const q8_0_panel_part x = q8_0_panel(a, tail_off, i);
#pragma GCC unroll 1
  for (int blk = 0; blk < 8; ++blk) {
    __m256i acc32[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) {
      prefetch_stream(b.qs[blk][k], kRows16PrefetchAhead);  // one line per step
      const __m256i xk = bcast4(x.q + 32 * blk + 4 * k);
      for (int h = 0; h < 2; ++h) {
        const __m256i w = load256(b.qs[blk][k] + 32 * h);
        acc32[h] = add_signed_step(acc32[h], _mm256_abs_epi8(w), w, xk);
      }
    }
    for (int h = 0; h < 2; ++h) add_block_sums(acc32[h], s.d[blk][h], x.d[blk], acc + 8 * h);
  }
}

// acc[t][16] += group i of T tokens (token t's panel at a + t * a_stride), one half (8 rows) of the
// group at a time: T int32 sums, T float sums, |w|, w, the ones and one broadcast at a time leave
// registers for the temporaries (holding all 2T sums and T broadcasts spilled three sums to the
// stack). The float steps are add_block_sums' own, in the same order, so results stay bit-equal
// to q8_0_single's.
template <int T>
inline void q8_0_tokens(const q8_0_prepared& s, const uint8_t* a, uint64_t a_stride, int64_t i, uint64_t tail_off, float* acc) {
  q8_0_panel_part x[T];
  for (int t = 0; t < T; ++t) x[t] = q8_0_panel(a + static_cast<uint64_t>(t) * a_stride, tail_off, i);
#pragma GCC unroll 1
  for (int h = 0; h < 2; ++h) {
    __m256 out[T];
    for (int t = 0; t < T; ++t) out[t] = _mm256_loadu_ps(acc + 16 * t + 8 * h);
#pragma GCC unroll 1
    for (int blk = 0; blk < 8; ++blk) {
      __m256i acc32[T];
      for (int t = 0; t < T; ++t) acc32[t] = _mm256_setzero_si256();
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) {
        const __m256i abs_w = _mm256_load_si256(reinterpret_cast<const __m256i*>(s.abs_q[blk][k] + 32 * h));
        const __m256i w = load256(s.q[blk][k] + 32 * h);
#pragma GCC unroll 4
        for (int t = 0; t < T; ++t) {
          acc32[t] = add_signed_step(acc32[t], abs_w, w, bcast4_load(x[t].q + 32 * blk + 4 * k));
          in_register(acc32[t]);
        }
      }
      for (int t = 0; t < T; ++t) {
        out[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc32[t]), _mm256_mul_ps(s.d[blk][h], _mm256_set1_ps(x[t].d[blk])), out[t]);
      }
    }
    for (int t = 0; t < T; ++t) _mm256_storeu_ps(acc + 16 * t + 8 * h, out[t]);
  }
}

// The per-type pieces of a rows16 dot (see rows16_dots).
template <class Block, class Prepared>
struct rows16_type {
  uint64_t (*tail_off)(int64_t n);  // where the panel's per-block extras start (passed as b32_off)
  void (*prepare_scales)(const Block&, Prepared&);  // what the tokens functions read besides q
  void (*prepare_single)(const Block&, Prepared&);  // what `single` reads
  void (*unpack)(const Block&, Prepared&);
  void (*single)(const Block&, const Prepared&, const uint8_t*, uint64_t, int64_t, uint64_t, float*);
  void (*tokens[kRows16TokenTile])(const Prepared&, const uint8_t*, uint64_t, int64_t, uint64_t, float*);  // [T - 1]
};

// out[t * out_stride + r] = row r of the group . token t, for every token. A lone token reads the
// group's bytes directly; more tokens share one unpacked copy of each super-block (made once per
// kRows16MaxTokens tokens) and are taken kRows16TokenTile at a time.
template <class Block, class Prepared>
void rows16_dots(const rows16_type<Block, Prepared>& type, int64_t n, const uint8_t* group, const uint8_t* a,
                 uint64_t a_stride, int64_t n_tok, float* out, int64_t out_stride) {
  const auto* x = reinterpret_cast<const Block*>(group);
  const uint64_t b32_off = type.tail_off(n);
  Prepared s;
  alignas(32) float acc[kRows16MaxTokens * 16];
  for (int64_t t0 = 0; t0 < n_tok; t0 += kRows16MaxTokens) {
    const int64_t nt = n_tok - t0 < kRows16MaxTokens ? n_tok - t0 : kRows16MaxTokens;
    const uint8_t* at0 = a + static_cast<uint64_t>(t0) * a_stride;
    std::memset(acc, 0, static_cast<size_t>(nt) * 16 * sizeof(float));
    for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
      if (nt == 1) {
        type.prepare_single(x[i], s);
        type.single(x[i], s, at0, a_stride, i, b32_off, acc);
        continue;
      }
      type.prepare_scales(x[i], s);
      type.unpack(x[i], s);
      for (int64_t t = 0; t < nt; t += kRows16TokenTile) {
        const int64_t tile = nt - t < kRows16TokenTile ? nt - t : kRows16TokenTile;
        type.tokens[tile - 1](s, at0 + static_cast<uint64_t>(t) * a_stride, a_stride, i, b32_off, acc + 16 * t);
      }
    }
    for (int64_t t = 0; t < nt; ++t) std::memcpy(out + (t0 + t) * out_stride, acc + 16 * t, 16 * sizeof(float));
  }
}

template <class Group, bool Five>
constexpr rows16_type<Group, q4_k_prepared> kRows16Q45K = {
    rows16_b32_off,
    prepare_scales_q45_k<Group>,
    prepare_scales_q45_k<Group>,
    unpack_q45_k,
    q45_k_single<Group>,
    {q45_k_tokens<Five, 1>, q45_k_tokens<Five, 2>, q45_k_tokens<Five, 3>, q45_k_tokens<Five, 4>}};
template <class G>
constexpr rows16_type<typename G::block, group16_prepared<G>> kRows16Group16 = {
    rows16_b32_off,
    prepare_scales_group16<G>,
    prepare_d_group16<G>,
    unpack_group16<G>,
    group16_single<G>,
    {group16_tokens<G, 1>, group16_tokens<G, 2>, group16_tokens<G, 3>, group16_tokens<G, 4>}};

constexpr rows16_type<block_q4_0_x16, q4_0_prepared> kRows16Q40 = {
    rows16_q8_0_tail_off, prepare_d_blocks, prepare_d_blocks, unpack_q4_0, q4_0_single,
    {q4_0_tokens<1>, q4_0_tokens<2>, q4_0_tokens<3>, q4_0_tokens<4>}};
constexpr rows16_type<block_q8_0_x16, q8_0_prepared> kRows16Q80 = {
    rows16_q8_0_tail_off, prepare_d_blocks, prepare_d_blocks, unpack_q8_0, q8_0_single,
    {q8_0_tokens<1>, q8_0_tokens<2>, q8_0_tokens<3>, q8_0_tokens<4>}};

void rows16_dots_q8_0(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out,
                      int64_t out_stride) {
  rows16_dots(kRows16Q80, n, group, a, a_stride, n_tok, out, out_stride);
}

void rows16_dots_q4_0(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out,
                      int64_t out_stride) {
  rows16_dots(kRows16Q40, n, group, a, a_stride, n_tok, out, out_stride);
}
void rows16_dots_q4_k(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out,
                      int64_t out_stride) {
  rows16_dots(kRows16Q45K<block_q4_k_x16, false>, n, group, a, a_stride, n_tok, out, out_stride);
}
void rows16_dots_q5_k(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out,
                      int64_t out_stride) {
  rows16_dots(kRows16Q45K<block_q5_k_x16, true>, n, group, a, a_stride, n_tok, out, out_stride);
}
void rows16_dots_q6_k(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out,
                      int64_t out_stride) {
  rows16_dots(kRows16Group16<q6_k_group16>, n, group, a, a_stride, n_tok, out, out_stride);
}
void rows16_dots_q3_k(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out,
                      int64_t out_stride) {
  rows16_dots(kRows16Group16<q3_k_group16>, n, group, a, a_stride, n_tok, out, out_stride);
}
void rows16_dots_q2_k(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out,
                      int64_t out_stride) {
  rows16_dots(kRows16Group16<q2_k_group16>, n, group, a, a_stride, n_tok, out, out_stride);
}

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

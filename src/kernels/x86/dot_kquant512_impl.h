// Row dot products of the k-quants with Q8_K activations in 512-bit vectors (AVX-512 BW + VNNI);
// included by avx512_dot.cpp in place of dot_kquant_impl.h, with the same names and contract.
// The 256-bit versions spend most instructions unpacking 32 quants at a time. Here a 32-byte
// chunk of packed quants is broadcast into both halves of a zmm and each half shifted by its own
// count (vpsrlvw), which yields 64 quants in the Q8_K element order with one load, one shift and
// one mask; one vpmaddubsw + vpdpwssd then covers them, with the sub-block scales picked per
// 16-bit lane by one vpermw.
//
// Every type is written as an unpacker (one super-block -> 4 vectors of 64 quants in the Q8_K
// element order, their int16 lane scales, d, and the 16 group corrections) and one loop,
// dots_kquant_512<Unpacker, T>, that dots a weight row with T activation rows: each super-block
// is unpacked once and used T times (decode steps of several sequences). The mins (Q2_K, Q4_K,
// Q5_K) and offsets (Q3_K: u = q + 4; Q6_K: u = q + 32) cost each token one fmadd per
// super-block: the activation rows are row panels (pack_row_acts_q8_k: the Q8_K row, then
// d * bsum of each 16-element group). The row dot is the T = 1 instance, and every token's
// sequence of operations is the same for any T, so a token's results equal the row dot's bit for
// bit whatever the batch: a sequence's output does not depend on which others share its step.
// Thread-safe: pure functions.
#pragma once
// This file defines dot_q{2..6}_k_q8_k, dots_q{2..6}_k_q8_k and their row panel
// (kquant_row_act_bytes, pack_row_acts_q8_k).
#define PLEXUS_X86_ROW_DOTS 1

#include "kernels/x86/simd_common.h"
#include "tensor/blocks.h"

namespace plexus::kernels::x86::PLEXUS_X86_NS {
namespace {

inline __m512i load512(const void* p) { return _mm512_loadu_si512(p); }
// 32 bytes in both halves.
inline __m512i load_dup256(const void* p) { return _mm512_broadcast_i64x4(load256(p)); }
// int16 lanes: lo in the lower half, hi in the upper half (per-half shift counts).
inline __m512i halves16(int lo, int hi) {
  return _mm512_inserti64x4(_mm512_set1_epi16(static_cast<int16_t>(lo)), _mm256_set1_epi16(static_cast<int16_t>(hi)), 1);
}
// vpermw index: int16 lane i selects scale first + (i >> shift) (a span of 2^shift lanes per
// scale). Built once per call, outside the super-block loop.
inline __m512i scale_index(int first, int shift) {
  const __m512i iota = _mm512_cvtepu8_epi16(_mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
                                                             19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31));
  return _mm512_add_epi16(_mm512_srl_epi16(iota, _mm_cvtsi32_si128(shift)), _mm512_set1_epi16(static_cast<int16_t>(first)));
}
inline __m512i pick_scales(__m512i scales, __m512i index) { return _mm512_permutexvar_epi16(index, scales); }
inline __m512i madd512(__m512i acc, __m512i u, __m512i s, __m512i sc) {
  return _mm512_dpwssd_epi32(acc, _mm512_maddubs_epi16(u, s), sc);
}
// 16 byte scales widened to int16 lanes 0-15 (lanes 16-31 zero).
inline __m512i widen_scales_signed(__m128i s8) { return _mm512_cvtepi8_epi16(_mm256_zextsi128_si256(s8)); }
inline __m512i widen_scales_unsigned(__m128i s8) { return _mm512_cvtepu8_epi16(_mm256_zextsi128_si256(s8)); }

// Row panels: the Q8_K row as it is, then f32 fb[n / 16], each 16-element group's d * bsum.
inline uint64_t kquant_row_fb_off(int64_t n) { return static_cast<uint64_t>(n / tensor::qk_k) * sizeof(tensor::block_q8_k); }
uint64_t kquant_row_act_bytes(int64_t n) { return kquant_row_fb_off(n) + static_cast<uint64_t>(n / 16) * sizeof(float); }
void pack_row_acts_q8_k(const uint8_t* src, int64_t n, uint8_t* panel) {
  const uint64_t fb_off = kquant_row_fb_off(n);
  std::memcpy(panel, src, static_cast<size_t>(fb_off));
  const auto* y = reinterpret_cast<const tensor::block_q8_k*>(src);
  float* fb = reinterpret_cast<float*>(panel + fb_off);
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    const __m512 bsums = _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(load256(y[i].bsums)));
    _mm512_storeu_ps(fb + 16 * i, _mm512_mul_ps(_mm512_set1_ps(y[i].d), bsums));
  }
}

// One super-block unpacked: vector j holds elements 64j .. 64j + 63 as unsigned quants, sc[j] the
// int16 scale of each lane pair, corr the correction of each 16-element group (multiplied by the
// activation's d * bsum of that group).
struct unpacked_superblock {
  __m512i u[4];
  __m512i sc[4];
  __m512 d;
  __m512 corr;
};

// -scale * v for 16 bytes v (unsigned or signed), as 16 floats.
inline __m512 group_corrections_u8(__m128i v, float scale) {
  return _mm512_mul_ps(_mm512_set1_ps(-scale), _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(v)));
}
inline __m512 group_corrections_s8(__m128i v, float scale) {
  return _mm512_mul_ps(_mm512_set1_ps(-scale), _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v)));
}

// Q2_K: qs[32h ..] holds chunks 4h .. 4h + 3 at bit pairs 0, 2, 4, 6; scales byte g: scale (low
// nibble) and min (high nibble) of group g.
struct q2_k_unpacker {
  using block = tensor::block_q2_k;
  const __m512i m3 = _mm512_set1_epi8(3);
  const __m512i shift[2] = {halves16(0, 2), halves16(4, 6)};
  const __m512i index[4] = {scale_index(0, 3), scale_index(4, 3), scale_index(8, 3), scale_index(12, 3)};
  void operator()(const block& x, unpacked_superblock& s) const {
    const __m128i packed = load128(x.scales);
    const __m512i sc = widen_scales_unsigned(_mm_and_si128(packed, _mm_set1_epi8(0x0f)));
    for (int h = 0; h < 2; ++h) {
      const __m512i q = load_dup256(x.qs + 32 * h);
      for (int k = 0; k < 2; ++k) {  // chunks 2k, 2k + 1 of this half: shifts 4k, 4k + 2
        s.u[2 * h + k] = _mm512_and_si512(_mm512_srlv_epi16(q, shift[k]), m3);
        s.sc[2 * h + k] = pick_scales(sc, index[2 * h + k]);
      }
    }
    s.d = _mm512_set1_ps(f16_to_f32(x.d));
    s.corr = group_corrections_u8(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0f)), f16_to_f32(x.dmin));
  }
};

// Q3_K: as Q2_K plus a third bit from hmask (bit 4h + c of hmask[l] tops element 128h + 32c + l);
// u = q + 4 in [0, 7], so the offset is -4 * d * scale per group.
struct q3_k_unpacker {
  using block = tensor::block_q3_k;
  const __m512i m3 = _mm512_set1_epi8(3);
  const __m512i bit2 = _mm512_set1_epi8(4);
  const __m512i shift[2] = {halves16(0, 2), halves16(4, 6)};
  const __m512i high_shift[4] = {halves16(0, 1), halves16(2, 3), halves16(4, 5), halves16(6, 7)};
  const __m512i index[4] = {scale_index(0, 3), scale_index(4, 3), scale_index(8, 3), scale_index(12, 3)};
  void operator()(const block& x, unpacked_superblock& s) const {
    const __m128i sc8 = unpack_q3_k_scales(x.scales);
    const __m512i sc = widen_scales_signed(sc8);
    const __m512i hm = load_dup256(x.hmask);
    for (int h = 0; h < 2; ++h) {
      const __m512i q = load_dup256(x.qs + 32 * h);
      for (int k = 0; k < 2; ++k) {
        const __m512i high = _mm512_and_si512(_mm512_slli_epi16(_mm512_srlv_epi16(hm, high_shift[2 * h + k]), 2), bit2);
        s.u[2 * h + k] = _mm512_or_si512(_mm512_and_si512(_mm512_srlv_epi16(q, shift[k]), m3), high);
        s.sc[2 * h + k] = pick_scales(sc, index[2 * h + k]);
      }
    }
    const float d = f16_to_f32(x.d);
    s.d = _mm512_set1_ps(d);
    s.corr = group_corrections_s8(sc8, 4.0f * d);
  }
};

// Q4_K and Q5_K: chunk j of 32 packed bytes holds elements 64j .. 64j + 31 (low nibbles) and
// 64j + 32 .. 64j + 63 (high nibbles); Q5_K's bit 2j of qh[l] tops element 64j + l, bit 2j + 1
// element 64j + 32 + l. A 32-element sub-block's min applies to its two groups.
template <class Block>
struct q45_k_unpacker {
  using block = Block;
  static constexpr bool kFive = sizeof(Block) == sizeof(tensor::block_q5_k);
  const __m512i m4 = _mm512_set1_epi8(0x0f);
  const __m512i nibble_shift = halves16(0, 4);
  const __m512i high_shift[4] = {halves16(0, 1), halves16(2, 3), halves16(4, 5), halves16(6, 7)};
  const __m512i index[4] = {scale_index(0, 4), scale_index(2, 4), scale_index(4, 4), scale_index(6, 4)};
  void operator()(const block& x, unpacked_superblock& s) const {
    uint32_t sc[2], m[2];
    unpack_k4_scales(x.scales, sc, m);
    const __m512i scales = widen_scales_unsigned(_mm_set_epi32(0, 0, static_cast<int>(sc[1]), static_cast<int>(sc[0])));
    __m512i hb = _mm512_setzero_si512();
    if constexpr (kFive) hb = load_dup256(x.qh);
    for (int j = 0; j < 4; ++j) {
      s.u[j] = _mm512_and_si512(_mm512_srlv_epi16(load_dup256(x.qs + 32 * j), nibble_shift), m4);
      if constexpr (kFive) {
        const __m512i bits = _mm512_srlv_epi16(hb, high_shift[j]);
        s.u[j] = _mm512_or_si512(s.u[j], _mm512_and_si512(_mm512_slli_epi16(bits, 4), _mm512_set1_epi8(0x10)));
      }
      s.sc[j] = pick_scales(scales, index[j]);
    }
    s.d = _mm512_set1_ps(f16_to_f32(x.d));
    const __m128i mins8 = _mm_set_epi32(0, 0, static_cast<int>(m[1]), static_cast<int>(m[0]));
    s.corr = group_corrections_u8(_mm_unpacklo_epi8(mins8, mins8), f16_to_f32(x.dmin));
  }
};

// Q6_K: half h holds 128 elements; ql[64h .. 64h + 63] gives the low 4 bits of chunks 0, 1 (low
// nibbles) and 2, 3 (high nibbles), qh[32h ..] their top 2 bits at bits 0-1, 2-3, 4-5, 6-7.
// u = q + 32 in [0, 63], so the offset is -32 * d * scale per group.
struct q6_k_unpacker {
  using block = tensor::block_q6_k;
  const __m512i m4 = _mm512_set1_epi8(0x0f);
  const __m512i m30 = _mm512_set1_epi8(0x30);
  const __m512i up = halves16(4, 2), down = halves16(0, 2);
  const __m512i index[4] = {scale_index(0, 3), scale_index(4, 3), scale_index(8, 3), scale_index(12, 3)};
  void operator()(const block& x, unpacked_superblock& s) const {
    const __m128i sc8 = load128(x.scales);
    const __m512i sc = widen_scales_signed(sc8);
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = load512(x.ql + 64 * h);
      const __m512i qh = load_dup256(x.qh + 32 * h);
      s.u[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, m4), _mm512_and_si512(_mm512_sllv_epi16(qh, up), m30));
      s.u[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4),
                                       _mm512_and_si512(_mm512_srlv_epi16(qh, down), m30));
      s.sc[2 * h] = pick_scales(sc, index[2 * h]);
      s.sc[2 * h + 1] = pick_scales(sc, index[2 * h + 1]);
    }
    const float d = f16_to_f32(x.d);
    s.d = _mm512_set1_ps(d);
    s.corr = group_corrections_s8(sc8, 32.0f * d);
  }
};

// out[t * out_stride] = w . a_t for T row panels a_t at a + t * a_stride.
template <class Unpacker, int T>
inline void dots_kquant_512(int64_t n, const void* w, const uint8_t* a, uint64_t a_stride, float* out, int64_t out_stride) {
  const Unpacker unpack;
  const auto* x = static_cast<const typename Unpacker::block*>(w);
  const uint64_t fb_off = kquant_row_fb_off(n);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    // Also for T > 1: without it a batched decode step stalls on memory (72 -> 60 ms at 8 tokens).
    prefetch_ahead(x + i, sizeof(x[i]));
    unpacked_superblock s;
    unpack(x[i], s);
    for (int t = 0; t < T; ++t) {
      const uint8_t* at = a + static_cast<uint64_t>(t) * a_stride;
      const auto& y = reinterpret_cast<const tensor::block_q8_k*>(at)[i];
      __m512i sumi = _mm512_setzero_si512();
      for (int j = 0; j < 4; ++j) sumi = madd512(sumi, s.u[j], load512(y.qs + 64 * j), s.sc[j]);
      acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(s.d, _mm512_set1_ps(y.d)), _mm512_cvtepi32_ps(sumi), acc[t]);
      acc[t] = _mm512_fmadd_ps(s.corr, _mm512_loadu_ps(reinterpret_cast<const float*>(at + fb_off) + 16 * i), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) out[t * out_stride] = _mm512_reduce_add_ps(acc[t]);
}

// Any number of tokens: chunks of 8, then one instance for the rest.
template <class Unpacker>
void dots_chunked(int64_t n, const void* w, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out, int64_t out_stride) {
  for_token_tiles(n_tok, a, a_stride, out, out_stride,
                  [&]<int T>(const uint8_t* at, float* ot) { dots_kquant_512<Unpacker, T>(n, w, at, a_stride, ot, out_stride); });
}

template <class Unpacker>
float dot_one(int64_t n, const void* w, const void* a) {
  float out;
  dots_kquant_512<Unpacker, 1>(n, w, static_cast<const uint8_t*>(a), 0, &out, 1);
  return out;
}

float dot_q2_k_q8_k(int64_t n, const void* w, const void* a) { return dot_one<q2_k_unpacker>(n, w, a); }
float dot_q3_k_q8_k(int64_t n, const void* w, const void* a) { return dot_one<q3_k_unpacker>(n, w, a); }
float dot_q4_k_q8_k(int64_t n, const void* w, const void* a) { return dot_one<q45_k_unpacker<tensor::block_q4_k>>(n, w, a); }
float dot_q5_k_q8_k(int64_t n, const void* w, const void* a) { return dot_one<q45_k_unpacker<tensor::block_q5_k>>(n, w, a); }
float dot_q6_k_q8_k(int64_t n, const void* w, const void* a) { return dot_one<q6_k_unpacker>(n, w, a); }

#define PLEXUS_DOTS(name, unpacker)                                                                                 \
  void name(int64_t n, const void* w, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out, int64_t out_stride) { \
    dots_chunked<unpacker>(n, w, a, a_stride, n_tok, out, out_stride);                                            \
  }
PLEXUS_DOTS(dots_q2_k_q8_k, q2_k_unpacker)
PLEXUS_DOTS(dots_q3_k_q8_k, q3_k_unpacker)
PLEXUS_DOTS(dots_q4_k_q8_k, q45_k_unpacker<tensor::block_q4_k>)
PLEXUS_DOTS(dots_q5_k_q8_k, q45_k_unpacker<tensor::block_q5_k>)
PLEXUS_DOTS(dots_q6_k_q8_k, q6_k_unpacker)
#undef PLEXUS_DOTS

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

// Row dot products of the k-quants with Q8_K activations in 512-bit vectors (AVX-512 BW + VNNI);
// included by avx512_dot.cpp in place of dot_kquant_impl.h, with the same names and contract.
// The 256-bit versions spend most instructions unpacking 32 quants at a time. Here a 32-byte
// chunk of packed quants is broadcast into both halves of a zmm and each half shifted by its own
// count (vpsrlvw), which yields 64 quants in the Q8_K element order with one load, one shift and
// one mask; one vpmaddubsw + vpdpwssd then covers them, with the sub-block scales picked per
// 16-bit lane by one vpermw. Mins and offsets use the bsums, as in dot_kquant_impl.h.
// Thread-safe: pure functions.
#pragma once

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

float dot_q2_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const tensor::block_q2_k*>(w);
  const auto* y = static_cast<const tensor::block_q8_k*>(a);
  const __m512i m3 = _mm512_set1_epi8(3);
  const __m512i shift[2] = {halves16(0, 2), halves16(4, 6)};
  const __m512i index[4] = {scale_index(0, 3), scale_index(4, 3), scale_index(8, 3), scale_index(12, 3)};
  __m512 acc = _mm512_setzero_ps();
  __m256 acc_min = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    const __m128i packed = load128(x[i].scales);
    const __m128i mins = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0f));
    const __m256i summs = _mm256_madd_epi16(_mm256_cvtepu8_epi16(mins), load256(y[i].bsums));
    acc_min = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * f16_to_f32(x[i].dmin)), _mm256_cvtepi32_ps(summs), acc_min);
    const __m512i sc = widen_scales_unsigned(_mm_and_si128(packed, _mm_set1_epi8(0x0f)));
    __m512i sumi = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h) {
      const __m512i q = load_dup256(x[i].qs + 32 * h);
      for (int k = 0; k < 2; ++k) {  // chunks 2k, 2k + 1: shifts 4k, 4k + 2; groups 8h + 4k ..
        const __m512i u = _mm512_and_si512(_mm512_srlv_epi16(q, shift[k]), m3);
        sumi = madd512(sumi, u, load512(y[i].qs + 128 * h + 64 * k), pick_scales(sc, index[2 * h + k]));
      }
    }
    acc = _mm512_fmadd_ps(_mm512_set1_ps(y[i].d * f16_to_f32(x[i].d)), _mm512_cvtepi32_ps(sumi), acc);
  }
  return _mm512_reduce_add_ps(acc) - hsum(acc_min);
}

float dot_q3_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const tensor::block_q3_k*>(w);
  const auto* y = static_cast<const tensor::block_q8_k*>(a);
  const __m512i m3 = _mm512_set1_epi8(3);
  const __m512i bit2 = _mm512_set1_epi8(4);
  const __m512i shift[2] = {halves16(0, 2), halves16(4, 6)};
  const __m512i high_shift[4] = {halves16(0, 1), halves16(2, 3), halves16(4, 5), halves16(6, 7)};
  const __m512i index[4] = {scale_index(0, 3), scale_index(4, 3), scale_index(8, 3), scale_index(12, 3)};
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    const __m128i sc8 = unpack_q3_k_scales(x[i].scales);
    // u = q + 4 in [0, 7]: start from -4 * sum(scale * bsum).
    const __m256i offset = _mm256_madd_epi16(_mm256_cvtepi8_epi16(sc8), load256(y[i].bsums));
    __m512i sumi = _mm512_zextsi256_si512(_mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(offset, 2)));
    const __m512i sc = widen_scales_signed(sc8);
    const __m512i hm = load_dup256(x[i].hmask);
    for (int h = 0; h < 2; ++h) {
      const __m512i q = load_dup256(x[i].qs + 32 * h);
      for (int k = 0; k < 2; ++k) {  // the high bit of element 128h + 32c + l is bit 4h + c of hmask[l]
        const __m512i high = _mm512_and_si512(_mm512_slli_epi16(_mm512_srlv_epi16(hm, high_shift[2 * h + k]), 2), bit2);
        const __m512i u = _mm512_or_si512(_mm512_and_si512(_mm512_srlv_epi16(q, shift[k]), m3), high);
        sumi = madd512(sumi, u, load512(y[i].qs + 128 * h + 64 * k), pick_scales(sc, index[2 * h + k]));
      }
    }
    acc = _mm512_fmadd_ps(_mm512_set1_ps(y[i].d * f16_to_f32(x[i].d)), _mm512_cvtepi32_ps(sumi), acc);
  }
  return _mm512_reduce_add_ps(acc);
}

// Q4_K and Q5_K: chunk j of 32 packed bytes holds elements 64j .. 64j + 31 (low nibbles) and
// 64j + 32 .. 64j + 63 (high nibbles), i.e. the 64 activation bytes at 64j.
template <class Block>
inline float dot_q45_k_512(int64_t n, const void* w, const void* a) {
  constexpr bool kFive = sizeof(Block) == sizeof(tensor::block_q5_k);
  const auto* x = static_cast<const Block*>(w);
  const auto* y = static_cast<const tensor::block_q8_k*>(a);
  const __m512i m4 = _mm512_set1_epi8(0x0f);
  const __m512i nibble_shift = halves16(0, 4);
  const __m512i high_shift[4] = {halves16(0, 1), halves16(2, 3), halves16(4, 5), halves16(6, 7)};
  const __m512i index[4] = {scale_index(0, 4), scale_index(2, 4), scale_index(4, 4), scale_index(6, 4)};
  __m512 acc = _mm512_setzero_ps();
  __m256 acc_min = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    uint32_t sc[2], m[2];
    unpack_k4_scales(x[i].scales, sc, m);
    const __m128i mins8 = _mm_set_epi32(0, 0, static_cast<int>(m[1]), static_cast<int>(m[0]));
    const __m256i summs = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mins8, mins8)), load256(y[i].bsums));
    acc_min = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * f16_to_f32(x[i].dmin)), _mm256_cvtepi32_ps(summs), acc_min);
    const __m512i scales = widen_scales_unsigned(_mm_set_epi32(0, 0, static_cast<int>(sc[1]), static_cast<int>(sc[0])));
    __m512i hb = _mm512_setzero_si512();
    if constexpr (kFive) hb = load_dup256(x[i].qh);
    __m512i sumi = _mm512_setzero_si512();
    for (int j = 0; j < 4; ++j) {
      __m512i u = _mm512_and_si512(_mm512_srlv_epi16(load_dup256(x[i].qs + 32 * j), nibble_shift), m4);
      if constexpr (kFive) {  // bit 2j of qh[l] tops element 64j + l, bit 2j + 1 element 64j + 32 + l
        const __m512i bits = _mm512_srlv_epi16(hb, high_shift[j]);
        u = _mm512_or_si512(u, _mm512_and_si512(_mm512_slli_epi16(bits, 4), _mm512_set1_epi8(0x10)));
      }
      sumi = madd512(sumi, u, load512(y[i].qs + 64 * j), pick_scales(scales, index[j]));
    }
    acc = _mm512_fmadd_ps(_mm512_set1_ps(y[i].d * f16_to_f32(x[i].d)), _mm512_cvtepi32_ps(sumi), acc);
  }
  return _mm512_reduce_add_ps(acc) - hsum(acc_min);
}

float dot_q4_k_q8_k(int64_t n, const void* w, const void* a) { return dot_q45_k_512<tensor::block_q4_k>(n, w, a); }
float dot_q5_k_q8_k(int64_t n, const void* w, const void* a) { return dot_q45_k_512<tensor::block_q5_k>(n, w, a); }

// Q6_K: half h holds 128 elements; ql[64h .. 64h + 63] gives the low 4 bits of chunks 0, 1 (low
// nibbles) and 2, 3 (high nibbles), qh[32h ..] their top 2 bits at bits 0-1, 2-3, 4-5, 6-7.
float dot_q6_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const tensor::block_q6_k*>(w);
  const auto* y = static_cast<const tensor::block_q8_k*>(a);
  const __m512i m4 = _mm512_set1_epi8(0x0f);
  const __m512i m30 = _mm512_set1_epi8(0x30);
  const __m512i up = halves16(4, 2), down = halves16(0, 2);
  const __m512i index[4] = {scale_index(0, 3), scale_index(4, 3), scale_index(8, 3), scale_index(12, 3)};
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    const __m128i sc8 = load128(x[i].scales);
    // u = q + 32 in [0, 63]: start from -32 * sum(scale * bsum).
    const __m256i offset = _mm256_madd_epi16(_mm256_cvtepi8_epi16(sc8), load256(y[i].bsums));
    __m512i sumi = _mm512_zextsi256_si512(_mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(offset, 5)));
    const __m512i sc = widen_scales_signed(sc8);
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = load512(x[i].ql + 64 * h);
      const __m512i qh = load_dup256(x[i].qh + 32 * h);
      const __m512i u01 = _mm512_or_si512(_mm512_and_si512(ql, m4), _mm512_and_si512(_mm512_sllv_epi16(qh, up), m30));
      const __m512i u23 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4),
                                          _mm512_and_si512(_mm512_srlv_epi16(qh, down), m30));
      sumi = madd512(sumi, u01, load512(y[i].qs + 128 * h), pick_scales(sc, index[2 * h]));
      sumi = madd512(sumi, u23, load512(y[i].qs + 128 * h + 64), pick_scales(sc, index[2 * h + 1]));
    }
    acc = _mm512_fmadd_ps(_mm512_set1_ps(y[i].d * f16_to_f32(x[i].d)), _mm512_cvtepi32_ps(sumi), acc);
  }
  return _mm512_reduce_add_ps(acc);
}

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

// Row dot products of the k-quants (256-element super-blocks) with Q8_K activations, in 256-bit
// vectors. Included by avx2_dot.cpp and avx512_dot.cpp (see simd_common.h).
//
// Per super-block the quants are widened to unsigned bytes u in element order (the order of the
// Q8_K activation bytes), multiplied with the activations and weighted by the integer sub-block
// scales in int32 lanes (madd_scaled); the lane sums are scaled once by d_w * d_a. The parts that
// do not depend on u, the mins of Q2_K/Q4_K/Q5_K and the offsets of Q3_K (u - 4) and Q6_K
// (u - 32), are taken from the activation's 16-element sums (bsums), as the reference does for
// the mins. Integer arithmetic is exact, so results differ from tensor::vec_dot only in float
// summation order.
// Thread-safe: pure functions.
#pragma once

#include "kernels/x86/simd_common.h"
#include "tensor/blocks.h"

namespace plexus::kernels::x86::PLEXUS_X86_NS {
namespace {

float dot_q2_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const tensor::block_q2_k*>(w);
  const auto* y = static_cast<const tensor::block_q8_k*>(a);
  const __m256i m3 = _mm256_set1_epi8(3);
  const __m128i m4 = _mm_set1_epi8(0x0f);
  __m256 acc = _mm256_setzero_ps(), acc_min = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    prefetch_ahead(x + i, sizeof(x[i]));
    const __m128i packed = load128(x[i].scales);
    const __m128i sc = _mm_and_si128(packed, m4);
    const __m128i mins = _mm_and_si128(_mm_srli_epi16(packed, 4), m4);
    const __m256i summs = _mm256_madd_epi16(_mm256_cvtepu8_epi16(mins), load256(y[i].bsums));
    acc_min = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * f16_to_f32(x[i].dmin)), _mm256_cvtepi32_ps(summs), acc_min);
    const pair_scales scales = prepare_pair_scales(sc);
    __m256i sumi = _mm256_setzero_si256();
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const __m256i q = load256(x[i].qs + 32 * h);
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        const __m256i u = _mm256_and_si256(_mm256_srli_epi16(q, 2 * k), m3);
        sumi = madd_scaled(sumi, u, load256(y[i].qs + 128 * h + 32 * k), pick_pair_scales(scales, h, k));
      }
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * f16_to_f32(x[i].d)), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum(_mm256_sub_ps(acc, acc_min));
}

float dot_q3_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const tensor::block_q3_k*>(w);
  const auto* y = static_cast<const tensor::block_q8_k*>(a);
  const __m256i m3 = _mm256_set1_epi8(3);
  const __m256i bit2 = _mm256_set1_epi8(4);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    prefetch_ahead(x + i, sizeof(x[i]));
    const __m128i sc = unpack_q3_k_scales(x[i].scales);
    // u = q + 4 in [0, 7]: start from -4 * sum(scale * bsum).
    const __m256i offset = _mm256_madd_epi16(_mm256_cvtepi8_epi16(sc), load256(y[i].bsums));
    __m256i sumi = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(offset, 2));
    const __m256i hm = load256(x[i].hmask);  // bit (4h + k) of byte l: the high bit of element 128h + 32k + l
    const pair_scales scales = prepare_pair_scales(sc);
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const __m256i q = load256(x[i].qs + 32 * h);
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        // The high bit (bit 4h + k of each byte) moved to bit 2 with one shift: the 16-bit shifts
        // by at most 5 keep each byte's bit 2 within its own byte.
        const int bit = 4 * h + k;
        const __m256i moved = bit < 2 ? _mm256_slli_epi16(hm, 2 - bit) : _mm256_srli_epi16(hm, bit - 2);
        const __m256i u = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 2 * k), m3), _mm256_and_si256(moved, bit2));
        sumi = madd_scaled(sumi, u, load256(y[i].qs + 128 * h + 32 * k), pick_pair_scales(scales, h, k));
      }
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * f16_to_f32(x[i].d)), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum(acc);
}

// Q4_K and Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins; Q5_K adds a fifth bit from qh.
template <class Block>
inline float dot_q45_k(int64_t n, const void* w, const void* a) {
  constexpr bool kFive = sizeof(Block) == sizeof(tensor::block_q5_k);
  const auto* x = static_cast<const Block*>(w);
  const auto* y = static_cast<const tensor::block_q8_k*>(a);
  const __m256i m4 = _mm256_set1_epi8(0x0f);
  __m256 acc = _mm256_setzero_ps(), acc_min = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    prefetch_ahead(x + i, sizeof(x[i]));
    uint32_t sc[2], m[2];
    unpack_k4_scales(x[i].scales, sc, m);
    const __m128i mins8 = _mm_set_epi32(0, 0, static_cast<int>(m[1]), static_cast<int>(m[0]));
    // bsums hold 16-element sums; each min covers two of them.
    const __m256i summs = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mins8, mins8)), load256(y[i].bsums));
    acc_min = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * f16_to_f32(x[i].dmin)), _mm256_cvtepi32_ps(summs), acc_min);
    const __m256i sc16 = _mm256_broadcastsi128_si256(
        _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(sc[1]), static_cast<int>(sc[0]))));
    __m256i hb = _mm256_setzero_si256();
    if constexpr (kFive) hb = load256(x[i].qh);
    __m256i sumi = _mm256_setzero_si256();
    for (int j = 0; j < 4; ++j) {
      const __m256i q = load256(x[i].qs + 32 * j);
      __m256i lo = _mm256_and_si256(q, m4);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
      if constexpr (kFive) {  // bit 2j of qh[l] tops element 64j + l, bit 2j + 1 element 64j + 32 + l
        const __m256i bit4 = _mm256_set1_epi8(0x10);
        lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(hb, 4), bit4));
        hb = _mm256_srli_epi16(hb, 1);
        hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(hb, 4), bit4));
        hb = _mm256_srli_epi16(hb, 1);
      }
      sumi = madd_scaled(sumi, lo, load256(y[i].qs + 64 * j), broadcast_scale(sc16, 2 * j));
      sumi = madd_scaled(sumi, hi, load256(y[i].qs + 64 * j + 32), broadcast_scale(sc16, 2 * j + 1));
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * f16_to_f32(x[i].d)), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum(_mm256_sub_ps(acc, acc_min));
}

float dot_q4_k_q8_k(int64_t n, const void* w, const void* a) { return dot_q45_k<tensor::block_q4_k>(n, w, a); }
float dot_q5_k_q8_k(int64_t n, const void* w, const void* a) { return dot_q45_k<tensor::block_q5_k>(n, w, a); }

float dot_q6_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const tensor::block_q6_k*>(w);
  const auto* y = static_cast<const tensor::block_q8_k*>(a);
  const __m256i m4 = _mm256_set1_epi8(0x0f);
  const __m256i m30 = _mm256_set1_epi8(0x30);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    prefetch_ahead(x + i, sizeof(x[i]));
    const __m128i sc = load128(x[i].scales);
    // u = q + 32 in [0, 63]: start from -32 * sum(scale * bsum).
    const __m256i offset = _mm256_madd_epi16(_mm256_cvtepi8_epi16(sc), load256(y[i].bsums));
    __m256i sumi = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(offset, 5));
    const pair_scales scales = prepare_pair_scales(sc);
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const __m256i ql0 = load256(x[i].ql + 64 * h);
      const __m256i ql1 = load256(x[i].ql + 64 * h + 32);
      const __m256i qh = load256(x[i].qh + 32 * h);
      const __m256i u[4] = {
          _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30)),
          _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), _mm256_and_si256(qh, m30)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4), _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30)),
      };
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) sumi = madd_scaled(sumi, u[k], load256(y[i].qs + 128 * h + 32 * k), pick_pair_scales(scales, h, k));
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * f16_to_f32(x[i].d)), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum(acc);
}

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

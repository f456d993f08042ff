// Row dot products of the k-quants with Q8_K activations in 512-bit vectors (AVX-512 BW + VNNI);
// included by avx512_dot.cpp in place of dot_kquant_impl.h, with the same names and contract.
// The 256-bit versions spend most instructions unpacking 32 quants at a time. Here a 32-byte
// chunk of packed quants is broadcast into both halves of a zmm and each half shifted by its own
// count (vpsrlvw), which yields 64 quants in the Q8_K element order with one load, one shift and
// one mask; one vpmaddubsw + vpdpwssd then covers them, with the sub-block scales picked per
// 16-bit lane by one vpermw. Mins and offsets use the bsums, as in dot_kquant_impl.h.
// Thread-safe: pure functions.
#pragma once
// This file defines dots_q{4,5,6}_k_q8_k and their row panel (kquant_row_act_bytes, pack_row_acts_q8_k).
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

// Row panels for the Q4_K, Q5_K and Q6_K dots: the Q8_K row as it is, then f32 fb[n / 16], each
// 16-element group's d * bsum. The mins (Q4_K, Q5_K) and the +32 offset (Q6_K) then cost each token
// one fmadd per super-block against a vector of 16 group corrections built once per weight block.
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
inline const float* row_fb(const uint8_t* a, int64_t n) { return reinterpret_cast<const float*>(a + kquant_row_fb_off(n)); }

// Q4_K and Q5_K: chunk j of 32 packed bytes holds elements 64j .. 64j + 31 (low nibbles) and
// 64j + 32 .. 64j + 63 (high nibbles), i.e. the 64 activation bytes at 64j.
//
// The dots_* functions dot one weight row with T activation row panels (a_t at a + t * a_stride,
// result to out[t * out_stride]): each super-block is unpacked once and used T times. Every
// token's own sequence of operations is the one the T = 1 instance (the row dot) performs, so the
// results equal the row dot's bit for bit whatever the batch: a sequence's output does not depend
// on which other sequences share its decode step.
template <class Block, int T>
inline void dots_q45_k_512(int64_t n, const void* w, const uint8_t* a, uint64_t a_stride, float* out, int64_t out_stride) {
  constexpr bool kFive = sizeof(Block) == sizeof(tensor::block_q5_k);
  const auto* x = static_cast<const Block*>(w);
  const __m512i m4 = _mm512_set1_epi8(0x0f);
  const __m512i nibble_shift = halves16(0, 4);
  const __m512i high_shift[4] = {halves16(0, 1), halves16(2, 3), halves16(4, 5), halves16(6, 7)};
  const __m512i index[4] = {scale_index(0, 4), scale_index(2, 4), scale_index(4, 4), scale_index(6, 4)};
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    uint32_t sc[2], m[2];
    unpack_k4_scales(x[i].scales, sc, m);
    // -dmin * min of each 16-element group (a 32-element sub-block is two groups).
    const __m128i mins8 = _mm_set_epi32(0, 0, static_cast<int>(m[1]), static_cast<int>(m[0]));
    const __m512i mins32 = _mm512_cvtepu8_epi32(_mm_unpacklo_epi8(mins8, mins8));
    const __m512 corr = _mm512_mul_ps(_mm512_set1_ps(-f16_to_f32(x[i].dmin)), _mm512_cvtepi32_ps(mins32));
    const __m512 d = _mm512_set1_ps(f16_to_f32(x[i].d));
    const __m512i scales = widen_scales_unsigned(_mm_set_epi32(0, 0, static_cast<int>(sc[1]), static_cast<int>(sc[0])));
    __m512i hb = _mm512_setzero_si512();
    if constexpr (kFive) hb = load_dup256(x[i].qh);
    __m512i u[4], scj[4];
    for (int j = 0; j < 4; ++j) {
      u[j] = _mm512_and_si512(_mm512_srlv_epi16(load_dup256(x[i].qs + 32 * j), nibble_shift), m4);
      if constexpr (kFive) {  // bit 2j of qh[l] tops element 64j + l, bit 2j + 1 element 64j + 32 + l
        const __m512i bits = _mm512_srlv_epi16(hb, high_shift[j]);
        u[j] = _mm512_or_si512(u[j], _mm512_and_si512(_mm512_slli_epi16(bits, 4), _mm512_set1_epi8(0x10)));
      }
      scj[j] = pick_scales(scales, index[j]);
    }
    for (int t = 0; t < T; ++t) {
      const uint8_t* at = a + static_cast<uint64_t>(t) * a_stride;
      const auto& y = reinterpret_cast<const tensor::block_q8_k*>(at)[i];
      __m512i sumi = _mm512_setzero_si512();
      for (int j = 0; j < 4; ++j) sumi = madd512(sumi, u[j], load512(y.qs + 64 * j), scj[j]);
      acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(y.d)), _mm512_cvtepi32_ps(sumi), acc[t]);
      acc[t] = _mm512_fmadd_ps(corr, _mm512_loadu_ps(row_fb(at, n) + 16 * i), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) out[t * out_stride] = _mm512_reduce_add_ps(acc[t]);
}

// Q6_K: half h holds 128 elements; ql[64h .. 64h + 63] gives the low 4 bits of chunks 0, 1 (low
// nibbles) and 2, 3 (high nibbles), qh[32h ..] their top 2 bits at bits 0-1, 2-3, 4-5, 6-7.
// u = q + 32 in [0, 63]; the offset is -32 * d * scale per 16-element group.
template <int T>
inline void dots_q6_k_512(int64_t n, const void* w, const uint8_t* a, uint64_t a_stride, float* out, int64_t out_stride) {
  const auto* x = static_cast<const tensor::block_q6_k*>(w);
  const __m512i m4 = _mm512_set1_epi8(0x0f);
  const __m512i m30 = _mm512_set1_epi8(0x30);
  const __m512i up = halves16(4, 2), down = halves16(0, 2);
  const __m512i index[4] = {scale_index(0, 3), scale_index(4, 3), scale_index(8, 3), scale_index(12, 3)};
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    const __m128i sc8 = load128(x[i].scales);
    const float dw = f16_to_f32(x[i].d);
    const __m512 corr = _mm512_mul_ps(_mm512_set1_ps(-32.0f * dw), _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(sc8)));
    const __m512 d = _mm512_set1_ps(dw);
    const __m512i sc = widen_scales_signed(sc8);
    __m512i u[4], scj[4];  // chunk pairs (0, 1), (2, 3) of half 0, then of half 1
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = load512(x[i].ql + 64 * h);
      const __m512i qh = load_dup256(x[i].qh + 32 * h);
      u[2 * h] = _mm512_or_si512(_mm512_and_si512(ql, m4), _mm512_and_si512(_mm512_sllv_epi16(qh, up), m30));
      u[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), m4), _mm512_and_si512(_mm512_srlv_epi16(qh, down), m30));
      scj[2 * h] = pick_scales(sc, index[2 * h]);
      scj[2 * h + 1] = pick_scales(sc, index[2 * h + 1]);
    }
    for (int t = 0; t < T; ++t) {
      const uint8_t* at = a + static_cast<uint64_t>(t) * a_stride;
      const auto& y = reinterpret_cast<const tensor::block_q8_k*>(at)[i];
      __m512i sumi = _mm512_setzero_si512();
      for (int j = 0; j < 4; ++j) sumi = madd512(sumi, u[j], load512(y.qs + 64 * j), scj[j]);
      acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(y.d)), _mm512_cvtepi32_ps(sumi), acc[t]);
      acc[t] = _mm512_fmadd_ps(corr, _mm512_loadu_ps(row_fb(at, n) + 16 * i), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) out[t * out_stride] = _mm512_reduce_add_ps(acc[t]);
}

// Any number of tokens: chunks of 8, then one instance for the rest.
template <template <int> class Dots>
void dots_chunked(int64_t n, const void* w, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out, int64_t out_stride) {
  int64_t t = 0;
  for (; t + 8 <= n_tok; t += 8) Dots<8>::run(n, w, a + static_cast<uint64_t>(t) * a_stride, a_stride, out + t * out_stride, out_stride);
  const uint8_t* at = a + static_cast<uint64_t>(t) * a_stride;
  float* ot = out + t * out_stride;
  switch (n_tok - t) {
    case 7: Dots<7>::run(n, w, at, a_stride, ot, out_stride); break;
    case 6: Dots<6>::run(n, w, at, a_stride, ot, out_stride); break;
    case 5: Dots<5>::run(n, w, at, a_stride, ot, out_stride); break;
    case 4: Dots<4>::run(n, w, at, a_stride, ot, out_stride); break;
    case 3: Dots<3>::run(n, w, at, a_stride, ot, out_stride); break;
    case 2: Dots<2>::run(n, w, at, a_stride, ot, out_stride); break;
    case 1: Dots<1>::run(n, w, at, a_stride, ot, out_stride); break;
    default: break;
  }
}

template <class Block>
struct q45_k_dots {
  template <int T>
  struct of {
    static void run(int64_t n, const void* w, const uint8_t* a, uint64_t s, float* o, int64_t os) { dots_q45_k_512<Block, T>(n, w, a, s, o, os); }
  };
};
template <int T>
struct q6_k_dots {
  static void run(int64_t n, const void* w, const uint8_t* a, uint64_t s, float* o, int64_t os) { dots_q6_k_512<T>(n, w, a, s, o, os); }
};

float dot_q4_k_q8_k(int64_t n, const void* w, const void* a) {
  float out;
  dots_q45_k_512<tensor::block_q4_k, 1>(n, w, static_cast<const uint8_t*>(a), 0, &out, 1);
  return out;
}
float dot_q5_k_q8_k(int64_t n, const void* w, const void* a) {
  float out;
  dots_q45_k_512<tensor::block_q5_k, 1>(n, w, static_cast<const uint8_t*>(a), 0, &out, 1);
  return out;
}
float dot_q6_k_q8_k(int64_t n, const void* w, const void* a) {
  float out;
  dots_q6_k_512<1>(n, w, static_cast<const uint8_t*>(a), 0, &out, 1);
  return out;
}
void dots_q4_k_q8_k(int64_t n, const void* w, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out, int64_t out_stride) {
  dots_chunked<q45_k_dots<tensor::block_q4_k>::of>(n, w, a, a_stride, n_tok, out, out_stride);
}
void dots_q5_k_q8_k(int64_t n, const void* w, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out, int64_t out_stride) {
  dots_chunked<q45_k_dots<tensor::block_q5_k>::of>(n, w, a, a_stride, n_tok, out, out_stride);
}
void dots_q6_k_q8_k(int64_t n, const void* w, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out, int64_t out_stride) {
  dots_chunked<q6_k_dots>(n, w, a, a_stride, n_tok, out, out_stride);
}

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

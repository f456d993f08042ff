// Vector helpers for the per-ISA kernel files. This header is compiled into each of them under its
// own namespace (define PLEXUS_X86_NS as avx2 or avx512 first) and everything in it has internal
// linkage, so each file gets code for exactly the instructions it was compiled for (see
// isa_kernels.h for why nothing may be shared across ISAs). 256-bit code uses AVX512_VNNI's
// vpdpbusd / vpdpwssd where the file is compiled with it, otherwise AVX2 multiply-add pairs.
// Thread-safe: pure functions.
#pragma once

#ifndef PLEXUS_X86_NS
#error "define PLEXUS_X86_NS (avx2 or avx512) before including simd_common.h"
#endif

// GCC 12's AVX-512 intrinsics initialize "undefined" vectors from themselves, which
// -Wuninitialized reports wherever they are inlined (GCC bug 105593). These files are all
// intrinsics, so the warning is off for them, before the header is read.
#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define PLEXUS_X86_VNNI 1
#else
#define PLEXUS_X86_VNNI 0
#endif

namespace plexus::kernels::x86::PLEXUS_X86_NS {
namespace {

inline float f16_to_f32(uint16_t h) { return _cvtsh_ss(h); }
// Round to nearest even, NaN quieted with its payload kept: the same bits as tensor::fp32_to_fp16.
inline uint16_t f32_to_f16(float f) { return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT)); }

inline uint16_t load_u16(const void* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline uint32_t load_u32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Decode streams each weight row once: the row dots ask for the bytes kPrefetchAhead past the
// block they read (`bytes` of them), which keeps more requests in flight than the hardware
// prefetcher alone (measured: +5-10% weight GB/s with 2 threads, tg +7-14%).
inline constexpr size_t kPrefetchAhead = 4096;
// Ask for the line at p + ahead (into L1). The address is computed on integers: p + ahead usually
// lies past the object p points into, and GCC silently dropped every such prefetch from some
// kernels (all of the AVX-512 rows16 Q6_K ones) while it was computed on pointers.
inline const char* ahead_of(const void* p, size_t ahead) { return reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(p) + ahead); }
inline void prefetch_stream(const void* p, size_t ahead) { _mm_prefetch(ahead_of(p, ahead), _MM_HINT_T0); }
inline void prefetch_ahead(const void* p, size_t bytes) {
  for (size_t off = 0; off < bytes; off += 64) prefetch_stream(p, kPrefetchAhead + off);
}

// Runs tile.template operator()<T>(a_t, out_t) over n_tok tokens: tiles of 8 tokens, then one
// tile of the rest (T = 1..7), token t's activations at a + t * a_stride and outputs at
// out + t * out_stride. Lets the multi-token dots instantiate one kernel per tile size.
template <class Tile>
inline void for_token_tiles(int64_t n_tok, const uint8_t* a, uint64_t a_stride, float* out, int64_t out_stride, Tile tile) {
  int64_t t = 0;
  for (; t + 8 <= n_tok; t += 8) tile.template operator()<8>(a + static_cast<uint64_t>(t) * a_stride, out + t * out_stride);
  const uint8_t* at = a + static_cast<uint64_t>(t) * a_stride;
  float* ot = out + t * out_stride;
  switch (n_tok - t) {
    case 7: tile.template operator()<7>(at, ot); break;
    case 6: tile.template operator()<6>(at, ot); break;
    case 5: tile.template operator()<5>(at, ot); break;
    case 4: tile.template operator()<4>(at, ot); break;
    case 3: tile.template operator()<3>(at, ot); break;
    case 2: tile.template operator()<2>(at, ot); break;
    case 1: tile.template operator()<1>(at, ot); break;
    default: break;
  }
}

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int32_t hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

// acc[i] += sum of u[4i+j] * s[4i+j], j < 4 (u unsigned, s signed bytes). Without VNNI the pair
// sums pass through int16: callers keep 2 * max(u) * max|s| <= 32767 (u <= 127 with |s| <= 128).
inline __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) {
#if PLEXUS_X86_VNNI
  return _mm256_dpbusd_epi32(acc, u, s);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
#endif
}

// acc[i] += sc[2i] * (u[4i] s[4i] + u[4i+1] s[4i+1]) + sc[2i+1] * (u[4i+2] s[4i+2] + u[4i+3] s[4i+3])
// with sc as int16 lanes: the k-quant sub-block scales applied in integers. 2 * max(u) * max|s|
// must stay <= 32767 (u <= 63 with |s| <= 128 for every k-quant).
inline __m256i madd_scaled(__m256i acc, __m256i u, __m256i s, __m256i sc) {
#if PLEXUS_X86_VNNI
  return _mm256_dpwssd_epi32(acc, _mm256_maddubs_epi16(u, s), sc);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), sc));
#endif
}

// Signed x signed bytes through the unsigned x signed instruction: |w| * (s with w's sign).
// Exact for w in [-128, 127] and s in [-127, 127].
inline __m256i dot_s8s8(__m256i acc, __m256i w, __m256i s) {
  return dot_u8s8(acc, _mm256_sign_epi8(w, w), _mm256_sign_epi8(s, w));
}

// 16 bytes of packed nibbles -> 32 bytes: the low nibbles of p[0..15], then the high nibbles
// (the element order of Q4_0/Q4_1/Q5_x blocks).
inline __m256i unpack_nibbles(const uint8_t* p) {
  const __m128i x = load128(p);
  const __m128i m = _mm_set1_epi8(0x0f);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(x, 4), m), _mm_and_si128(x, m));
}

// Byte j = 0xff where bit j of `bits` is set, else 0.
inline __m256i bits_to_bytes(uint32_t bits) {
  const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)),
                                             _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                                               0x0101010101010101, 0x0000000000000000));
  const __m256i select = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select);
}

// The 8 six-bit scales and mins of a Q4_K/Q5_K super-block as bytes (see get_scale_min_k4 in
// tensor/quant_k.cpp): bytes 0-3 hold sc[0..3] and bytes 4-7 m[0..3] in their low 6 bits; bytes
// 8-11 the low 4 bits of sc[4..7] (low nibble) and m[4..7] (high nibble), whose top 2 bits are
// the top bits of bytes 0-3 (sc) and 4-7 (m).
inline void unpack_k4_scales(const uint8_t* packed, uint32_t sc[2], uint32_t m[2]) {
  const uint32_t a = load_u32(packed), b = load_u32(packed + 4), c = load_u32(packed + 8);
  sc[0] = a & 0x3f3f3f3fu;
  m[0] = b & 0x3f3f3f3fu;
  sc[1] = (c & 0x0f0f0f0fu) | (((a >> 6) & 0x03030303u) << 4);
  m[1] = ((c >> 4) & 0x0f0f0f0fu) | (((b >> 6) & 0x03030303u) << 4);
}

// The 16 six-bit Q3_K scales minus 32, as signed bytes (see block_q3_k): the low 4 bits of scale
// s are nibble s / 8 of byte s % 8, the top 2 bits sit in byte 8 + s % 4 at bit 2 * (s / 4).
inline __m128i unpack_q3_k_scales(const uint8_t* packed) {
  const uint32_t a = load_u32(packed), b = load_u32(packed + 4), h = load_u32(packed + 8);
  const uint32_t s0 = (a & 0x0f0f0f0fu) | (((h >> 0) & 0x03030303u) << 4);
  const uint32_t s1 = (b & 0x0f0f0f0fu) | (((h >> 2) & 0x03030303u) << 4);
  const uint32_t s2 = ((a >> 4) & 0x0f0f0f0fu) | (((h >> 4) & 0x03030303u) << 4);
  const uint32_t s3 = ((b >> 4) & 0x0f0f0f0fu) | (((h >> 6) & 0x03030303u) << 4);
  const __m128i v = _mm_set_epi32(static_cast<int>(s3), static_cast<int>(s2), static_cast<int>(s1), static_cast<int>(s0));
  return _mm_sub_epi8(v, _mm_set1_epi8(32));
}

// int16 lanes [s[g] x 8, s[g+1] x 8] from 16 signed byte scales: the scales of the two 16-element
// groups that a 32-byte chunk of quants spans.
inline __m256i group_pair_scales(__m128i s8, int g) {
  const __m128i idx = _mm_set_epi64x(0x0101010101010101ll * (g + 1), 0x0101010101010101ll * g);
  return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(s8, idx));
}

// The same lanes at one vpshufb per chunk where a row dot walks a whole super-block:
// prepare_pair_scales widens the 16 scales once (groups 8h .. 8h + 7 in both 128-bit lanes of
// half[h]), pick_pair_scales(p, h, k) = group_pair_scales(s8, 8h + 2k). Those dots are ALU-bound
// even from L3 (kernel bench from L3, median of 4: Q2_K +14%, Q3_K +4-7%; 1.1B Q3_K_M tg +1-5%).
struct pair_scales {
  __m256i half[2];
};
inline pair_scales prepare_pair_scales(__m128i s8) {
  const __m256i s16 = _mm256_cvtepi8_epi16(s8);
  return {{_mm256_permute2x128_si256(s16, s16, 0x00), _mm256_permute2x128_si256(s16, s16, 0x11)}};
}
inline __m256i pick_pair_scales(const pair_scales& p, int h, int k) {
  const __m256i idx = _mm256_setr_m128i(_mm_set1_epi16(static_cast<int16_t>(((4 * k + 1) << 8) | (4 * k))),
                                        _mm_set1_epi16(static_cast<int16_t>(((4 * k + 3) << 8) | (4 * k + 2))));
  return _mm256_shuffle_epi8(p.half[h], idx);
}

// int16 lanes all equal to scale j of 8 int16 scales held in both halves of s16.
inline __m256i broadcast_scale(__m256i s16, int j) {
  return _mm256_shuffle_epi8(s16, _mm256_set1_epi16(static_cast<int16_t>(((2 * j + 1) << 8) | (2 * j))));
}

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

// Force-included (-include) into the AVX-512 kernel sources for kernels_unit_tests_avx512_emulated:
// the AVX-512 intrinsics become SIMDe's portable implementations (libsimde-dev), so the AVX-512
// kernels' logic runs, and is checked against the reference, on a CPU without AVX-512 (this
// development VM, and CI machines like it). It checks what the intrinsics compute, not GCC's
// AVX-512 code generation; a machine with AVX-512 runs the native build's kernels_unit_tests.
//
// GCC's AVX-512 headers are kept out (their include guards defined first): their vector types
// would clash with SIMDe's. The few intrinsics SIMDe 0.7.4 lacks are defined below, lane by lane.
#pragma once

#define _AVX5124FMAPSINTRIN_H_INCLUDED
#define _AVX5124VNNIWINTRIN_H_INCLUDED
#define _AVX512BF16INTRIN_H_INCLUDED
#define _AVX512BF16VLINTRIN_H_INCLUDED
#define _AVX512BITALGINTRIN_H_INCLUDED
#define _AVX512BWINTRIN_H_INCLUDED
#define _AVX512CDINTRIN_H_INCLUDED
#define _AVX512DQINTRIN_H_INCLUDED
#define _AVX512ERINTRIN_H_INCLUDED
#define _AVX512FINTRIN_H_INCLUDED
#define __AVX512FP16INTRIN_H_INCLUDED
#define __AVX512FP16VLINTRIN_H_INCLUDED
#define _AVX512IFMAINTRIN_H_INCLUDED
#define _AVX512IFMAVLINTRIN_H_INCLUDED
#define _AVX512PFINTRIN_H_INCLUDED
#define __AVX512VBMI2INTRIN_H_INCLUDED
#define _AVX512VBMI2VLINTRIN_H_INCLUDED
#define _AVX512VBMIINTRIN_H_INCLUDED
#define _AVX512VBMIVLINTRIN_H_INCLUDED
#define _AVX512VLBWINTRIN_H_INCLUDED
#define _AVX512VLDQINTRIN_H_INCLUDED
#define _AVX512VLINTRIN_H_INCLUDED
#define __AVX512VNNIINTRIN_H_INCLUDED
#define _AVX512VNNIVLINTRIN_H_INCLUDED
#define _AVX512VP2INTERSECTINTRIN_H_INCLUDED
#define _AVX512VP2INTERSECTVLINTRIN_H_INCLUDED
#define _AVX512VPOPCNTDQINTRIN_H_INCLUDED
#define _AVX512VPOPCNTDQVLINTRIN_H_INCLUDED
#define _GFNIINTRIN_H_INCLUDED
#define __VAESINTRIN_H_INCLUDED
#define _VPCLMULQDQINTRIN_H_INCLUDED
#include <immintrin.h>
// SIMDe takes a defined BF16 guard to mean GCC's BF16 types exist.
#undef _AVX512BF16INTRIN_H_INCLUDED
#undef _AVX512BF16VLINTRIN_H_INCLUDED

#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

#include <cstdint>
#include <cstring>

namespace plexus_avx512_emulation {

// Lanes as plain arrays (SIMDe's private views are vector types, which do not bind to arrays).
template <typename Lane, int N, typename Vec>
inline void lanes(const Vec& v, Lane (&out)[N]) {
  static_assert(sizeof(out) == sizeof(v), "lane count and width must cover the vector");
  std::memcpy(out, &v, sizeof(out));
}
template <typename Vec, typename Lane, int N>
inline Vec vec(const Lane (&in)[N]) {
  Vec v;
  static_assert(sizeof(in) == sizeof(v), "lane count and width must cover the vector");
  std::memcpy(&v, in, sizeof(in));
  return v;
}

inline simde__m512 cvtepi32_ps(simde__m512i a) {
  int32_t in[16];
  float out[16];
  lanes(a, in);
  for (int i = 0; i < 16; ++i) out[i] = static_cast<float>(in[i]);
  return vec<simde__m512>(out);
}

// As GCC's _mm512_reduce_add_ps: halves added pairwise, 512 -> 256 -> 128 -> 64 -> 32 bits.
inline float reduce_add_ps(simde__m512 a) {
  float v[16];
  lanes(a, v);
  for (int width = 8; width >= 1; width /= 2) {
    for (int i = 0; i < width; ++i) v[i] = v[i] + v[i + width];
  }
  return v[0];
}

inline simde__m512 cvtph_ps(simde__m256i a) {
  uint16_t in[16];
  float out[16];
  lanes(a, in);
  for (int h = 0; h < 2; ++h) {  // the AVX2 F16C conversion, 8 lanes at a time (exact)
    _mm256_storeu_ps(out + 8 * h, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 8 * h))));
  }
  return vec<simde__m512>(out);
}

template <typename Out, typename In, int N, typename Vec>
inline simde__m512i widen(const Vec& a) {
  In in[N];
  Out out[N];
  lanes(a, in);
  for (int i = 0; i < N; ++i) out[i] = static_cast<Out>(in[i]);
  return vec<simde__m512i>(out);
}

inline simde__m512i cvtepi8_epi32(simde__m128i a) { return widen<int32_t, int8_t, 16>(a); }
inline simde__m512i cvtepu8_epi32(simde__m128i a) { return widen<int32_t, uint8_t, 16>(a); }
inline simde__m512i cvtepu8_epi16(simde__m256i a) { return widen<int16_t, uint8_t, 32>(a); }
inline simde__m512i cvtepi16_epi32(simde__m256i a) { return widen<int32_t, int16_t, 16>(a); }

inline simde__m512i maskz_loadu_epi16(uint32_t k, const void* p) {
  int16_t out[32] = {};
  for (int i = 0; i < 32; ++i) {
    if ((k >> i) & 1u) std::memcpy(&out[i], static_cast<const char*>(p) + 2 * i, 2);  // masked-off lanes are not read
  }
  return vec<simde__m512i>(out);
}

inline simde__m512i cvtepu16_epi32(simde__m256i a) { return widen<int32_t, uint16_t, 16>(a); }

// 128-bit lanes: a's lanes imm[1:0] and imm[3:2], then b's imm[5:4] and imm[7:6].
inline simde__m512 shuffle_f32x4(simde__m512 a, simde__m512 b, int imm) {
  float va[16], vb[16], out[16];
  lanes(a, va);
  lanes(b, vb);
  for (int lane = 0; lane < 4; ++lane) {
    const int from = (imm >> (2 * lane)) & 3;
    std::memcpy(out + 4 * lane, (lane < 2 ? va : vb) + 4 * from, 4 * sizeof(float));
  }
  return vec<simde__m512>(out);
}

// Within each 128-bit lane, element i takes the lane's element imm[2i+1:2i].
inline simde__m512 permute_ps(simde__m512 a, int imm) {
  float in[16], out[16];
  lanes(a, in);
  for (int i = 0; i < 16; ++i) out[i] = in[(i & ~3) + ((imm >> (2 * (i & 3))) & 3)];
  return vec<simde__m512>(out);
}

inline simde__m512 maskz_loadu_ps(uint16_t k, const void* p) {
  float out[16] = {};
  for (int i = 0; i < 16; ++i) {
    if ((k >> i) & 1u) std::memcpy(&out[i], static_cast<const char*>(p) + 4 * i, 4);
  }
  return vec<simde__m512>(out);
}

inline void mask_storeu_ps(void* p, uint16_t k, simde__m512 a) {
  float in[16];
  lanes(a, in);
  for (int i = 0; i < 16; ++i) {
    if ((k >> i) & 1u) std::memcpy(static_cast<char*>(p) + 4 * i, &in[i], 4);  // other lanes untouched
  }
}

}  // namespace plexus_avx512_emulation

typedef uint16_t __mmask16;
typedef uint32_t __mmask32;
#define _mm512_cvtepi32_ps(a) plexus_avx512_emulation::cvtepi32_ps(a)
#define _mm512_reduce_add_ps(a) plexus_avx512_emulation::reduce_add_ps(a)
#define _mm512_cvtph_ps(a) plexus_avx512_emulation::cvtph_ps(a)
#define _mm512_cvtepi8_epi32(a) plexus_avx512_emulation::cvtepi8_epi32(a)
#define _mm512_cvtepu8_epi32(a) plexus_avx512_emulation::cvtepu8_epi32(a)
#define _mm512_cvtepu8_epi16(a) plexus_avx512_emulation::cvtepu8_epi16(a)
#define _mm512_cvtepi16_epi32(a) plexus_avx512_emulation::cvtepi16_epi32(a)
#define _mm512_maskz_loadu_epi16(k, p) plexus_avx512_emulation::maskz_loadu_epi16(k, p)
#define _mm512_cvtepu16_epi32(a) plexus_avx512_emulation::cvtepu16_epi32(a)
#define _mm512_shuffle_f32x4(a, b, imm) plexus_avx512_emulation::shuffle_f32x4(a, b, imm)
#define _mm512_permute_ps(a, imm) plexus_avx512_emulation::permute_ps(a, imm)
#define _mm512_maskz_loadu_ps(k, p) plexus_avx512_emulation::maskz_loadu_ps(k, p)
#define _mm512_mask_storeu_ps(p, k, a) plexus_avx512_emulation::mask_storeu_ps(p, k, a)

// What the kernel sources test to pick their AVX-512 code (SIMDe, read above, would have taken
// these to mean the hardware instructions exist).
#define __AVX512F__ 1
#define __AVX512BW__ 1
#define __AVX512VL__ 1
#define __AVX512DQ__ 1
#define __AVX512VNNI__ 1
#define __AVX512BF16__ 1

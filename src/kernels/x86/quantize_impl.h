// Activation conversions (float rows -> Q8_0, Q8_1, Q8_K, F16, BF16) in 256-bit vectors,
// producing the same bytes as the reference quantizers in tensor/ (tests compare them): the same
// float operations on every element, NaN and infinity handled as the reference's saturating
// conversions do, and the same tie rules (Q8_0/Q8_1 round half away from zero, Q8_K to nearest
// even, the first element of largest magnitude picks the Q8_K scale). Included by avx2_dot.cpp
// and avx512_dot.cpp (see simd_common.h).
// Thread-safe: pure functions.
#pragma once

#include "kernels/x86/simd_common.h"
#include "tensor/blocks.h"

namespace plexus::kernels::x86::PLEXUS_X86_NS {
namespace {

inline __m256 abs_ps(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

// max |x[j]| over 8 * n_vec floats; NaN elements are skipped, like std::max(amax, fabs(x)):
// vmaxps returns its second operand when the first is NaN.
inline float abs_max(const float* x, int n_vec) {
  __m256 m = _mm256_setzero_ps();
  for (int j = 0; j < n_vec; ++j) m = _mm256_max_ps(abs_ps(_mm256_loadu_ps(x + 8 * j)), m);
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h);
}

// NaN -> 0, then clamped to [lo, hi]: what the reference's clamp(trunc_to_int(round(v))) gives
// for NaN and out-of-range values, applied before rounding (equivalent, as lo and hi are integers).
inline __m256 sanitize(__m256 v, float lo, float hi) {
  v = _mm256_and_ps(v, _mm256_cmp_ps(v, v, _CMP_ORD_Q));
  return _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(lo)), _mm256_set1_ps(hi));
}

// std::round (half away from zero) of values with |v| < 2^23: truncate, then step away from zero
// when the (exact) fraction is at least one half.
inline __m256i round_half_away(__m256 v) {
  const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 up = _mm256_cmp_ps(abs_ps(_mm256_sub_ps(v, t)), _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  const __m256 step = _mm256_or_ps(_mm256_set1_ps(1.0f), _mm256_and_ps(v, _mm256_set1_ps(-0.0f)));
  return _mm256_cvttps_epi32(_mm256_add_ps(t, _mm256_and_ps(up, step)));
}

// 4 x 8 int32 (each within int8 range) -> 32 int8 in order.
inline __m256i pack_i32_to_i8(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i abcd = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
  return _mm256_permutevar8x32_epi32(abcd, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// One 32-element block as quantize_row_q8_0 / q8_1 do; returns the sum of the quants and the
// float scale (before its fp16 rounding).
inline int32_t quantize_block_q8(const float* x, uint16_t* d_out, int8_t* qs, float* d_float) {
  const float amax = abs_max(x, 4);
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  *d_out = f32_to_f16(d);
  *d_float = d;
  const __m256 vid = _mm256_set1_ps(id);
  __m256i q[4];
  for (int j = 0; j < 4; ++j) q[j] = round_half_away(sanitize(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * j), vid), -127.0f, 127.0f));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs), pack_i32_to_i8(q[0], q[1], q[2], q[3]));
  return hsum_i32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
}

void quantize_q8_0(const float* x, void* out, int64_t n) {
  auto* y = static_cast<tensor::block_q8_0*>(out);
  float d;
  for (int64_t i = 0; i < n / tensor::qk8_0; ++i) quantize_block_q8(x + 32 * i, &y[i].d, y[i].qs, &d);
}

void quantize_q8_1(const float* x, void* out, int64_t n) {
  auto* y = static_cast<tensor::block_q8_1*>(out);
  for (int64_t i = 0; i < n / tensor::qk8_1; ++i) {
    float d;
    const int32_t sum = quantize_block_q8(x + 32 * i, &y[i].d, y[i].qs, &d);
    y[i].s = f32_to_f16(static_cast<float>(sum) * d);
  }
}

void quantize_q8_k(const float* x, void* out, int64_t n) {
  auto* y = static_cast<tensor::block_q8_k*>(out);
  for (int64_t i = 0; i < n / tensor::qk_k; ++i) {
    const float* p = x + tensor::qk_k * i;
    const float amax = abs_max(p, 32);
    if (amax == 0.0f) {
      y[i].d = 0.0f;
      std::memset(y[i].qs, 0, sizeof(y[i].qs));
      std::memset(y[i].bsums, 0, sizeof(y[i].bsums));
      continue;
    }
    // The first element of magnitude amax, with its sign (amax is not NaN, so NaNs never match).
    float max = 0.0f;
    const __m256 va = _mm256_set1_ps(amax);
    for (int j = 0; j < 32; ++j) {
      const int mask = _mm256_movemask_ps(_mm256_cmp_ps(abs_ps(_mm256_loadu_ps(p + 8 * j)), va, _CMP_EQ_OQ));
      if (mask != 0) {
        max = p[8 * j + __builtin_ctz(static_cast<unsigned>(mask))];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m256 vs = _mm256_set1_ps(iscale);
    for (int c = 0; c < 8; ++c) {  // 32 elements = two bsums groups per chunk
      __m256i q[4];
      // nearbyint in the current rounding mode, as the reference (vcvtps2dq uses MXCSR).
      for (int j = 0; j < 4; ++j) q[j] = _mm256_cvtps_epi32(sanitize(_mm256_mul_ps(vs, _mm256_loadu_ps(p + 32 * c + 8 * j)), -128.0f, 127.0f));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[i].qs + 32 * c), pack_i32_to_i8(q[0], q[1], q[2], q[3]));
      y[i].bsums[2 * c] = static_cast<int16_t>(hsum_i32(_mm256_add_epi32(q[0], q[1])));
      y[i].bsums[2 * c + 1] = static_cast<int16_t>(hsum_i32(_mm256_add_epi32(q[2], q[3])));
    }
    y[i].d = 1.0f / iscale;
  }
}

void quantize_f16(const float* x, void* out, int64_t n) {
  auto* y = static_cast<uint16_t*>(out);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) y[i] = f32_to_f16(x[i]);
}

// tensor::fp32_to_bf16 on 8 lanes: round to nearest even on the upper half; NaN -> (x >> 16) | 0x40.
inline __m128i f32_to_bf16x8(__m256 v) {
  const __m256i x = _mm256_castps_si256(v);
  const __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(x, _mm256_set1_epi32(0x7fffffff)), _mm256_set1_epi32(0x7f800000));
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
  const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7fff)), lsb), 16);
  const __m256i nan = _mm256_or_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(0x40));
  const __m256i r = _mm256_blendv_epi8(rounded, nan, is_nan);
  return _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08));
}

inline uint16_t f32_to_bf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof(x));
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

void quantize_bf16(const float* x, void* out, int64_t n) {
  auto* y = static_cast<uint16_t*>(out);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), f32_to_bf16x8(_mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = f32_to_bf16(x[i]);
}

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

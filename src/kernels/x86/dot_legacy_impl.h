// Row dot products (one weight row . one activation row) of the float types and of the 32-element
// block types, in 256-bit vectors. Included by avx2_dot.cpp and avx512_dot.cpp (see
// simd_common.h). Each follows the reference's arithmetic per block (integer block sums, then the
// block's scale product) but sums the blocks in vector lanes, so results differ from
// tensor::vec_dot only in float summation order. Decode (one token) is memory-bound: two
// independent accumulators per loop are enough to keep up with the weight stream.
// Thread-safe: pure functions.
#pragma once

#include "kernels/x86/simd_common.h"
#include "tensor/blocks.h"

namespace plexus::kernels::x86::PLEXUS_X86_NS {
namespace {

inline float bf16_bits_to_f32(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

inline __m256 load_f16x8(const uint16_t* p) { return _mm256_cvtph_ps(load128(p)); }
inline __m256 load_bf16x8(const uint16_t* p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load128(p)), 16));
}

// Float rows: 4 x 8 lanes of FMA, then a scalar tail (n is any length).
template <class Load, class Scalar>
inline float dot_float_rows(int64_t n, Load load, Scalar scalar) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(load(0, i), load(1, i), acc0);
    acc1 = _mm256_fmadd_ps(load(0, i + 8), load(1, i + 8), acc1);
    acc2 = _mm256_fmadd_ps(load(0, i + 16), load(1, i + 16), acc2);
    acc3 = _mm256_fmadd_ps(load(0, i + 24), load(1, i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(load(0, i), load(1, i), acc0);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) sum += scalar(i);
  return sum;
}

float dot_f32_f32(int64_t n, const void* w, const void* a) {
  const float* x[2] = {static_cast<const float*>(w), static_cast<const float*>(a)};
  return dot_float_rows(
      n, [&](int s, int64_t i) { return _mm256_loadu_ps(x[s] + i); }, [&](int64_t i) { return x[0][i] * x[1][i]; });
}

float dot_f16_f16(int64_t n, const void* w, const void* a) {
  const uint16_t* x[2] = {static_cast<const uint16_t*>(w), static_cast<const uint16_t*>(a)};
  return dot_float_rows(
      n, [&](int s, int64_t i) { return load_f16x8(x[s] + i); },
      [&](int64_t i) { return f16_to_f32(x[0][i]) * f16_to_f32(x[1][i]); });
}

float dot_bf16_bf16(int64_t n, const void* w, const void* a) {
  const uint16_t* x[2] = {static_cast<const uint16_t*>(w), static_cast<const uint16_t*>(a)};
  return dot_float_rows(
      n, [&](int s, int64_t i) { return load_bf16x8(x[s] + i); },
      [&](int64_t i) { return bf16_bits_to_f32(x[0][i]) * bf16_bits_to_f32(x[1][i]); });
}

// Runs block(i, acc) over nb blocks, alternating two accumulators; returns their lane sum.
template <class Block>
inline float sum_blocks(int64_t nb, Block block) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    acc0 = block(i, acc0);
    acc1 = block(i + 1, acc1);
  }
  if (i < nb) acc0 = block(i, acc0);
  return hsum(_mm256_add_ps(acc0, acc1));
}

inline __m256 scale_block(__m256i isum, float d, __m256 acc) {
  return _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc);
}

float dot_q4_0_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const tensor::block_q4_0*>(w);
  const auto* y = static_cast<const tensor::block_q8_0*>(a);
  const __m256i eight = _mm256_set1_epi8(8);
  return sum_blocks(n / tensor::qk8_0, [&](int64_t i, __m256 acc) {
    const __m256i q = _mm256_sub_epi8(unpack_nibbles(x[i].qs), eight);
    const __m256i p = dot_s8s8(_mm256_setzero_si256(), q, load256(y[i].qs));
    return scale_block(p, f16_to_f32(x[i].d) * f16_to_f32(y[i].d), acc);
  });
}

float dot_q4_1_q8_1(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const tensor::block_q4_1*>(w);
  const auto* y = static_cast<const tensor::block_q8_1*>(a);
  const int64_t nb = n / tensor::qk8_1;
  float mins = 0.0f;
  for (int64_t i = 0; i < nb; ++i) mins += f16_to_f32(x[i].m) * f16_to_f32(y[i].s);
  return mins + sum_blocks(nb, [&](int64_t i, __m256 acc) {
           const __m256i p = dot_u8s8(_mm256_setzero_si256(), unpack_nibbles(x[i].qs), load256(y[i].qs));
           return scale_block(p, f16_to_f32(x[i].d) * f16_to_f32(y[i].d), acc);
         });
}

float dot_q5_0_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const tensor::block_q5_0*>(w);
  const auto* y = static_cast<const tensor::block_q8_0*>(a);
  const __m256i f0 = _mm256_set1_epi8(static_cast<char>(0xf0));
  return sum_blocks(n / tensor::qk8_0, [&](int64_t i, __m256 acc) {
    // (nibble | bit4) - 16 as a byte: the nibble where bit 4 is set, else nibble | 0xf0.
    const __m256i q = _mm256_or_si256(unpack_nibbles(x[i].qs), _mm256_andnot_si256(bits_to_bytes(load_u32(x[i].qh)), f0));
    const __m256i p = dot_s8s8(_mm256_setzero_si256(), q, load256(y[i].qs));
    return scale_block(p, f16_to_f32(x[i].d) * f16_to_f32(y[i].d), acc);
  });
}

float dot_q5_1_q8_1(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const tensor::block_q5_1*>(w);
  const auto* y = static_cast<const tensor::block_q8_1*>(a);
  const int64_t nb = n / tensor::qk8_1;
  const __m256i bit4 = _mm256_set1_epi8(0x10);
  float mins = 0.0f;
  for (int64_t i = 0; i < nb; ++i) mins += f16_to_f32(x[i].m) * f16_to_f32(y[i].s);
  return mins + sum_blocks(nb, [&](int64_t i, __m256 acc) {
           const __m256i u = _mm256_or_si256(unpack_nibbles(x[i].qs), _mm256_and_si256(bits_to_bytes(load_u32(x[i].qh)), bit4));
           const __m256i p = dot_u8s8(_mm256_setzero_si256(), u, load256(y[i].qs));
           return scale_block(p, f16_to_f32(x[i].d) * f16_to_f32(y[i].d), acc);
         });
}

float dot_q8_0_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const tensor::block_q8_0*>(w);
  const auto* y = static_cast<const tensor::block_q8_0*>(a);
  return sum_blocks(n / tensor::qk8_0, [&](int64_t i, __m256 acc) {
    const __m256i p = dot_s8s8(_mm256_setzero_si256(), load256(x[i].qs), load256(y[i].qs));
    return scale_block(p, f16_to_f32(x[i].d) * f16_to_f32(y[i].d), acc);
  });
}

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

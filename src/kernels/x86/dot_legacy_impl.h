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

// Row panel of a Q8_0 / Q8_1 activation row for the 4- and 5-bit block types (nb = k / 32 blocks,
// ng = nb / 8 rounded up):
//   s8 q[256 * ng] | f32 d[8 * ng] | f32 fb[8 * ng]          (zeros past block nb)
// Pair p (blocks 2p, 2p + 1) holds a_2p[0..15], a_2p+1[0..15], a_2p[16..31], a_2p+1[16..31]: the
// order in which one 32-byte load of the two weight blocks' packed nibbles unpacks (low nibbles
// are elements 0..15, high nibbles 16..31). d is the block scale and fb = d * sum(a) for Q8_0, the
// stored s for Q8_1, both as f32, so that a weight row needs no per-block conversion of them.
struct row_layout {
  int64_t nb, ng;
  uint64_t d_off, fb_off, bytes;
  explicit row_layout(int64_t k)
      : nb(k / 32), ng((k / 32 + 7) / 8), d_off(256 * static_cast<uint64_t>(ng)), fb_off(d_off + 32 * static_cast<uint64_t>(ng)),
        bytes(fb_off + 32 * static_cast<uint64_t>(ng)) {}
};

uint64_t legacy_row_bytes(int64_t k) { return row_layout(k).bytes; }

template <class Block>
void pack_row_acts_legacy(const uint8_t* src, int64_t k, uint8_t* panel) {
  const row_layout L(k);
  const auto* y = reinterpret_cast<const Block*>(src);
  float* d = reinterpret_cast<float*>(panel + L.d_off);
  float* fb = reinterpret_cast<float*>(panel + L.fb_off);
  std::memset(panel, 0, static_cast<size_t>(L.bytes));
  for (int64_t b = 0; b < L.nb; ++b) {
    uint8_t* pair = panel + 64 * (b / 2) + 16 * (b % 2);
    std::memcpy(pair, y[b].qs, 16);
    std::memcpy(pair + 32, y[b].qs + 16, 16);
    d[b] = f16_to_f32(y[b].d);
    if constexpr (sizeof(Block) == sizeof(tensor::block_q8_1)) {
      fb[b] = f16_to_f32(y[b].s);
    } else {
      int sum = 0;
      for (int j = 0; j < 32; ++j) sum += y[b].qs[j];
      fb[b] = d[b] * static_cast<float>(sum);
    }
  }
}

// 8 fp16 fields (d or m) of consecutive blocks as f32; blocks from `count` on read as 0.
template <class Block, bool kM>
inline __m256 block_scales8(const Block* x, int count) {
  const auto field = [&](int i) -> short {
    if (i >= count) return 0;
    if constexpr (kM) {
      return static_cast<short>(x[i].m);
    } else {
      return static_cast<short>(x[i].d);
    }
  };
  return _mm256_cvtph_ps(
      _mm_setr_epi16(field(0), field(1), field(2), field(3), field(4), field(5), field(6), field(7)));
}

// Q4_0, Q4_1, Q5_0, Q5_1 against a row panel. Per pair of blocks: one 32-byte load of the packed
// nibbles, two u8 x s8 dots (int32 lanes 0-3: first block, 4-7: second), one FMA with the pair's
// scale products d_w * d_a; the scales of 8 blocks are converted together. The quants are used
// unsigned (q in [0, 15] or [0, 31]); the offset of Q4_0 / Q5_0 (8 / 16) and the min of Q4_1 /
// Q5_1 come from sum over blocks of (-offset * d_w or m) * fb.
// One group of up to 8 blocks; kFull: all 8 are there (the loop below then unrolls).
template <class Block, bool kFull>
inline void dot_legacy_group(const Block* x, const uint8_t* q, const float* d_act, const float* fb, int count,
                             __m256& acc, __m256& corr) {
  constexpr bool kFive = sizeof(Block) == sizeof(tensor::block_q5_0) || sizeof(Block) == sizeof(tensor::block_q5_1);
  constexpr bool kMin = sizeof(Block) == sizeof(tensor::block_q4_1) || sizeof(Block) == sizeof(tensor::block_q5_1);
  if constexpr (kFull) count = 8;
  const __m256i m4 = _mm256_set1_epi8(0x0f);
  const __m256 dw = block_scales8<Block, false>(x, count);
  const __m256 dd = _mm256_mul_ps(dw, _mm256_loadu_ps(d_act));
  if constexpr (kMin) {
    corr = _mm256_fmadd_ps(block_scales8<Block, true>(x, count), _mm256_loadu_ps(fb), corr);
  } else {
    corr = _mm256_fmadd_ps(dw, _mm256_loadu_ps(fb), corr);
  }
  for (int k = 0; k < 4; ++k) {
    if (!kFull && 2 * k >= count) break;
    const bool has_second = kFull || 2 * k + 1 < count;
    const __m128i second_qs = has_second ? load128(x[2 * k + 1].qs) : _mm_setzero_si128();
    const __m256i packed = _mm256_set_m128i(second_qs, load128(x[2 * k].qs));
    __m256i lo = _mm256_and_si256(packed, m4);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), m4);
    if constexpr (kFive) {
      const uint32_t h0 = load_u32(x[2 * k].qh);
      const uint32_t h1 = has_second ? load_u32(x[2 * k + 1].qh) : 0u;
      const __m256i bit4 = _mm256_set1_epi8(0x10);
      lo = _mm256_or_si256(lo, _mm256_and_si256(bits_to_bytes((h0 & 0xffffu) | (h1 << 16)), bit4));
      hi = _mm256_or_si256(hi, _mm256_and_si256(bits_to_bytes((h0 >> 16) | (h1 & 0xffff0000u)), bit4));
    }
    const __m256i p = dot_u8s8(dot_u8s8(_mm256_setzero_si256(), lo, load256(q + 64 * k)), hi, load256(q + 64 * k + 32));
    const __m256 scale = _mm256_permutevar8x32_ps(dd, _mm256_setr_epi32(2 * k, 2 * k, 2 * k, 2 * k, 2 * k + 1, 2 * k + 1, 2 * k + 1, 2 * k + 1));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), scale, acc);
  }
}

template <class Block>
float dot_legacy_row(int64_t n, const void* w, const void* a) {
  constexpr bool kFive = sizeof(Block) == sizeof(tensor::block_q5_0) || sizeof(Block) == sizeof(tensor::block_q5_1);
  constexpr bool kMin = sizeof(Block) == sizeof(tensor::block_q4_1) || sizeof(Block) == sizeof(tensor::block_q5_1);
  const auto* x = static_cast<const Block*>(w);
  const auto* panel = static_cast<const uint8_t*>(a);
  const row_layout L(n);
  const auto* d_act = reinterpret_cast<const float*>(panel + L.d_off);
  const auto* fb = reinterpret_cast<const float*>(panel + L.fb_off);
  __m256 acc = _mm256_setzero_ps(), corr = _mm256_setzero_ps();
  const int64_t full = L.nb / 8;
  for (int64_t g = 0; g < full; ++g) {
    prefetch_ahead(x + 8 * g, 8 * sizeof(Block));
    dot_legacy_group<Block, true>(x + 8 * g, panel + 256 * g, d_act + 8 * g, fb + 8 * g, 8, acc, corr);
  }
  if (full < L.ng) {
    const int64_t g = full;
    dot_legacy_group<Block, false>(x + 8 * g, panel + 256 * g, d_act + 8 * g, fb + 8 * g, static_cast<int>(L.nb - 8 * g), acc,
                                   corr);
  }
  constexpr float kOffset = kMin ? 1.0f : (kFive ? -16.0f : -8.0f);
  return hsum(acc) + kOffset * hsum(corr);
}

float dot_q4_0_row(int64_t n, const void* w, const void* a) { return dot_legacy_row<tensor::block_q4_0>(n, w, a); }
float dot_q4_1_row(int64_t n, const void* w, const void* a) { return dot_legacy_row<tensor::block_q4_1>(n, w, a); }
float dot_q5_0_row(int64_t n, const void* w, const void* a) { return dot_legacy_row<tensor::block_q5_0>(n, w, a); }
float dot_q5_1_row(int64_t n, const void* w, const void* a) { return dot_legacy_row<tensor::block_q5_1>(n, w, a); }

float dot_q8_0_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const tensor::block_q8_0*>(w);
  const auto* y = static_cast<const tensor::block_q8_0*>(a);
  return sum_blocks(n / tensor::qk8_0, [&](int64_t i, __m256 acc) {
    if (i % 2 == 0) prefetch_ahead(x + i, 2 * sizeof(x[i]));
    const __m256i p = dot_s8s8(_mm256_setzero_si256(), load256(x[i].qs), load256(y[i].qs));
    return scale_block(p, f16_to_f32(x[i].d) * f16_to_f32(y[i].d), acc);
  });
}

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

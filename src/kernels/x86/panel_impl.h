// Panels: weight rows and activation rows repacked, once per matmul, into the layout the gemm
// register tiles read with plain vector loads (see gemm_impl.h). Included by avx2_gemm.cpp and
// avx512_gemm.cpp (see simd_common.h). Every section is zero-padded to a multiple of 64 bytes, so
// that 512-bit loads may run past the last block: padded quants and scales are 0 and add nothing.
//
// 32-element block types (Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 against Q8_0/Q8_1 activations), kp = k
// rounded up to 64, nc = kp / 32 rounded up to 16:
//   weights: u8 u[kp]  | f32 dexp[kp / 4] | f32 c[nc]
//   acts:    s8 s[kp]  | f32 dexp[kp / 4] | f32 fb[nc]
// u are the quants as unsigned bytes in element order, dexp each block's scale repeated over the
// 8 int32 lanes its 32 bytes feed, and the block's dot is
//   d_w * d_a * sum(u * s) + c * fb
// with (c, fb) = (-offset * d_w, d_a * sum(s)) for Q4_0 (offset 8), Q5_0 (16) and Q8_0 (128:
// u = w + 128), and (m, fp16 s of the Q8_1 block) for Q4_1/Q5_1, as the reference's min term.
// Without VNNI, u * s pair sums pass through int16, so Q8_0 keeps signed bytes (u = w, c = 0) and
// its tile multiplies them with the sign trick.
//
// The 512-bit tile uses the chunked variant (legacy_chunk_layout): kp = k rounded up to 256 and
// the scales stored once per block, 16 floats per 256-element chunk in the lane order of the
// tile's reduced integer sums (see chunk_lane):
//   weights: u8 u[kp]  | f32 dperm[kp / 16] | f32 c[nc]
//   acts:    s8 s[kp]  | f32 dperm[kp / 16] | f32 fb[nc]
//
// k-quants (k a multiple of 256; nd = k / 256 rounded up to 16):
//   weights: u8 u[k] | i16 sc[k / 2] | f32 d[nd] | f32 c[k / 16]
//   acts:    s8 s[k] | f32 d[nd]     | f32 fb[k / 16]
// sc holds each 16-bit lane's sub-block scale (lane i covers elements 2i, 2i + 1) and the dot is
//   sum over super-blocks of d_w * d_a * sum(sc * u * s), plus sum over 16-element groups of c * fb
// with fb = d_a * bsum and c = -dmin * min (Q2_K, Q4_K, Q5_K) or -offset * d * scale (Q3_K:
// u = q + 4, offset 4; Q6_K: u = q + 32, offset 32).
// Thread-safe: pure functions.
#pragma once

#include "kernels/x86/simd_common.h"
#include "tensor/blocks.h"

namespace plexus::kernels::x86::PLEXUS_X86_NS {
namespace {

constexpr int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

struct legacy_layout {
  int64_t k, kp, nb, nc;
  uint64_t dexp_off, corr_off, bytes;
  explicit legacy_layout(int64_t k_)
      : k(k_), kp(round_up(k_, 64)), nb(k_ / 32), nc(round_up(kp / 32, 16)), dexp_off(static_cast<uint64_t>(kp)),
        corr_off(static_cast<uint64_t>(2 * kp)), bytes(static_cast<uint64_t>(round_up(2 * kp + 4 * nc, 64))) {}
};

struct kquant_layout {
  int64_t k, nsb, nd;
  uint64_t w_sc_off, w_d_off, w_c_off, w_bytes;
  uint64_t a_d_off, a_fb_off, a_bytes;
  explicit kquant_layout(int64_t k_)
      : k(k_), nsb(k_ / 256), nd(round_up(k_ / 256, 16)), w_sc_off(static_cast<uint64_t>(k_)),
        w_d_off(static_cast<uint64_t>(2 * k_)), w_c_off(w_d_off + 4 * static_cast<uint64_t>(nd)),
        w_bytes(w_c_off + static_cast<uint64_t>(k_ / 4)), a_d_off(static_cast<uint64_t>(k_)),
        a_fb_off(a_d_off + 4 * static_cast<uint64_t>(nd)), a_bytes(a_fb_off + static_cast<uint64_t>(k_ / 4)) {}
};

// The chunked variant for the 512-bit tile: a chunk of 256 elements is 8 blocks in 4 vectors of
// 64 bytes (vector q holds blocks 2q and 2q + 1). The tile reduces the 4 vectors' 16 int32 lanes
// to one vector whose lane 4c + q is the sum of vector q's 128-bit quarter c: quarters 0, 1 hold
// block 2q, quarters 2, 3 block 2q + 1. So block i of a chunk owns lanes 4c + i / 2 for c in
// {0, 1} (i even) or {2, 3} (i odd), and its scale is stored in both.
struct legacy_chunk_layout {
  int64_t k, kp, nb, nc;
  uint64_t dexp_off, corr_off, bytes;
  explicit legacy_chunk_layout(int64_t k_)
      : k(k_), kp(round_up(k_, 256)), nb(k_ / 32), nc(round_up(kp / 32, 16)), dexp_off(static_cast<uint64_t>(kp)),
        corr_off(static_cast<uint64_t>(kp + kp / 4)), bytes(static_cast<uint64_t>(round_up(kp + kp / 4 + 4 * nc, 64))) {}
  static void store_scale(float* dexp, int64_t b, float d) {
    const int64_t i = b % 8;
    float* chunk = dexp + 16 * (b / 8);
    const int64_t c0 = i % 2 == 0 ? 0 : 2;
    chunk[4 * c0 + i / 2] = d;
    chunk[4 * (c0 + 1) + i / 2] = d;
  }
  void pad_scales(float* dexp) const {
    std::memset(dexp, 0, static_cast<size_t>(kp / 16) * sizeof(float));  // then every block stores its own
  }
};

// The 256-bit layout: each block's scale repeated over its 8 lanes.
struct legacy_lane_layout : legacy_layout {
  explicit legacy_lane_layout(int64_t k_) : legacy_layout(k_) {}
  static void store_scale(float* dexp, int64_t b, float d) { _mm256_storeu_ps(dexp + 8 * b, _mm256_set1_ps(d)); }
  void pad_scales(float* dexp) const { std::memset(dexp + 8 * nb, 0, static_cast<size_t>(kp / 4 - 8 * nb) * sizeof(float)); }
};

uint64_t legacy_panel_bytes(int64_t k) { return legacy_layout(k).bytes; }
inline uint64_t legacy_chunk_panel_bytes(int64_t k) { return legacy_chunk_layout(k).bytes; }
uint64_t kquant_weight_panel_bytes(int64_t k) { return kquant_layout(k).w_bytes; }
uint64_t kquant_act_panel_bytes(int64_t k) { return kquant_layout(k).a_bytes; }
uint64_t f32_panel_bytes(int64_t k) { return static_cast<uint64_t>(round_up(4 * k, 64)); }

inline float* floats_at(uint8_t* panel, uint64_t offset) { return reinterpret_cast<float*>(panel + offset); }

inline void store256(void* p, __m256i v) { _mm256_storeu_si256(static_cast<__m256i*>(p), v); }

// ---- 32-element block types -----------------------------------------------------------------

// decode(block, u) writes the block's 32 unsigned quants and returns {d, c}.
struct block_scales {
  float d, c;
};

template <class Layout, class Block, class Decode>
inline void pack_legacy_weights(const uint8_t* src, int64_t k, uint8_t* panel, Decode decode) {
  const Layout L(k);
  const auto* x = reinterpret_cast<const Block*>(src);
  float* dexp = floats_at(panel, L.dexp_off);
  float* c = floats_at(panel, L.corr_off);
  L.pad_scales(dexp);
  for (int64_t b = 0; b < L.nb; ++b) {
    const block_scales s = decode(x[b], panel + 32 * b);
    Layout::store_scale(dexp, b, s.d);
    c[b] = s.c;
  }
  std::memset(panel + 32 * L.nb, 0, static_cast<size_t>(L.kp - 32 * L.nb));
  std::memset(c + L.nb, 0, static_cast<size_t>(L.nc - L.nb) * sizeof(float));
}

template <class Layout>
void pack_weights_q4_0(const uint8_t* src, int64_t k, uint8_t* panel) {
  pack_legacy_weights<Layout, tensor::block_q4_0>(src, k, panel, [](const tensor::block_q4_0& x, uint8_t* u) {
    store256(u, unpack_nibbles(x.qs));
    const float d = f16_to_f32(x.d);
    return block_scales{d, -8.0f * d};
  });
}

template <class Layout>
void pack_weights_q4_1(const uint8_t* src, int64_t k, uint8_t* panel) {
  pack_legacy_weights<Layout, tensor::block_q4_1>(src, k, panel, [](const tensor::block_q4_1& x, uint8_t* u) {
    store256(u, unpack_nibbles(x.qs));
    return block_scales{f16_to_f32(x.d), f16_to_f32(x.m)};
  });
}

template <class Layout>
void pack_weights_q5_0(const uint8_t* src, int64_t k, uint8_t* panel) {
  pack_legacy_weights<Layout, tensor::block_q5_0>(src, k, panel, [](const tensor::block_q5_0& x, uint8_t* u) {
    const __m256i high = _mm256_and_si256(bits_to_bytes(load_u32(x.qh)), _mm256_set1_epi8(0x10));
    store256(u, _mm256_or_si256(unpack_nibbles(x.qs), high));
    const float d = f16_to_f32(x.d);
    return block_scales{d, -16.0f * d};
  });
}

template <class Layout>
void pack_weights_q5_1(const uint8_t* src, int64_t k, uint8_t* panel) {
  pack_legacy_weights<Layout, tensor::block_q5_1>(src, k, panel, [](const tensor::block_q5_1& x, uint8_t* u) {
    const __m256i high = _mm256_and_si256(bits_to_bytes(load_u32(x.qh)), _mm256_set1_epi8(0x10));
    store256(u, _mm256_or_si256(unpack_nibbles(x.qs), high));
    return block_scales{f16_to_f32(x.d), f16_to_f32(x.m)};
  });
}

// Unsigned (w + 128, for vpdpbusd) or signed (for the sign trick without VNNI).
template <class Layout, bool kSigned>
void pack_weights_q8_0(const uint8_t* src, int64_t k, uint8_t* panel) {
  pack_legacy_weights<Layout, tensor::block_q8_0>(src, k, panel, [](const tensor::block_q8_0& x, uint8_t* u) {
    const __m256i w = load256(x.qs);
    const float d = f16_to_f32(x.d);
    if constexpr (kSigned) {
      store256(u, w);
      return block_scales{d, 0.0f};
    } else {
      store256(u, _mm256_xor_si256(w, _mm256_set1_epi8(static_cast<char>(0x80))));
      return block_scales{d, -128.0f * d};
    }
  });
}

// Q8_0 (fb = d * sum(qs)) or Q8_1 (fb = its stored s) activation rows.
template <class Layout, class Block>
void pack_acts_legacy(const uint8_t* src, int64_t k, uint8_t* panel) {
  const Layout L(k);
  const auto* y = reinterpret_cast<const Block*>(src);
  float* dexp = floats_at(panel, L.dexp_off);
  float* fb = floats_at(panel, L.corr_off);
  L.pad_scales(dexp);
  for (int64_t b = 0; b < L.nb; ++b) {
    const __m256i s = load256(y[b].qs);
    store256(panel + 32 * b, s);
    const float d = f16_to_f32(y[b].d);
    Layout::store_scale(dexp, b, d);
    if constexpr (sizeof(Block) == sizeof(tensor::block_q8_1)) {
      fb[b] = f16_to_f32(y[b].s);
    } else {
      const __m256i pairs = _mm256_maddubs_epi16(_mm256_set1_epi8(1), s);
      fb[b] = d * static_cast<float>(hsum_i32(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1))));
    }
  }
  std::memset(panel + 32 * L.nb, 0, static_cast<size_t>(L.kp - 32 * L.nb));
  std::memset(fb + L.nb, 0, static_cast<size_t>(L.nc - L.nb) * sizeof(float));
}

// ---- k-quants ---------------------------------------------------------------------------------

// decode(block, u, sc, c) writes the super-block's 256 unsigned quants, 128 int16 lane scales and
// 16 group corrections, and returns d.
template <class Block, class Decode>
inline void pack_kquant_weights(const uint8_t* src, int64_t k, uint8_t* panel, Decode decode) {
  const kquant_layout L(k);
  const auto* x = reinterpret_cast<const Block*>(src);
  float* d = floats_at(panel, L.w_d_off);
  float* c = floats_at(panel, L.w_c_off);
  for (int64_t b = 0; b < L.nsb; ++b) d[b] = decode(x[b], panel + 256 * b, panel + L.w_sc_off + 256 * b, c + 16 * b);
  std::memset(d + L.nsb, 0, static_cast<size_t>(L.nd - L.nsb) * sizeof(float));
}

void pack_weights_q2_k(const uint8_t* src, int64_t k, uint8_t* panel) {
  pack_kquant_weights<tensor::block_q2_k>(src, k, panel, [](const tensor::block_q2_k& x, uint8_t* u, uint8_t* sc, float* c) {
    const __m128i packed = load128(x.scales);
    const __m128i s8 = _mm_and_si128(packed, _mm_set1_epi8(0x0f));
    for (int h = 0; h < 2; ++h) {
      const __m256i q = load256(x.qs + 32 * h);
      for (int k4 = 0; k4 < 4; ++k4) {
        store256(u + 128 * h + 32 * k4, _mm256_and_si256(_mm256_srli_epi16(q, 2 * k4), _mm256_set1_epi8(3)));
        store256(sc + 128 * h + 32 * k4, group_pair_scales(s8, 8 * h + 2 * k4));
      }
    }
    const float dmin = f16_to_f32(x.dmin);
    for (int g = 0; g < 16; ++g) c[g] = -dmin * static_cast<float>(x.scales[g] >> 4);
    return f16_to_f32(x.d);
  });
}

void pack_weights_q3_k(const uint8_t* src, int64_t k, uint8_t* panel) {
  pack_kquant_weights<tensor::block_q3_k>(src, k, panel, [](const tensor::block_q3_k& x, uint8_t* u, uint8_t* sc, float* c) {
    const __m128i s8 = unpack_q3_k_scales(x.scales);
    __m256i hm = load256(x.hmask);
    for (int h = 0; h < 2; ++h) {
      const __m256i q = load256(x.qs + 32 * h);
      for (int k4 = 0; k4 < 4; ++k4) {
        const __m256i high = _mm256_and_si256(_mm256_slli_epi16(hm, 2), _mm256_set1_epi8(4));
        hm = _mm256_srli_epi16(hm, 1);
        store256(u + 128 * h + 32 * k4, _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 2 * k4), _mm256_set1_epi8(3)), high));
        store256(sc + 128 * h + 32 * k4, group_pair_scales(s8, 8 * h + 2 * k4));
      }
    }
    const float d = f16_to_f32(x.d);
    int8_t s[16];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(s), s8);
    for (int g = 0; g < 16; ++g) c[g] = -4.0f * d * static_cast<float>(s[g]);
    return d;
  });
}

template <class Block>
void pack_weights_q45_k(const uint8_t* src, int64_t k, uint8_t* panel) {
  constexpr bool kFive = sizeof(Block) == sizeof(tensor::block_q5_k);
  pack_kquant_weights<Block>(src, k, panel, [](const Block& x, uint8_t* u, uint8_t* sc, float* c) {
    uint32_t scw[2], mw[2];
    unpack_k4_scales(x.scales, scw, mw);
    const __m256i sc16 = _mm256_broadcastsi128_si256(
        _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(scw[1]), static_cast<int>(scw[0]))));
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256i hb = _mm256_setzero_si256();
    if constexpr (kFive) hb = load256(x.qh);
    for (int j = 0; j < 4; ++j) {
      const __m256i q = load256(x.qs + 32 * j);
      __m256i lo = _mm256_and_si256(q, m4);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
      if constexpr (kFive) {
        const __m256i bit4 = _mm256_set1_epi8(0x10);
        lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(hb, 4), bit4));
        hb = _mm256_srli_epi16(hb, 1);
        hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(hb, 4), bit4));
        hb = _mm256_srli_epi16(hb, 1);
      }
      store256(u + 64 * j, lo);
      store256(u + 64 * j + 32, hi);
      store256(sc + 64 * j, broadcast_scale(sc16, 2 * j));
      store256(sc + 64 * j + 32, broadcast_scale(sc16, 2 * j + 1));
    }
    uint8_t mins[8];
    std::memcpy(mins, mw, sizeof(mins));
    const float dmin = f16_to_f32(x.dmin);
    for (int g = 0; g < 16; ++g) c[g] = -dmin * static_cast<float>(mins[g / 2]);
    return f16_to_f32(x.d);
  });
}

void pack_weights_q6_k(const uint8_t* src, int64_t k, uint8_t* panel) {
  pack_kquant_weights<tensor::block_q6_k>(src, k, panel, [](const tensor::block_q6_k& x, uint8_t* u, uint8_t* sc, float* c) {
    const __m128i s8 = load128(x.scales);
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const __m256i m30 = _mm256_set1_epi8(0x30);
    for (int h = 0; h < 2; ++h) {
      const __m256i ql0 = load256(x.ql + 64 * h);
      const __m256i ql1 = load256(x.ql + 64 * h + 32);
      const __m256i qh = load256(x.qh + 32 * h);
      uint8_t* out = u + 128 * h;
      store256(out, _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30)));
      store256(out + 32, _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30)));
      store256(out + 64, _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), _mm256_and_si256(qh, m30)));
      store256(out + 96, _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                                         _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30)));
      for (int k4 = 0; k4 < 4; ++k4) store256(sc + 128 * h + 32 * k4, group_pair_scales(s8, 8 * h + 2 * k4));
    }
    const float d = f16_to_f32(x.d);
    for (int g = 0; g < 16; ++g) c[g] = -32.0f * d * static_cast<float>(x.scales[g]);
    return d;
  });
}

void pack_acts_q8_k(const uint8_t* src, int64_t k, uint8_t* panel) {
  const kquant_layout L(k);
  const auto* y = reinterpret_cast<const tensor::block_q8_k*>(src);
  float* d = floats_at(panel, L.a_d_off);
  float* fb = floats_at(panel, L.a_fb_off);
  for (int64_t b = 0; b < L.nsb; ++b) {
    std::memcpy(panel + 256 * b, y[b].qs, 256);
    d[b] = y[b].d;
    for (int g = 0; g < 16; ++g) fb[16 * b + g] = y[b].d * static_cast<float>(y[b].bsums[g]);
  }
  std::memset(d + L.nsb, 0, static_cast<size_t>(L.nd - L.nsb) * sizeof(float));
}

// ---- float types: activations widened to f32 (weights are converted inside the tiles) ----------

void pack_acts_f16(const uint8_t* src, int64_t k, uint8_t* panel) {
  const auto* x = reinterpret_cast<const uint16_t*>(src);
  float* out = floats_at(panel, 0);
  int64_t i = 0;
  for (; i + 8 <= k; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(load128(x + i)));
  for (; i < k; ++i) out[i] = f16_to_f32(x[i]);
}

void pack_acts_bf16(const uint8_t* src, int64_t k, uint8_t* panel) {
  const auto* x = reinterpret_cast<const uint16_t*>(src);
  float* out = floats_at(panel, 0);
  int64_t i = 0;
  for (; i + 8 <= k; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load128(x + i)), 16)));
  }
  for (; i < k; ++i) {
    const uint32_t bits = static_cast<uint32_t>(x[i]) << 16;
    std::memcpy(out + i, &bits, sizeof(float));
  }
}

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

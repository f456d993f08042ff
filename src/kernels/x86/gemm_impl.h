// Register-tiled gemm over panels (layouts in panel_impl.h), for prompt processing where each
// weight row meets many tokens. A tile holds R weight rows x T tokens of accumulators: every
// vector of weights loaded is used T times and every vector of activations R times. The tiles
// are written once over a vector type V (v256: AVX2 / AVX-512VL ymm; v512: zmm) and included by
// avx2_gemm.cpp and avx512_gemm.cpp (see simd_common.h).
//
// Every output y[t][r] is computed by the same sequence of operations whatever its slot in a tile,
// the tile shape or the thread that runs it (edge tiles repeat a valid row or token instead of
// taking another path), so results do not depend on the thread count.
// Thread-safe: pure functions.
#pragma once

#include <type_traits>

#include "gguf/tensor_type.h"
#include "kernels/x86/isa_kernels.h"
#include "kernels/x86/panel_impl.h"

namespace plexus::kernels::x86::PLEXUS_X86_NS {
namespace {

struct v256 {
  using vi = __m256i;
  using vf = __m256;
  static constexpr int kBytes = 32;
  static constexpr int kFloats = 8;
  static vi load(const void* p) { return load256(p); }
  static vf loadf(const void* p) { return _mm256_loadu_ps(static_cast<const float*>(p)); }
  static vi zero() { return _mm256_setzero_si256(); }
  static vf zerof() { return _mm256_setzero_ps(); }
  static vi dot(vi acc, vi u, vi s) { return dot_u8s8(acc, u, s); }
  static vi dot_signed(vi acc, vi w, vi s) { return dot_s8s8(acc, w, s); }
  static vi madd(vi acc, vi u, vi s, vi sc) { return madd_scaled(acc, u, s, sc); }
  static vf cvt(vi v) { return _mm256_cvtepi32_ps(v); }
  static vf fmadd(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
  static vf mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
  static vf set1(float f) { return _mm256_set1_ps(f); }
  static float sum(vf v) { return hsum(v); }
  static vf load_f16(const uint16_t* p) { return _mm256_cvtph_ps(load128(p)); }
  static vf load_bf16(const uint16_t* p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load128(p)), 16));
  }
};

#if defined(__AVX512F__) && defined(__AVX512BW__) && PLEXUS_X86_VNNI
struct v512 {
  using vi = __m512i;
  using vf = __m512;
  static constexpr int kBytes = 64;
  static constexpr int kFloats = 16;
  static vi load(const void* p) { return _mm512_loadu_si512(p); }
  static vf loadf(const void* p) { return _mm512_loadu_ps(p); }
  static vi zero() { return _mm512_setzero_si512(); }
  static vf zerof() { return _mm512_setzero_ps(); }
  static vi dot(vi acc, vi u, vi s) { return _mm512_dpbusd_epi32(acc, u, s); }
  static vi madd(vi acc, vi u, vi s, vi sc) { return _mm512_dpwssd_epi32(acc, _mm512_maddubs_epi16(u, s), sc); }
  static vf cvt(vi v) { return _mm512_cvtepi32_ps(v); }
  static vf fmadd(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
  static vf mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
  static vf set1(float f) { return _mm512_set1_ps(f); }
  static float sum(vf v) { return _mm512_reduce_add_ps(v); }
  static vf load_f16(const uint16_t* p) { return _mm512_cvtph_ps(load256(p)); }
  static vf load_bf16(const uint16_t* p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(load256(p)), 16));
  }
};
#endif

inline float load_float(const uint8_t* p, uint64_t offset, int64_t index) {
  float f;
  std::memcpy(&f, p + offset + 4 * static_cast<uint64_t>(index), sizeof(f));
  return f;
}

// 32-element block types: per vector of quants, one integer dot per (row, token), converted and
// scaled by d_w * d_a lane-wise; then the block corrections c * fb.
template <class V, int R, int T, bool kSigned>
inline void legacy_tile(const uint8_t* const* w, const uint8_t* const* a, const legacy_layout& L, float* out) {
  using vi = typename V::vi;
  using vf = typename V::vf;
  vf acc[R][T];
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) acc[r][t] = V::zerof();
  }
  for (int64_t e = 0; e < L.kp; e += V::kBytes) {
    vi u[R];
    vf dw[R];
    for (int r = 0; r < R; ++r) {
      u[r] = V::load(w[r] + e);
      dw[r] = V::loadf(w[r] + L.dexp_off + e);  // 8 floats per 32 quants: byte offset e
    }
    for (int t = 0; t < T; ++t) {
      const vi s = V::load(a[t] + e);
      const vf da = V::loadf(a[t] + L.dexp_off + e);
      for (int r = 0; r < R; ++r) {
        vi p;
        if constexpr (kSigned) {
          p = V::dot_signed(V::zero(), u[r], s);
        } else {
          p = V::dot(V::zero(), u[r], s);
        }
        acc[r][t] = V::fmadd(V::cvt(p), V::mul(dw[r], da), acc[r][t]);
      }
    }
  }
  for (int64_t j = 0; j < L.nc; j += V::kFloats) {
    vf c[R];
    for (int r = 0; r < R; ++r) c[r] = V::loadf(w[r] + L.corr_off + 4 * j);
    for (int t = 0; t < T; ++t) {
      const vf fb = V::loadf(a[t] + L.corr_off + 4 * j);
      for (int r = 0; r < R; ++r) acc[r][t] = V::fmadd(c[r], fb, acc[r][t]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) out[r * T + t] = V::sum(acc[r][t]);
  }
}

#if defined(__AVX512F__) && defined(__AVX512BW__) && PLEXUS_X86_VNNI
// 32-element block types in zmm over the chunked panels (legacy_chunk_layout): per chunk of 256
// quants, 4 vpdpbusd per (row, token), whose 64 int32 lanes are then folded to 16 by shuffles and
// adds (lane 4c + q = quarter c of vector q); one conversion, one multiply and one fmadd then
// serve 8 blocks. legacy_tile converts each vector, and the conversion shares its port with
// vpdpbusd: this halves that port's work.
template <int R, int T>
inline void legacy_chunk_tile(const uint8_t* const* w, const uint8_t* const* a, const legacy_chunk_layout& L, float* out) {
  __m512 acc[R][T];
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  }
  for (int64_t e = 0; e < L.kp; e += 256) {
    __m512i u[R][4];
    __m512 dw[R];
    for (int r = 0; r < R; ++r) {
      for (int q = 0; q < 4; ++q) u[r][q] = _mm512_loadu_si512(w[r] + e + 64 * q);
      dw[r] = _mm512_loadu_ps(w[r] + L.dexp_off + e / 4);  // 16 floats per chunk
    }
    for (int t = 0; t < T; ++t) {
      __m512i s[4];
      for (int q = 0; q < 4; ++q) s[q] = _mm512_loadu_si512(a[t] + e + 64 * q);
      const __m512 da = _mm512_loadu_ps(a[t] + L.dexp_off + e / 4);
      for (int r = 0; r < R; ++r) {
        __m512i p[4];
        for (int q = 0; q < 4; ++q) p[q] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u[r][q], s[q]);
        const __m512i p01 = _mm512_add_epi32(_mm512_unpacklo_epi32(p[0], p[1]), _mm512_unpackhi_epi32(p[0], p[1]));
        const __m512i p23 = _mm512_add_epi32(_mm512_unpacklo_epi32(p[2], p[3]), _mm512_unpackhi_epi32(p[2], p[3]));
        const __m512i sum = _mm512_add_epi32(_mm512_unpacklo_epi64(p01, p23), _mm512_unpackhi_epi64(p01, p23));
        acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(dw[r], da), acc[r][t]);
      }
    }
  }
  for (int64_t j = 0; j < L.nc; j += 16) {
    __m512 c[R];
    for (int r = 0; r < R; ++r) c[r] = _mm512_loadu_ps(w[r] + L.corr_off + 4 * j);
    for (int t = 0; t < T; ++t) {
      const __m512 fb = _mm512_loadu_ps(a[t] + L.corr_off + 4 * j);
      for (int r = 0; r < R; ++r) acc[r][t] = _mm512_fmadd_ps(c[r], fb, acc[r][t]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) out[r * T + t] = _mm512_reduce_add_ps(acc[r][t]);
  }
}
#endif

// k-quants: integer sums with the sub-block scales applied over a whole super-block, converted
// and scaled by d_w * d_a once per super-block; then the group corrections c * fb.
template <class V, int R, int T>
inline void kquant_tile(const uint8_t* const* w, const uint8_t* const* a, const kquant_layout& L, float* out) {
  using vi = typename V::vi;
  using vf = typename V::vf;
  vf acc[R][T];
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) acc[r][t] = V::zerof();
  }
  for (int64_t sb = 0; sb < L.nsb; ++sb) {
    vi isum[R][T];
    for (int r = 0; r < R; ++r) {
      for (int t = 0; t < T; ++t) isum[r][t] = V::zero();
    }
    for (int64_t e = 256 * sb; e < 256 * (sb + 1); e += V::kBytes) {
      vi u[R], sc[R];
      for (int r = 0; r < R; ++r) {
        u[r] = V::load(w[r] + e);
        sc[r] = V::load(w[r] + L.w_sc_off + e);  // one int16 per 2 quants: byte offset e
      }
      for (int t = 0; t < T; ++t) {
        const vi s = V::load(a[t] + e);
        for (int r = 0; r < R; ++r) isum[r][t] = V::madd(isum[r][t], u[r], s, sc[r]);
      }
    }
    for (int r = 0; r < R; ++r) {
      const float dw = load_float(w[r], L.w_d_off, sb);
      for (int t = 0; t < T; ++t) {
        acc[r][t] = V::fmadd(V::cvt(isum[r][t]), V::set1(dw * load_float(a[t], L.a_d_off, sb)), acc[r][t]);
      }
    }
  }
  for (int64_t j = 0; j < L.k / 16; j += V::kFloats) {
    vf c[R];
    for (int r = 0; r < R; ++r) c[r] = V::loadf(w[r] + L.w_c_off + 4 * j);
    for (int t = 0; t < T; ++t) {
      const vf fb = V::loadf(a[t] + L.a_fb_off + 4 * j);
      for (int r = 0; r < R; ++r) acc[r][t] = V::fmadd(c[r], fb, acc[r][t]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) out[r * T + t] = V::sum(acc[r][t]);
  }
}

enum class weight_kind { f32, f16, bf16 };

template <class V, weight_kind kKind>
inline typename V::vf load_weights(const uint8_t* row, int64_t e) {
  if constexpr (kKind == weight_kind::f32) {
    return V::loadf(row + 4 * e);
  } else if constexpr (kKind == weight_kind::f16) {
    return V::load_f16(reinterpret_cast<const uint16_t*>(row) + e);
  } else {
    return V::load_bf16(reinterpret_cast<const uint16_t*>(row) + e);
  }
}

template <weight_kind kKind>
inline float weight_at(const uint8_t* row, int64_t e) {
  if constexpr (kKind == weight_kind::f32) {
    return load_float(row, 0, e);
  } else {
    const uint16_t h = load_u16(row + 2 * e);
    if constexpr (kKind == weight_kind::f16) {
      return f16_to_f32(h);
    } else {
      const uint32_t bits = static_cast<uint32_t>(h) << 16;
      float f;
      std::memcpy(&f, &bits, sizeof(f));
      return f;
    }
  }
}

// Float weights (converted to f32 in registers) against f32 activation rows; any k.
template <class V, int R, int T, weight_kind kKind>
inline void float_tile(const uint8_t* const* w, const uint8_t* const* a, int64_t k, float* out) {
  using vf = typename V::vf;
  vf acc[R][T];
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) acc[r][t] = V::zerof();
  }
  int64_t e = 0;
  for (; e + V::kFloats <= k; e += V::kFloats) {
    vf wv[R];
    for (int r = 0; r < R; ++r) wv[r] = load_weights<V, kKind>(w[r], e);
    for (int t = 0; t < T; ++t) {
      const vf av = V::loadf(a[t] + 4 * e);
      for (int r = 0; r < R; ++r) acc[r][t] = V::fmadd(wv[r], av, acc[r][t]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) {
      float s = V::sum(acc[r][t]);
      for (int64_t i = e; i < k; ++i) s += weight_at<kKind>(w[r], i) * load_float(a[t], 0, i);
      out[r * T + t] = s;
    }
  }
}

// Walks the output in tiles: token tiles outside (their activations stay in L1 while the row
// panel streams from L2), row tiles inside. A short edge tile repeats its last row or token.
template <int R, int T, class Tile>
inline void run_tiles(const uint8_t* w, uint64_t w_stride, int64_t n_rows, const uint8_t* a, uint64_t a_stride,
                      int64_t n_tok, float* y, int64_t ldy, Tile tile) {
  for (int64_t t0 = 0; t0 < n_tok; t0 += T) {
    const int64_t nt = n_tok - t0 < T ? n_tok - t0 : T;
    const uint8_t* ap[T];
    for (int t = 0; t < T; ++t) ap[t] = a + static_cast<uint64_t>(t0 + (t < nt ? t : nt - 1)) * a_stride;
    for (int64_t r0 = 0; r0 < n_rows; r0 += R) {
      const int64_t nr = n_rows - r0 < R ? n_rows - r0 : R;
      const uint8_t* wp[R];
      for (int r = 0; r < R; ++r) wp[r] = w + static_cast<uint64_t>(r0 + (r < nr ? r : nr - 1)) * w_stride;
      float out[R * T];
      tile(wp, ap, out);
      for (int t = 0; t < nt; ++t) {
        for (int r = 0; r < nr; ++r) y[(t0 + t) * ldy + r0 + r] = out[r * T + t];
      }
    }
  }
}

template <class V, int R, int T, bool kSigned>
void gemm_legacy(const uint8_t* w, uint64_t w_stride, int64_t n_rows, const uint8_t* a, uint64_t a_stride, int64_t n_tok,
                 int64_t k, float* y, int64_t ldy) {
  const legacy_layout L(k);
  run_tiles<R, T>(w, w_stride, n_rows, a, a_stride, n_tok, y, ldy,
                  [&](const uint8_t* const* wp, const uint8_t* const* ap, float* out) { legacy_tile<V, R, T, kSigned>(wp, ap, L, out); });
}

#if defined(__AVX512F__) && defined(__AVX512BW__) && PLEXUS_X86_VNNI
template <int R, int T>
void gemm_legacy_chunked(const uint8_t* w, uint64_t w_stride, int64_t n_rows, const uint8_t* a, uint64_t a_stride,
                         int64_t n_tok, int64_t k, float* y, int64_t ldy) {
  const legacy_chunk_layout L(k);
  run_tiles<R, T>(w, w_stride, n_rows, a, a_stride, n_tok, y, ldy,
                  [&](const uint8_t* const* wp, const uint8_t* const* ap, float* out) { legacy_chunk_tile<R, T>(wp, ap, L, out); });
}
#endif

template <class V, int R, int T>
void gemm_kquant(const uint8_t* w, uint64_t w_stride, int64_t n_rows, const uint8_t* a, uint64_t a_stride, int64_t n_tok,
                 int64_t k, float* y, int64_t ldy) {
  const kquant_layout L(k);
  run_tiles<R, T>(w, w_stride, n_rows, a, a_stride, n_tok, y, ldy,
                  [&](const uint8_t* const* wp, const uint8_t* const* ap, float* out) { kquant_tile<V, R, T>(wp, ap, L, out); });
}

template <class V, int R, int T, weight_kind kKind>
void gemm_float(const uint8_t* w, uint64_t w_stride, int64_t n_rows, const uint8_t* a, uint64_t a_stride, int64_t n_tok,
                int64_t k, float* y, int64_t ldy) {
  run_tiles<R, T>(w, w_stride, n_rows, a, a_stride, n_tok, y, ldy,
                  [&](const uint8_t* const* wp, const uint8_t* const* ap, float* out) { float_tile<V, R, T, kKind>(wp, ap, k, out); });
}

// Tile shapes per family: (rows, tokens) for the block types, the k-quants and the float types.
template <class V, int kLegacyR, int kLegacyT, int kKquantR, int kKquantT, int kFloatR, int kFloatT>
struct gemm_config {
  using vec = V;
};

inline constexpr int kRowDotsCrossover = 32;

inline type_kernels& slot(isa_kernels& set, tensor_type t) { return set.types[static_cast<int>(t)]; }

template <class V, int kLegacyR, int kLegacyT, int kKquantR, int kKquantT, int kFloatR, int kFloatT>
inline void add_gemm(isa_kernels& set, gemm_config<V, kLegacyR, kLegacyT, kKquantR, kKquantT, kFloatR, kFloatT>) {
  // Without VNNI, Q8_0's unsigned bytes (w + 128) would overflow the int16 pair sums.
  constexpr bool kSignedQ8 = !PLEXUS_X86_VNNI;
  struct legacy_entry {
    tensor_type type;
    pack_fn pack_w;
    pack_fn pack_a;
    gemm_fn gemm;
  };
  // zmm with VNNI: the chunked panels and tile; otherwise one scale per lane.
#if defined(__AVX512F__) && defined(__AVX512BW__) && PLEXUS_X86_VNNI
  constexpr bool kChunked = V::kBytes == 64;
#else
  constexpr bool kChunked = false;
#endif
  using Layout = std::conditional_t<kChunked, legacy_chunk_layout, legacy_lane_layout>;
  gemm_fn legacy = gemm_legacy<V, kLegacyR, kLegacyT, false>;
  gemm_fn legacy_q8 = gemm_legacy<V, kLegacyR, kLegacyT, kSignedQ8>;
  panel_bytes_fn panel_bytes = legacy_panel_bytes;
#if defined(__AVX512F__) && defined(__AVX512BW__) && PLEXUS_X86_VNNI
  if constexpr (kChunked) {
    legacy = legacy_q8 = gemm_legacy_chunked<kLegacyR, kLegacyT>;
    panel_bytes = legacy_chunk_panel_bytes;
  }
#endif
  const legacy_entry legacy_types[] = {
      {tensor_type::q4_0, pack_weights_q4_0<Layout>, pack_acts_legacy<Layout, tensor::block_q8_0>, legacy},
      {tensor_type::q4_1, pack_weights_q4_1<Layout>, pack_acts_legacy<Layout, tensor::block_q8_1>, legacy},
      {tensor_type::q5_0, pack_weights_q5_0<Layout>, pack_acts_legacy<Layout, tensor::block_q8_0>, legacy},
      {tensor_type::q5_1, pack_weights_q5_1<Layout>, pack_acts_legacy<Layout, tensor::block_q8_1>, legacy},
      {tensor_type::q8_0, pack_weights_q8_0<Layout, kSignedQ8>, pack_acts_legacy<Layout, tensor::block_q8_0>, legacy_q8},
  };
  for (const legacy_entry& e : legacy_types) {
    type_kernels& k = slot(set, e.type);
    k.weight_panel_bytes = panel_bytes;
    k.pack_weights = e.pack_w;
    k.act_panel_bytes = panel_bytes;
    k.pack_acts = e.pack_a;
    k.gemm = e.gemm;
    k.gemm_min_tokens = 4;
  }
  struct kquant_entry {
    tensor_type type;
    pack_fn pack_w;
  };
  const kquant_entry kquant_types[] = {
      {tensor_type::q2_k, pack_weights_q2_k},
      {tensor_type::q3_k, pack_weights_q3_k},
      {tensor_type::q4_k, pack_weights_q45_k<tensor::block_q4_k>},
      {tensor_type::q5_k, pack_weights_q45_k<tensor::block_q5_k>},
      {tensor_type::q6_k, pack_weights_q6_k},
  };
  for (const kquant_entry& e : kquant_types) {
    type_kernels& k = slot(set, e.type);
    k.weight_panel_bytes = kquant_weight_panel_bytes;
    k.pack_weights = e.pack_w;
    k.act_panel_bytes = kquant_act_panel_bytes;
    k.pack_acts = pack_acts_q8_k;
    k.gemm = gemm_kquant<V, kKquantR, kKquantT>;
    // Packing a weight panel costs about as much as streaming the row through row_dots for
    // kRowDotsCrossover tokens (measured: bench_kernels n = 4 .. 64, see PERFORMANCE.md).
    k.gemm_min_tokens = k.row_dots != nullptr ? kRowDotsCrossover : 4;
  }
  type_kernels& f32 = slot(set, tensor_type::f32);
  f32.gemm = gemm_float<V, kFloatR, kFloatT, weight_kind::f32>;
  f32.gemm_min_tokens = 2;
  type_kernels& f16 = slot(set, tensor_type::f16);
  f16.act_panel_bytes = f32_panel_bytes;
  f16.pack_acts = pack_acts_f16;
  f16.gemm = gemm_float<V, kFloatR, kFloatT, weight_kind::f16>;
  f16.gemm_min_tokens = 2;
  type_kernels& bf16 = slot(set, tensor_type::bf16);
  bf16.act_panel_bytes = f32_panel_bytes;
  bf16.pack_acts = pack_acts_bf16;
  bf16.gemm = gemm_float<V, kFloatR, kFloatT, weight_kind::bf16>;
  bf16.gemm_min_tokens = 2;
}

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

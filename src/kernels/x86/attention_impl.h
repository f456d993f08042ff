// Grouped-query attention (ops.h: attention_group) with a fused online softmax. Included by
// avx2_ops.cpp (256-bit vectors along head_dim) and avx512_ops.cpp (512-bit), after ops_impl.h.
//
// Up to kAttnHeads = 8 query heads go through the span together; each key and value row is loaded once
// per tile for all of them. Per tile of at most kAttnTile rows:
//   scores  s[j][h] = scale * q_h . k_j: one vector accumulator per head along head_dim, the eight
//           accumulators reduced into one 8-lane vector (lane h = head h) by one shuffle-and-add tree;
//   softmax m' = max(m, max_j s[j]); alpha = e^(m - m'); p[j] = e^(s[j] - m'); l = l * alpha + sum p
//           (8-lane vectors over heads, exp_ps of ops_impl.h);
//   output  out_h = out_h * alpha_h + sum_j p[j][h] v_j, out_h itself being the accumulator (the
//           rescale is skipped when no head's maximum moved).
// At the end out_h /= l_h. Against the reference: FMA and another summation order in the dot
// products, float instead of double in the running sums, exp_ps within 2 ulp of expf.
// Thread-safe: pure functions.
#pragma once

#include "kernels/x86/ops_impl.h"

namespace plexus::kernels::x86::PLEXUS_X86_NS {
namespace {

constexpr int kAttnHeads = 8;  // heads per pass: the lanes of one __m256
constexpr int kAttnTile = 32;  // key rows per softmax update

#if defined(__AVX512F__)
using attn_vec = __m512;
constexpr int64_t kAttnWidth = 16;
inline attn_vec attn_zero() { return _mm512_setzero_ps(); }
inline attn_vec attn_load(const float* p) { return _mm512_loadu_ps(p); }
inline attn_vec attn_load_tail(const float* p, int64_t n) {
  return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p);
}
inline void attn_store(float* p, attn_vec v) { _mm512_storeu_ps(p, v); }
inline void attn_store_tail(float* p, attn_vec v, int64_t n) {
  _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1u), v);
}
inline attn_vec attn_fma(attn_vec a, attn_vec b, attn_vec c) { return _mm512_fmadd_ps(a, b, c); }
inline attn_vec attn_mul(attn_vec a, attn_vec b) { return _mm512_mul_ps(a, b); }
inline attn_vec attn_set1(float f) { return _mm512_set1_ps(f); }
// [sum(a[0]), ..., sum(a[7])] of eight 16-lane vectors: 16 shuffles and 8 adds in one tree.
inline __m256 attn_hsum8(const attn_vec a[8]) {
  __m512 c[4];  // c[i] quarters: a[2i] 0+2, a[2i] 1+3, a[2i+1] 0+2, a[2i+1] 1+3
  for (int i = 0; i < 4; ++i) {
    c[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0x44),
                         _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0xee));
  }
  // e0 quarter q: the four partial sums of head q; e1: of head q + 4.
  const __m512 e0 = _mm512_add_ps(_mm512_shuffle_f32x4(c[0], c[1], 0x88), _mm512_shuffle_f32x4(c[0], c[1], 0xdd));
  const __m512 e1 = _mm512_add_ps(_mm512_shuffle_f32x4(c[2], c[3], 0x88), _mm512_shuffle_f32x4(c[2], c[3], 0xdd));
  // Quarter q: [h_q 0+1, h_q 2+3, h_q+4 0+1, h_q+4 2+3], then [h_q, h_q, h_q+4, h_q+4].
  const __m512 f = _mm512_add_ps(_mm512_shuffle_ps(e0, e1, 0x88), _mm512_shuffle_ps(e0, e1, 0xdd));
  const __m512 g = _mm512_add_ps(f, _mm512_permute_ps(f, 0xb1));
  const __m512i idx = _mm512_setr_epi32(0, 4, 8, 12, 2, 6, 10, 14, 0, 0, 0, 0, 0, 0, 0, 0);
  return _mm512_castps512_ps256(_mm512_permutexvar_ps(idx, g));
}
#else
using attn_vec = __m256;
constexpr int64_t kAttnWidth = 8;
inline attn_vec attn_zero() { return _mm256_setzero_ps(); }
inline attn_vec attn_load(const float* p) { return _mm256_loadu_ps(p); }
inline attn_vec attn_load_tail(const float* p, int64_t n) { return _mm256_maskload_ps(p, tail_mask(n)); }
inline void attn_store(float* p, attn_vec v) { _mm256_storeu_ps(p, v); }
inline void attn_store_tail(float* p, attn_vec v, int64_t n) { _mm256_maskstore_ps(p, tail_mask(n), v); }
inline attn_vec attn_fma(attn_vec a, attn_vec b, attn_vec c) { return _mm256_fmadd_ps(a, b, c); }
inline attn_vec attn_mul(attn_vec a, attn_vec b) { return _mm256_mul_ps(a, b); }
inline attn_vec attn_set1(float f) { return _mm256_set1_ps(f); }

// [sum(a[0]), ..., sum(a[7])]: the eight 8-lane partial sums reduced in one tree.
inline __m256 attn_hsum8(const attn_vec a[8]) {
  const __m256 t0 = _mm256_hadd_ps(a[0], a[1]);  // a0 01, a0 23, a1 01, a1 23 | the same for 4..7
  const __m256 t1 = _mm256_hadd_ps(a[2], a[3]);
  const __m256 t2 = _mm256_hadd_ps(a[4], a[5]);
  const __m256 t3 = _mm256_hadd_ps(a[6], a[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1);  // a0 0..3, a1, a2, a3 | a0 4..7, a1, a2, a3
  const __m256 u1 = _mm256_hadd_ps(t2, t3);
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}
#endif

// State of one pass: G heads (lanes >= G unused).
struct attn_pass {
  const float* q[kAttnHeads];
  float* out[kAttnHeads];
  int64_t head_dim;
  __m256 scale;
  __m256 m;  // running maximum of the scores (-inf before the first row)
  __m256 l;  // running sum of e^(s - m)
};

// s[j * 8 + h] = scale * q_h . k_j for j < n. Returns max_j over each lane.
template <int G>
inline __m256 attn_scores(const attn_pass& ps, const float* k, int64_t row_stride, int64_t n, float* s) {
  __m256 tile_max = _mm256_set1_ps(-__builtin_inff());
  const int64_t hd = ps.head_dim;
  for (int64_t j = 0; j < n; ++j) {
    const float* kj = k + j * row_stride;
    attn_vec acc[G];
    for (int h = 0; h < G; ++h) acc[h] = attn_zero();
    int64_t d = 0;
    for (; d + kAttnWidth <= hd; d += kAttnWidth) {
      const attn_vec kv = attn_load(kj + d);
      for (int h = 0; h < G; ++h) acc[h] = attn_fma(attn_load(ps.q[h] + d), kv, acc[h]);
    }
    if (d < hd) {
      const attn_vec kv = attn_load_tail(kj + d, hd - d);
      for (int h = 0; h < G; ++h) acc[h] = attn_fma(attn_load_tail(ps.q[h] + d, hd - d), kv, acc[h]);
    }
    attn_vec all[kAttnHeads];
    for (int h = 0; h < kAttnHeads; ++h) all[h] = h < G ? acc[h < G ? h : 0] : attn_zero();
    const __m256 sv = _mm256_mul_ps(attn_hsum8(all), ps.scale);
    _mm256_storeu_ps(s + j * kAttnHeads, sv);
    tile_max = _mm256_max_ps(sv, tile_max);  // a NaN score does not win the max (as fmax)
  }
  return tile_max;
}

// out_h = out_h * alpha_h (when rescale) + sum_{j < n} p[j * 8 + h] * v_j.
template <int G>
inline void attn_accumulate(const attn_pass& ps, const float* v, int64_t row_stride, int64_t n, const float* p,
                            const float* alpha, bool rescale) {
  const int64_t hd = ps.head_dim;
  int64_t d = 0;
  for (; d + kAttnWidth <= hd; d += kAttnWidth) {
    attn_vec o[G];
    for (int h = 0; h < G; ++h) {
      o[h] = attn_load(ps.out[h] + d);
      if (rescale) o[h] = attn_mul(o[h], attn_set1(alpha[h]));
    }
    for (int64_t j = 0; j < n; ++j) {
      const attn_vec vv = attn_load(v + j * row_stride + d);
      for (int h = 0; h < G; ++h) o[h] = attn_fma(attn_set1(p[j * kAttnHeads + h]), vv, o[h]);
    }
    for (int h = 0; h < G; ++h) attn_store(ps.out[h] + d, o[h]);
  }
  if (d < hd) {
    const int64_t rest = hd - d;
    attn_vec o[G];
    for (int h = 0; h < G; ++h) {
      o[h] = attn_load_tail(ps.out[h] + d, rest);
      if (rescale) o[h] = attn_mul(o[h], attn_set1(alpha[h]));
    }
    for (int64_t j = 0; j < n; ++j) {
      const attn_vec vv = attn_load_tail(v + j * row_stride + d, rest);
      for (int h = 0; h < G; ++h) o[h] = attn_fma(attn_set1(p[j * kAttnHeads + h]), vv, o[h]);
    }
    for (int h = 0; h < G; ++h) attn_store_tail(ps.out[h] + d, o[h], rest);
  }
}

// One tile of n <= kAttnTile rows: scores, the online-softmax update of m and l, the output update.
template <int G>
inline void attn_tile(attn_pass& ps, const float* k, const float* v, int64_t row_stride, int64_t n) {
  alignas(32) float p[kAttnTile * kAttnHeads];
  alignas(32) float alpha[kAttnHeads];
  const __m256 tile_max = attn_scores<G>(ps, k, row_stride, n, p);
  const __m256 m_new = _mm256_max_ps(tile_max, ps.m);
  // Lanes whose maximum is still -inf subtract 0 instead (e^(-inf - -inf) would be NaN): their
  // p and alpha are then e^-inf = 0.
  const __m256 neg_inf = _mm256_set1_ps(-__builtin_inff());
  const __m256 base = _mm256_andnot_ps(_mm256_cmp_ps(m_new, neg_inf, _CMP_EQ_OQ), m_new);
  const __m256 a = exp_ps(_mm256_sub_ps(ps.m, base));
  __m256 sum = _mm256_setzero_ps();
  for (int64_t j = 0; j < n; ++j) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_load_ps(p + j * kAttnHeads), base));
    _mm256_store_ps(p + j * kAttnHeads, e);
    sum = _mm256_add_ps(sum, e);
  }
  ps.l = _mm256_fmadd_ps(ps.l, a, sum);
  ps.m = m_new;
  const int used = (1 << G) - 1;
  const bool rescale = (_mm256_movemask_ps(_mm256_cmp_ps(a, _mm256_set1_ps(1.0f), _CMP_NEQ_UQ)) & used) != 0;
  _mm256_store_ps(alpha, a);
  attn_accumulate<G>(ps, v, row_stride, n, p, alpha, rescale);
}

template <int G>
void attention_pass(const float* q, int64_t q_stride, int64_t head_dim, float scale, const float* const* k_chunks,
                    const float* const* v_chunks, int64_t chunk_rows, int64_t n_rows, int64_t row_stride, float* out,
                    int64_t out_stride) {
  attn_pass ps;
  for (int h = 0; h < kAttnHeads; ++h) {
    ps.q[h] = q + (h < G ? h : 0) * q_stride;
    ps.out[h] = out + (h < G ? h : 0) * out_stride;
  }
  ps.head_dim = head_dim;
  ps.scale = _mm256_set1_ps(scale);
  ps.m = _mm256_set1_ps(-__builtin_inff());
  ps.l = _mm256_setzero_ps();
  for (int h = 0; h < G; ++h) {
    for (int64_t d = 0; d < head_dim; ++d) ps.out[h][d] = 0.0f;
  }
  if (n_rows <= 0) return;  // empty span: zeros
  for (int64_t c = 0; c * chunk_rows < n_rows; ++c) {
    const int64_t rows = n_rows - c * chunk_rows < chunk_rows ? n_rows - c * chunk_rows : chunk_rows;
    for (int64_t r = 0; r < rows; r += kAttnTile) {
      const int64_t n = rows - r < kAttnTile ? rows - r : kAttnTile;
      attn_tile<G>(ps, k_chunks[c] + r * row_stride, v_chunks[c] + r * row_stride, row_stride, n);
    }
  }
  alignas(32) float inv[kAttnHeads];
  _mm256_store_ps(inv, _mm256_div_ps(_mm256_set1_ps(1.0f), ps.l));  // all -inf: l = 0, out 0 * inf = NaN
  for (int h = 0; h < G; ++h) {
    const attn_vec s = attn_set1(inv[h]);
    int64_t d = 0;
    for (; d + kAttnWidth <= head_dim; d += kAttnWidth) attn_store(ps.out[h] + d, attn_mul(attn_load(ps.out[h] + d), s));
    if (d < head_dim) attn_store_tail(ps.out[h] + d, attn_mul(attn_load_tail(ps.out[h] + d, head_dim - d), s), head_dim - d);
  }
}

void attention_group(const float* q, int64_t q_stride, int64_t n_q, int64_t head_dim, float scale,
                     const float* const* k_chunks, const float* const* v_chunks, int64_t chunk_rows, int64_t n_rows,
                     int64_t row_stride, float* out, int64_t out_stride) {
  if (head_dim <= 0) return;
  if (chunk_rows <= 0) n_rows = 0;  // no row can be addressed: an empty span
  using pass_fn = void (*)(const float*, int64_t, int64_t, float, const float* const*, const float* const*, int64_t,
                           int64_t, int64_t, float*, int64_t);
  const pass_fn kPasses[kAttnHeads] = {attention_pass<1>, attention_pass<2>, attention_pass<3>, attention_pass<4>,
                                       attention_pass<5>, attention_pass<6>, attention_pass<7>, attention_pass<8>};
  for (int64_t h0 = 0; h0 < n_q; h0 += kAttnHeads) {
    const int64_t g = n_q - h0 < kAttnHeads ? n_q - h0 : kAttnHeads;
    const float* qg = q + h0 * q_stride;
    float* og = out + h0 * out_stride;
    kPasses[g - 1](qg, q_stride, head_dim, scale, k_chunks, v_chunks, chunk_rows, n_rows, row_stride, og, out_stride);
  }
}

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

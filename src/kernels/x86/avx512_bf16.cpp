// BF16 weights with AVX512_BF16: vdpbf16ps multiplies bf16 pairs and accumulates in f32, so
// neither weights nor activations (converted to bf16 as the reference does) are widened. Compiled
// with the avx512 flags plus -mavx512bf16 (see CMakeLists.txt); used only when the CPU has
// AVX512_BF16 (x86_tables.cpp). Note vdpbf16ps treats bf16 subnormals (< 1.2e-38) as zero.
// Thread-safe: pure functions.
#define PLEXUS_X86_NS avx512bf16
#include "gguf/tensor_type.h"
#include "kernels/x86/isa_kernels.h"
#include "kernels/x86/simd_common.h"

namespace plexus::kernels::x86::avx512bf16 {
namespace {

inline __m512 dp(__m512 acc, __m512i a, __m512i b) { return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b); }

// The first n (< 32) bf16 values at p, zeros after.
inline __m512i load_partial(const uint16_t* p, int64_t n) {
  return _mm512_maskz_loadu_epi16(static_cast<__mmask32>((1u << n) - 1u), p);
}

float dot_bf16(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = dp(acc0, _mm512_loadu_si512(x + i), _mm512_loadu_si512(y + i));
    acc1 = dp(acc1, _mm512_loadu_si512(x + i + 32), _mm512_loadu_si512(y + i + 32));
  }
  for (; i + 32 <= n; i += 32) acc0 = dp(acc0, _mm512_loadu_si512(x + i), _mm512_loadu_si512(y + i));
  if (i < n) acc1 = dp(acc1, load_partial(x + i, n - i), load_partial(y + i, n - i));
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

// R weight rows x T token rows, both bf16 as stored / converted.
template <int R, int T>
inline void bf16_tile(const uint8_t* const* w, const uint8_t* const* a, int64_t k, float* out) {
  __m512 acc[R][T];
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  }
  auto step = [&](int64_t e, int64_t count) {
    __m512i wv[R];
    for (int r = 0; r < R; ++r) {
      const auto* p = reinterpret_cast<const uint16_t*>(w[r]) + e;
      wv[r] = count == 32 ? _mm512_loadu_si512(p) : load_partial(p, count);
    }
    for (int t = 0; t < T; ++t) {
      const auto* p = reinterpret_cast<const uint16_t*>(a[t]) + e;
      const __m512i av = count == 32 ? _mm512_loadu_si512(p) : load_partial(p, count);
      for (int r = 0; r < R; ++r) acc[r][t] = dp(acc[r][t], wv[r], av);
    }
  };
  int64_t e = 0;
  for (; e + 32 <= k; e += 32) step(e, 32);
  if (e < k) step(e, k - e);
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) out[r * T + t] = _mm512_reduce_add_ps(acc[r][t]);
  }
}

constexpr int kRows = 4;
constexpr int kTokens = 4;

// See gemm_fn in isa_kernels.h; edge tiles repeat their last row / token (as gemm_impl.h).
void gemm_bf16(const uint8_t* w, uint64_t w_stride, int64_t n_rows, const uint8_t* a, uint64_t a_stride, int64_t n_tok,
               int64_t k, float* y, int64_t ldy) {
  for (int64_t t0 = 0; t0 < n_tok; t0 += kTokens) {
    const int64_t nt = n_tok - t0 < kTokens ? n_tok - t0 : kTokens;
    const uint8_t* ap[kTokens];
    for (int t = 0; t < kTokens; ++t) ap[t] = a + static_cast<uint64_t>(t0 + (t < nt ? t : nt - 1)) * a_stride;
    for (int64_t r0 = 0; r0 < n_rows; r0 += kRows) {
      const int64_t nr = n_rows - r0 < kRows ? n_rows - r0 : kRows;
      const uint8_t* wp[kRows];
      for (int r = 0; r < kRows; ++r) wp[r] = w + static_cast<uint64_t>(r0 + (r < nr ? r : nr - 1)) * w_stride;
      float out[kRows * kTokens];
      bf16_tile<kRows, kTokens>(wp, ap, k, out);
      for (int t = 0; t < nt; ++t) {
        for (int r = 0; r < nr; ++r) y[(t0 + t) * ldy + r0 + r] = out[r * kTokens + t];
      }
    }
  }
}

}  // namespace

void add_bf16_kernels(isa_kernels& set) {
  type_kernels& k = set.types[static_cast<int>(tensor_type::bf16)];
  k.row_dot = dot_bf16;
  k.weight_panel_bytes = nullptr;
  k.pack_weights = nullptr;
  k.act_panel_bytes = nullptr;
  k.pack_acts = nullptr;
  k.gemm = gemm_bf16;
  k.gemm_min_tokens = 2;
}

}  // namespace plexus::kernels::x86::avx512bf16

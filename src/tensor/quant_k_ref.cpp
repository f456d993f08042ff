// Reference weight quantizers for Q2_K, Q3_K, Q4_K, Q5_K and Q6_K (used by `plexus quantize`).
//
// The bytes follow ggml's layouts exactly (see blocks.h), so any engine reads them; the choice of
// scales is our own least-squares search and is not bit-identical with llama-quantize. Per
// sub-block we try 21 grid spacings around the range-fitting one, solve the least-squares scale
// (and, for the asymmetric types, offset) for the resulting integer levels, and keep the fit with
// the smallest squared error. The sub-block scales are then quantized against one super-block
// scale (6-bit for Q3_K/Q4_K/Q5_K, 4-bit for Q2_K, 8-bit for Q6_K) and the levels are recomputed
// with the scales actually stored.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/type_ops.h"

namespace plexus::tensor::detail {
namespace {

constexpr int kSearchSteps = 10;        // spacings tried: nmax + 0.1 * k for k in [-10, 10]
constexpr float kSearchDelta = 0.1f;

// Asymmetric fit of n values: x ~= scale * L - min with L in [0, nmax], scale >= 0, min >= 0
// (ggml stores the min as a positive number that is subtracted, so a block whose values are all
// positive still gets min = 0). Returns scale; writes min and the levels.
float fit_asymmetric(const float* x, int n, int nmax, uint8_t* levels, float* min_out) {
  float lo = x[0], hi = x[0];
  for (int i = 1; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  lo = std::min(lo, 0.0f);
  if (!(hi > lo)) {  // constant non-positive block (or NaN): everything at the offset
    std::memset(levels, 0, static_cast<size_t>(n));
    *min_out = std::isfinite(lo) ? -lo : 0.0f;
    return 0.0f;
  }
  float best_err = INFINITY;
  float best_scale = (hi - lo) / static_cast<float>(nmax);
  float best_offset = lo;
  uint8_t trial[32];
  for (int k = -kSearchSteps; k <= kSearchSteps; ++k) {
    const float iscale = (static_cast<float>(nmax) + kSearchDelta * static_cast<float>(k)) / (hi - lo);
    double sl = 0, sl2 = 0, sx = 0, slx = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(round_half_even(iscale * (x[i] - lo)), 0, nmax);
      trial[i] = static_cast<uint8_t>(l);
      sl += l;
      sl2 += static_cast<double>(l) * l;
      sx += x[i];
      slx += static_cast<double>(l) * x[i];
    }
    // Least squares for x ~= scale * l + offset; clamp offset <= 0 (re-solving for the scale).
    const double det = n * sl2 - sl * sl;
    double scale = 0, offset = 0;
    if (det > 0) {
      scale = (n * slx - sl * sx) / det;
      offset = (sl2 * sx - sl * slx) / det;
    }
    if (offset > 0 || det <= 0) {
      offset = 0;
      scale = sl2 > 0 ? slx / sl2 : 0;
    }
    if (scale < 0) continue;
    double err = 0;
    for (int i = 0; i < n; ++i) {
      const double diff = scale * trial[i] + offset - x[i];
      err += diff * diff;
    }
    if (err < best_err) {
      best_err = static_cast<float>(err);
      best_scale = static_cast<float>(scale);
      best_offset = static_cast<float>(offset);
      std::memcpy(levels, trial, static_cast<size_t>(n));
    }
  }
  if (!std::isfinite(best_err)) {  // no candidate produced a usable scale: plain range fit
    for (int i = 0; i < n; ++i) levels[i] = static_cast<uint8_t>(std::clamp(round_half_even((x[i] - lo) / best_scale), 0, nmax));
  }
  *min_out = -best_offset;
  return best_scale;
}

// Symmetric fit: x ~= scale * L with L in [-nmax, nmax - 1]. The element of largest magnitude
// maps near -nmax (the side with room), so the scale takes that element's opposite sign.
float fit_symmetric(const float* x, int n, int nmax) {
  float amax = 0.0f, max = 0.0f;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  if (amax == 0.0f) return 0.0f;
  double best_err = INFINITY;
  float best_scale = max / -static_cast<float>(nmax);
  for (int k = -kSearchSteps; k <= kSearchSteps; ++k) {
    const float iscale = -(static_cast<float>(nmax) + kSearchDelta * static_cast<float>(k)) / max;
    double slx = 0, sl2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(round_half_even(iscale * x[i]), -nmax, nmax - 1);
      slx += static_cast<double>(l) * x[i];
      sl2 += static_cast<double>(l) * l;
    }
    if (sl2 <= 0) continue;
    const double scale = slx / sl2;
    double err = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(round_half_even(iscale * x[i]), -nmax, nmax - 1);
      const double diff = scale * l - x[i];
      err += diff * diff;
    }
    if (err < best_err) {
      best_err = err;
      best_scale = static_cast<float>(scale);
    }
  }
  return best_scale;
}

// Quantizes the n sub-block values v[] (>= 0) to unsigned integers in [0, qmax] against one
// fp16 super-block scale; returns that scale as stored.
uint16_t quantize_unsigned_scales(const float* v, int n, int qmax, uint8_t* out) {
  float vmax = 0.0f;
  for (int i = 0; i < n; ++i) vmax = std::max(vmax, v[i]);
  const float d = vmax / static_cast<float>(qmax);
  const float id = d > 0.0f ? 1.0f / d : 0.0f;
  for (int i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(std::clamp(round_half_even(id * v[i]), 0, qmax));
  return fp32_to_fp16(d);
}

// Levels for x ~= ds * L - dm with L in [0, nmax], for the scales as stored.
inline void requantize_asymmetric(const float* x, int n, float ds, float dm, int nmax, uint8_t* levels) {
  for (int i = 0; i < n; ++i) {
    levels[i] = ds > 0.0f ? static_cast<uint8_t>(std::clamp(round_half_even((x[i] + dm) / ds), 0, nmax)) : 0;
  }
}

// Packs 6-bit scales and mins of 8 sub-blocks into ggml's 12-byte Q4_K/Q5_K layout.
void pack_scale_min_k4(const uint8_t* sc, const uint8_t* m, uint8_t* out) {
  for (int j = 0; j < 4; ++j) {
    out[j] = static_cast<uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    out[j + 4] = static_cast<uint8_t>((m[j] & 63) | ((m[j + 4] >> 4) << 6));
    out[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0x0f) | ((m[j + 4] & 0x0f) << 4));
  }
}

// Q4_K and Q5_K share everything but the level range and the packing of the levels.
void quantize_q45_k_block(const float* x, int nmax, uint16_t* d_out, uint16_t* dmin_out, uint8_t* scales_out,
                          uint8_t* levels) {
  float scales[8], mins[8];
  for (int j = 0; j < 8; ++j) scales[j] = fit_asymmetric(x + 32 * j, 32, nmax, levels + 32 * j, &mins[j]);
  uint8_t sc[8], m[8];
  *d_out = quantize_unsigned_scales(scales, 8, 63, sc);
  *dmin_out = quantize_unsigned_scales(mins, 8, 63, m);
  pack_scale_min_k4(sc, m, scales_out);
  const float d = fp16_to_fp32(*d_out);
  const float dmin = fp16_to_fp32(*dmin_out);
  for (int j = 0; j < 8; ++j) {
    requantize_asymmetric(x + 32 * j, 32, d * static_cast<float>(sc[j]), dmin * static_cast<float>(m[j]), nmax,
                          levels + 32 * j);
  }
}

}  // namespace

void quantize_row_q2_k(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<block_q2_k*>(dst);
  for (int64_t i = 0; i < n / qk_k; ++i) {
    const float* x = src + i * qk_k;
    uint8_t levels[qk_k];
    float scales[16], mins[16];
    for (int j = 0; j < 16; ++j) scales[j] = fit_asymmetric(x + 16 * j, 16, 3, levels + 16 * j, &mins[j]);
    uint8_t sc[16], m[16];
    y[i].d = quantize_unsigned_scales(scales, 16, 15, sc);
    y[i].dmin = quantize_unsigned_scales(mins, 16, 15, m);
    const float d = fp16_to_fp32(y[i].d);
    const float dmin = fp16_to_fp32(y[i].dmin);
    for (int j = 0; j < 16; ++j) {
      y[i].scales[j] = static_cast<uint8_t>(sc[j] | (m[j] << 4));
      requantize_asymmetric(x + 16 * j, 16, d * static_cast<float>(sc[j]), dmin * static_cast<float>(m[j]), 3,
                            levels + 16 * j);
    }
    std::memset(y[i].qs, 0, sizeof(y[i].qs));
    for (int e = 0; e < qk_k; ++e) {
      y[i].qs[32 * (e / 128) + e % 32] |= static_cast<uint8_t>(levels[e] << (2 * ((e % 128) / 32)));
    }
  }
}

void quantize_row_q3_k(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<block_q3_k*>(dst);
  for (int64_t i = 0; i < n / qk_k; ++i) {
    const float* x = src + i * qk_k;
    float scales[16];
    float max_scale = 0.0f, amax = 0.0f;
    for (int j = 0; j < 16; ++j) {
      scales[j] = fit_symmetric(x + 16 * j, 16, 4);
      if (std::fabs(scales[j]) > amax) {
        amax = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    std::memset(y[i].scales, 0, sizeof(y[i].scales));
    std::memset(y[i].hmask, 0, sizeof(y[i].hmask));
    std::memset(y[i].qs, 0, sizeof(y[i].qs));
    int sc[16] = {};  // signed 6-bit sub-block scales in [-32, 31]
    float d = 0.0f;
    if (amax > 0.0f) {
      const float iscale = -32.0f / max_scale;
      for (int j = 0; j < 16; ++j) sc[j] = std::clamp(round_half_even(iscale * scales[j]), -32, 31);
      d = 1.0f / iscale;
    }
    y[i].d = fp32_to_fp16(d);
    const float d_stored = fp16_to_fp32(y[i].d);
    for (int j = 0; j < 16; ++j) {
      const int s = sc[j] + 32;
      if (j < 8) {
        y[i].scales[j] |= static_cast<uint8_t>(s & 0x0f);
      } else {
        y[i].scales[j - 8] |= static_cast<uint8_t>((s & 0x0f) << 4);
      }
      y[i].scales[8 + j % 4] |= static_cast<uint8_t>((s >> 4) << (2 * (j / 4)));
    }
    for (int e = 0; e < qk_k; ++e) {
      const float ds = d_stored * static_cast<float>(sc[e / 16]);
      const int l = ds != 0.0f ? std::clamp(round_half_even(x[e] / ds), -4, 3) : 0;
      const int v = l + 4;  // 3-bit unsigned
      y[i].qs[32 * (e / 128) + e % 32] |= static_cast<uint8_t>((v & 3) << (2 * ((e % 128) / 32)));
      y[i].hmask[e % 32] |= static_cast<uint8_t>((v >> 2) << (e / 32));
    }
  }
}

void quantize_row_q4_k(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<block_q4_k*>(dst);
  for (int64_t i = 0; i < n / qk_k; ++i) {
    uint8_t levels[qk_k];
    quantize_q45_k_block(src + i * qk_k, 15, &y[i].d, &y[i].dmin, y[i].scales, levels);
    for (int chunk = 0; chunk < qk_k / 64; ++chunk) {
      for (int l = 0; l < 32; ++l) {
        y[i].qs[32 * chunk + l] = static_cast<uint8_t>(levels[64 * chunk + l] | (levels[64 * chunk + 32 + l] << 4));
      }
    }
  }
}

void quantize_row_q5_k(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<block_q5_k*>(dst);
  for (int64_t i = 0; i < n / qk_k; ++i) {
    uint8_t levels[qk_k];
    quantize_q45_k_block(src + i * qk_k, 31, &y[i].d, &y[i].dmin, y[i].scales, levels);
    std::memset(y[i].qh, 0, sizeof(y[i].qh));
    for (int chunk = 0; chunk < qk_k / 64; ++chunk) {
      for (int l = 0; l < 32; ++l) {
        const int lo = levels[64 * chunk + l];
        const int hi = levels[64 * chunk + 32 + l];
        y[i].qs[32 * chunk + l] = static_cast<uint8_t>((lo & 0x0f) | ((hi & 0x0f) << 4));
        y[i].qh[l] |= static_cast<uint8_t>(((lo >> 4) << (2 * chunk)) | ((hi >> 4) << (2 * chunk + 1)));
      }
    }
  }
}

void quantize_row_q6_k(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<block_q6_k*>(dst);
  for (int64_t i = 0; i < n / qk_k; ++i) {
    const float* x = src + i * qk_k;
    float scales[16];
    float max_scale = 0.0f, amax = 0.0f;
    for (int j = 0; j < 16; ++j) {
      scales[j] = fit_symmetric(x + 16 * j, 16, 32);
      if (std::fabs(scales[j]) > amax) {
        amax = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    std::memset(y[i].ql, 0, sizeof(y[i].ql));
    std::memset(y[i].qh, 0, sizeof(y[i].qh));
    float d = 0.0f;
    if (amax > 0.0f) {
      const float iscale = -128.0f / max_scale;
      for (int j = 0; j < 16; ++j) y[i].scales[j] = static_cast<int8_t>(std::clamp(round_half_even(iscale * scales[j]), -128, 127));
      d = 1.0f / iscale;
    } else {
      std::memset(y[i].scales, 0, sizeof(y[i].scales));
    }
    y[i].d = fp32_to_fp16(d);
    const float d_stored = fp16_to_fp32(y[i].d);
    for (int e = 0; e < qk_k; ++e) {
      const float ds = d_stored * static_cast<float>(y[i].scales[e / 16]);
      const int l = ds != 0.0f ? std::clamp(round_half_even(x[e] / ds), -32, 31) : 0;
      const int v = l + 32;  // 6-bit unsigned
      const int half = e / 128, r = e % 128, group = r / 32, pos = r % 32;
      uint8_t& low = y[i].ql[64 * half + pos + 32 * (group & 1)];
      low |= static_cast<uint8_t>((v & 0x0f) << (group < 2 ? 0 : 4));
      y[i].qh[32 * half + pos] |= static_cast<uint8_t>((v >> 4) << (2 * group));
    }
  }
}

}  // namespace plexus::tensor::detail

// The k-quant scale searches of the reference engine, reproduced operation for operation: every
// float multiply and add happens in the same order with separate roundings (this library is built
// with -ffp-contract=off), and rounding to an integer uses the same add-a-magic-constant trick,
// which rounds halves to even. A reordered sum would change a scale in the last bit now and then
// and with it a whole sub-block of levels.
#include "quantize/kquant_exact.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/quant.h"

namespace plexus::quantize {
namespace {

using tensor::block_q2_k;
using tensor::block_q3_k;
using tensor::block_q4_k;
using tensor::block_q5_k;
using tensor::block_q6_k;
using tensor::fp16_to_fp32;
using tensor::fp32_to_fp16;
constexpr int kQK = tensor::qk_k;
constexpr float kGroupMaxEps = 1e-15f;

// Round to nearest, ties to even, for |v| <= 2^22: adding 1.5 * 2^23 leaves the integer in the
// low mantissa bits.
inline int nearest_int(float v) {
  const float shifted = v + 12582912.0f;
  int bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

// The element of x with the largest magnitude (the first on ties); its magnitude in amax.
float signed_absmax(int n, const float* x, float& amax) {
  float max = 0;
  amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  return max;
}

// Levels l = clamp(round(iscale * x), -nmax, nmax - 1) with weights x^2: sumlx = sum w x l and
// suml2 = sum w l^2 (summed in index order, as the byte-exact fits require). Stores l + offset
// in levels when it is not null.
void symmetric_fit_sums(int n, int nmax, float iscale, const float* x, int8_t* levels, int offset, float& sumlx,
                        float& suml2) {
  sumlx = 0;
  suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = nearest_int(iscale * x[i]);
    l = std::max(-nmax, std::min(nmax - 1, l));
    if (levels != nullptr) levels[i] = static_cast<int8_t>(l + offset);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
}

// Symmetric levels in [-nmax, nmax - 1] (stored offset by nmax) for Q6_K's 16-element groups:
// weights x^2, the scale refined over 19 trial spacings. Returns the scale (may be negative).
float fit_symmetric_weighted(int n, int nmax, const float* x, int8_t* levels) {
  float amax = 0;
  const float max = signed_absmax(n, x, amax);
  if (amax < kGroupMaxEps) {
    std::memset(levels, 0, static_cast<size_t>(n));
    return 0.0f;
  }
  float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  symmetric_fit_sums(n, nmax, iscale, x, levels, nmax, sumlx, suml2);
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int step = -9; step <= 9; ++step) {
    if (step == 0) continue;
    iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(step)) / max;
    symmetric_fit_sums(n, nmax, iscale, x, nullptr, 0, sumlx, suml2);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        const int l = nearest_int(iscale * x[i]);
        levels[i] = static_cast<int8_t>(nmax + std::max(-nmax, std::min(nmax - 1, l)));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// Q3_K's group fit: symmetric levels, then up to 5 passes moving single levels while the
// weighted fit improves. Levels stored offset by nmax.
float fit_q3_group(int n, int nmax, const float* x, int8_t* levels) {
  float amax = 0;
  const float max = signed_absmax(n, x, amax);
  if (amax < kGroupMaxEps) {
    std::memset(levels, 0, static_cast<size_t>(n));
    return 0.0f;
  }
  const float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  symmetric_fit_sums(n, nmax, iscale, x, levels, 0, sumlx, suml2);
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * static_cast<float>(levels[i]);
      if (slx > 0) {
        float sl2 = suml2 - w * static_cast<float>(levels[i]) * static_cast<float>(levels[i]);
        int nl = nearest_int(x[i] * sl2 / slx);
        nl = std::max(-nmax, std::min(nmax - 1, nl));
        if (nl != levels[i]) {
          slx += w * x[i] * static_cast<float>(nl);
          sl2 += w * static_cast<float>(nl) * static_cast<float>(nl);
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            levels[i] = static_cast<int8_t>(nl);
            sumlx = slx;
            suml2 = sl2;
            ++changed;
          }
        }
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < n; ++i) levels[i] = static_cast<int8_t>(levels[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Asymmetric fit x ~= scale * L - min_out, L in [0, nmax], minimizing the weighted squared (or,
// with use_mad, absolute) error over nstep + 1 trial spacings (nmax + rmin + rdelta * k).
float fit_asymmetric(int n, int nmax, const float* x, const float* weights, uint8_t* levels, float* min_out,
                     uint8_t* trial, float rmin, float rdelta, int nstep, bool use_mad) {
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    std::memset(levels, 0, static_cast<size_t>(n));
    *min_out = -min;
    return 0.0f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = nearest_int(iscale * (x[i] - min));
    levels[i] = static_cast<uint8_t>(std::max(0, std::min(nmax, l)));
    float diff = scale * static_cast<float>(levels[i]) + min - x[i];
    diff = use_mad ? std::fabs(diff) : diff * diff;
    best_error += weights[i] * diff;
  }
  for (int step = 0; step <= nstep; ++step) {
    iscale = (rmin + rdelta * static_cast<float>(step) + static_cast<float>(nmax)) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearest_int(iscale * (x[i] - min));
      l = std::max(0, std::min(nmax, l));
      trial[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      const float lf = static_cast<float>(l);
      sum_l += w * lf;
      sum_l2 += w * lf * lf;
      sum_xl += w * lf * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (det > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float err = 0;
      for (int i = 0; i < n; ++i) {
        float diff = this_scale * static_cast<float>(trial[i]) + this_min - x[i];
        diff = use_mad ? std::fabs(diff) : diff * diff;
        err += weights[i] * diff;
      }
      if (err < best_error) {
        std::memcpy(levels, trial, static_cast<size_t>(n));
        best_error = err;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *min_out = -min;
  return scale;
}

// Scale j (0..7) and min of a Q4_K/Q5_K super-block's packed 12 bytes.
inline void unpack_scale_min(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

void quantize_q2_k(const float* x, block_q2_k* y, int64_t nb) {
  uint8_t levels[kQK], trial[16];
  float weights[16], mins[kQK / 16], scales[kQK / 16];
  const float q4scale = 15.f;
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < kQK / 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] = fit_asymmetric(16, 3, x + 16 * j, weights, levels + 16 * j, &mins[j], trial, -0.5f, 0.1f, 15, true);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    if (max_scale > 0) {
      const float iscale = q4scale / max_scale;
      for (int j = 0; j < kQK / 16; ++j) y[i].scales[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
      y[i].d = fp32_to_fp16(max_scale / q4scale);
    } else {
      for (int j = 0; j < kQK / 16; ++j) y[i].scales[j] = 0;
      y[i].d = fp32_to_fp16(0.f);
    }
    if (max_min > 0) {
      const float iscale = q4scale / max_min;
      for (int j = 0; j < kQK / 16; ++j) {
        y[i].scales[j] = static_cast<uint8_t>(y[i].scales[j] | (nearest_int(iscale * mins[j]) << 4));
      }
      y[i].dmin = fp32_to_fp16(max_min / q4scale);
    } else {
      y[i].dmin = fp32_to_fp16(0.f);
    }
    for (int j = 0; j < kQK / 16; ++j) {
      const float d = fp16_to_fp32(y[i].d) * static_cast<float>(y[i].scales[j] & 0xF);
      if (d == 0.0f) continue;
      const float dm = fp16_to_fp32(y[i].dmin) * static_cast<float>(y[i].scales[j] >> 4);
      for (int e = 0; e < 16; ++e) {
        const int l = nearest_int((x[16 * j + e] + dm) / d);
        levels[16 * j + e] = static_cast<uint8_t>(std::max(0, std::min(3, l)));
      }
    }
    for (int j = 0; j < kQK; j += 128) {
      for (int l = 0; l < 32; ++l) {
        y[i].qs[j / 4 + l] = static_cast<uint8_t>(levels[j + l] | (levels[j + l + 32] << 2) |
                                                  (levels[j + l + 64] << 4) | (levels[j + l + 96] << 6));
      }
    }
  }
}

void quantize_q3_k(const float* x, block_q3_k* y, int64_t nb) {
  int8_t levels[kQK];
  float scales[kQK / 16];
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    float max_scale = 0, amax = 0;
    for (int j = 0; j < kQK / 16; ++j) {
      scales[j] = fit_q3_group(16, 4, x + 16 * j, levels + 16 * j);
      const float a = std::fabs(scales[j]);
      if (a > amax) {
        amax = a;
        max_scale = scales[j];
      }
    }
    std::memset(y[i].scales, 0, 12);
    if (max_scale != 0.0f) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < kQK / 16; ++j) {
        int8_t l = static_cast<int8_t>(nearest_int(iscale * scales[j]));
        l = static_cast<int8_t>(std::max<int>(-32, std::min<int>(31, l)) + 32);
        if (j < 8) {
          y[i].scales[j] = static_cast<uint8_t>(l & 0xF);
        } else {
          y[i].scales[j - 8] = static_cast<uint8_t>(y[i].scales[j - 8] | ((l & 0xF) << 4));
        }
        l = static_cast<int8_t>(l >> 4);
        y[i].scales[j % 4 + 8] = static_cast<uint8_t>(y[i].scales[j % 4 + 8] | (l << (2 * (j / 4))));
      }
      y[i].d = fp32_to_fp16(1 / iscale);
    } else {
      y[i].d = fp32_to_fp16(0.f);
    }
    for (int j = 0; j < kQK / 16; ++j) {
      int sc = j < 8 ? y[i].scales[j] & 0xF : y[i].scales[j - 8] >> 4;
      sc = (sc | (((y[i].scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
      const float d = fp16_to_fp32(y[i].d) * static_cast<float>(sc);
      if (d == 0.0f) continue;
      for (int e = 0; e < 16; ++e) {
        const int l = nearest_int(x[16 * j + e] / d);
        levels[16 * j + e] = static_cast<int8_t>(std::max(-4, std::min(3, l)) + 4);
      }
    }
    std::memset(y[i].hmask, 0, kQK / 8);
    int m = 0;
    uint8_t hm = 1;
    for (int j = 0; j < kQK; ++j) {
      if (levels[j] > 3) {
        y[i].hmask[m] = static_cast<uint8_t>(y[i].hmask[m] | hm);
        levels[j] = static_cast<int8_t>(levels[j] - 4);
      }
      if (++m == kQK / 8) {
        m = 0;
        hm = static_cast<uint8_t>(hm << 1);
      }
    }
    for (int j = 0; j < kQK; j += 128) {
      for (int l = 0; l < 32; ++l) {
        y[i].qs[j / 4 + l] = static_cast<uint8_t>(levels[j + l] | (levels[j + l + 32] << 2) |
                                                  (levels[j + l + 64] << 4) | (levels[j + l + 96] << 6));
      }
    }
  }
}

// Q4_K and Q5_K share the scale search; they differ in nmax, search range and level packing.
template <typename Block, int kNmax>
void pick_scales_4_5(const float* x, Block& y, uint8_t* levels, float rmin, int nstep) {
  uint8_t trial[32];
  float weights[32], mins[kQK / 32], scales[kQK / 32];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < kQK / 32; ++j) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
    scales[j] = fit_asymmetric(32, kNmax, x + 32 * j, weights, levels + 32 * j, &mins[j], trial, rmin, 0.1f, nstep, false);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int j = 0; j < kQK / 32; ++j) {
    uint8_t ls = static_cast<uint8_t>(nearest_int(inv_scale * scales[j]));
    uint8_t lm = static_cast<uint8_t>(nearest_int(inv_min * mins[j]));
    ls = std::min<uint8_t>(63, ls);
    lm = std::min<uint8_t>(63, lm);
    if (j < 4) {
      y.scales[j] = ls;
      y.scales[j + 4] = lm;
    } else {
      y.scales[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      y.scales[j - 4] = static_cast<uint8_t>(y.scales[j - 4] | ((ls >> 4) << 6));
      y.scales[j] = static_cast<uint8_t>(y.scales[j] | ((lm >> 4) << 6));
    }
  }
  y.d = fp32_to_fp16(max_scale / 63.f);
  y.dmin = fp32_to_fp16(max_min / 63.f);
  for (int j = 0; j < kQK / 32; ++j) {
    uint8_t sc, m;
    unpack_scale_min(j, y.scales, &sc, &m);
    const float d = fp16_to_fp32(y.d) * static_cast<float>(sc);
    if (d == 0.0f) continue;
    const float dm = fp16_to_fp32(y.dmin) * static_cast<float>(m);
    for (int e = 0; e < 32; ++e) {
      const int l = nearest_int((x[32 * j + e] + dm) / d);
      levels[32 * j + e] = static_cast<uint8_t>(std::max(0, std::min(kNmax, l)));
    }
  }
}

void quantize_q4_k(const float* x, block_q4_k* y, int64_t nb) {
  uint8_t levels[kQK];
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    pick_scales_4_5<block_q4_k, 15>(x, y[i], levels, -1.f, 20);
    uint8_t* q = y[i].qs;
    for (int j = 0; j < kQK; j += 64, q += 32) {
      for (int l = 0; l < 32; ++l) q[l] = static_cast<uint8_t>(levels[j + l] | (levels[j + l + 32] << 4));
    }
  }
}

void quantize_q5_k(const float* x, block_q5_k* y, int64_t nb) {
  uint8_t levels[kQK];
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    pick_scales_4_5<block_q5_k, 31>(x, y[i], levels, -0.5f, 15);
    uint8_t* qh = y[i].qh;
    uint8_t* ql = y[i].qs;
    std::memset(qh, 0, kQK / 8);
    uint8_t m1 = 1, m2 = 2;
    for (int n = 0; n < kQK; n += 64, ql += 32) {
      for (int j = 0; j < 32; ++j) {
        int l1 = levels[n + j];
        if (l1 > 15) {
          l1 -= 16;
          qh[j] = static_cast<uint8_t>(qh[j] | m1);
        }
        int l2 = levels[n + j + 32];
        if (l2 > 15) {
          l2 -= 16;
          qh[j] = static_cast<uint8_t>(qh[j] | m2);
        }
        ql[j] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
      m1 = static_cast<uint8_t>(m1 << 2);
      m2 = static_cast<uint8_t>(m2 << 2);
    }
  }
}

void quantize_q6_k(const float* x, block_q6_k* y, int64_t nb) {
  int8_t levels[kQK];
  float scales[kQK / 16];
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    float max_scale = 0, max_abs_scale = 0;
    for (int ib = 0; ib < kQK / 16; ++ib) {
      const float scale = fit_symmetric_weighted(16, 32, x + 16 * ib, levels + 16 * ib);
      scales[ib] = scale;
      const float abs_scale = std::fabs(scale);
      if (abs_scale > max_abs_scale) {
        max_abs_scale = abs_scale;
        max_scale = scale;
      }
    }
    if (max_abs_scale < kGroupMaxEps) {
      std::memset(&y[i], 0, sizeof(block_q6_k));
      y[i].d = fp32_to_fp16(0.f);
      continue;
    }
    const float iscale = -128.f / max_scale;
    y[i].d = fp32_to_fp16(1 / iscale);
    for (int ib = 0; ib < kQK / 16; ++ib) {
      y[i].scales[ib] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
    }
    for (int j = 0; j < kQK / 16; ++j) {
      const float d = fp16_to_fp32(y[i].d) * static_cast<float>(y[i].scales[j]);
      if (d == 0.0f) continue;
      for (int e = 0; e < 16; ++e) {
        const int l = nearest_int(x[16 * j + e] / d);
        levels[16 * j + e] = static_cast<int8_t>(std::max(-32, std::min(31, l)) + 32);
      }
    }
    uint8_t* ql = y[i].ql;
    uint8_t* qh = y[i].qh;
    for (int j = 0; j < kQK; j += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        const int q1 = levels[j + l] & 0xF;
        const int q2 = levels[j + l + 32] & 0xF;
        const int q3 = levels[j + l + 64] & 0xF;
        const int q4 = levels[j + l + 96] & 0xF;
        ql[l] = static_cast<uint8_t>(q1 | (q3 << 4));
        ql[l + 32] = static_cast<uint8_t>(q2 | (q4 << 4));
        qh[l] = static_cast<uint8_t>((levels[j + l] >> 4) | ((levels[j + l + 32] >> 4) << 2) |
                                     ((levels[j + l + 64] >> 4) << 4) | ((levels[j + l + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace

bool has_exact_kquant(tensor_type type) {
  switch (type) {
    case tensor_type::q2_k:
    case tensor_type::q3_k:
    case tensor_type::q4_k:
    case tensor_type::q5_k:
    case tensor_type::q6_k:
      return true;
    default:
      return false;
  }
}

void quantize_row_exact(tensor_type type, const float* src, void* dst, int64_t n) {
  const int64_t nb = n / kQK;
  switch (type) {
    case tensor_type::q2_k: return quantize_q2_k(src, static_cast<block_q2_k*>(dst), nb);
    case tensor_type::q3_k: return quantize_q3_k(src, static_cast<block_q3_k*>(dst), nb);
    case tensor_type::q4_k: return quantize_q4_k(src, static_cast<block_q4_k*>(dst), nb);
    case tensor_type::q5_k: return quantize_q5_k(src, static_cast<block_q5_k*>(dst), nb);
    case tensor_type::q6_k: return quantize_q6_k(src, static_cast<block_q6_k*>(dst), nb);
    default: return tensor::quantize_row(type, src, dst, n);
  }
}

}  // namespace plexus::quantize

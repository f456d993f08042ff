// Reference dequantization and dot products of the k-quants (256-element super-blocks), and the
// Q8_K activation quantizer.
//
// Dot products reproduce ggml's generic vec_dot_qN_K_q8_K bit for bit: integer sums per
// sub-block weighted by the integer sub-block scales; the min terms of Q2_K/Q4_K/Q5_K from the
// activation's bsums; Q3_K..Q6_K accumulate the per-block integer sums in 8 float lanes (lane
// l holds the elements with index % 8 == l) that are added up at the end, as ggml's does.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/type_ops.h"

namespace plexus::tensor::detail {
namespace {

// 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K super-block. Layout of the 12 bytes:
// bytes 0-3 hold sc[0..3] in their low 6 bits, bytes 4-7 hold m[0..3]; bytes 8-11 hold the low
// 4 bits of sc[4..7] (low nibble) and m[4..7] (high nibble), whose top 2 bits sit in the top 2
// bits of bytes 0-3 (sc) and 4-7 (m).
inline void get_scale_min_k4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// The 16 signed 6-bit scales of a Q3_K super-block, minus 32 (see block_q3_k).
inline void unpack_q3_k_scales(const uint8_t* packed, int8_t* out) {
  for (int s = 0; s < 16; ++s) {
    const int low = s < 8 ? (packed[s] & 0x0f) : (packed[s - 8] >> 4);
    const int high = (packed[8 + s % 4] >> (2 * (s / 4))) & 3;
    out[s] = static_cast<int8_t>((low | (high << 4)) - 32);
  }
}

// Adds d * lanes[l] into sums[l], as ggml does once per super-block.
inline void accumulate_lanes(float* sums, float d, const int32_t* lanes) {
  for (int l = 0; l < 8; ++l) sums[l] += d * static_cast<float>(lanes[l]);
}

// aux32[l] += scale * q8[k] * q[k] for k of one 16-element group, in ggml's lane order.
inline void add_group(int32_t* lanes, int scale, const int8_t* q8, const int8_t* q) {
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 8; ++l) {
      const auto prod = static_cast<int16_t>(q8[8 * half + l] * q[8 * half + l]);
      lanes[l] += scale * prod;
    }
  }
}

}  // namespace

// ---- dequantize ----------------------------------------------------------------------------

void dequantize_row_q2_k(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const block_q2_k*>(src);
  float* y = dst;
  for (int64_t i = 0; i < n / qk_k; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    const float min = fp16_to_fp32(x[i].dmin);
    const uint8_t* q = x[i].qs;
    int is = 0;
    for (int half = 0; half < qk_k / 128; ++half) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int part = 0; part < 2; ++part) {
          const uint8_t sc = x[i].scales[is++];
          const float dl = d * static_cast<float>(sc & 0x0f);
          const float ml = min * static_cast<float>(sc >> 4);
          for (int l = 0; l < 16; ++l) *y++ = dl * static_cast<float>((q[16 * part + l] >> shift) & 3) - ml;
        }
      }
      q += 32;
    }
  }
}

void dequantize_row_q3_k(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const block_q3_k*>(src);
  float* y = dst;
  for (int64_t i = 0; i < n / qk_k; ++i) {
    const float d_all = fp16_to_fp32(x[i].d);
    int8_t scales[16];
    unpack_q3_k_scales(x[i].scales, scales);
    const uint8_t* q = x[i].qs;
    const uint8_t* hm = x[i].hmask;
    uint8_t m = 1;
    int is = 0;
    for (int half = 0; half < qk_k / 128; ++half) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int part = 0; part < 2; ++part) {
          const float dl = d_all * static_cast<float>(scales[is++]);
          for (int l = 16 * part; l < 16 * part + 16; ++l) {
            const int v = ((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4);
            *y++ = dl * static_cast<float>(v);
          }
        }
        m = static_cast<uint8_t>(m << 1);
      }
      q += 32;
    }
  }
}

void dequantize_row_q4_k(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const block_q4_k*>(src);
  float* y = dst;
  for (int64_t i = 0; i < n / qk_k; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    const float min = fp16_to_fp32(x[i].dmin);
    const uint8_t* q = x[i].qs;
    for (int chunk = 0, is = 0; chunk < qk_k / 64; ++chunk, is += 2) {
      uint8_t sc, m;
      get_scale_min_k4(is, x[i].scales, &sc, &m);
      const float d1 = d * static_cast<float>(sc);
      const float m1 = min * static_cast<float>(m);
      get_scale_min_k4(is + 1, x[i].scales, &sc, &m);
      const float d2 = d * static_cast<float>(sc);
      const float m2 = min * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0x0f) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
      q += 32;
    }
  }
}

void dequantize_row_q5_k(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const block_q5_k*>(src);
  float* y = dst;
  for (int64_t i = 0; i < n / qk_k; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    const float min = fp16_to_fp32(x[i].dmin);
    const uint8_t* ql = x[i].qs;
    const uint8_t* qh = x[i].qh;
    unsigned u1 = 1, u2 = 2;
    for (int chunk = 0, is = 0; chunk < qk_k / 64; ++chunk, is += 2) {
      uint8_t sc, m;
      get_scale_min_k4(is, x[i].scales, &sc, &m);
      const float d1 = d * static_cast<float>(sc);
      const float m1 = min * static_cast<float>(m);
      get_scale_min_k4(is + 1, x[i].scales, &sc, &m);
      const float d2 = d * static_cast<float>(sc);
      const float m2 = min * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>((ql[l] & 0x0f) + ((qh[l] & u1) ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
      ql += 32;
      u1 <<= 2;
      u2 <<= 2;
    }
  }
}

void dequantize_row_q6_k(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const block_q6_k*>(src);
  for (int64_t i = 0; i < n / qk_k; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    const int8_t* sc = x[i].scales;
    float* y = dst + i * qk_k;
    for (int half = 0; half < qk_k / 128; ++half) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * static_cast<float>(sc[is + 0]) * static_cast<float>(q1);
        y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
        y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
        y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

void dequantize_row_q8_k(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const block_q8_k*>(src);
  for (int64_t i = 0; i < n / qk_k; ++i) {
    for (int j = 0; j < qk_k; ++j) dst[i * qk_k + j] = x[i].d * static_cast<float>(x[i].qs[j]);
  }
}

// ---- Q8_K activations (ggml quantize_row_q8_K_ref) -----------------------------------------

void quantize_row_q8_k(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<block_q8_k*>(dst);
  for (int64_t i = 0; i < n / qk_k; ++i) {
    const float* x = src + i * qk_k;
    float amax = 0.0f;
    float max = 0.0f;  // the element of largest magnitude, with its sign (first one on ties)
    for (int j = 0; j < qk_k; ++j) {
      const float ax = std::fabs(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      y[i].d = 0.0f;
      std::memset(y[i].qs, 0, sizeof(y[i].qs));
      std::memset(y[i].bsums, 0, sizeof(y[i].bsums));
      continue;
    }
    // Negative scale: the largest magnitude maps to -127 (ggml's convention, kept so that the
    // bytes match; q values stay within [-127, 127]).
    const float iscale = -127.0f / max;
    for (int j = 0; j < qk_k; ++j) {
      y[i].qs[j] = static_cast<int8_t>(std::clamp(round_half_even(iscale * x[j]), -128, 127));
    }
    for (int g = 0; g < qk_k / 16; ++g) {
      int sum = 0;
      for (int k = 0; k < 16; ++k) sum += y[i].qs[16 * g + k];
      y[i].bsums[g] = static_cast<int16_t>(sum);
    }
    y[i].d = 1.0f / iscale;
  }
}

// ---- dot products with Q8_K ----------------------------------------------------------------

float vec_dot_q2_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const block_q2_k*>(w);
  const auto* y = static_cast<const block_q8_k*>(a);
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / qk_k; ++i) {
    const uint8_t* q2 = x[i].qs;
    const int8_t* q8 = y[i].qs;
    const uint8_t* sc = x[i].scales;
    int summs = 0;
    for (int j = 0; j < 16; ++j) summs += y[i].bsums[j] * (sc[j] >> 4);
    const float dall = y[i].d * fp16_to_fp32(x[i].d);
    const float dmin = y[i].d * fp16_to_fp32(x[i].dmin);
    int isum = 0;
    int is = 0;
    for (int half = 0; half < qk_k / 128; ++half) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int part = 0; part < 2; ++part) {
          const int d = sc[is++] & 0x0f;
          int isuml = 0;
          for (int l = 16 * part; l < 16 * part + 16; ++l) isuml += q8[l] * ((q2[l] >> shift) & 3);
          isum += d * isuml;
        }
        q8 += 32;
      }
      q2 += 32;
    }
    sumf += dall * static_cast<float>(isum) - dmin * static_cast<float>(summs);
  }
  return sumf;
}

float vec_dot_q3_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const block_q3_k*>(w);
  const auto* y = static_cast<const block_q8_k*>(a);
  float sums[8] = {};
  for (int64_t i = 0; i < n / qk_k; ++i) {
    int8_t q[qk_k];  // signed 3-bit values in element order
    const uint8_t* q3 = x[i].qs;
    const uint8_t* hm = x[i].hmask;
    int8_t* out = q;
    uint8_t m = 1;
    for (int half = 0; half < qk_k / 128; ++half) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int l = 0; l < 32; ++l) *out++ = static_cast<int8_t>(((q3[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4));
        m = static_cast<uint8_t>(m << 1);
      }
      q3 += 32;
    }
    int8_t scales[16];
    unpack_q3_k_scales(x[i].scales, scales);
    int32_t lanes[8] = {};
    for (int g = 0; g < qk_k / 16; ++g) add_group(lanes, scales[g], y[i].qs + 16 * g, q + 16 * g);
    accumulate_lanes(sums, fp16_to_fp32(x[i].d) * y[i].d, lanes);
  }
  float sumf = 0.0f;
  for (int l = 0; l < 8; ++l) sumf += sums[l];
  return sumf;
}

namespace {

// Shared by Q4_K and Q5_K: q holds the 256 unsigned quants in element order.
inline void dot_q45_k_block(const uint8_t* packed_scales, uint16_t d16, uint16_t dmin16, const int8_t* q,
                            const block_q8_k& y, float* sums, float* sumf) {
  uint8_t scales[8], mins[8];
  for (int j = 0; j < 8; ++j) get_scale_min_k4(j, packed_scales, &scales[j], &mins[j]);
  int sumi = 0;
  for (int g = 0; g < qk_k / 16; ++g) sumi += y.bsums[g] * mins[g / 2];
  int32_t lanes[8] = {};
  for (int g = 0; g < qk_k / 16; ++g) add_group(lanes, scales[g / 2], y.qs + 16 * g, q + 16 * g);
  accumulate_lanes(sums, fp16_to_fp32(d16) * y.d, lanes);
  const float dmin = fp16_to_fp32(dmin16) * y.d;
  *sumf -= dmin * static_cast<float>(sumi);
}

}  // namespace

float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const block_q4_k*>(w);
  const auto* y = static_cast<const block_q8_k*>(a);
  float sums[8] = {};
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / qk_k; ++i) {
    int8_t q[qk_k];
    for (int chunk = 0; chunk < qk_k / 64; ++chunk) {
      const uint8_t* q4 = x[i].qs + 32 * chunk;
      for (int l = 0; l < 32; ++l) q[64 * chunk + l] = static_cast<int8_t>(q4[l] & 0x0f);
      for (int l = 0; l < 32; ++l) q[64 * chunk + 32 + l] = static_cast<int8_t>(q4[l] >> 4);
    }
    dot_q45_k_block(x[i].scales, x[i].d, x[i].dmin, q, y[i], sums, &sumf);
  }
  for (int l = 0; l < 8; ++l) sumf += sums[l];
  return sumf;
}

float vec_dot_q5_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const block_q5_k*>(w);
  const auto* y = static_cast<const block_q8_k*>(a);
  float sums[8] = {};
  float sumf = 0.0f;
  for (int64_t i = 0; i < n / qk_k; ++i) {
    int8_t q[qk_k];
    const uint8_t* hm = x[i].qh;
    for (int chunk = 0; chunk < qk_k / 64; ++chunk) {
      const uint8_t* q4 = x[i].qs + 32 * chunk;
      const unsigned m_lo = 1u << (2 * chunk);
      const unsigned m_hi = m_lo << 1;
      for (int l = 0; l < 32; ++l) q[64 * chunk + l] = static_cast<int8_t>((q4[l] & 0x0f) + ((hm[l] & m_lo) ? 16 : 0));
      for (int l = 0; l < 32; ++l) q[64 * chunk + 32 + l] = static_cast<int8_t>((q4[l] >> 4) + ((hm[l] & m_hi) ? 16 : 0));
    }
    dot_q45_k_block(x[i].scales, x[i].d, x[i].dmin, q, y[i], sums, &sumf);
  }
  for (int l = 0; l < 8; ++l) sumf += sums[l];
  return sumf;
}

float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const block_q6_k*>(w);
  const auto* y = static_cast<const block_q8_k*>(a);
  float sums[8] = {};
  for (int64_t i = 0; i < n / qk_k; ++i) {
    int8_t q[qk_k];
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    for (int half = 0; half < qk_k / 128; ++half) {
      int8_t* out = q + 128 * half;
      for (int l = 0; l < 32; ++l) {
        out[l] = static_cast<int8_t>(((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32);
        out[l + 32] = static_cast<int8_t>(((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32);
        out[l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
        out[l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
      }
      ql += 64;
      qh += 32;
    }
    int32_t lanes[8] = {};
    for (int g = 0; g < qk_k / 16; ++g) add_group(lanes, x[i].scales[g], y[i].qs + 16 * g, q + 16 * g);
    accumulate_lanes(sums, fp16_to_fp32(x[i].d) * y[i].d, lanes);
  }
  float sumf = 0.0f;
  for (int l = 0; l < 8; ++l) sumf += sums[l];
  return sumf;
}

}  // namespace plexus::tensor::detail

// Reference quantize / dequantize / dot product of the 32-element block types Q4_0, Q4_1, Q5_0,
// Q5_1, Q8_0 and Q8_1.
//
// Quantizers make the same float operations in the same order as ggml's quantize_row_*_ref (so
// a row quantizes to the same bytes as llama-quantize writes without an imatrix, and activations
// to the same bytes as the reference engine's generic path). Dot products reproduce ggml's
// generic vec_dot (integer block sums, then the scale products in ggml's order, accumulated in a
// float), including the exact order of the float multiplications, which differs between types.
#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstring>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/type_ops.h"

namespace plexus::tensor::detail {

int trunc_to_int(float v) {
  if (std::isnan(v)) return 0;
  if (v >= 2147483648.0f) return INT_MAX;
  if (v < -2147483648.0f) return INT_MIN;
  return static_cast<int>(v);
}

int round_half_away(float v) { return trunc_to_int(std::round(v)); }

int round_half_even(float v) { return trunc_to_int(std::nearbyint(v)); }

namespace {

inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void store_u32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, sizeof(v)); }

// The element of largest magnitude (first one on ties), with its sign; 0 for an all-zero block.
inline float signed_absmax(const float* x, int n) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int j = 0; j < n; ++j) {
    const float v = x[j];
    if (amax < std::fabs(v)) {
      amax = std::fabs(v);
      max = v;
    }
  }
  return max;
}

inline void min_max(const float* x, int n, float* min_out, float* max_out) {
  float min = FLT_MAX;
  float max = -FLT_MAX;
  for (int j = 0; j < n; ++j) {
    const float v = x[j];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  *min_out = min;
  *max_out = max;
}

inline int clamp_int(int v, int lo, int hi) { return std::min(hi, std::max(lo, v)); }

}  // namespace

// ---- dequantize ----------------------------------------------------------------------------

void dequantize_row_q4_0(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const block_q4_0*>(src);
  for (int64_t i = 0; i < n / qk4_0; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    float* y = dst + i * qk4_0;
    for (int j = 0; j < qk4_0 / 2; ++j) {
      const int x0 = (x[i].qs[j] & 0x0f) - 8;
      const int x1 = (x[i].qs[j] >> 4) - 8;
      y[j] = static_cast<float>(x0) * d;
      y[j + qk4_0 / 2] = static_cast<float>(x1) * d;
    }
  }
}

void dequantize_row_q4_1(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const block_q4_1*>(src);
  for (int64_t i = 0; i < n / qk4_1; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    const float m = fp16_to_fp32(x[i].m);
    float* y = dst + i * qk4_1;
    for (int j = 0; j < qk4_1 / 2; ++j) {
      const int x0 = x[i].qs[j] & 0x0f;
      const int x1 = x[i].qs[j] >> 4;
      y[j] = static_cast<float>(x0) * d + m;
      y[j + qk4_1 / 2] = static_cast<float>(x1) * d + m;
    }
  }
}

void dequantize_row_q5_0(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const block_q5_0*>(src);
  for (int64_t i = 0; i < n / qk5_0; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    const uint32_t qh = load_u32(x[i].qh);
    float* y = dst + i * qk5_0;
    for (int j = 0; j < qk5_0 / 2; ++j) {
      const int h0 = static_cast<int>((qh >> j) & 1u) << 4;
      const int h1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
      const int x0 = ((x[i].qs[j] & 0x0f) | h0) - 16;
      const int x1 = ((x[i].qs[j] >> 4) | h1) - 16;
      y[j] = static_cast<float>(x0) * d;
      y[j + qk5_0 / 2] = static_cast<float>(x1) * d;
    }
  }
}

void dequantize_row_q5_1(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const block_q5_1*>(src);
  for (int64_t i = 0; i < n / qk5_1; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    const float m = fp16_to_fp32(x[i].m);
    const uint32_t qh = load_u32(x[i].qh);
    float* y = dst + i * qk5_1;
    for (int j = 0; j < qk5_1 / 2; ++j) {
      const int h0 = static_cast<int>((qh >> j) & 1u) << 4;
      const int h1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
      const int x0 = (x[i].qs[j] & 0x0f) | h0;
      const int x1 = (x[i].qs[j] >> 4) | h1;
      y[j] = static_cast<float>(x0) * d + m;
      y[j + qk5_1 / 2] = static_cast<float>(x1) * d + m;
    }
  }
}

void dequantize_row_q8_0(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const block_q8_0*>(src);
  for (int64_t i = 0; i < n / qk8_0; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < qk8_0; ++j) dst[i * qk8_0 + j] = static_cast<float>(x[i].qs[j]) * d;
  }
}

void dequantize_row_q8_1(const void* src, float* dst, int64_t n) {
  const auto* x = static_cast<const block_q8_1*>(src);
  for (int64_t i = 0; i < n / qk8_1; ++i) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < qk8_1; ++j) dst[i * qk8_1 + j] = static_cast<float>(x[i].qs[j]) * d;
  }
}

// ---- quantize (ggml *_ref rounding) --------------------------------------------------------

void quantize_row_q4_0(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<block_q4_0*>(dst);
  for (int64_t i = 0; i < n / qk4_0; ++i) {
    const float* x = src + i * qk4_0;
    const float max = signed_absmax(x, qk4_0);
    const float d = max / -8.0f;  // the largest magnitude maps to q = 0, i.e. -8 * d
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < qk4_0 / 2; ++j) {
      const int q0 = clamp_int(trunc_to_int(x[j] * id + 8.5f), 0, 15);
      const int q1 = clamp_int(trunc_to_int(x[j + qk4_0 / 2] * id + 8.5f), 0, 15);
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_row_q4_1(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<block_q4_1*>(dst);
  for (int64_t i = 0; i < n / qk4_1; ++i) {
    const float* x = src + i * qk4_1;
    float min, max;
    min_max(x, qk4_1, &min, &max);
    const float d = (max - min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    y[i].m = fp32_to_fp16(min);
    for (int j = 0; j < qk4_1 / 2; ++j) {
      const int q0 = clamp_int(trunc_to_int((x[j] - min) * id + 0.5f), 0, 15);
      const int q1 = clamp_int(trunc_to_int((x[j + qk4_1 / 2] - min) * id + 0.5f), 0, 15);
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_row_q5_0(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<block_q5_0*>(dst);
  for (int64_t i = 0; i < n / qk5_0; ++i) {
    const float* x = src + i * qk5_0;
    const float max = signed_absmax(x, qk5_0);
    const float d = max / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < qk5_0 / 2; ++j) {
      const int q0 = clamp_int(trunc_to_int(x[j] * id + 16.5f), 0, 31);
      const int q1 = clamp_int(trunc_to_int(x[j + qk5_0 / 2] * id + 16.5f), 0, 31);
      y[i].qs[j] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j;
      qh |= static_cast<uint32_t>(q1 >> 4) << (j + qk5_0 / 2);
    }
    store_u32(y[i].qh, qh);
  }
}

void quantize_row_q5_1(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<block_q5_1*>(dst);
  for (int64_t i = 0; i < n / qk5_1; ++i) {
    const float* x = src + i * qk5_1;
    float min, max;
    min_max(x, qk5_1, &min, &max);
    const float d = (max - min) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    y[i].m = fp32_to_fp16(min);
    uint32_t qh = 0;
    for (int j = 0; j < qk5_1 / 2; ++j) {
      const int q0 = clamp_int(trunc_to_int((x[j] - min) * id + 0.5f), 0, 31);
      const int q1 = clamp_int(trunc_to_int((x[j + qk5_1 / 2] - min) * id + 0.5f), 0, 31);
      y[i].qs[j] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j;
      qh |= static_cast<uint32_t>(q1 >> 4) << (j + qk5_1 / 2);
    }
    store_u32(y[i].qh, qh);
  }
}

void quantize_row_q8_0(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<block_q8_0*>(dst);
  for (int64_t i = 0; i < n / qk8_0; ++i) {
    const float* x = src + i * qk8_0;
    float amax = 0.0f;
    for (int j = 0; j < qk8_0; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < qk8_0; ++j) y[i].qs[j] = static_cast<int8_t>(clamp_int(round_half_away(x[j] * id), -127, 127));
  }
}

void quantize_row_q8_1(const float* src, void* dst, int64_t n) {
  auto* y = static_cast<block_q8_1*>(dst);
  for (int64_t i = 0; i < n / qk8_1; ++i) {
    const float* x = src + i * qk8_1;
    float amax = 0.0f;
    for (int j = 0; j < qk8_1; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    int sum = 0;
    for (int j = 0; j < qk8_1; ++j) {
      const int q = clamp_int(round_half_away(x[j] * id), -127, 127);
      y[i].qs[j] = static_cast<int8_t>(q);
      sum += q;
    }
    y[i].s = fp32_to_fp16(static_cast<float>(sum) * d);
  }
}

// ---- dot products (ggml generic order of operations) ---------------------------------------

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const block_q4_0*>(w);
  const auto* y = static_cast<const block_q8_0*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / qk8_0; ++i) {
    int sumi0 = 0;
    int sumi1 = 0;
    for (int j = 0; j < qk8_0 / 2; ++j) {
      const int v0 = (x[i].qs[j] & 0x0f) - 8;
      const int v1 = (x[i].qs[j] >> 4) - 8;
      sumi0 += v0 * y[i].qs[j];
      sumi1 += v1 * y[i].qs[j + qk8_0 / 2];
    }
    const int sumi = sumi0 + sumi1;
    sum += static_cast<float>(sumi) * fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d);
  }
  return sum;
}

float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const block_q4_1*>(w);
  const auto* y = static_cast<const block_q8_1*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / qk8_1; ++i) {
    int sumi0 = 0;
    int sumi1 = 0;
    for (int j = 0; j < qk8_1 / 2; ++j) {
      sumi0 += (x[i].qs[j] & 0x0f) * y[i].qs[j];
      sumi1 += (x[i].qs[j] >> 4) * y[i].qs[j + qk8_1 / 2];
    }
    const int sumi = sumi0 + sumi1;
    sum += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * static_cast<float>(sumi) +
           fp16_to_fp32(x[i].m) * fp16_to_fp32(y[i].s);
  }
  return sum;
}

float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const block_q5_0*>(w);
  const auto* y = static_cast<const block_q8_0*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / qk8_0; ++i) {
    const uint32_t qh = load_u32(x[i].qh);
    int sumi0 = 0;
    int sumi1 = 0;
    for (int j = 0; j < qk8_0 / 2; ++j) {
      const int h0 = static_cast<int>((qh >> j) & 1u) << 4;
      const int h1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
      const int x0 = ((x[i].qs[j] & 0x0f) | h0) - 16;
      const int x1 = ((x[i].qs[j] >> 4) | h1) - 16;
      sumi0 += x0 * y[i].qs[j];
      sumi1 += x1 * y[i].qs[j + qk8_0 / 2];
    }
    const int sumi = sumi0 + sumi1;
    sum += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * static_cast<float>(sumi);
  }
  return sum;
}

float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const block_q5_1*>(w);
  const auto* y = static_cast<const block_q8_1*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / qk8_1; ++i) {
    const uint32_t qh = load_u32(x[i].qh);
    int sumi0 = 0;
    int sumi1 = 0;
    for (int j = 0; j < qk8_1 / 2; ++j) {
      const int h0 = static_cast<int>((qh >> j) & 1u) << 4;
      const int h1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
      sumi0 += ((x[i].qs[j] & 0x0f) | h0) * y[i].qs[j];
      sumi1 += ((x[i].qs[j] >> 4) | h1) * y[i].qs[j + qk8_1 / 2];
    }
    const int sumi = sumi0 + sumi1;
    sum += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * static_cast<float>(sumi) +
           fp16_to_fp32(x[i].m) * fp16_to_fp32(y[i].s);
  }
  return sum;
}

float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const block_q8_0*>(w);
  const auto* y = static_cast<const block_q8_0*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / qk8_0; ++i) {
    int sumi = 0;
    for (int j = 0; j < qk8_0; ++j) sumi += x[i].qs[j] * y[i].qs[j];
    sum += static_cast<float>(sumi) * (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d));
  }
  return sum;
}

}  // namespace plexus::tensor::detail

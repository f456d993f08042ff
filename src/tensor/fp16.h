// Scalar conversions between float and the 16-bit float formats stored in GGUF files.
//   fp16: IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits).
//   bf16: bfloat16, the upper half of a binary32 (1 sign, 8 exponent, 7 mantissa bits).
// float -> 16-bit rounds to nearest, ties to even, like ggml (its F16C path and its bf16 _ref
// conversion), so that activations converted here are bit-identical to the reference engine's.
// Widening is exact. Values are passed as raw bit patterns (uint16_t) because the block structs
// store them that way.
// Thread-safe: pure inline functions.
#pragma once

#include <cstdint>
#include <cstring>

namespace plexus::tensor {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

// Exact: every binary16 value (subnormals, infinities, NaN payloads) is a binary32 value.
// Finite values: the 15 exponent+mantissa bits, shifted into place, read as a binary32 whose
// exponent is 112 too small (binary16 subnormals land on binary32 subnormals); multiplying by
// 2^112 rebiases exactly. Branch-free for finite inputs, so row loops vectorize. (Assumes the
// FPU does not treat subnormal inputs as zero, i.e. no DAZ, which nothing in Plexus enables.)
inline float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t em = h & 0x7fffu;
  if (em >= 0x7c00u) return bits_float(sign | 0x7f800000u | ((em & 0x3ffu) << 13));  // inf / NaN
  return bits_float(sign | float_bits(bits_float(em << 13) * 0x1p112f));
}

// Round to nearest even. Overflow (|f| >= 65520) gives infinity; NaN stays NaN (quiet, sign and
// the top payload bits kept, as x86 F16C does); results below the smallest subnormal round to 0.
inline uint16_t fp32_to_fp16(float f) {
  const uint32_t x = float_bits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u | ((ax >> 13) & 0x1ffu));
  if (ax >= 0x38800000u) {  // |f| >= 2^-14: a normal binary16 or an overflow
    // Add half an ulp of the result (minus one unless the kept lsb is odd: ties to even), then
    // drop the 13 extra mantissa bits; a carry moves into the exponent as it should.
    const uint32_t rounded = ax + 0xfffu + ((ax >> 13) & 1u);
    const uint32_t h = (rounded - 0x38000000u) >> 13;  // rebias 127 -> 15
    return static_cast<uint16_t>(sign | (h >= 0x7c00u ? 0x7c00u : h));
  }
  // Subnormal binary16 result: m = round_even(|f| * 2^24), m in [0, 1024] (1024 encodes 2^-14).
  const uint32_t e = ax >> 23;
  if (e < 102) return sign;  // |f| < 2^-25: rounds to zero (2^-25 itself is a tie, handled below)
  const uint32_t mant = (ax & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126 - e;  // value * 2^24 = mant * 2^-(126 - e), shift in [14, 24]
  uint32_t m = mant >> shift;
  const uint32_t rem = mant & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (m & 1u))) ++m;
  return static_cast<uint16_t>(sign | m);
}

inline float bf16_to_fp32(uint16_t h) { return bits_float(static_cast<uint32_t>(h) << 16); }

// As ggml_compute_fp32_to_bf16: NaN -> quiet NaN (bit 6 of the result set), otherwise round to
// nearest even on the upper 16 bits (subnormals are rounded, not flushed; overflow gives inf).
inline uint16_t fp32_to_bf16(float f) {
  const uint32_t x = float_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace plexus::tensor

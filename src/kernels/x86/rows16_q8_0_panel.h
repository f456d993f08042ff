// The row panel that rows16 Q4_0 and Q8_0 dots read (from the Q8_0 activation row), shared by
// the AVX2 (dot_rows16_impl.h) and AVX-512 (dot_rows16_512_impl.h) kernels: the same bytes for
// both. Compiled into each per-ISA file under its own namespace, as simd_common.h is.
// Thread-safe: pure functions.
#pragma once

#include "kernels/x86/simd_common.h"
#include "tensor/blocks.h"

namespace plexus::kernels::x86::PLEXUS_X86_NS {
namespace {

// Row panel of a rows16 Q4_0 or Q8_0 matmul (from the Q8_0 row): the n quants, then float d of
// each 32-element block, then int32 8 x (sum of the block's quants): the offset of Q4_0's q - 8
// (Q8_0's AVX-512 dots read 16 x sum8: the offset of its weights' w + 128).
#define PLEXUS_X86_ROWS16_Q8_0_ACTS 1
inline uint64_t rows16_q8_0_tail_off(int64_t n) { return static_cast<uint64_t>(n); }  // where the d start
inline uint64_t rows16_q8_0_sum8_off(uint64_t n) { return n + n / 32 * sizeof(float); }
uint64_t rows16_q8_0_act_bytes(int64_t n) {
  return rows16_q8_0_sum8_off(static_cast<uint64_t>(n)) + static_cast<uint64_t>(n / 32) * sizeof(int32_t);
}
void pack_rows16_acts_q8_0(const uint8_t* src, int64_t n, uint8_t* panel) {
  const auto* y = reinterpret_cast<const tensor::block_q8_0*>(src);
  auto* d = reinterpret_cast<float*>(panel + rows16_q8_0_tail_off(n));
  auto* sum8 = reinterpret_cast<int32_t*>(panel + rows16_q8_0_sum8_off(static_cast<uint64_t>(n)));
  for (int64_t b = 0; b < n / 32; ++b) {
    std::memcpy(panel + 32 * b, y[b].qs, 32);
    d[b] = f16_to_f32(y[b].d);
    int32_t sum = 0;
    for (int k = 0; k < 32; ++k) sum += y[b].qs[k];
    sum8[b] = 8 * sum;
  }
}

// What group i (256 columns) reads of a token's panel `a` of n columns (n = tail_off).
struct q8_0_panel_part {
  const int8_t* q;       // 256 quants
  const float* d;        // 8 block scales
  const int32_t* sum8;   // 8 block offsets
};
inline q8_0_panel_part q8_0_panel(const uint8_t* a, uint64_t n, int64_t i) {
  return {reinterpret_cast<const int8_t*>(a) + 256 * i, reinterpret_cast<const float*>(a + n) + 8 * i,
          reinterpret_cast<const int32_t*>(a + rows16_q8_0_sum8_off(n)) + 8 * i};
}

}  // namespace
}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

// The function table behind ops.h. Every public op in ops.h forwards through the table that
// active_op_table() returns; that table is chosen once, on first use, by select_op_table() in
// ops.cpp (today it is always the scalar reference in ref/; SIMD variants in x86/ or cuda/ will be
// picked there by CPU features). reference_op_table() stays available so that tests and benches
// can check any variant against the reference with a stated tolerance.
// Thread-safe: the tables are immutable; selection is a thread-safe static initialization.
#pragma once

#include <cstdint>

#include "kernels/ops.h"

namespace plexus::kernels {

struct op_table {
  const char* name;  // "ref", later e.g. "avx2"
  void (*matmul)(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);
  void (*get_row)(const MatrixView& w, int64_t row, float* out);
  void (*rms_norm)(const float* x, const float* gain, float* y, int64_t n, float eps);
  void (*layer_norm)(const float* x, const float* gain, const float* bias, float* y, int64_t n, float eps);
  void (*rope)(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos, float freq_base,
               const float* freq_factors, rope_style style);
  void (*softmax)(float* x, int64_t n);
  void (*silu_mul)(float* gate, const float* up, int64_t n);
  void (*gelu)(float* x, int64_t n);
  void (*add)(float* y, const float* x, int64_t n);
};

// The table the public ops use (selected once per process).
const op_table& active_op_table();
// The scalar reference, always present.
const op_table& reference_op_table();

}  // namespace plexus::kernels

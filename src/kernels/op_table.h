// The function table behind ops.h. Every public op in ops.h forwards through the table that
// active_op_table() returns. That table is chosen once, on first use, from the CPU's features:
// "avx512" (AVX-512 F/BW/VL/DQ + VNNI; BF16 kernels when AVX512_BF16 is there too), else "avx2"
// (AVX2 + FMA + F16C), else "ref", the scalar reference. PLEXUS_CPU=ref|avx2|avx512 overrides the
// choice. reference_op_table() and available_op_tables() let tests and benches check every
// variant against the reference with a stated tolerance.
// Thread-safe: the tables are immutable; selection is a thread-safe static initialization.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/ops.h"

namespace plexus::kernels {

struct op_table {
  const char* name;  // "ref", "avx2", "avx512"
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
  float (*dot_f32)(const float* a, const float* b, int64_t n);
  void (*axpy_f32)(float* y, float a, const float* x, int64_t n);
  // The activation conversion matmul uses: x -> `type` (a vec-dot type: Q8_0, Q8_1, Q8_K, F16,
  // BF16, F32), bytes identical to tensor::quantize_row. Contract as tensor::quantize_row.
  void (*quantize_row)(tensor_type type, const float* x, void* y, int64_t n);
  // One weight row (`type`) . one activation row (vec_dot_type(type)), as matmul computes it for
  // a single token. Contract as tensor::vec_dot.
  float (*vec_dot)(tensor_type type, int64_t n, const void* w, const void* a);
  // Grouped-query attention over a chunked key/value span (contract in ops.h).
  void (*attention_group)(const float* q, int64_t q_stride, int64_t n_q, int64_t head_dim, float scale,
                          const float* const* k_chunks, const float* const* v_chunks, int64_t chunk_rows, int64_t n_rows,
                          int64_t row_stride, float* out, int64_t out_stride);
  // Several matrices over the same x (contract in ops.h).
  void (*matmul_many)(const MatrixView* ws, float* const* ys, int count, const float* x, int64_t n_tokens, ThreadPool& pool);
  // Whether matmul has rows16 kernels for the type (contract in ops.h).
  bool (*has_rows16)(tensor_type type);
};

// The table the public ops use (selected once per process).
const op_table& active_op_table();
// The scalar reference, always present.
const op_table& reference_op_table();
// Every variant compiled in that this CPU can run: the reference first, then the faster ones in
// increasing order of the features they need.
std::vector<const op_table*> available_op_tables();
// The variant called `name`, or null when it is not compiled in or this CPU lacks its features.
const op_table* find_op_table(std::string_view name);
// The table a PLEXUS_CPU value selects: null or "" picks the best available. An unknown name, or a
// variant this CPU cannot run, also gives the best available and explains why in *warning
// (cleared otherwise).
const op_table& choose_op_table(const char* request, std::string* warning);

}  // namespace plexus::kernels

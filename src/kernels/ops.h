// The op set the models are written in. Kernels know nothing of models: they see matrices and
// float rows. Each op has a scalar reference (ref/); faster variants are chosen once at start-up
// through the table in op_table.h, which every function below forwards to.
// Thread-safe: ops are pure functions of their arguments; ops taking a ThreadPool run on it.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "gguf/tensor_type.h"

namespace plexus::kernels {

// How a matrix's rows lie in memory.
enum class matrix_layout : uint8_t {
  rows,    // row-major as in GGUF: row r starts at data + r * row_stride
  rows16,  // groups of 16 rows interleaved per super-block (kernels/interleave.h); rows % 16 == 0
           // and row_stride is exactly one row's bytes, so group g starts at data + 16 g row_stride
};

// A 2-D weight matrix in `type`: row r (of `cols` elements) starts at data + r * row_stride bytes
// (layout rows). In GGUF terms cols = dims[0], rows = dims[1].
struct MatrixView {
  tensor_type type = tensor_type::f32;
  int64_t rows = 0;
  int64_t cols = 0;
  uint64_t row_stride = 0;
  const uint8_t* data = nullptr;
  matrix_layout layout = matrix_layout::rows;
};

// y[t][r] = sum_c w[r][c] * x[t][c] for t < n_tokens.
// x: [n_tokens, w.cols] f32, y: [n_tokens, w.rows] f32 (row-major). Activations are converted
// to vec_dot_type(w.type) first, as the reference engine does. Rows are split across the pool.
void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

// ys[i] = ws[i] x for i < count: matrices of equal cols applied to the same x (a layer's Q, K and V,
// or gate and up). Each result equals matmul(ws[i], x, ...) bit for bit; a single-token step runs
// them in one pool dispatch with one activation conversion where the matrices share a kernel path.
void matmul_many(const MatrixView* ws, float* const* ys, int count, const float* x, int64_t n_tokens, ThreadPool& pool);

// Whether matmul on this CPU has kernels that read `type` in the rows16 layout (faster than the
// row-major ones); the model loader interleaves weight matrices only then. Every variant still
// accepts rows16 matrices of any type that has the layout (the others convert groups back).
bool matmul_has_rows16(tensor_type type);

// out[c] = w[row][c] as f32 (embedding lookup).
void get_row(const MatrixView& w, int64_t row, float* out);

// y = x / sqrt(mean(x^2) + eps) * gain  (gain may be null: no scaling). n elements.
void rms_norm(const float* x, const float* gain, float* y, int64_t n, float eps);
// y = (x - mean) / sqrt(var + eps) * gain + bias  (gain/bias may be null).
void layer_norm(const float* x, const float* gain, const float* bias, float* y, int64_t n, float eps);

enum class rope_style { norm, neox };  // norm: rotate adjacent pairs (x0,x1); neox: pairs (x_i, x_{i+d/2})
// Rotates the first n_rot dims of each of n_heads heads (head_dim floats each) of x in place, for
// position `pos`. theta_i = pos * base^(-2i/n_rot) / freq_factors[i] (freq_factors may be null).
void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos, float freq_base,
          const float* freq_factors, rope_style style);

// In-place numerically stable softmax over n floats.
void softmax(float* x, int64_t n);
// gate[i] = silu(gate[i]) * up[i]
void silu_mul(float* gate, const float* up, int64_t n);
// x[i] = gelu(x[i]) (tanh approximation, as ggml)
void gelu(float* x, int64_t n);
// y[i] += x[i]
void add(float* y, const float* x, int64_t n);

// sum_i a[i] * b[i] over n floats (attention scores: q . k). The reference sums in float, in order.
float dot_f32(const float* a, const float* b, int64_t n);
// y[i] += a * x[i] over n floats (attention: the weighted sum of value rows).
void axpy_f32(float* y, float a, const float* x, int64_t n);

// Attention of a group of n_q query heads that share one key/value head (grouped-query attention)
// over a span of n_rows key/value rows stored in chunks (the blocks of a paged KV cache):
//   out_h = sum_{j < n_rows} softmax_j(scale * q_h . k_j) * v_j
// Row j is k_chunks[j / chunk_rows] + (j % chunk_rows) * row_stride (v_j likewise from v_chunks):
// every chunk holds chunk_rows rows but the last, which holds the rest. q_h is q + h * q_stride,
// out_h is out + h * out_stride; rows and heads are head_dim floats. Online softmax: scores are
// taken against a running maximum, so spans of any length neither overflow nor underflow. An
// empty span (n_rows <= 0, or chunk_rows <= 0) gives zeros; scores all -inf give NaN, as softmax
// does. n_q <= 0 or head_dim <= 0 does nothing. out must not overlap the inputs.
void attention_group(const float* q, int64_t q_stride, int64_t n_q, int64_t head_dim, float scale,
                     const float* const* k_chunks, const float* const* v_chunks, int64_t chunk_rows, int64_t n_rows,
                     int64_t row_stride, float* out, int64_t out_stride);

// Name of the kernel variant in use: "ref", "avx2" or "avx512" (for logs and benchmarks). The
// variant is chosen once per process from the CPU's features; the environment variable
// PLEXUS_CPU=ref|avx2|avx512 forces one (a level the CPU lacks falls back to the best available,
// with a one-time warning on stderr).
const char* active_isa();

}  // namespace plexus::kernels

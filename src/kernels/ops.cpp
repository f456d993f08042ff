// Public ops: thin forwards through the op table selected once at start-up (see op_table.h).
#include "kernels/ops.h"

#include "kernels/op_table.h"
#include "kernels/ref/ref_ops.h"

namespace plexus::kernels {
namespace {

constexpr op_table kReferenceTable = {
    "ref",         ref::matmul,  ref::get_row,  ref::rms_norm, ref::layer_norm,
    ref::rope,     ref::softmax, ref::silu_mul, ref::gelu,     ref::add,
};

// The one place where a faster variant will be chosen (by CPU features, once per process).
const op_table& select_op_table() { return kReferenceTable; }

}  // namespace

const op_table& reference_op_table() { return kReferenceTable; }

const op_table& active_op_table() {
  static const op_table& table = select_op_table();
  return table;
}

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  active_op_table().matmul(w, x, n_tokens, y, pool);
}

void get_row(const MatrixView& w, int64_t row, float* out) { active_op_table().get_row(w, row, out); }

void rms_norm(const float* x, const float* gain, float* y, int64_t n, float eps) {
  active_op_table().rms_norm(x, gain, y, n, eps);
}

void layer_norm(const float* x, const float* gain, const float* bias, float* y, int64_t n, float eps) {
  active_op_table().layer_norm(x, gain, bias, y, n, eps);
}

void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos, float freq_base,
          const float* freq_factors, rope_style style) {
  active_op_table().rope(x, n_heads, head_dim, n_rot, pos, freq_base, freq_factors, style);
}

void softmax(float* x, int64_t n) { active_op_table().softmax(x, n); }

void silu_mul(float* gate, const float* up, int64_t n) { active_op_table().silu_mul(gate, up, n); }

void gelu(float* x, int64_t n) { active_op_table().gelu(x, n); }

void add(float* y, const float* x, int64_t n) { active_op_table().add(y, x, n); }

}  // namespace plexus::kernels

// Public ops: thin forwards through the op table selected once at start-up (see op_table.h).
#include "kernels/ops.h"

#include <cstdio>
#include <cstdlib>

#include "kernels/op_table.h"
#include "kernels/ref/ref_ops.h"
#include "tensor/quant.h"
#if PLEXUS_KERNELS_X86
#include "kernels/x86/x86_tables.h"
#endif

namespace plexus::kernels {
namespace {

// Scalar references of the attention helpers: the loops attention.cpp ran before they existed (a
// float sum in index order; separate roundings, as this library is built with -ffp-contract=off).
float ref_dot_f32(const float* a, const float* b, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void ref_axpy_f32(float* y, float a, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void ref_matmul_many(const MatrixView* ws, float* const* ys, int count, const float* x, int64_t n_tokens, ThreadPool& pool) {
  for (int i = 0; i < count; ++i) ref::matmul(ws[i], x, n_tokens, ys[i], pool);
}

bool no_rows16(tensor_type) { return false; }

constexpr op_table kReferenceTable = {
    "ref",         ref::matmul, ref::get_row, ref::rms_norm,  ref::layer_norm,    ref::rope,       ref::softmax,
    ref::silu_mul, ref::gelu,   ref::add,     ref_dot_f32,    ref_axpy_f32,       tensor::quantize_row, tensor::vec_dot,
    ref::attention_group, ref_matmul_many, no_rows16,
};

// The best variant this CPU can run.
const op_table& best_op_table() { return *available_op_tables().back(); }

const op_table& select_op_table() {
  std::string warning;
  const op_table& table = choose_op_table(std::getenv("PLEXUS_CPU"), &warning);
  if (!warning.empty()) std::fprintf(stderr, "plexus: %s\n", warning.c_str());
  return table;
}

}  // namespace

const op_table& reference_op_table() { return kReferenceTable; }

std::vector<const op_table*> available_op_tables() {
  std::vector<const op_table*> tables = {&kReferenceTable};
#if PLEXUS_KERNELS_X86
  if (const op_table* t = x86::avx2_op_table()) tables.push_back(t);
  if (const op_table* t = x86::avx512_op_table()) tables.push_back(t);
#endif
  return tables;
}

const op_table* find_op_table(std::string_view name) {
  for (const op_table* t : available_op_tables()) {
    if (name == t->name) return t;
  }
  return nullptr;
}

const op_table& choose_op_table(const char* request, std::string* warning) {
  warning->clear();
  const op_table& best = best_op_table();
  if (request == nullptr || *request == '\0') return best;
  const std::string_view name(request);
  if (const op_table* t = find_op_table(name)) return *t;
  if (name == "ref" || name == "avx2" || name == "avx512") {
    *warning = "PLEXUS_CPU=" + std::string(name) + ": this CPU (or build) lacks its features; using " + best.name;
  } else {
    *warning = "PLEXUS_CPU=" + std::string(name) + " is not one of ref, avx2, avx512; using " + best.name;
  }
  return best;
}

const op_table& active_op_table() {
  static const op_table& table = select_op_table();
  return table;
}

const char* active_isa() { return active_op_table().name; }

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  active_op_table().matmul(w, x, n_tokens, y, pool);
}

void matmul_many(const MatrixView* ws, float* const* ys, int count, const float* x, int64_t n_tokens, ThreadPool& pool) {
  active_op_table().matmul_many(ws, ys, count, x, n_tokens, pool);
}

bool matmul_has_rows16(tensor_type type) { return active_op_table().has_rows16(type); }

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

float dot_f32(const float* a, const float* b, int64_t n) { return active_op_table().dot_f32(a, b, n); }

void axpy_f32(float* y, float a, const float* x, int64_t n) { active_op_table().axpy_f32(y, a, x, n); }

void attention_group(const float* q, int64_t q_stride, int64_t n_q, int64_t head_dim, float scale,
                     const float* const* k_chunks, const float* const* v_chunks, int64_t chunk_rows, int64_t n_rows,
                     int64_t row_stride, float* out, int64_t out_stride) {
  active_op_table().attention_group(q, q_stride, n_q, head_dim, scale, k_chunks, v_chunks, chunk_rows, n_rows, row_stride,
                                    out, out_stride);
}

}  // namespace plexus::kernels

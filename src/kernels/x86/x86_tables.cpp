// Builds the "avx2" and "avx512" op tables from the per-ISA kernel sets, once, and only on a CPU
// that has the features (the add_* functions themselves are compiled with those -m flags).
// Ops a set does not cover fall back to the scalar reference.
#include "kernels/x86/x86_tables.h"

#include <vector>

#include "kernels/ref/ref_ops.h"
#include "kernels/x86/cpu_features.h"
#include "tensor/quant.h"

namespace plexus::kernels::x86 {
namespace {

isa_kernels build_avx2() {
  isa_kernels set;
  set.name = "avx2";
  avx2::add_dot_kernels(set);
  avx2::add_gemm_kernels(set);
  avx2::add_op_kernels(set);
  return set;
}

isa_kernels build_avx512() {
  isa_kernels set;
  set.name = "avx512";
  avx512::add_dot_kernels(set);
  avx512::add_gemm_kernels(set);
  avx512::add_op_kernels(set);
  if (host_cpu_features().avx512bf16) avx512bf16::add_bf16_kernels(set);
  return set;
}

const isa_kernels& avx2_set() {
  static const isa_kernels set = build_avx2();
  return set;
}

const isa_kernels& avx512_set() {
  static const isa_kernels set = build_avx512();
  return set;
}

bool valid_length(tensor_type type, int64_t n) { return n >= 0 && row_bytes(type, static_cast<uint64_t>(n)).has_value(); }

void quantize_row_with(const isa_kernels& set, tensor_type type, const float* x, void* y, int64_t n) {
  const auto id = static_cast<uint32_t>(type);
  if (id < static_cast<uint32_t>(kTypeSlots) && set.quantize[id] != nullptr && valid_length(type, n)) {
    set.quantize[id](x, y, n);
  } else {
    tensor::quantize_row(type, x, y, n);  // checks the contract, or the reference path
  }
}

// As matmul computes one token's outputs (including the row panel some types dot against).
float vec_dot_with(const isa_kernels& set, tensor_type type, int64_t n, const void* w, const void* a) {
  const auto id = static_cast<uint32_t>(type);
  if (id >= static_cast<uint32_t>(kTypeSlots) || set.types[id].row_dot == nullptr || !valid_length(type, n)) {
    return tensor::vec_dot(type, n, w, a);
  }
  const type_kernels& k = set.types[id];
  if (k.pack_row_acts == nullptr) return k.row_dot(n, w, a);
  thread_local std::vector<uint64_t> panel;  // 8-byte aligned, as the panel's floats need
  panel.resize(static_cast<size_t>((k.row_act_bytes(n) + 7) / 8));
  k.pack_row_acts(static_cast<const uint8_t*>(a), n, reinterpret_cast<uint8_t*>(panel.data()));
  return k.row_dot(n, w, panel.data());
}

// The function-pointer table needs one plain function per set.
template <const isa_kernels& (*Set)()>
struct bound {
  static void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
    x86::matmul(Set(), w, x, n_tokens, y, pool);
  }
  static void matmul_many(const MatrixView* ws, float* const* ys, int count, const float* x, int64_t n_tokens, ThreadPool& pool) {
    x86::matmul_many(Set(), ws, ys, count, x, n_tokens, pool);
  }
  static void quantize_row(tensor_type type, const float* x, void* y, int64_t n) { quantize_row_with(Set(), type, x, y, n); }
  static float vec_dot(tensor_type type, int64_t n, const void* w, const void* a) { return vec_dot_with(Set(), type, n, w, a); }
  static bool has_rows16(tensor_type type) {
    const auto id = static_cast<uint32_t>(type);
    return id < static_cast<uint32_t>(kTypeSlots) && Set().types[id].rows16_dots != nullptr;
  }
};

template <const isa_kernels& (*Set)()>
op_table make_table() {
  const isa_kernels& s = Set();
  op_table t = reference_op_table();
  t.name = s.name;
  t.matmul = bound<Set>::matmul;
  t.matmul_many = bound<Set>::matmul_many;
  t.quantize_row = bound<Set>::quantize_row;
  t.vec_dot = bound<Set>::vec_dot;
  t.has_rows16 = bound<Set>::has_rows16;
  if (s.rms_norm != nullptr) t.rms_norm = s.rms_norm;
  if (s.softmax != nullptr) t.softmax = s.softmax;
  if (s.silu_mul != nullptr) t.silu_mul = s.silu_mul;
  if (s.gelu != nullptr) t.gelu = s.gelu;
  if (s.add != nullptr) t.add = s.add;
  if (s.dot_f32 != nullptr) t.dot_f32 = s.dot_f32;
  if (s.axpy_f32 != nullptr) t.axpy_f32 = s.axpy_f32;
  if (s.attention_group != nullptr) t.attention_group = s.attention_group;
  return t;
}

}  // namespace

const op_table* avx2_op_table() {
  if (!host_cpu_features().has_avx2_level()) return nullptr;
  static const op_table table = make_table<avx2_set>();
  return &table;
}

const op_table* avx512_op_table() {
  if (!host_cpu_features().has_avx512_level()) return nullptr;
  static const op_table table = make_table<avx512_set>();
  return &table;
}

}  // namespace plexus::kernels::x86

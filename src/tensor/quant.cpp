// Dispatch of quant.h's entry points through one table keyed by tensor type id.
#include "tensor/quant.h"

#include <array>
#include <cstdio>
#include <cstdlib>

#include "tensor/type_ops.h"

namespace plexus::tensor {
namespace {

using namespace detail;

constexpr size_t kMaxTypeId = 40;

constexpr type_ops row(tensor_type t, tensor_type dot_type, dequantize_fn dq, quantize_fn q, vec_dot_fn dot) {
  return type_ops{t, dot_type, dq, q, dot};
}

// One row per type with a reference implementation. Q8_1 and Q8_K are activation formats: they
// can be converted both ways but are never weights (no vec_dot).
constexpr type_ops kRows[] = {
    row(tensor_type::f32, tensor_type::f32, dequantize_row_f32, quantize_row_f32, vec_dot_f32),
    row(tensor_type::f16, tensor_type::f16, dequantize_row_f16, quantize_row_f16, vec_dot_f16),
    row(tensor_type::bf16, tensor_type::bf16, dequantize_row_bf16, quantize_row_bf16, vec_dot_bf16),
    row(tensor_type::q4_0, tensor_type::q8_0, dequantize_row_q4_0, quantize_row_q4_0, vec_dot_q4_0_q8_0),
    row(tensor_type::q4_1, tensor_type::q8_1, dequantize_row_q4_1, quantize_row_q4_1, vec_dot_q4_1_q8_1),
    row(tensor_type::q5_0, tensor_type::q8_0, dequantize_row_q5_0, quantize_row_q5_0, vec_dot_q5_0_q8_0),
    row(tensor_type::q5_1, tensor_type::q8_1, dequantize_row_q5_1, quantize_row_q5_1, vec_dot_q5_1_q8_1),
    row(tensor_type::q8_0, tensor_type::q8_0, dequantize_row_q8_0, quantize_row_q8_0, vec_dot_q8_0_q8_0),
    row(tensor_type::q8_1, tensor_type::q8_1, dequantize_row_q8_1, quantize_row_q8_1, nullptr),
    row(tensor_type::q2_k, tensor_type::q8_k, dequantize_row_q2_k, quantize_row_q2_k, vec_dot_q2_k_q8_k),
    row(tensor_type::q3_k, tensor_type::q8_k, dequantize_row_q3_k, quantize_row_q3_k, vec_dot_q3_k_q8_k),
    row(tensor_type::q4_k, tensor_type::q8_k, dequantize_row_q4_k, quantize_row_q4_k, vec_dot_q4_k_q8_k),
    row(tensor_type::q5_k, tensor_type::q8_k, dequantize_row_q5_k, quantize_row_q5_k, vec_dot_q5_k_q8_k),
    row(tensor_type::q6_k, tensor_type::q8_k, dequantize_row_q6_k, quantize_row_q6_k, vec_dot_q6_k_q8_k),
    row(tensor_type::q8_k, tensor_type::q8_k, dequantize_row_q8_k, quantize_row_q8_k, nullptr),
};

constexpr std::array<type_ops, kMaxTypeId> make_table() {
  std::array<type_ops, kMaxTypeId> table{};
  for (const type_ops& r : kRows) table[static_cast<size_t>(r.type)] = r;
  return table;
}

constexpr std::array<type_ops, kMaxTypeId> kTable = make_table();

// Block geometry of the types above, so that this module's invariant checks do not depend on
// another module's table (and are usable in constant expressions).
constexpr int64_t block_elems_of(tensor_type t) {
  switch (t) {
    case tensor_type::q4_0:
    case tensor_type::q4_1:
    case tensor_type::q5_0:
    case tensor_type::q5_1:
    case tensor_type::q8_0:
    case tensor_type::q8_1:
      return 32;
    case tensor_type::q2_k:
    case tensor_type::q3_k:
    case tensor_type::q4_k:
    case tensor_type::q5_k:
    case tensor_type::q6_k:
    case tensor_type::q8_k:
      return 256;
    default:
      return 1;
  }
}

const type_ops& checked_ops(const char* function, tensor_type type, int64_t n) {
  const type_ops* ops = find_type_ops(type);
  if (ops == nullptr) contract_violation(function, type, n, "type has no reference implementation");
  if (n < 0 || n % block_elems_of(type) != 0) contract_violation(function, type, n, "n is not a multiple of the block size");
  return *ops;
}

}  // namespace

const type_ops* find_type_ops(tensor_type type) {
  const auto id = static_cast<size_t>(type);
  if (id >= kTable.size() || kTable[id].dequantize == nullptr) return nullptr;
  return &kTable[id];
}

void contract_violation(const char* function, tensor_type type, int64_t n, const char* what) {
  std::fprintf(stderr, "plexus::tensor::%s: type %s (id %u), n=%lld: %s\n", function, tensor_type_name(type),
               static_cast<unsigned>(type), static_cast<long long>(n), what);
  std::abort();
}

tensor_type vec_dot_type(tensor_type weights) {
  const type_ops* ops = find_type_ops(weights);
  return ops != nullptr ? ops->vec_dot_type : tensor_type::f32;
}

void dequantize_row(tensor_type type, const void* src, float* dst, int64_t n) {
  checked_ops("dequantize_row", type, n).dequantize(src, dst, n);
}

void quantize_row(tensor_type type, const float* src, void* dst, int64_t n) {
  const type_ops& ops = checked_ops("quantize_row", type, n);
  if (ops.quantize == nullptr) contract_violation("quantize_row", type, n, "type cannot be quantized to");
  ops.quantize(src, dst, n);
}

float vec_dot(tensor_type type, int64_t n, const void* weights, const void* acts) {
  const type_ops& ops = checked_ops("vec_dot", type, n);
  if (ops.vec_dot == nullptr) contract_violation("vec_dot", type, n, "not a weight type");
  return ops.vec_dot(n, weights, acts);
}

bool can_dequantize(tensor_type type) { return find_type_ops(type) != nullptr; }

bool can_quantize(tensor_type type) {
  const type_ops* ops = find_type_ops(type);
  return ops != nullptr && ops->quantize != nullptr;
}

bool can_vec_dot(tensor_type type) {
  const type_ops* ops = find_type_ops(type);
  return ops != nullptr && ops->vec_dot != nullptr;
}

uint32_t required_alignment(tensor_type type) {
  if (find_type_ops(type) == nullptr) return 1;
  return (type == tensor_type::f32 || type == tensor_type::q8_k) ? 4 : 2;
}

}  // namespace plexus::tensor

// The per-type function table behind quant.h, and the reference implementations each family file
// provides (fp_types.cpp, quant_legacy.cpp, quant_k.cpp, quant_k_ref.cpp). To support a new type:
// write its functions in the family file, declare them here, add one row in quant.cpp.
// Thread-safe: the table is constant; the functions are pure.
#pragma once

#include <cstdint>

#include "gguf/tensor_type.h"

namespace plexus::tensor {

using dequantize_fn = void (*)(const void* src, float* dst, int64_t n);
using quantize_fn = void (*)(const float* src, void* dst, int64_t n);
// Dot product of n elements: weights in the row's type, acts in its vec-dot type.
using vec_dot_fn = float (*)(int64_t n, const void* weights, const void* acts);

struct type_ops {
  tensor_type type = tensor_type::f32;
  tensor_type vec_dot_type = tensor_type::f32;
  dequantize_fn dequantize = nullptr;  // null: cannot be read as float
  quantize_fn quantize = nullptr;      // null: cannot be written
  vec_dot_fn vec_dot = nullptr;        // null: not usable as matmul weights
};

// nullptr for a type without any reference implementation.
const type_ops* find_type_ops(tensor_type type);

// [[noreturn]] report of a broken caller invariant (unsupported type, n not a multiple of the
// block size): prints `what` and aborts. Callers validate file data before calling in.
[[noreturn]] void contract_violation(const char* function, tensor_type type, int64_t n, const char* what);

namespace detail {

// fp_types.cpp
void dequantize_row_f32(const void* src, float* dst, int64_t n);
void dequantize_row_f16(const void* src, float* dst, int64_t n);
void dequantize_row_bf16(const void* src, float* dst, int64_t n);
void quantize_row_f32(const float* src, void* dst, int64_t n);
void quantize_row_f16(const float* src, void* dst, int64_t n);
void quantize_row_bf16(const float* src, void* dst, int64_t n);
float vec_dot_f32(int64_t n, const void* w, const void* a);
float vec_dot_f16(int64_t n, const void* w, const void* a);
float vec_dot_bf16(int64_t n, const void* w, const void* a);

// quant_legacy.cpp
void dequantize_row_q4_0(const void* src, float* dst, int64_t n);
void dequantize_row_q4_1(const void* src, float* dst, int64_t n);
void dequantize_row_q5_0(const void* src, float* dst, int64_t n);
void dequantize_row_q5_1(const void* src, float* dst, int64_t n);
void dequantize_row_q8_0(const void* src, float* dst, int64_t n);
void dequantize_row_q8_1(const void* src, float* dst, int64_t n);
void quantize_row_q4_0(const float* src, void* dst, int64_t n);
void quantize_row_q4_1(const float* src, void* dst, int64_t n);
void quantize_row_q5_0(const float* src, void* dst, int64_t n);
void quantize_row_q5_1(const float* src, void* dst, int64_t n);
void quantize_row_q8_0(const float* src, void* dst, int64_t n);
void quantize_row_q8_1(const float* src, void* dst, int64_t n);
float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a);
float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a);
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a);

// quant_k.cpp
void dequantize_row_q2_k(const void* src, float* dst, int64_t n);
void dequantize_row_q3_k(const void* src, float* dst, int64_t n);
void dequantize_row_q4_k(const void* src, float* dst, int64_t n);
void dequantize_row_q5_k(const void* src, float* dst, int64_t n);
void dequantize_row_q6_k(const void* src, float* dst, int64_t n);
void dequantize_row_q8_k(const void* src, float* dst, int64_t n);
void quantize_row_q8_k(const float* src, void* dst, int64_t n);
float vec_dot_q2_k_q8_k(int64_t n, const void* w, const void* a);
float vec_dot_q3_k_q8_k(int64_t n, const void* w, const void* a);
float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* a);
float vec_dot_q5_k_q8_k(int64_t n, const void* w, const void* a);
float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* a);

// quant_k_ref.cpp (weight quantizers: our own search, ggml's layout; not bit-exact with
// llama-quantize)
void quantize_row_q2_k(const float* src, void* dst, int64_t n);
void quantize_row_q3_k(const float* src, void* dst, int64_t n);
void quantize_row_q4_k(const float* src, void* dst, int64_t n);
void quantize_row_q5_k(const float* src, void* dst, int64_t n);
void quantize_row_q6_k(const float* src, void* dst, int64_t n);

// Shared helpers (quant_legacy.cpp): float -> int conversions that are defined for every input
// (NaN gives 0; out-of-range values saturate) so that hostile weights cannot cause UB.
int trunc_to_int(float v);    // toward zero, like a C cast
int round_half_away(float v); // like roundf
int round_half_even(float v); // like ggml's nearest_int (default rounding mode)

}  // namespace detail
}  // namespace plexus::tensor

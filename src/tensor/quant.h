// Reference (scalar) conversions between float and every supported tensor type, bit-exact with
// GGUF/ggml block layouts, and the reference dot product of a weight row with an activation row
// that has been converted to the weight type's "vec-dot type" (as ggml does: Q8_0 activations for
// Q4_0/Q5_0/Q8_0 weights, Q8_1 for Q4_1/Q5_1, Q8_K for the k-quants, F16 for F16, BF16 for BF16,
// F32 for F32).
// Thread-safe: pure functions.
#pragma once

#include <cstdint>

#include "gguf/tensor_type.h"

namespace plexus::tensor {

// The type that activations are converted to before a dot product with weights of type `weights`.
// Total: a type without a vec_dot (see can_vec_dot) maps to F32 (Q8_1 and Q8_K to themselves).
tensor_type vec_dot_type(tensor_type weights);

// n must be a multiple of the type's block size (callers check with row_bytes()).
void dequantize_row(tensor_type type, const void* src, float* dst, int64_t n);
// Reference quantization (round-to-nearest, the same choices as ggml's *_ref functions, so that
// activations quantize bit-exactly as in the reference engine).
void quantize_row(tensor_type type, const float* src, void* dst, int64_t n);

// Dot product of n elements: `weights` in `type`, `acts` in vec_dot_type(type).
float vec_dot(tensor_type type, int64_t n, const void* weights, const void* acts);

// What the reference implementation covers. Calling dequantize_row / quantize_row / vec_dot for a
// type where these say false, or with n not a multiple of the block size, is a broken invariant:
// the call prints the reason and aborts. Types read from files must be checked first.
//   can_dequantize: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1 Q2_K Q3_K Q4_K Q5_K Q6_K Q8_K
//   can_quantize:   the same set (Q2_K..Q6_K with our own search, see quant_k_ref.cpp)
//   can_vec_dot:    F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K (weight types)
bool can_dequantize(tensor_type type);
bool can_quantize(tensor_type type);
bool can_vec_dot(tensor_type type);

// Alignment in bytes that row pointers of `type` must have (the block structs hold 2- and 4-byte
// fields): 4 for F32 and Q8_K, 2 for the other types above, 1 for unknown types.
uint32_t required_alignment(tensor_type type);

}  // namespace plexus::tensor

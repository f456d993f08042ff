// Weight quantizers for the k-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) that choose scales exactly as
// llama-quantize does without an importance matrix (ggml's *_K_ref row quantizers), so that
// `plexus quantize` reproduces reference files byte for byte. src/tensor's quantize_row keeps its
// own least-squares search for these types; every other type is already bit-exact there.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>

#include "gguf/tensor_type.h"

namespace plexus::quantize {

// True for Q2_K..Q6_K: the types quantize_row_exact handles itself.
bool has_exact_kquant(tensor_type type);

// Quantizes one row of n floats (n a multiple of 256) into `dst` (row_bytes(type, n) bytes).
// Types without an exact k-quant path go to tensor::quantize_row, which must support them.
void quantize_row_exact(tensor_type type, const float* src, void* dst, int64_t n);

}  // namespace plexus::quantize

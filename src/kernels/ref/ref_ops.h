// Scalar reference kernels: the semantics every faster variant is tested against. Each follows
// the float/double precision choices of ggml's CPU ops (noted per function in the .cpp files) so
// that F32 results agree with the reference engine to float rounding. Signatures and contracts
// are those of ops.h.
// Thread-safe: pure functions; matmul runs on the given pool.
#pragma once

#include <cstdint>

#include "kernels/ops.h"

namespace plexus::kernels::ref {

// ref_matmul.cpp
void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);
void get_row(const MatrixView& w, int64_t row, float* out);

// ref_ops.cpp
void rms_norm(const float* x, const float* gain, float* y, int64_t n, float eps);
void layer_norm(const float* x, const float* gain, const float* bias, float* y, int64_t n, float eps);
void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos, float freq_base,
          const float* freq_factors, rope_style style);
void softmax(float* x, int64_t n);
void silu_mul(float* gate, const float* up, int64_t n);
void gelu(float* x, int64_t n);
void add(float* y, const float* x, int64_t n);

// ref_attention.cpp
void attention_group(const float* q, int64_t q_stride, int64_t n_q, int64_t head_dim, float scale,
                     const float* const* k_chunks, const float* const* v_chunks, int64_t chunk_rows, int64_t n_rows,
                     int64_t row_stride, float* out, int64_t out_stride);

}  // namespace plexus::kernels::ref

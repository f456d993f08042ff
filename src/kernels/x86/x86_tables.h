// The op tables of the x86 variants ("avx2", "avx512"), built from the per-ISA kernel sets on
// first use. Compiled for baseline x86-64.
// Thread-safe: each table is built once (thread-safe static initialization) and never changes.
#pragma once

#include "kernels/op_table.h"
#include "kernels/x86/isa_kernels.h"

namespace plexus::kernels::x86 {

// Null when this CPU lacks the variant's features (see cpu_features.h). A table is only built,
// and its kernels only run, when the CPU has them.
const op_table* avx2_op_table();
const op_table* avx512_op_table();

// The matmul driver behind both tables (x86_matmul.cpp): converts the activations, then either
// streams each weight row once against every token (row_dot) or packs panels and runs the gemm
// tiles (batches of gemm_min_tokens and more). Types the set does not cover go to ref::matmul.
void matmul(const isa_kernels& set, const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);
// kernels::matmul_many on the same driver.
void matmul_many(const isa_kernels& set, const MatrixView* ws, float* const* ys, int count, const float* x, int64_t n_tokens,
                 ThreadPool& pool);

}  // namespace plexus::kernels::x86

// The boundary between the x86 driver (x86_matmul.cpp, x86_tables.cpp: baseline x86-64 code that
// owns threads and scratch memory) and the kernels compiled per instruction set (avx2_*.cpp and
// avx512_*.cpp, each with its own -m flags). Only plain function pointers over raw memory cross
// it. The per-ISA files instantiate no standard-library template and call no inline function
// that other files also define: otherwise the linker could keep an AVX-512 copy of, say,
// std::vector<float>::resize for the whole program and break it on an AVX2-only CPU.
// Thread-safe: the kernel sets are built once and never change; every kernel is a pure function.
#pragma once

#include <cstdint>

namespace plexus::kernels::x86 {

inline constexpr int kTypeSlots = 40;  // every tensor_type id is below this

// Dot product of n elements: weights in the row's type, acts in its vec-dot type (the contract of
// tensor::vec_dot_fn).
using row_dot_fn = float (*)(int64_t n, const void* w, const void* a);
// The dots of one weight row with n_tok activation rows: out[t * out_stride] = w . a_t, with a_t at
// a + t * a_stride, each equal bit for bit to row_dot(n, w, a_t).
using row_dots_fn = void (*)(int64_t n, const void* w, const uint8_t* a, uint64_t a_stride, int64_t n_tok, float* out,
                             int64_t out_stride);
// The dots of one interleaved group of 16 weight rows (kernels/interleave.h) with n_tok activation
// rows: out[t * out_stride + r] = w_r . a_t for r < 16, with a_t at a + t * a_stride (a row panel
// made by pack_rows16_acts). A token's results do not depend on n_tok, bit for bit.
using rows16_dots_fn = void (*)(int64_t n, const uint8_t* group, const uint8_t* a, uint64_t a_stride, int64_t n_tok,
                                float* out, int64_t out_stride);
// kernels::attention_group (contract in ops.h).
using attention_group_fn = void (*)(const float* q, int64_t q_stride, int64_t n_q, int64_t head_dim, float scale,
                                    const float* const* k_chunks, const float* const* v_chunks, int64_t chunk_rows,
                                    int64_t n_rows, int64_t row_stride, float* out, int64_t out_stride);
// Float row -> activation type (bytes identical to tensor::quantize_row).
using quantize_fn = void (*)(const float* x, void* y, int64_t n);
// Bytes of one packed row of k elements (a multiple of 64).
using panel_bytes_fn = uint64_t (*)(int64_t k);
// One row of k elements (a weight row, or an activation row in the vec-dot type) -> packed panel row.
using pack_fn = void (*)(const uint8_t* src, int64_t k, uint8_t* panel);
// y[t * ldy + r] = w_r . a_t for r < n_rows, t < n_tok, over k elements. w_r starts at
// w + r * w_stride (a packed panel row, or the weight row itself when the type has no weight
// packing); a_t at a + t * a_stride (likewise for activations).
using gemm_fn = void (*)(const uint8_t* w, uint64_t w_stride, int64_t n_rows, const uint8_t* a, uint64_t a_stride,
                         int64_t n_tok, int64_t k, float* y, int64_t ldy);

// What an ISA offers for one weight type. row_dot serves small batches (decode: each weight row is
// streamed once); gemm serves batches of at least gemm_min_tokens, after packing weights and
// activations into panels that its register tiles read with plain vector loads.
struct type_kernels {
  row_dot_fn row_dot = nullptr;  // null: the type is left to the reference matmul
  // When set, batches below gemm_min_tokens take it instead of row_dot per token: each weight row
  // is unpacked once for several tokens (decode steps of several sequences).
  row_dots_fn row_dots = nullptr;
  // When set, row_dot takes its activation row packed by pack_row_acts (from the vec-dot type)
  // instead of the vec-dot type itself.
  panel_bytes_fn row_act_bytes = nullptr;
  pack_fn pack_row_acts = nullptr;
  panel_bytes_fn weight_panel_bytes = nullptr;  // null: gemm reads the weight rows as stored
  pack_fn pack_weights = nullptr;
  panel_bytes_fn act_panel_bytes = nullptr;  // null: gemm reads the activation rows as converted
  pack_fn pack_acts = nullptr;
  gemm_fn gemm = nullptr;  // null: row_dot for every batch size
  int gemm_min_tokens = 4;
  // When set, matrices in the rows16 layout take these for every batch size; their activation
  // rows are packed by pack_rows16_acts (from the vec-dot type) into rows16_act_bytes each.
  rows16_dots_fn rows16_dots = nullptr;
  panel_bytes_fn rows16_act_bytes = nullptr;
  pack_fn pack_rows16_acts = nullptr;
};

struct isa_kernels {
  const char* name = nullptr;
  type_kernels types[kTypeSlots];
  quantize_fn quantize[kTypeSlots] = {};  // activation types (Q8_0, Q8_1, Q8_K, F16, BF16); null: reference
  void (*rms_norm)(const float* x, const float* gain, float* y, int64_t n, float eps) = nullptr;
  void (*softmax)(float* x, int64_t n) = nullptr;
  void (*silu_mul)(float* gate, const float* up, int64_t n) = nullptr;
  void (*gelu)(float* x, int64_t n) = nullptr;
  void (*add)(float* y, const float* x, int64_t n) = nullptr;
  float (*dot_f32)(const float* a, const float* b, int64_t n) = nullptr;
  void (*axpy_f32)(float* y, float a, const float* x, int64_t n) = nullptr;
  attention_group_fn attention_group = nullptr;
};

// Each per-ISA file adds its kernels to a set (called once, by x86_tables.cpp, and only when the
// CPU has the features the file was compiled for).
namespace avx2 {
void add_dot_kernels(isa_kernels& set);       // avx2_dot.cpp: row_dot + activation quantizers
void add_gemm_kernels(isa_kernels& set);      // avx2_gemm.cpp: panels + gemm
void add_op_kernels(isa_kernels& set);        // avx2_ops.cpp: row ops
}  // namespace avx2
namespace avx512 {
void add_dot_kernels(isa_kernels& set);
void add_gemm_kernels(isa_kernels& set);
void add_op_kernels(isa_kernels& set);
}  // namespace avx512
namespace avx512bf16 {
void add_bf16_kernels(isa_kernels& set);  // avx512_bf16.cpp: BF16 row_dot + gemm with vdpbf16ps
}  // namespace avx512bf16

}  // namespace plexus::kernels::x86

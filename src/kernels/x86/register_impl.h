// The add_*_kernels functions of one ISA (declared in isa_kernels.h), shared by the avx2_*.cpp and
// avx512_*.cpp files: each file defines PLEXUS_X86_REGISTER_{DOT,OPS} for the part it compiles.
// Thread-safe: called once per process, before the set is published.
#pragma once

#include "gguf/tensor_type.h"
#include "kernels/x86/isa_kernels.h"

namespace plexus::kernels::x86::PLEXUS_X86_NS {

#ifdef PLEXUS_X86_REGISTER_DOT
void add_dot_kernels(isa_kernels& set) {
  struct entry {
    tensor_type type;
    row_dot_fn dot;
  };
  const entry dots[] = {
      {tensor_type::f32, dot_f32_f32},    {tensor_type::f16, dot_f16_f16},    {tensor_type::bf16, dot_bf16_bf16},
      {tensor_type::q8_0, dot_q8_0_q8_0}, {tensor_type::q2_k, dot_q2_k_q8_k}, {tensor_type::q3_k, dot_q3_k_q8_k},
      {tensor_type::q4_k, dot_q4_k_q8_k}, {tensor_type::q5_k, dot_q5_k_q8_k}, {tensor_type::q6_k, dot_q6_k_q8_k},
  };
  for (const entry& e : dots) set.types[static_cast<int>(e.type)].row_dot = e.dot;
#ifdef PLEXUS_X86_ROW_DOTS
  struct dots_entry {
    tensor_type type;
    row_dot_fn dot;
    row_dots_fn dots;
  };
  const dots_entry row_dots[] = {{tensor_type::q2_k, dot_q2_k_q8_k, dots_q2_k_q8_k},
                                 {tensor_type::q3_k, dot_q3_k_q8_k, dots_q3_k_q8_k},
                                 {tensor_type::q4_k, dot_q4_k_q8_k, dots_q4_k_q8_k},
                                 {tensor_type::q5_k, dot_q5_k_q8_k, dots_q5_k_q8_k},
                                 {tensor_type::q6_k, dot_q6_k_q8_k, dots_q6_k_q8_k}};
  for (const dots_entry& e : row_dots) {  // these row dots read a row panel (dot_kquant512_impl.h)
    type_kernels& k = set.types[static_cast<int>(e.type)];
    k.row_dot = e.dot;
    k.row_dots = e.dots;
    k.row_act_bytes = kquant_row_act_bytes;
    k.pack_row_acts = pack_row_acts_q8_k;
  }
#endif
#ifdef PLEXUS_X86_ROWS16
  const struct {
    tensor_type type;
    rows16_dots_fn dots;
  } rows16[] = {{tensor_type::q2_k, rows16_dots_q2_k},
                {tensor_type::q3_k, rows16_dots_q3_k},
                {tensor_type::q4_k, rows16_dots_q4_k},
                {tensor_type::q5_k, rows16_dots_q5_k},
                {tensor_type::q6_k, rows16_dots_q6_k}};
  for (const auto& e : rows16) {  // interleaved groups (dot_rows16_impl.h)
    type_kernels& k = set.types[static_cast<int>(e.type)];
    k.rows16_dots = e.dots;
    k.rows16_act_bytes = rows16_act_bytes;
    k.pack_rows16_acts = pack_rows16_acts_q8_k;
  }
#endif
#ifdef PLEXUS_X86_ROWS16_Q8_0_ACTS
  const struct {
    tensor_type type;
    rows16_dots_fn dots;
  } rows16_q8_0_acts[] = {{tensor_type::q4_0, rows16_dots_q4_0}, {tensor_type::q8_0, rows16_dots_q8_0}};
  for (const auto& e : rows16_q8_0_acts) {  // interleaved Q4_0 / Q8_0 groups against Q8_0 activations
    type_kernels& k = set.types[static_cast<int>(e.type)];
    k.rows16_dots = e.dots;
    k.rows16_act_bytes = rows16_q8_0_act_bytes;
    k.pack_rows16_acts = pack_rows16_acts_q8_0;
  }
#endif
  // The 4- and 5-bit block types dot against a row panel (dot_legacy_impl.h).
  struct panel_entry {
    tensor_type type;
    row_dot_fn dot;
    pack_fn pack;
  };
  const panel_entry panel_dots[] = {
      {tensor_type::q4_0, dot_q4_0_row, pack_row_acts_legacy<tensor::block_q8_0>},
      {tensor_type::q4_1, dot_q4_1_row, pack_row_acts_legacy<tensor::block_q8_1>},
      {tensor_type::q5_0, dot_q5_0_row, pack_row_acts_legacy<tensor::block_q8_0>},
      {tensor_type::q5_1, dot_q5_1_row, pack_row_acts_legacy<tensor::block_q8_1>},
  };
  for (const panel_entry& e : panel_dots) {
    type_kernels& k = set.types[static_cast<int>(e.type)];
    k.row_dot = e.dot;
    k.row_act_bytes = legacy_row_bytes;
    k.pack_row_acts = e.pack;
  }
  set.quantize[static_cast<int>(tensor_type::q8_0)] = quantize_q8_0;
  set.quantize[static_cast<int>(tensor_type::q8_1)] = quantize_q8_1;
  set.quantize[static_cast<int>(tensor_type::q8_k)] = quantize_q8_k;
  set.quantize[static_cast<int>(tensor_type::f16)] = quantize_f16;
  set.quantize[static_cast<int>(tensor_type::bf16)] = quantize_bf16;
}
#endif

#ifdef PLEXUS_X86_REGISTER_OPS
void add_op_kernels(isa_kernels& set) {
  set.rms_norm = rms_norm;
  set.softmax = softmax;
  set.silu_mul = silu_mul;
  set.gelu = gelu;
  set.add = add;
  set.dot_f32 = dot_f32;
  set.axpy_f32 = axpy_f32;
  set.attention_group = attention_group;
}
#endif

}  // namespace plexus::kernels::x86::PLEXUS_X86_NS

// AVX-512 panels and gemm tiles (zmm: 32 registers, vpdpbusd / vpdpwssd). Compiled with -mavx2
// -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni (see CMakeLists.txt);
// called only when the CPU has them (x86_tables.cpp).
#define PLEXUS_X86_NS avx512
#include "kernels/x86/gemm_impl.h"

namespace plexus::kernels::x86::avx512 {

void add_gemm_kernels(isa_kernels& set) {
  // rows x tokens, by measurement (n = 512, 1 thread): block types 2 x 4 (the chunked tile keeps 4
  // weight vectors per row in registers: 4 x 4 spills, -6%), k-quants 2 x 4 (4 x 4 needs 32
  // accumulators and spills: -8%), float types 4 x 4.
  add_gemm(set, gemm_config<v512, 2, 4, 2, 4, 4, 4>{});
}

}  // namespace plexus::kernels::x86::avx512

// AVX2 + FMA + F16C panels and gemm tiles (ymm: 16 registers). Compiled with -mavx2 -mfma -mf16c
// (see CMakeLists.txt); called only when the CPU has them (x86_tables.cpp).
#define PLEXUS_X86_NS avx2
#include "kernels/x86/gemm_impl.h"

namespace plexus::kernels::x86::avx2 {

void add_gemm_kernels(isa_kernels& set) {
  // rows x tokens, by measurement (n = 512, 1 thread): block types 2 x 3, k-quants 1 x 4 (their
  // integer and float accumulators both need registers; 2 x 4 spills and runs 1.5x slower), float
  // types 2 x 4.
  add_gemm(set, gemm_config<v256, 2, 3, 1, 4, 2, 4>{});
}

}  // namespace plexus::kernels::x86::avx2

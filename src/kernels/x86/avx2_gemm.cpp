// AVX2 + FMA + F16C panels and gemm tiles (ymm: 16 registers). Compiled with -mavx2 -mfma -mf16c
// (see CMakeLists.txt); called only when the CPU has them (x86_tables.cpp).
#define PLEXUS_X86_NS avx2
#include "kernels/x86/gemm_impl.h"

namespace plexus::kernels::x86::avx2 {

void add_gemm_kernels(isa_kernels& set) {
  // rows x tokens: block types 2 x 4, k-quants 2 x 4, float types 2 x 4 (8 accumulators).
  add_gemm(set, gemm_config<v256, 2, 4, 2, 4, 2, 4>{});
}

}  // namespace plexus::kernels::x86::avx2

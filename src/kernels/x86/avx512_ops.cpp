// AVX-512 (F, BW, VL, DQ, VNNI) row ops. Compiled with -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni (see CMakeLists.txt); called only
// when the CPU has them (x86_tables.cpp).
#define PLEXUS_X86_NS avx512
#define PLEXUS_X86_REGISTER_OPS
#include "kernels/x86/ops_impl.h"
#include "kernels/x86/attention_impl.h"
#include "kernels/x86/register_impl.h"

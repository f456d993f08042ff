// AVX-512 (F, BW, VL, DQ, VNNI) row dot products (k-quants in zmm: dot_kquant512_impl.h) and
// activation quantizers. Compiled with -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni
// (see CMakeLists.txt); called only when the CPU has them (x86_tables.cpp).
#define PLEXUS_X86_NS avx512
#define PLEXUS_X86_REGISTER_DOT
#include "kernels/x86/dot_kquant512_impl.h"
#include "kernels/x86/dot_legacy_impl.h"
#include "kernels/x86/dot_rows16_512_impl.h"
#include "kernels/x86/quantize_impl.h"
#include "kernels/x86/register_impl.h"

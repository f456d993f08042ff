// AVX2 + FMA + F16C row dot products and activation quantizers. Compiled with -mavx2 -mfma -mf16c
// (see CMakeLists.txt); called only when the CPU has them (x86_tables.cpp).
#define PLEXUS_X86_NS avx2
#define PLEXUS_X86_REGISTER_DOT
#include "kernels/x86/dot_kquant_impl.h"
#include "kernels/x86/dot_legacy_impl.h"
#include "kernels/x86/dot_rows16_impl.h"
#include "kernels/x86/quantize_impl.h"
#include "kernels/x86/register_impl.h"

// Compiled for baseline x86-64: only CPUID/XGETBV, no vector code.
#include "kernels/x86/cpu_features.h"

#include <cpuid.h>

#include <cstdint>

namespace plexus::kernels::x86 {
namespace {

// XCR0 (needs OSXSAVE, checked by the caller). Inline asm so that this file needs no -mxsave.
uint64_t read_xcr0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

bool bit(uint32_t reg, int n) { return ((reg >> n) & 1u) != 0; }

cpu_features detect() {
  cpu_features f;
  uint32_t a = 0, b = 0, c = 0, d = 0;
  const uint32_t max_leaf = __get_cpuid_max(0, nullptr);
  if (max_leaf < 1) return f;
  __cpuid(1, a, b, c, d);
  f.fma = bit(c, 12);
  f.f16c = bit(c, 29);
  const bool osxsave = bit(c, 27);
  const bool avx = bit(c, 28);
  if (osxsave && avx) {
    const uint64_t xcr0 = read_xcr0();
    f.os_ymm = (xcr0 & 0x6u) == 0x6u;
    f.os_zmm = f.os_ymm && (xcr0 & 0xe0u) == 0xe0u;
  }
  if (max_leaf < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  const uint32_t max_subleaf = a;
  f.avx2 = bit(b, 5);
  f.avx512f = bit(b, 16);
  f.avx512dq = bit(b, 17);
  f.avx512bw = bit(b, 30);
  f.avx512vl = bit(b, 31);
  f.avx512vnni = bit(c, 11);
  if (max_subleaf >= 1) {
    __cpuid_count(7, 1, a, b, c, d);
    f.avx512bf16 = bit(a, 5);
  }
#ifdef PLEXUS_AVX512_EMULATED
  // Test build only (tests/unit/kernels): the AVX-512 kernels were compiled over SIMDe's portable
  // intrinsics, so any CPU with AVX2 "has" AVX-512.
  if (f.avx2 && f.os_ymm) {
    f.os_zmm = f.avx512f = f.avx512dq = f.avx512bw = f.avx512vl = f.avx512vnni = f.avx512bf16 = true;
  }
#endif
  return f;
}

}  // namespace

const cpu_features& host_cpu_features() {
  static const cpu_features features = detect();
  return features;
}

}  // namespace plexus::kernels::x86

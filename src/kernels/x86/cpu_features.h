// x86 CPU features that select the kernel variant, read once from CPUID and XGETBV.
// Thread-safe: detection runs once (thread-safe static initialization); results are immutable.
#pragma once

namespace plexus::kernels::x86 {

struct cpu_features {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  bool os_ymm = false;  // the OS saves YMM state (XCR0 bits 1-2)
  bool os_zmm = false;  // the OS saves opmask and ZMM state (XCR0 bits 5-7)

  // What the "avx2" kernels need (compiled with -mavx2 -mfma -mf16c).
  bool has_avx2_level() const { return os_ymm && avx2 && fma && f16c; }
  // What the "avx512" kernels need. AVX512_BF16 is optional: it only picks the BF16 kernels.
  bool has_avx512_level() const {
    return has_avx2_level() && os_zmm && avx512f && avx512bw && avx512vl && avx512dq && avx512vnni;
  }
};

// The features of the CPU this process runs on (all false on a CPU without CPUID leaf 7).
const cpu_features& host_cpu_features();

}  // namespace plexus::kernels::x86

// The core's own arithmetic ceilings for the instruction mixes the AVX2 matmul kernels use (the
// weights read from L1, the rest in registers), so a kernel's GFLOP/s can be read as a fraction
// of what its instructions allow on this machine. Names: peak/<mix>/threads:<k>; "GFLOP/s" counts
// 2 flops per multiply-add as the matmul benchmark does.
//   q8_sign   Q8_0 x Q8_0 (signed x signed int8) without VNNI: vpsignb + vpmaddubsw + vpmaddwd +
//             vpaddd per 32 multiply-adds. The int16 pair sums of two signed bytes can reach
//             2 x 128 x 127 = 32512, so each vpmaddubsw needs its own widening vpmaddwd.
//   q4_int16  Q4 x Q8 (4-bit unsigned x int8): vpmaddubsw + vpaddw per 32 multiply-adds, one
//             vpmaddwd per 8 of them (the int16 sums stay in range for 8 steps).
//   f32_fma   vfmadd231ps: 8 multiply-adds per instruction.
// Independent accumulator chains (as many as fit in the 16 registers) hide the instructions'
// latencies.
// Run: bench_kernels --benchmark_filter=peak/ --benchmark_repetitions=6
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/thread_pool.h"

namespace plexus::kernels {
namespace {

constexpr int64_t kStepsPerPass = 1 << 20;  // per worker

// Each loop step is one asm statement over all chains (accumulators in named registers), so the
// compiler can neither hoist the products out of the loop nor reorder, merge or spill them: the
// loop runs exactly the listed instructions. The weight vectors come from L1 each step, as in a
// kernel (loads use the load ports, not the vector ALUs).

#define PLEXUS_Q8_STEP(c, off)                  \
  "vmovdqa " #off "(%[abs_w]), %[u]\n\t"        \
  "vpsignb " #off "(%[w]), %[x], %[t]\n\t"      \
  "vpmaddubsw %[t], %[u], %[t]\n\t"             \
  "vpmaddwd %[ones], %[t], %[t]\n\t"            \
  "vpaddd %[t], %[a" #c "], %[a" #c "]\n\t"

// 8 chains: acc_c += madd(maddubs(|w_c|, sign(x, w_c)), ones).
__attribute__((target("avx2"))) int64_t run_q8_sign(int64_t steps) {
  alignas(32) int8_t w[8][32], abs_w[8][32];
  for (int c = 0; c < 8; ++c) {
    for (int b = 0; b < 32; ++b) {
      w[c][b] = static_cast<int8_t>(3 * c - 11 + b);
      abs_w[c][b] = static_cast<int8_t>(w[c][b] < 0 ? -w[c][b] : w[c][b]);
    }
  }
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, t, u;
  const __m256i x = _mm256_set1_epi32(0x05fb7f81), ones = _mm256_set1_epi16(1);
  for (int64_t s = 0; s < steps; ++s) {
    asm volatile(PLEXUS_Q8_STEP(0, 0) PLEXUS_Q8_STEP(1, 32) PLEXUS_Q8_STEP(2, 64) PLEXUS_Q8_STEP(3, 96)
                     PLEXUS_Q8_STEP(4, 128) PLEXUS_Q8_STEP(5, 160) PLEXUS_Q8_STEP(6, 192) PLEXUS_Q8_STEP(7, 224)
                 : [a0] "+x"(a0), [a1] "+x"(a1), [a2] "+x"(a2), [a3] "+x"(a3), [a4] "+x"(a4), [a5] "+x"(a5), [a6] "+x"(a6),
                   [a7] "+x"(a7), [t] "=&x"(t), [u] "=&x"(u)
                 : [x] "x"(x), [ones] "x"(ones), [w] "r"(w), [abs_w] "r"(abs_w)
                 : "memory");
  }
  const __m256i total = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                                         _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
  return _mm256_extract_epi32(total, 0);
}
#undef PLEXUS_Q8_STEP

#define PLEXUS_Q4_STEP(c, off)            \
  "vmovdqa " #off "(%[w]), %[t]\n\t"      \
  "vpmaddubsw %[x], %[t], %[t]\n\t"       \
  "vpaddw %[t], %[h" #c "], %[h" #c "]\n\t"
#define PLEXUS_Q4_WIDEN(c)                          \
  "vpmaddwd %[scale], %[h" #c "], %[t]\n\t"         \
  "vpaddd %[t], %[a" #c "], %[a" #c "]\n\t"         \
  "vpxor %[h" #c "], %[h" #c "], %[h" #c "]\n\t"

// 6 chains: h_c += maddubs(w_c, x) for 8 steps, then acc_c += madd(h_c, scale).
__attribute__((target("avx2"))) int64_t run_q4_int16(int64_t steps) {
  alignas(32) uint8_t w[6][32];
  for (int c = 0; c < 6; ++c) {
    for (int b = 0; b < 32; ++b) w[c][b] = static_cast<uint8_t>((c + b) & 15);
  }
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  __m256i h0 = a0, h1 = a0, h2 = a0, h3 = a0, h4 = a0, h5 = a0, t;
  const __m256i x = _mm256_set1_epi32(0x05fb7f81), scale = _mm256_set1_epi16(3);
  for (int64_t s = 0; s < steps; s += 8) {
    for (int k = 0; k < 8; ++k) {
      asm volatile(PLEXUS_Q4_STEP(0, 0) PLEXUS_Q4_STEP(1, 32) PLEXUS_Q4_STEP(2, 64) PLEXUS_Q4_STEP(3, 96) PLEXUS_Q4_STEP(4, 128)
                       PLEXUS_Q4_STEP(5, 160)
                   : [h0] "+x"(h0), [h1] "+x"(h1), [h2] "+x"(h2), [h3] "+x"(h3), [h4] "+x"(h4), [h5] "+x"(h5), [t] "=&x"(t)
                   : [x] "x"(x), [w] "r"(w)
                   : "memory");
    }
    asm volatile(PLEXUS_Q4_WIDEN(0) PLEXUS_Q4_WIDEN(1) PLEXUS_Q4_WIDEN(2) PLEXUS_Q4_WIDEN(3) PLEXUS_Q4_WIDEN(4) PLEXUS_Q4_WIDEN(5)
                 : [a0] "+x"(a0), [a1] "+x"(a1), [a2] "+x"(a2), [a3] "+x"(a3), [a4] "+x"(a4), [a5] "+x"(a5), [h0] "+x"(h0),
                   [h1] "+x"(h1), [h2] "+x"(h2), [h3] "+x"(h3), [h4] "+x"(h4), [h5] "+x"(h5), [t] "=&x"(t)
                 : [scale] "x"(scale));
  }
  const __m256i total = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)), _mm256_add_epi32(a4, a5));
  return _mm256_extract_epi32(total, 0);
}
#undef PLEXUS_Q4_STEP
#undef PLEXUS_Q4_WIDEN

#define PLEXUS_FMA_STEP(c) "vfmadd231ps %[w], %[x], %[a" #c "]\n\t"

// 12 chains (more than FMA latency x pipes): acc_c += w * x.
__attribute__((target("avx2,fma"))) int64_t run_f32_fma(int64_t steps) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  const __m256 w = _mm256_set1_ps(1e-3f), x = _mm256_set1_ps(1e-3f);
  for (int64_t s = 0; s < steps; ++s) {
    asm volatile(PLEXUS_FMA_STEP(0) PLEXUS_FMA_STEP(1) PLEXUS_FMA_STEP(2) PLEXUS_FMA_STEP(3) PLEXUS_FMA_STEP(4) PLEXUS_FMA_STEP(5)
                     PLEXUS_FMA_STEP(6) PLEXUS_FMA_STEP(7) PLEXUS_FMA_STEP(8) PLEXUS_FMA_STEP(9) PLEXUS_FMA_STEP(10) PLEXUS_FMA_STEP(11)
                 : [a0] "+x"(a0), [a1] "+x"(a1), [a2] "+x"(a2), [a3] "+x"(a3), [a4] "+x"(a4), [a5] "+x"(a5), [a6] "+x"(a6),
                   [a7] "+x"(a7), [a8] "+x"(a8), [a9] "+x"(a9), [a10] "+x"(a10), [a11] "+x"(a11)
                 : [x] "x"(x), [w] "x"(w));
  }
  const __m256 total = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                                                   _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7))),
                                     _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
  return static_cast<int64_t>(_mm256_cvtss_f32(total));
}
#undef PLEXUS_FMA_STEP

struct mix {
  const char* name;
  int64_t (*run)(int64_t steps);
  double flops_per_step;  // 2 x the multiply-adds of one step of all chains
};

const mix kMixes[] = {
    {"q8_sign", run_q8_sign, 64 * 8},
    {"q4_int16", run_q4_int16, 64 * 6},
    {"f32_fma", run_f32_fma, 16 * 12},
};

void bm_peak(benchmark::State& state, mix m, int threads) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    state.SkipWithError("needs AVX2 and FMA");
    return;
  }
  ThreadPool pool(threads);
  std::vector<int64_t> sinks(static_cast<size_t>(threads));
  for (auto _ : state) {
    pool.run([&](int worker, int) { sinks[static_cast<size_t>(worker)] += m.run(kStepsPerPass); });
    benchmark::DoNotOptimize(sinks.data());
  }
  const double flops = m.flops_per_step * static_cast<double>(kStepsPerPass) * threads;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

int register_all() {
  for (const mix& m : kMixes) {
    for (int threads : {1, 2}) {
      benchmark::RegisterBenchmark((std::string("peak/") + m.name + "/threads:" + std::to_string(threads)).c_str(), bm_peak, m,
                                   threads)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  return 0;
}

const int registered = register_all();

}  // namespace
}  // namespace plexus::kernels

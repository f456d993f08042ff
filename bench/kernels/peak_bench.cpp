// The core's own arithmetic ceilings for the instruction mixes the AVX2 matmul kernels use, measured
// on register data (no loads), so a kernel's GFLOP/s can be read as a fraction of what the
// instructions themselves allow on this machine. Names: peak/<mix>/threads:<k>; "GFLOP/s" counts
// 2 flops per multiply-add as the matmul benchmark does.
//   q8_sign   Q8_0 x Q8_0 (signed x signed int8) without VNNI: vpsignb + vpmaddubsw + vpmaddwd +
//             vpaddd per 32 multiply-adds. The int16 pair sums of two signed bytes can reach
//             2 x 127 x 127 = 32258, so each vpmaddubsw needs its own widening vpmaddwd.
//   q4_int16  Q4 x Q8 (4-bit unsigned x int8): vpmaddubsw + vpaddw per 32 multiply-adds, one
//             vpmaddwd per 8 of them (the int16 sums stay in range for 8 steps).
//   f32_fma   vfmadd231ps: 8 multiply-adds per instruction.
// Independent accumulator chains (as many as fit in the 16 registers) hide the instructions' latencies; the empty asm
// statements stop the compiler from hoisting the loop-invariant products out of the loop.
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

template <class V>
inline void opaque(V& v) {
  asm volatile("" : "+x"(v));
}

// The weight vectors come from L1 each step, as in a kernel (their loads use the load ports, not
// the vector ALUs); the "memory" clobber makes the compiler reload them.
__attribute__((target("avx2"))) int64_t run_q8_sign(int64_t steps) {
  constexpr int kChains = 8;  // 8 accumulators, x, ones and 3 temporaries: no spills
  alignas(32) int8_t w[kChains][32], abs_w[kChains][32];
  for (int c = 0; c < kChains; ++c) {
    for (int b = 0; b < 32; ++b) {
      w[c][b] = static_cast<int8_t>(3 * c - 11 + b);
      abs_w[c][b] = static_cast<int8_t>(w[c][b] < 0 ? -w[c][b] : w[c][b]);
    }
  }
  __m256i acc[kChains];
  __m256i x = _mm256_set1_epi32(0x05fb7f81);
  const __m256i ones = _mm256_set1_epi16(1);
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_setzero_si256();
  for (int64_t s = 0; s < steps; ++s) {
    opaque(x);
    asm volatile("" ::: "memory");
#pragma GCC unroll 8
    for (int c = 0; c < kChains; ++c) {
      const __m256i wc = _mm256_load_si256(reinterpret_cast<const __m256i*>(w[c]));
      const __m256i ac = _mm256_load_si256(reinterpret_cast<const __m256i*>(abs_w[c]));
      const __m256i p = _mm256_maddubs_epi16(ac, _mm256_sign_epi8(x, wc));
      acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(p, ones));
    }
  }
  __m256i total = acc[0];
  for (int c = 1; c < kChains; ++c) total = _mm256_add_epi32(total, acc[c]);
  return _mm256_extract_epi32(total, 0);
}

__attribute__((target("avx2"))) int64_t run_q4_int16(int64_t steps) {
  constexpr int kChains = 6;  // 6 int16 and 6 int32 accumulators, x, scale and a temporary
  alignas(32) uint8_t w[kChains][32];
  for (int c = 0; c < kChains; ++c) {
    for (int b = 0; b < 32; ++b) w[c][b] = static_cast<uint8_t>((c + b) & 15);
  }
  __m256i acc[kChains], acc16[kChains];
  __m256i x = _mm256_set1_epi32(0x05fb7f81);
  const __m256i scale = _mm256_set1_epi16(3);
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_setzero_si256();
  for (int64_t s = 0; s < steps; s += 8) {
    for (int c = 0; c < kChains; ++c) acc16[c] = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) {
      opaque(x);
      asm volatile("" ::: "memory");
#pragma GCC unroll 8
      for (int c = 0; c < kChains; ++c) {
        const __m256i wc = _mm256_load_si256(reinterpret_cast<const __m256i*>(w[c]));
        acc16[c] = _mm256_add_epi16(acc16[c], _mm256_maddubs_epi16(wc, x));
      }
    }
#pragma GCC unroll 8
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(acc16[c], scale));
  }
  __m256i total = acc[0];
  for (int c = 1; c < kChains; ++c) total = _mm256_add_epi32(total, acc[c]);
  return _mm256_extract_epi32(total, 0);
}

__attribute__((target("avx2,fma"))) int64_t run_f32_fma(int64_t steps) {
  constexpr int kChains = 12;  // more chains than FMA latency x pipes; 12 accumulators, w and x
  __m256 acc[kChains];
  const __m256 w = _mm256_set1_ps(1e-3f);
  __m256 x = _mm256_set1_ps(1e-3f);
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_setzero_ps();
  for (int64_t s = 0; s < steps; ++s) {
    opaque(x);
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(w, x, acc[c]);
  }
  __m256 total = acc[0];
  for (int c = 1; c < kChains; ++c) total = _mm256_add_ps(total, acc[c]);
  return static_cast<int64_t>(_mm256_cvtss_f32(total));
}

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

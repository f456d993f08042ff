// Dispatch cost of ThreadPool::parallel_for with trivial work, back to back (as the ops of a
// forward pass come): with the spin phase (default) against sleeping on the futex after every
// job (spin 0, how the pool worked before). Reported time per parallel_for call.
//   build/perf/bench/kernels/bench_thread_pool --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <atomic>

#include "core/thread_pool.h"

namespace {

void BM_ParallelFor(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const int spin_us = static_cast<int>(state.range(1));
  plexus::ThreadPool pool(threads, spin_us);
  std::atomic<int64_t> sink{0};
  for (auto _ : state) {
    pool.parallel_for(threads, [&](int64_t b, int64_t e) { sink.fetch_add(e - b, std::memory_order_relaxed); });
  }
  state.counters["futex_sleeps_per_call"] =
      benchmark::Counter(static_cast<double>(pool.sleeps()) / static_cast<double>(state.iterations()));
  benchmark::DoNotOptimize(sink.load());
}
BENCHMARK(BM_ParallelFor)
    ->ArgNames({"threads", "spin_us"})
    ->Args({2, 0})
    ->Args({2, plexus::ThreadPool::kDefaultSpinUs})
    ->Args({4, 0})
    ->Args({4, plexus::ThreadPool::kDefaultSpinUs})
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

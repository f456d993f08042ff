// Attention of one kv head's group of query heads against a paged KV cache, per kernel variant:
//   attention/<variant>/per_head/...  the loop model/attention.cpp ran before attention_group: per
//       query head, one dot_f32 per position (through the op table) into a score row, softmax,
//       then one axpy_f32 per position;
//   attention/<variant>/fused/...     kernels::attention_group (all heads of the group at once,
//       online softmax).
// Shape of a 1.1B llama (TinyLlama): group 8 (32 query heads, 4 kv heads), head_dim 64, cache
// blocks of 16 rows of 4 * 64 floats, blocks scattered over the pool; one thread.
// "GFLOP/s" counts 4 * group * head_dim * span (q.k and p.v multiply-adds).
// Run: bench_attention --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench_random.h"
#include "kernels/op_table.h"

namespace plexus::kernels {
namespace {

constexpr int64_t kGroup = 8;
constexpr int64_t kHeadDim = 64;
constexpr int64_t kHeadsKv = 4;
constexpr int64_t kBlockRows = 16;
const int64_t kSpans[] = {128, 512, 2048};

// The K and V rows of one span in cache blocks taken from a pool in shuffled order.
struct paged_cache {
  std::vector<float> k, v;
  std::vector<const float*> k_blocks, v_blocks;  // kv head 0 of each block, in position order
  int64_t row_stride = kHeadsKv * kHeadDim;
};

paged_cache make_cache(int64_t span) {
  paged_cache c;
  const int64_t blocks = (span + kBlockRows - 1) / kBlockRows;
  const auto floats = static_cast<size_t>(blocks * kBlockRows * c.row_stride);
  c.k = random_floats(floats, 1);
  c.v = random_floats(floats, 2);
  std::vector<int64_t> order(static_cast<size_t>(blocks));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(3));
  for (int64_t b : order) {
    c.k_blocks.push_back(c.k.data() + b * kBlockRows * c.row_stride);
    c.v_blocks.push_back(c.v.data() + b * kBlockRows * c.row_stride);
  }
  return c;
}

void set_counters(benchmark::State& state, int64_t span) {
  state.counters["GFLOP/s"] = benchmark::Counter(4e-9 * static_cast<double>(kGroup * kHeadDim * span),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void bm_per_head(benchmark::State& state, const op_table* t, int64_t span) {
  const paged_cache c = make_cache(span);
  const auto q = random_floats(static_cast<size_t>(kGroup * kHeadDim), 4);
  std::vector<float> out(static_cast<size_t>(kGroup * kHeadDim));
  std::vector<float> scores(static_cast<size_t>(span));
  const float scale = 1.0f / std::sqrt(static_cast<float>(kHeadDim));
  for (auto _ : state) {
    for (int64_t h = 0; h < kGroup; ++h) {
      const float* qh = q.data() + h * kHeadDim;
      for (int64_t p = 0; p < span; ++p) {
        const float* kp = c.k_blocks[static_cast<size_t>(p / kBlockRows)] + (p % kBlockRows) * c.row_stride;
        scores[static_cast<size_t>(p)] = t->dot_f32(qh, kp, kHeadDim) * scale;
      }
      t->softmax(scores.data(), span);
      float* oh = out.data() + h * kHeadDim;
      std::fill(oh, oh + kHeadDim, 0.0f);
      for (int64_t p = 0; p < span; ++p) {
        const float* vp = c.v_blocks[static_cast<size_t>(p / kBlockRows)] + (p % kBlockRows) * c.row_stride;
        t->axpy_f32(oh, scores[static_cast<size_t>(p)], vp, kHeadDim);
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, span);
}

void bm_fused(benchmark::State& state, const op_table* t, int64_t span) {
  const paged_cache c = make_cache(span);
  const auto q = random_floats(static_cast<size_t>(kGroup * kHeadDim), 4);
  std::vector<float> out(static_cast<size_t>(kGroup * kHeadDim));
  const float scale = 1.0f / std::sqrt(static_cast<float>(kHeadDim));
  for (auto _ : state) {
    t->attention_group(q.data(), kHeadDim, kGroup, kHeadDim, scale, c.k_blocks.data(), c.v_blocks.data(), kBlockRows,
                       span, c.row_stride, out.data(), kHeadDim);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, span);
}

int register_all() {
  for (const op_table* t : available_op_tables()) {
    for (int64_t span : kSpans) {
      const std::string shape = "/group:" + std::to_string(kGroup) + "/hd:" + std::to_string(kHeadDim) +
                                "/span:" + std::to_string(span);
      benchmark::RegisterBenchmark((std::string("attention/") + t->name + "/per_head" + shape).c_str(), bm_per_head, t,
                                   span)
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark((std::string("attention/") + t->name + "/fused" + shape).c_str(), bm_fused, t, span)
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return 0;
}

const int registered = register_all();

}  // namespace
}  // namespace plexus::kernels

BENCHMARK_MAIN();

// Matvec / matmul per weight type and kernel variant, on the shapes of a 1.1B llama (TinyLlama:
// d = 2048, ffn = 5632). Names: matmul/<variant>/<type>/<rows>x<cols>/n:<tokens>/threads:<k>.
//   n = 1 (decode, memory-bound): "GB/s" counts the weight bytes streamed. Each iteration uses
//       the next of several copies of the matrix (>= 256 MB in all), so that weights come from
//       DRAM as in a real model rather than from the 32 MB L3, in huge pages as the model loader
//       puts them (core/huge_page_buffer.h). With PLEXUS_BENCH_HOT=1 in the
//       environment one copy is used instead: the weights stay in cache and the figure is the
//       kernel's own ceiling, what it could stream if memory kept up.
//   n > 1 (prompt chunks, compute-bound): "GFLOP/s" counts 2 * rows * cols * n.
// mem_read/threads:<k> reads a 256 MB buffer for the machine's memory bandwidth as a yardstick.
// The reference variant is registered for n <= 64 only (n = 512 would take minutes).
// Run: bench_kernels --benchmark_filter=... --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstring>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench_random.h"
#include "core/huge_page_buffer.h"
#include "core/thread_pool.h"
#include "kernels/interleave.h"
#include "kernels/op_table.h"
#include "tensor/quant.h"

namespace plexus::kernels {
namespace {

constexpr uint64_t kStreamBytes = 256ull << 20;  // weights cycled through for n = 1

const tensor_type kTypes[] = {tensor_type::f32,  tensor_type::f16,  tensor_type::bf16, tensor_type::q4_0, tensor_type::q4_1,
                              tensor_type::q5_0, tensor_type::q5_1, tensor_type::q8_0, tensor_type::q2_k, tensor_type::q3_k,
                              tensor_type::q4_k, tensor_type::q5_k, tensor_type::q6_k};

struct shape {
  int64_t rows, cols;
};
const shape kShapes[] = {{2048, 2048}, {5632, 2048}};
const int64_t kTokens[] = {1, 4, 8, 16, 32, 64, 512};
const int kThreads[] = {1, 2};

// `copies` copies of a [rows, cols] matrix of `type`: 64 distinct random rows, repeated.
struct weights {
  uint64_t row_bytes = 0;
  uint64_t matrix_bytes = 0;
  std::unique_ptr<HugePageBuffer> storage;  // huge pages, as the model's weights are
  std::vector<MatrixView> copies;
};

// rows16: every copy interleaved (kernels/interleave.h), as the model loader does on CPUs whose
// matmul has rows16 kernels for the type.
weights make_weights(tensor_type type, shape s, int copies, bool rows16) {
  weights w;
  w.row_bytes = *row_bytes(type, static_cast<uint64_t>(s.cols));
  w.matrix_bytes = w.row_bytes * static_cast<uint64_t>(s.rows);
  w.storage = std::make_unique<HugePageBuffer>(w.matrix_bytes * static_cast<uint64_t>(copies));
  uint8_t* base = w.storage->data();
  constexpr int64_t kDistinct = 64;
  const auto src = random_floats(static_cast<size_t>(kDistinct * s.cols), 1);
  for (int64_t r = 0; r < kDistinct && r < s.rows; ++r) tensor::quantize_row(type, src.data() + r * s.cols, base + r * w.row_bytes, s.cols);
  for (int64_t r = kDistinct; r < s.rows; ++r) std::memcpy(base + r * w.row_bytes, base + (r % kDistinct) * w.row_bytes, w.row_bytes);
  for (int c = 0; c < copies; ++c) {
    if (c > 0) std::memcpy(base + c * w.matrix_bytes, base, w.matrix_bytes);
    w.copies.push_back(MatrixView{type, s.rows, s.cols, w.row_bytes, base + c * w.matrix_bytes});
  }
  if (rows16) {
    interleave_rows16_in_place(w.copies[0], base);
    for (size_t c = 1; c < w.copies.size(); ++c) {
      std::memcpy(base + c * w.matrix_bytes, base, w.matrix_bytes);
      w.copies[c].layout = matrix_layout::rows16;
    }
  }
  return w;
}

void bm_matmul(benchmark::State& state, const op_table* table, tensor_type type, shape s, int64_t n_tokens, int threads,
               bool rows16) {
  const uint64_t one = *row_bytes(type, static_cast<uint64_t>(s.cols)) * static_cast<uint64_t>(s.rows);
  const int copies = n_tokens == 1 && std::getenv("PLEXUS_BENCH_HOT") == nullptr ? static_cast<int>((kStreamBytes + one - 1) / one) : 1;
  const weights w = make_weights(type, s, copies, rows16);
  const auto x = random_floats(static_cast<size_t>(n_tokens * s.cols), 2);
  std::vector<float> y(static_cast<size_t>(n_tokens * s.rows));
  ThreadPool pool(threads);
  size_t next = 0;
  for (auto _ : state) {
    table->matmul(w.copies[next], x.data(), n_tokens, y.data(), pool);
    next = next + 1 == w.copies.size() ? 0 : next + 1;
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  if (n_tokens == 1) {
    state.counters["GB/s"] = benchmark::Counter(static_cast<double>(w.matrix_bytes) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  } else {
    state.counters["GFLOP/s"] = benchmark::Counter(2e-9 * static_cast<double>(s.rows * s.cols * n_tokens),
                                                   benchmark::Counter::kIsIterationInvariantRate);
  }
}

// Sums a 256 MB buffer in huge pages on every worker of the pool (each its own contiguous slice)
// with the loop `plexus bench` measures bandwidth with (core/huge_page_buffer.h).
void bm_mem_read(benchmark::State& state, int threads) {
  const size_t n = kStreamBytes / sizeof(uint64_t);
  HugePageBuffer buf(kStreamBytes);
  for (size_t i = 0; i < n; ++i) buf.words()[i] = i;
  ThreadPool pool(threads);
  std::vector<uint64_t> sums(static_cast<size_t>(threads) * 8);  // a line per worker
  for (auto _ : state) {
    pool.run([&](int worker, int workers) {
      const size_t begin = n * static_cast<size_t>(worker) / static_cast<size_t>(workers);
      const size_t end = n * static_cast<size_t>(worker + 1) / static_cast<size_t>(workers);
      sums[static_cast<size_t>(worker) * 8] += sum_words(buf.words() + begin, end - begin);
    });
    benchmark::DoNotOptimize(sums.data());
  }
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(kStreamBytes) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

int register_all() {
  for (int threads : kThreads) {
    benchmark::RegisterBenchmark(("mem_read/threads:" + std::to_string(threads)).c_str(), bm_mem_read, threads)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  for (const op_table* table : available_op_tables()) {
    const bool reference = table == &reference_op_table();
    for (tensor_type type : kTypes) {
      for (shape s : kShapes) {
        for (int64_t n : kTokens) {
          if (reference && n > 64) continue;
          for (int threads : kThreads) {
            for (bool rows16 : {false, true}) {
              if (rows16 && !table->has_rows16(type)) continue;
              const std::string name = std::string("matmul/") + table->name + (rows16 ? "-rows16/" : "/") +
                                       tensor_type_name(type) + "/" + std::to_string(s.rows) + "x" + std::to_string(s.cols) +
                                       "/n:" + std::to_string(n) + "/threads:" + std::to_string(threads);
              benchmark::RegisterBenchmark(name.c_str(), bm_matmul, table, type, s, n, threads, rows16)
                  ->Unit(benchmark::kMicrosecond)
                  ->UseRealTime();
            }
          }
        }
      }
    }
  }
  return 0;
}

const int registered = register_all();

}  // namespace
}  // namespace plexus::kernels

BENCHMARK_MAIN();

// Embeddings per second for N inputs of ~T tokens through runtime::Embedder, three ways:
//   one-at-a-time  N requests of one input, each waiting for the previous (no batching possible)
//   concurrent     N requests of one input submitted together (batched across requests)
//   batched        one request of N inputs (one forward pass while they fit in n_batch)
// Prints one line per mode: best and median wall time over the repetitions, embeddings/s, and the
// process CPU time per run (all threads; robust to a machine shared with other work).
// Usage: embeddings_bench [MODEL.gguf] [--inputs N] [--tokens T] [--threads K] [--reps R]
//                         [--pooling mean|cls|last] [--n-batch B]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "kernels/ops.h"
#include "runtime/embedder.h"
#include "runtime/loaded_model.h"

namespace {

using namespace plexus;
using clock_type = std::chrono::steady_clock;

const char* const kWords[] = {"river",  "stone",  "light",  "morning", "quiet",  "engine", "garden",
                              "paper",  "signal", "winter", "market",  "window", "silver", "forest",
                              "number", "letter", "circle", "harbor",  "orange", "travel", "machine",
                              "summer", "bridge", "planet", "doctor"};

// Input i: words picked by a fixed rule, tokenized with specials, cut (or grown) to `tokens`.
std::vector<int32_t> make_input(const runtime::LoadedModel& m, int i, int tokens) {
  std::string text;
  std::vector<int32_t> ids;
  for (int w = 0; static_cast<int>(ids.size()) < tokens; w += 8) {
    for (int k = 0; k < 8; ++k) text += std::string(kWords[(i * 7 + (w + k) * 3) % 25]) + " ";
    ids = m.tokenizer->encode(text, true, true);
  }
  const int32_t last = ids.back();
  ids.resize(static_cast<size_t>(tokens));
  ids.back() = last;  // keep [SEP] / the last token kind
  return ids;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = std::string(PLEXUS_DEFAULT_SHARED_DIR) + "/models/synth/synth-bert-mean-F32.gguf";
  int n_inputs = 64, n_tokens = 100, threads = 0, reps = 5;
  int64_t n_batch = runtime::EmbedderOptions{}.n_batch;
  std::string pooling;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "error: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--inputs")
      n_inputs = std::atoi(next());
    else if (a == "--tokens")
      n_tokens = std::atoi(next());
    else if (a == "--threads")
      threads = std::atoi(next());
    else if (a == "--reps")
      reps = std::atoi(next());
    else if (a == "--n-batch")
      n_batch = std::atoll(next());
    else if (a == "--pooling")
      pooling = next();
    else
      path = a;
  }
  if (n_inputs < 1 || n_tokens < 2 || reps < 1) {
    std::fprintf(stderr, "error: --inputs >= 1, --tokens >= 2, --reps >= 1\n");
    return 2;
  }
  auto loaded = runtime::load_model(path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "error: %s\n", loaded.status().message().c_str());
    return 1;
  }
  std::shared_ptr<const runtime::LoadedModel> model(std::move(loaded).value());
  runtime::EmbedderOptions o;
  o.threads = threads > 0 ? threads : ThreadPool::hardware_threads();
  o.n_batch = n_batch;
  o.max_queue = std::max(o.max_queue, n_inputs);
  if (!pooling.empty() && !model::parse_pooling(pooling, o.pooling)) {
    std::fprintf(stderr, "error: --pooling mean|cls|last\n");
    return 2;
  }
  runtime::Embedder embedder(model, o);
  std::vector<std::vector<int32_t>> inputs;
  for (int i = 0; i < n_inputs; ++i) inputs.push_back(make_input(*model, i, n_tokens));
  std::printf("model %s, %d inputs x %d tokens, %d threads, n_batch %lld, kernels %s\n", path.c_str(), n_inputs,
              n_tokens, o.threads, static_cast<long long>(n_batch), kernels::active_isa());

  auto one_at_a_time = [&] {
    for (const auto& ids : inputs) {
      runtime::EmbedRequest r;
      r.inputs = {ids};
      if (!embedder.embed(std::move(r)).ok()) std::abort();
    }
  };
  auto concurrent = [&] {
    std::vector<std::promise<bool>> done(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      runtime::EmbedRequest r;
      r.inputs = {inputs[i]};
      auto* p = &done[i];
      if (!embedder.submit(std::move(r), [p](Result<runtime::EmbedResult> res) { p->set_value(res.ok()); }).ok())
        std::abort();
    }
    for (auto& d : done) {
      if (!d.get_future().get()) std::abort();
    }
  };
  auto batched = [&] {
    runtime::EmbedRequest r;
    r.inputs = inputs;
    if (!embedder.embed(std::move(r)).ok()) std::abort();
  };
  one_at_a_time();  // warm-up: creates the pool and the cache
  for (const auto& [name, fn] : {std::pair<const char*, std::function<void()>>{"one-at-a-time", one_at_a_time},
                                 {"concurrent", concurrent},
                                 {"batched", batched}}) {
    std::vector<double> secs;
    const int64_t passes0 = embedder.metrics().forward_passes;
    const std::clock_t cpu0 = std::clock();
    for (int r = 0; r < reps; ++r) {
      const auto t0 = clock_type::now();
      fn();
      secs.push_back(std::chrono::duration<double>(clock_type::now() - t0).count());
    }
    const double cpu_ms = 1e3 * static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC / reps;
    const double best = *std::min_element(secs.begin(), secs.end());
    const double med = median(secs);
    std::printf(
        "%-14s wall best %8.2f ms  median %8.2f ms  %8.1f embeddings/s (median)  cpu %8.2f ms/run  %8.1f "
        "embeddings/cpu-s  %5.1f forward passes/run\n",
        name, best * 1e3, med * 1e3, n_inputs / med, cpu_ms, n_inputs / (cpu_ms / 1e3),
        static_cast<double>(embedder.metrics().forward_passes - passes0) / reps);
  }
  return 0;
}

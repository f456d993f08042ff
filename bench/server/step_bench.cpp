// `bench_server step MODEL`: the cost of one continuous-batching decode step as the engine runs it
// (one Model::forward over n decode tokens of n sequences), without HTTP, sampling or the engine
// thread. Reports wall time and process CPU time per step, so the batch's cost per token can be
// read even on a machine busy with other work: CPU time does not count the time a thread waits
// for a core. The pool does not spin (spin 0), so its CPU time is work plus futex hand-offs.
#include "step_bench.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "model/kv_cache.h"
#include "runtime/loaded_model.h"

namespace plexus::bench {
namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double wall_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.empty() ? 0 : v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

bool parse_int(const std::string& s, int64_t lo, int64_t hi, int64_t& out) {
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < lo || v > hi) return false;
  out = v;
  return true;
}

}  // namespace

int step_main(int argc, char** argv) {
  std::string path, json_path;
  int64_t threads = 2, steps = 8, context = 32;
  std::vector<int64_t> batches = {1, 2, 4, 8, 16};
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--threads" && has_value && parse_int(argv[i + 1], 1, 256, threads)) {
      ++i;
    } else if (a == "--steps" && has_value && parse_int(argv[i + 1], 1, 10000, steps)) {
      ++i;
    } else if (a == "--context" && has_value && parse_int(argv[i + 1], 1, 100000, context)) {
      ++i;
    } else if (a == "--json" && has_value) {
      json_path = argv[++i];
    } else if (a == "--batch" && has_value) {
      batches.clear();
      std::string list = argv[++i];
      size_t pos = 0;
      while (pos <= list.size()) {
        size_t comma = list.find(',', pos);
        if (comma == std::string::npos) comma = list.size();
        int64_t b = 0;
        if (!parse_int(list.substr(pos, comma - pos), 1, 512, b)) {
          std::cerr << "error: --batch takes a list of integers in [1, 512]\n";
          return 1;
        }
        batches.push_back(b);
        pos = comma + 1;
      }
    } else if (a.rfind("--", 0) != 0 && path.empty()) {
      path = a;
    } else {
      std::cerr << "error: unexpected or malformed argument '" << a << "'\n"
                << "usage: bench_server step MODEL [--threads 2] [--batch 1,2,4,8,16] [--steps 8] [--context 32]"
                   " [--json OUT]\n";
      return 1;
    }
  }
  if (path.empty()) {
    std::cerr << "error: step needs a model path\n";
    return 1;
  }
  auto loaded = runtime::load_model(path);
  if (!loaded.ok()) {
    std::cerr << "error: " << loaded.status().message() << "\n";
    return 1;
  }
  const model::Model& m = *(*loaded)->model;
  const int64_t n_vocab = m.config().n_vocab;
  const int64_t max_batch = *std::max_element(batches.begin(), batches.end());
  // Every sequence rounds up to whole blocks (16 positions): one spare block each.
  model::KvCache cache(m.kv_shape(), max_batch * (context + steps + 1 + 16));
  model::ForwardScratch scratch;
  ThreadPool pool(static_cast<int>(threads), 0);
  std::vector<float> logits;
  nlohmann::json out = {{"model", path}, {"threads", threads}, {"context", context}, {"steps", steps}};

  std::printf("%-6s %-14s %-14s %-18s %-16s\n", "batch", "wall ms/step", "CPU ms/step", "CPU ms/token",
              "CPU vs batch 1");
  double cpu_per_token_1 = 0;
  for (int64_t n : batches) {
    cache.clear();
    // Each sequence starts with `context` positions (one prefill pass each), as a running stream would.
    std::vector<model::BatchToken> batch;
    for (int32_t s = 0; s < n; ++s) {
      if (!cache.reserve(s, context + steps + 1).ok()) {
        std::cerr << "error: KV cache too small\n";
        return 1;
      }
      batch.clear();
      for (int32_t p = 0; p < context; ++p) {
        batch.push_back({static_cast<int32_t>((s * 131 + p * 7 + 5) % n_vocab), p, s, p == context - 1});
      }
      if (Status st = m.forward(batch, cache, scratch, pool, logits); !st.ok()) {
        std::cerr << "error: " << st.message() << "\n";
        return 1;
      }
    }
    std::vector<double> wall, cpu;
    for (int64_t step = 0; step <= steps; ++step) {  // step 0 warms caches and is not counted
      batch.clear();
      for (int32_t s = 0; s < n; ++s) {
        batch.push_back({static_cast<int32_t>((s * 17 + step * 3 + 11) % n_vocab), static_cast<int32_t>(context + step),
                         s, true});
      }
      const double w0 = wall_seconds(), c0 = cpu_seconds();
      if (Status st = m.forward(batch, cache, scratch, pool, logits); !st.ok()) {
        std::cerr << "error: " << st.message() << "\n";
        return 1;
      }
      const double w1 = wall_seconds(), c1 = cpu_seconds();
      if (step > 0) {
        wall.push_back(w1 - w0);
        cpu.push_back(c1 - c0);
      }
    }
    const double w = median(wall), c = median(cpu);
    const double per_token = c / static_cast<double>(n);
    if (n == 1) cpu_per_token_1 = per_token;
    std::printf("%-6lld %-14.1f %-14.1f %-18.2f %-16s\n", static_cast<long long>(n), 1e3 * w, 1e3 * c,
                1e3 * per_token,
                cpu_per_token_1 > 0 ? (std::to_string(per_token / cpu_per_token_1).substr(0, 4) + "x").c_str() : "-");
    out["batches"].push_back({{"batch", n},
                              {"wall_ms_median", 1e3 * w},
                              {"cpu_ms_median", 1e3 * c},
                              {"cpu_ms_per_token", 1e3 * per_token},
                              {"wall_ms", wall},
                              {"cpu_ms", cpu}});
  }
  if (!json_path.empty()) {
    FILE* f = std::fopen(json_path.c_str(), "w");
    if (f == nullptr) {
      std::cerr << "error: cannot write '" << json_path << "'\n";
      return 1;
    }
    const std::string s = out.dump(2) + "\n";
    const bool ok = std::fwrite(s.data(), 1, s.size(), f) == s.size();
    if (std::fclose(f) != 0 || !ok) {
      std::cerr << "error: cannot write '" << json_path << "'\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace plexus::bench

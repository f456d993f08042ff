// plexus bench MODEL: prompt processing (pp512) and generation (tg128) speed as llama-bench
// measures them (random tokens, an empty context for each repetition, one warm-up run), next to
// the machine's memory read bandwidth measured in the same run with the same thread count, and
// the fraction of it that generation achieves: of the best pass (a peak), and of sustained reads
// of the weights taken between the repetitions (what the decode competes with at that moment).
// -t, -p and -n take comma-separated lists, as llama-bench's do: every thread count runs every
// test, on one loaded model.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "core/huge_page_buffer.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"
#include "model/kv_cache.h"
#include "runtime/loaded_model.h"

namespace plexus::cli {
namespace {

struct BenchArgs {
  std::string model;
  std::vector<int> threads;       // empty: all cores; 0 in the list likewise
  std::vector<int> n_prompt{512};  // 0 entries are skipped
  std::vector<int> n_gen{128};
  int reps = 3;
  int bandwidth_mib = 512;
  double bandwidth_seconds = 1.0;
  bool json = false;
  bool mmap = false;  // weights from the mapped file instead of huge pages
  bool no_repack = false;  // keep GGUF's row-major weights (no interleaved kernel layouts)
};

struct TestResult {
  std::string test;  // "pp512", "tg128"
  size_t run = 0;  // index of its thread count in the -t list
  int n_prompt = 0;
  int n_gen = 0;
  std::vector<double> samples;  // tokens/s per repetition
  double mean = 0, stddev = 0;
  // tg only: sustained weight reads before each repetition and after the last (reps + 1 entries).
  std::vector<double> reads_alongside;
};

struct WeightTraffic {
  uint64_t bytes_per_token = 0;   // weight bytes one decode step reads
  uint64_t matmul_params = 0;     // weight elements multiplied per token (2 FLOPs each)
  std::string main_type;          // the type holding most weight bytes
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Every weight is read once per token, except the embedding table, of which one row is read
// (unless it doubles as the output matrix).
WeightTraffic weight_traffic(const gguf::GgufFile& file) {
  WeightTraffic w;
  const bool tied = file.find_tensor("output.weight") == nullptr;
  std::vector<std::pair<std::string, uint64_t>> by_type;
  for (const auto& t : file.tensors()) {
    const bool embedding = t.name == "token_embd.weight";
    const bool matmul = t.n_dims >= 2 && (!embedding || tied);
    uint64_t bytes = t.n_bytes;
    if (embedding && !tied && t.n_dims >= 2 && t.dims[1] > 0) bytes = t.n_bytes / static_cast<uint64_t>(t.dims[1]);
    w.bytes_per_token += bytes;
    if (matmul) w.matmul_params += t.n_elements;
    const std::string name = tensor_type_name(t.type);
    auto it = std::find_if(by_type.begin(), by_type.end(), [&](const auto& p) { return p.first == name; });
    if (it == by_type.end()) by_type.emplace_back(name, t.n_bytes);
    else it->second += t.n_bytes;
  }
  auto best = std::max_element(by_type.begin(), by_type.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  if (best != by_type.end()) w.main_type = best->first;
  return w;
}

// The 64-bit words a read measurement streams.
struct Words {
  const uint64_t* data = nullptr;
  size_t n = 0;
};

// One multi-threaded streaming read: each worker sums its contiguous slice with independent
// 64-bit accumulators (the loop vectorizes) into its own cache line of `sinks`.
void read_pass(ThreadPool& pool, Words w, std::vector<uint64_t>& sinks) {
  pool.run([&](int worker, int workers) {
    const size_t begin = w.n * static_cast<size_t>(worker) / static_cast<size_t>(workers) / 8 * 8;
    const size_t end = worker + 1 == workers ? w.n : w.n * static_cast<size_t>(worker + 1) / static_cast<size_t>(workers) / 8 * 8;
    sinks[static_cast<size_t>(worker) * 8] += sum_words(w.data + begin, end - begin);
  });
}

// Which figure a series of read passes gives, in GB/s (1e9 bytes):
// * best_pass: the fastest pass of at least 5. On a shared machine a pass only counts the full
//   bandwidth when every worker kept its core throughout, so the best of many is the peak.
// * sustained: all bytes over all time, at least one pass. This VM also gives short bursts of
//   faster memory (45-56 GB/s for a few hundred ms between stretches of 28-35, docs/PERFORMANCE.md)
//   that lift a best pass but not a decode run of seconds; a sustained read of similar length
//   taken right beside the decode is the figure the decode can be held to.
enum class ReadFigure { best_pass, sustained };

// Passes over `w` (far larger than the last-level cache, pages already faulted in) for at least
// `min_seconds` (at most 1000 passes).
double read_gbs(ThreadPool& pool, Words w, double min_seconds, ReadFigure figure) {
  if (w.n == 0) return 0;
  std::vector<uint64_t> sinks(static_cast<size_t>(pool.size()) * 8, 0);
  const double pass_bytes = static_cast<double>(w.n * sizeof(uint64_t));
  const int min_passes = figure == ReadFigure::best_pass ? 5 : 1;
  double best = 0;
  int passes = 0;
  const auto start = std::chrono::steady_clock::now();
  while (passes < min_passes || (seconds_since(start) < min_seconds && passes < 1000)) {
    const auto t0 = std::chrono::steady_clock::now();
    read_pass(pool, w, sinks);
    ++passes;
    const double s = seconds_since(t0);
    if (s > 0) best = std::max(best, pass_bytes / s / 1e9);
  }
  volatile uint64_t keep = std::accumulate(sinks.begin(), sinks.end(), uint64_t{0});
  (void)keep;
  if (figure == ReadFigure::best_pass) return best;
  const double total = seconds_since(start);
  return total > 0 ? pass_bytes * passes / total / 1e9 : 0.0;
}

// Best pass over a fresh buffer in huge pages, as the weights are by default (core/huge_page_buffer.h).
double measure_read_bandwidth(ThreadPool& pool, size_t bytes, double min_seconds) {
  const size_t n = bytes / sizeof(uint64_t);
  HugePageBuffer buffer(n * sizeof(uint64_t));
  uint64_t* buf = buffer.words();
  pool.parallel_for(static_cast<int64_t>(n), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) buf[static_cast<size_t>(i)] = static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ull;
  });
  return read_gbs(pool, {buf, n}, min_seconds, ReadFigure::best_pass);
}

// The model's own tensor data (the pages generation streams, repacked in place). On this kind of
// machine (a VM whose memory spans host nodes) a fresh buffer and the weights can sit on memory of
// different speed, by up to 1.5x between runs; the weights' own read speed is the ceiling that
// generation can reach.
Words weight_words(const gguf::GgufFile& file) {
  const uint8_t* base = file.mapping().data();
  const uint64_t begin = (file.data_offset() + 7) / 8 * 8;
  const uint64_t size = file.file_size();
  if (base == nullptr || begin >= size || reinterpret_cast<uintptr_t>(base) % 8 != 0) return {};
  return {reinterpret_cast<const uint64_t*>(base + begin), static_cast<size_t>((size - begin) / 8)};
}

uint64_t peak_rss_bytes() {
  struct rusage ru {};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

// Resets the kernel's peak-RSS mark (Linux >= 4.0), so the bandwidth buffer does not count as
// the model's memory. False where /proc does not allow it.
bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  if (!f) return false;
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

uint64_t current_hwm_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return peak_rss_bytes();
}

double mean_of(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

void summarize(TestResult& r) {
  const double n = static_cast<double>(r.samples.size());
  r.mean = mean_of(r.samples);
  double var = 0;
  for (double s : r.samples) var += (s - r.mean) * (s - r.mean);
  r.stddev = r.samples.size() > 1 ? std::sqrt(var / (n - 1)) : 0.0;
}

class Runner {
 public:
  Runner(const runtime::LoadedModel& model, ThreadPool& pool, int64_t capacity)
      : model_(model), pool_(pool), cache_(model.model->kv_shape(), capacity), rng_(1234) {}

  // n tokens evaluated in batches of at most 512 from an empty context; logits for the last.
  Status prompt(int n) {
    cache_.clear();
    PLEXUS_RETURN_IF_ERROR(cache_.reserve(0, n));
    for (int start = 0; start < n; start += 512) {
      const int count = std::min(512, n - start);
      batch_.clear();
      for (int i = 0; i < count; ++i) batch_.push_back({random_token(), start + i, 0, start + i == n - 1});
      PLEXUS_RETURN_IF_ERROR(model_.model->forward(batch_, cache_, scratch_, pool_, logits_));
    }
    return {};
  }

  // n single-token decode steps from an empty context.
  Status generate(int n) {
    cache_.clear();
    PLEXUS_RETURN_IF_ERROR(cache_.reserve(0, n));
    for (int i = 0; i < n; ++i) {
      batch_.assign(1, {random_token(), i, 0, true});
      PLEXUS_RETURN_IF_ERROR(model_.model->forward(batch_, cache_, scratch_, pool_, logits_));
    }
    return {};
  }

 private:
  int32_t random_token() {
    return static_cast<int32_t>(rng_() % static_cast<uint64_t>(model_.model->config().n_vocab));
  }

  const runtime::LoadedModel& model_;
  ThreadPool& pool_;
  model::KvCache cache_;
  model::ForwardScratch scratch_;
  std::vector<model::BatchToken> batch_;
  std::vector<float> logits_;
  std::mt19937_64 rng_;
};

// `read_alongside` (tg tests only; null skips it) measures a sustained weight read; it runs
// before each timed repetition and after the last, outside the timed spans.
Result<TestResult> run_test(Runner& runner, bool is_prompt, int n, int reps, const std::function<double()>& read_alongside) {
  TestResult r;
  r.test = (is_prompt ? "pp" : "tg") + std::to_string(n);
  (is_prompt ? r.n_prompt : r.n_gen) = n;
  // Warm-up: faults the weights in and grows every buffer.
  PLEXUS_RETURN_IF_ERROR(is_prompt ? runner.prompt(std::min(n, 32)) : runner.generate(std::min(n, 4)));
  for (int rep = 0; rep < reps; ++rep) {
    if (read_alongside) r.reads_alongside.push_back(read_alongside());
    const auto t0 = std::chrono::steady_clock::now();
    PLEXUS_RETURN_IF_ERROR(is_prompt ? runner.prompt(n) : runner.generate(n));
    r.samples.push_back(n / seconds_since(t0));
  }
  if (read_alongside) r.reads_alongside.push_back(read_alongside());
  summarize(r);
  return r;
}

// Each tg repetition's weight GB/s over the mean of the sustained reads just before and after it.
std::vector<double> fractions_alongside(const TestResult& r, uint64_t bytes_per_token) {
  std::vector<double> f;
  if (r.reads_alongside.size() != r.samples.size() + 1) return f;
  for (size_t i = 0; i < r.samples.size(); ++i) {
    const double read = (r.reads_alongside[i] + r.reads_alongside[i + 1]) / 2;
    f.push_back(read > 0 ? static_cast<double>(bytes_per_token) * r.samples[i] / 1e9 / read : 0.0);
  }
  return f;
}

bool in_range(const std::vector<int>& v, int lo, int hi) {
  return std::all_of(v.begin(), v.end(), [&](int x) { return x >= lo && x <= hi; });
}
bool any_positive(const std::vector<int>& v) {
  return std::any_of(v.begin(), v.end(), [](int x) { return x > 0; });
}
int max_of(const std::vector<int>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

// What each thread count measured besides the tests.
struct ThreadRun {
  int threads = 0;
  double bandwidth = 0;          // buffer read, best before loading and after unloading
  double weights_bandwidth = 0;  // the model's own bytes, best before and after this count's tests
};

int run(const BenchArgs& args) {
  if (!in_range(args.n_prompt, 0, 65536) || !in_range(args.n_gen, 0, 65536) || !in_range(args.threads, 0, 1024) ||
      args.reps < 1 || args.bandwidth_mib < 1 || args.reps > 1000 ||
      !(args.bandwidth_seconds >= 0 && args.bandwidth_seconds <= 60)) {
    return fail("-p and -n must be in 0..65536, -t in 0..1024, -r in 1..1000, --bandwidth-mib >= 1, "
                "--bandwidth-seconds in 0..60");
  }
  if (!any_positive(args.n_prompt) && !any_positive(args.n_gen)) return fail("nothing to measure: -p and -n are both 0");
  std::vector<ThreadRun> runs;
  for (int t : args.threads.empty() ? std::vector<int>{0} : args.threads) runs.push_back({t > 0 ? t : default_threads()});

  const size_t bw_bytes = static_cast<size_t>(args.bandwidth_mib) << 20;
  for (ThreadRun& tr : runs) {
    ThreadPool pool(tr.threads);
    tr.bandwidth = measure_read_bandwidth(pool, bw_bytes, args.bandwidth_seconds);
  }
  const bool rss_reset = reset_peak_rss();

  auto loaded = runtime::load_model(args.model, {args.mmap ? FileLoad::map : FileLoad::huge_pages, !args.no_repack});
  if (!loaded.ok()) return fail(loaded.status());
  const runtime::LoadedModel& model = **loaded;
  if (!model.model->can_generate()) return fail("'" + args.model + "' is an encoder: it cannot generate");
  const WeightTraffic traffic = weight_traffic(*model.file);
  const uint64_t model_size = model.file->file_size();
  const int64_t capacity = std::max(max_of(args.n_prompt), max_of(args.n_gen)) + 16;

  std::vector<TestResult> results;
  for (size_t i = 0; i < runs.size(); ++i) {
    ThreadRun& tr = runs[i];
    ThreadPool pool(tr.threads);
    const Words weights = weight_words(*model.file);
    const std::function<double()> read_alongside = [&] {
      return read_gbs(pool, weights, args.bandwidth_seconds, ReadFigure::sustained);
    };
    tr.weights_bandwidth = read_gbs(pool, weights, args.bandwidth_seconds, ReadFigure::best_pass);
    Runner runner(model, pool, capacity);
    for (const auto& [is_prompt, sizes] : {std::pair{true, &args.n_prompt}, std::pair{false, &args.n_gen}}) {
      for (int n : *sizes) {
        if (n == 0) continue;
        auto r = run_test(runner, is_prompt, n, args.reps, is_prompt ? nullptr : read_alongside);
        if (!r.ok()) return fail(r.status());
        r->run = i;
        results.push_back(std::move(*r));
      }
    }
    tr.weights_bandwidth = std::max(tr.weights_bandwidth, read_gbs(pool, weights, args.bandwidth_seconds, ReadFigure::best_pass));
  }
  const uint64_t peak = rss_reset ? current_hwm_bytes() : peak_rss_bytes();
  // Measured again after the tests (the model unmapped): the better of the two is the machine's
  // figure, so a burst of other load during one measurement does not inflate the fraction.
  loaded->reset();
  for (ThreadRun& tr : runs) {
    ThreadPool pool(tr.threads);
    tr.bandwidth = std::max(tr.bandwidth, measure_read_bandwidth(pool, bw_bytes, args.bandwidth_seconds));
  }
  nlohmann::json out = nlohmann::json::array();
  for (const TestResult& r : results) {
    const double bandwidth = runs[r.run].bandwidth, weights_bandwidth = runs[r.run].weights_bandwidth;
    nlohmann::json j;
    j["test"] = r.test;
    j["n_prompt"] = r.n_prompt;
    j["n_gen"] = r.n_gen;
    j["tokens_per_second"] = r.mean;
    j["stddev"] = r.stddev;
    j["samples_ts"] = r.samples;
    j["repetitions"] = args.reps;
    j["threads"] = runs[r.run].threads;
    j["model"] = args.model;
    j["model_type"] = traffic.main_type;
    j["model_size"] = model_size;
    j["kernels"] = kernels::active_isa();
    j["peak_rss_bytes"] = peak;
    j["bandwidth_gbs"] = bandwidth;
    j["weights_read_gbs"] = weights_bandwidth;
    j["weight_bytes_per_token"] = traffic.bytes_per_token;
    // Matmul arithmetic only (2 FLOPs per weight per token); attention adds a little at 512.
    j["gflops"] = 2.0 * static_cast<double>(traffic.matmul_params) * r.mean / 1e9;
    if (r.n_gen > 0) {
      const double gbs = static_cast<double>(traffic.bytes_per_token) * r.mean / 1e9;
      j["weight_gbs"] = gbs;
      j["bandwidth_fraction"] = bandwidth > 0 ? gbs / bandwidth : 0.0;
      j["weights_read_fraction"] = weights_bandwidth > 0 ? gbs / weights_bandwidth : 0.0;
      const std::vector<double> fractions = fractions_alongside(r, traffic.bytes_per_token);
      j["reads_alongside_gbs"] = r.reads_alongside;
      j["read_alongside_gbs"] = mean_of(r.reads_alongside);
      j["fractions_alongside"] = fractions;
      j["fraction_alongside"] = mean_of(fractions);
    }
    out.push_back(j);
  }
  if (args.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("model: %s (%s, %.2f GB weights read per token), kernels %s\n", args.model.c_str(),
              traffic.main_type.c_str(), static_cast<double>(traffic.bytes_per_token) / 1e9, kernels::active_isa());
  for (const ThreadRun& tr : runs) {
    std::printf("memory read bandwidth: %.1f GB/s (%d threads, %d MiB buffer, best pass of >= %g s before and after)\n",
                tr.bandwidth, tr.threads, args.bandwidth_mib, args.bandwidth_seconds);
    std::printf("read of the model's own weights: %.1f GB/s (%d threads, best pass before and after its tests)\n",
                tr.weights_bandwidth, tr.threads);
  }
  if (any_positive(args.n_gen)) {
    std::printf("read alongside: the weights read for >= %g s before each tg repetition and after the last, bytes over time;\n"
                "  of it: each repetition against the reads on either side, mean\n", args.bandwidth_seconds);
  }
  std::printf("| test   | threads |            t/s | GFLOP/s | weights GB/s | of bandwidth | of weights read | read alongside |  of it |\n");
  std::printf("|--------|--------:|---------------:|--------:|-------------:|-------------:|----------------:|---------------:|-------:|\n");
  const auto percent = [](const nlohmann::json& f) { return std::to_string(static_cast<int>(std::lround(100.0 * f.get<double>()))) + "%"; };
  for (const auto& j : out) {
    const bool gen = j["n_gen"].get<int>() > 0;
    std::string gbs, frac, wfrac, along, along_frac;
    if (gen) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f", j["weight_gbs"].get<double>());
      gbs = buf;
      std::snprintf(buf, sizeof buf, "%.1f GB/s", j["read_alongside_gbs"].get<double>());
      along = buf;
      frac = percent(j["bandwidth_fraction"]);
      wfrac = percent(j["weights_read_fraction"]);
      along_frac = percent(j["fraction_alongside"]);
    }
    std::printf("| %-6s | %7d | %7.2f ± %5.2f | %7.1f | %12s | %12s | %15s | %14s | %6s |\n",
                j["test"].get<std::string>().c_str(), j["threads"].get<int>(), j["tokens_per_second"].get<double>(),
                j["stddev"].get<double>(), j["gflops"].get<double>(), gbs.c_str(), frac.c_str(), wfrac.c_str(),
                along.c_str(), along_frac.c_str());
  }
  std::printf("peak resident memory: %.1f MB\n", static_cast<double>(peak) / 1e6);
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure prompt processing and generation speed against memory bandwidth");
  cmd->add_option("model", args->model, "GGUF file")->required();
  cmd->add_option("-t,--threads", args->threads, "Thread counts, comma-separated (default: all cores)")->delimiter(',');
  cmd->add_option("-p,--n-prompt", args->n_prompt, "Prompt tokens per pp test, comma-separated (0 skips it)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("-n,--n-gen", args->n_gen, "Generated tokens per tg test, comma-separated (0 skips it)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("-r,--repetitions", args->reps, "Repetitions of each test")->capture_default_str();
  cmd->add_option("--bandwidth-mib", args->bandwidth_mib, "Buffer for the bandwidth measurement (MiB)")->capture_default_str();
  cmd->add_option("--bandwidth-seconds", args->bandwidth_seconds, "Minimum time of each bandwidth measurement")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print a JSON array, one object per test");
  cmd->add_flag("--mmap", args->mmap, "Use the weights from the mapped file (4 KiB pages) instead of huge pages");
  cmd->add_flag("--no-repack", args->no_repack, "Keep the file's row-major weights instead of the kernels' interleaved layouts");
  cmd->callback([args] { exit_code() = run(*args); });
}

}  // namespace plexus::cli

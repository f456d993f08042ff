// bench_server: throughput benchmark of `plexus serve` (see docs/PERFORMANCE.md, "Server throughput").
//   bench_server synth OUT.gguf [--shape 1.1b] [--type Q4_K] [--seed 1]
//       writes a synthetic model (random weights; every 2-D weight in one type, norms F32).
//   bench_server run --port P --model ID [--clients 1,4,8,16] [--max-tokens 128] [--repeats 3]
//                    [--long-prompt 512] [--background 8] [--chat] [--json OUT] [--wait-ready 600]
//                    [--reference ONE,EIGHT]
//       drives a running server: aggregate generated tokens/s at each client count (repeats are
//       interleaved across counts so machine noise spreads evenly), then the time to first token of
//       a long prompt alone and while `--background` streams decode. Prints a table; --json writes
//       every run. --reference: llama.cpp's tok/s at 1 and 8 clients measured on this machine
//       (default: the server issue's figure, from another machine type).
//   bench_server step MODEL [--threads 2] [--batch 1,2,4,8,16]
//       times Model::forward for n decode tokens of n sequences (wall and CPU time per step).
// Not a test: needs a server and minutes of machine time. bench/server/run_server_bench.sh starts one.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "load_scenarios.h"
#include "step_bench.h"
#include "model/synthetic_model.h"

namespace plexus::bench {
namespace {

using json = nlohmann::json;

// llama.cpp's server (-np 8) on the server issue's machine type: 1 client, 8 clients. --reference
// replaces them with a figure measured on the machine at hand (bench/server/run_llama_server_bench.sh).
constexpr double kLlamaCppOne = 38.0;
constexpr double kLlamaCppEight = 56.0;

struct Reference {
  double one = kLlamaCppOne, eight = kLlamaCppEight;
  std::string source = "the server issue's figure";
};

struct Args {
  std::map<std::string, std::string> named;
  std::vector<std::string> positional;
  std::string get(const std::string& k, const std::string& def) const {
    auto it = named.find(k);
    return it == named.end() ? def : it->second;
  }
};

// "--flag value" pairs; flags in `switches` take no value.
Result<Args> parse_args(int argc, char** argv, int from, const std::vector<std::string>& switches) {
  Args a;
  const std::vector<std::string> words(argv + std::min(from, argc), argv + argc);
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& s = words[i];
    if (s.rfind("--", 0) == 0) {
      if (std::find(switches.begin(), switches.end(), s) != switches.end()) {
        a.named.insert_or_assign(s, std::string("1"));
      } else if (i + 1 < words.size()) {
        a.named.insert_or_assign(s, words[i + 1]);
        ++i;
      } else {
        return invalid_argument(s + " needs a value");
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

Result<int64_t> to_int(const std::string& flag, const std::string& v, int64_t lo, int64_t hi) {
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0 || x < lo || x > hi) {
    return invalid_argument(flag + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                            "], got '" + v + "'");
  }
  return static_cast<int64_t>(x);
}

Result<std::vector<int>> to_int_list(const std::string& flag, const std::string& v) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t comma = v.find(',', pos);
    if (comma == std::string::npos) comma = v.size();
    PLEXUS_ASSIGN_OR_RETURN(const int64_t x, to_int(flag, v.substr(pos, comma - pos), 1, 256));
    out.push_back(static_cast<int>(x));
    pos = comma + 1;
  }
  return out;
}

int fail(const Status& st) {
  std::cerr << "error: " << st.message() << "\n";
  return 1;
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

int synth(int argc, char** argv) {
  auto args = parse_args(argc, argv, 2, {});
  if (!args.ok()) return fail(args.status());
  if (args->positional.size() != 1) return fail(invalid_argument("synth needs exactly one output path"));
  const auto shape = model::synthetic_shape(args->get("--shape", "1.1b"));
  if (!shape) return fail(invalid_argument("unknown --shape (tiny, 1.1b, 135m)"));
  const auto type = tensor_type_from_name(args->get("--type", "Q4_K"));
  if (!type) return fail(invalid_argument("unknown --type; one of " + supported_tensor_type_names()));
  auto seed = to_int("--seed", args->get("--seed", "1"), 0, INT64_MAX);
  if (!seed.ok()) return fail(seed.status());
  const Status st = model::write_synthetic_model(args->positional[0], *shape, *type, static_cast<uint64_t>(*seed));
  if (!st.ok()) return fail(st);
  std::cout << "wrote " << args->positional[0] << "\n";
  return 0;
}

Status wait_ready(const Endpoint& ep, int seconds) {
  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  std::string last = "no answer";
  while (Clock::now() < deadline) {
    Result<HttpResponse> r = http_request(ep, "GET", "/health", "");
    if (r.ok() && r->status == 200) return {};
    last = r.ok() ? "HTTP " + std::to_string(r->status) : r.status().message();
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return io_error("server not ready after " + std::to_string(seconds) + " s (" + last + ")");
}

struct Spread {
  double median = 0, min = 0, max = 0;
};

Spread spread(std::vector<double> v) {
  Spread s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  const size_t m = v.size() / 2;
  s.median = v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
  return s;
}

json spread_json(const Spread& s) { return {{"median", s.median}, {"min", s.min}, {"max", s.max}}; }

// "ONE,EIGHT": llama.cpp's aggregate tokens/s at 1 and 8 clients, each in (0, 1e6].
Result<Reference> to_reference(const std::string& v) {
  Reference ref;
  if (v.empty()) return ref;
  const auto comma = v.find(',');
  const auto number = [](const std::string& text, double& out) {
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return !text.empty() && end == text.c_str() + text.size() && out > 0 && out <= 1e6;
  };
  if (comma == std::string::npos || !number(v.substr(0, comma), ref.one) || !number(v.substr(comma + 1), ref.eight)) {
    return invalid_argument("--reference must be ONE,EIGHT: two tokens/s figures in (0, 1e6], e.g. 23.7,32.1");
  }
  ref.source = "--reference";
  return ref;
}

std::string fmt(const char* f, double a, double b, double c) {
  char buf[96];
  std::snprintf(buf, sizeof buf, f, a, b, c);
  return buf;
}

int run(int argc, char** argv) {
  auto args = parse_args(argc, argv, 2, {"--chat"});
  if (!args.ok()) return fail(args.status());
  LoadConfig cfg;
  cfg.endpoint.host = args->get("--host", "127.0.0.1");
  auto port = to_int("--port", args->get("--port", "8080"), 1, 65535);
  auto max_tokens = to_int("--max-tokens", args->get("--max-tokens", "128"), 1, 100000);
  auto repeats = to_int("--repeats", args->get("--repeats", "3"), 1, 1000);
  auto long_prompt = to_int("--long-prompt", args->get("--long-prompt", "512"), 0, 1000000);
  auto background = to_int("--background", args->get("--background", "8"), 0, 256);
  auto ready_s = to_int("--wait-ready", args->get("--wait-ready", "600"), 0, 86400);
  auto seed = to_int("--seed", args->get("--seed", "0"), 0, INT64_MAX);
  auto clients = to_int_list("--clients", args->get("--clients", "1,4,8,16"));
  auto reference = to_reference(args->get("--reference", ""));
  for (const Status* st : {&port.status(), &max_tokens.status(), &repeats.status(), &long_prompt.status(),
                           &background.status(), &ready_s.status(), &seed.status(), &clients.status(),
                           &reference.status()}) {
    if (!st->ok()) return fail(*st);
  }
  cfg.endpoint.port = static_cast<int>(*port);
  cfg.model = args->get("--model", "");
  if (cfg.model.empty()) return fail(invalid_argument("--model (the server's model id) is required"));
  cfg.chat = args->named.count("--chat") > 0;
  cfg.max_tokens = static_cast<int>(*max_tokens);
  if (Status st = wait_ready(cfg.endpoint, static_cast<int>(*ready_s)); !st.ok()) return fail(st);

  // Each invocation draws fresh prompts (seed 0: from the clock) so a server kept between runs
  // never answers from its prefix cache.
  const uint64_t s = *seed != 0 ? static_cast<uint64_t>(*seed)
                                : static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  std::mt19937_64 rng(s);
  json out = {{"endpoint", cfg.chat ? "/v1/chat/completions" : "/v1/completions"},
              {"model", cfg.model},
              {"max_tokens", cfg.max_tokens},
              {"repeats", *repeats},
              {"seed", s},
              {"loadavg_start", loadavg()}};

  std::cerr << "warm-up (pages the model in)...\n";
  {
    const StreamRecord w = run_stream(cfg, short_prompt(cfg.short_prompt_words, rng), 32, Clock::now());
    if (!w.ok) return fail(internal_error("warm-up request failed: " + w.error));
  }

  std::map<int, std::vector<LevelRun>> runs;
  for (int64_t r = 0; r < *repeats; ++r) {
    for (int c : *clients) {
      const std::string load = loadavg();
      LevelRun lr = run_level(cfg, c, rng);
      std::cerr << "repeat " << r + 1 << "/" << *repeats << "  clients " << c << ": "
                << fmt("%.1f tok/s aggregate, %.1f steady, %.1f per stream", lr.aggregate, lr.steady, lr.per_stream)
                << (lr.failed ? "  FAILED " + std::to_string(lr.failed) + ": " + lr.first_error : "")
                << "  (load " << load << ")\n";
      json j = {{"clients", c},         {"wall_s", lr.wall},           {"tokens", lr.tokens},
                {"aggregate", lr.aggregate}, {"steady", lr.steady},   {"per_stream", lr.per_stream},
                {"ttft_mean_s", lr.ttft_mean}, {"ttft_max_s", lr.ttft_max}, {"failed", lr.failed},
                {"error", lr.first_error}, {"loadavg", load}};
      out["runs"].push_back(j);
      runs[c].push_back(lr);
    }
  }

  std::vector<TtftRun> ttfts;
  if (*long_prompt > 0) {
    for (int64_t r = 0; r < *repeats; ++r) {
      const std::string load = loadavg();
      TtftRun t = run_ttft(cfg, *long_prompt, static_cast<int>(*background), rng);
      std::cerr << "repeat " << r + 1 << "/" << *repeats << "  TTFT " << t.prompt_tokens << "-token prompt: "
                << fmt("idle %.2f s, with streams %.2f s, stream gap max %.3f s", t.idle_ttft, t.loaded_ttft,
                       t.background_gap_max)
                << (t.failed ? "  FAILED: " + t.first_error : "") << "  (load " << load << ")\n";
      out["ttft_runs"].push_back({{"prompt_tokens", t.prompt_tokens},
                                  {"idle_ttft_s", t.idle_ttft},
                                  {"loaded_ttft_s", t.loaded_ttft},
                                  {"background", t.background},
                                  {"background_gap_median_s", t.background_gap_median},
                                  {"background_gap_max_s", t.background_gap_max},
                                  {"background_rate", t.background_rate},
                                  {"failed", t.failed},
                                  {"error", t.first_error},
                                  {"loadavg", load}});
      ttfts.push_back(t);
    }
  }
  out["loadavg_end"] = loadavg();

  // Summary.
  std::printf("\n%-8s %-26s %-22s %-18s %-14s\n", "clients", "aggregate tok/s (min-max)", "steady tok/s",
              "per-stream tok/s", "mean TTFT s");
  double one = 0, eight = 0;
  int failed = 0;
  for (int c : *clients) {
    std::vector<double> agg, steady, per, ttft;
    for (const auto& lr : runs[c]) {
      failed += lr.failed;
      agg.push_back(lr.aggregate);
      steady.push_back(lr.steady);
      per.push_back(lr.per_stream);
      ttft.push_back(lr.ttft_mean);
    }
    const Spread a = spread(agg), st = spread(steady), p = spread(per), t = spread(ttft);
    if (c == 1) one = a.median;
    if (c == 8) eight = a.median;
    std::printf("%-8d %-26s %-22s %-18s %-14s\n", c, fmt("%.1f (%.1f-%.1f)", a.median, a.min, a.max).c_str(),
                fmt("%.1f (%.1f-%.1f)", st.median, st.min, st.max).c_str(),
                fmt("%.1f (%.1f-%.1f)", p.median, p.min, p.max).c_str(),
                fmt("%.2f (%.2f-%.2f)", t.median, t.min, t.max).c_str());
    out["levels"].push_back({{"clients", c},
                             {"aggregate", spread_json(a)},
                             {"steady", spread_json(st)},
                             {"per_stream", spread_json(p)},
                             {"ttft_mean_s", spread_json(t)}});
  }
  if (!ttfts.empty()) {
    std::vector<double> idle, loaded, gap, gmed;
    for (const auto& t : ttfts) {
      failed += t.failed;
      idle.push_back(t.idle_ttft);
      loaded.push_back(t.loaded_ttft);
      gap.push_back(t.background_gap_max);
      gmed.push_back(t.background_gap_median);
    }
    const Spread i = spread(idle), l = spread(loaded), g = spread(gap), gm = spread(gmed);
    std::printf("\nTTFT of a %lld-token prompt: alone %s s; with %lld streams running %s s\n",
                static_cast<long long>(ttfts[0].prompt_tokens), fmt("%.2f (%.2f-%.2f)", i.median, i.min, i.max).c_str(),
                static_cast<long long>(*background), fmt("%.2f (%.2f-%.2f)", l.median, l.min, l.max).c_str());
    std::printf("background inter-token gap: median %s s, worst during the prefill %s s\n",
                fmt("%.3f (%.3f-%.3f)", gm.median, gm.min, gm.max).c_str(),
                fmt("%.3f (%.3f-%.3f)", g.median, g.min, g.max).c_str());
    out["ttft"] = {{"prompt_tokens", ttfts[0].prompt_tokens},
                   {"background", *background},
                   {"idle_s", spread_json(i)},
                   {"loaded_s", spread_json(l)},
                   {"background_gap_median_s", spread_json(gm)},
                   {"background_gap_max_s", spread_json(g)}};
  }
  if (one > 0 && eight > 0) {
    const double ratio = eight / one;
    std::printf("\n8 clients / 1 client: %.2fx (target >= 2.5x)%s\n", ratio, ratio >= 2.5 ? "" : "  BELOW TARGET");
    const Reference& ref = *reference;
    std::printf("vs llama.cpp server -np 8 (%s: %.1f tok/s at 1 client, %.1f aggregate at 8): 1 client %.2fx, "
                "8 clients %.2fx (target >= 1.5x)%s\n",
                ref.source.c_str(), ref.one, ref.eight, one / ref.one, eight / ref.eight, eight / ref.eight >= 1.5 ? "" : "  BELOW TARGET");
    out["ratio_8_over_1"] = ratio;
    out["llama_cpp"] = {{"source", ref.source},
                        {"one_client", ref.one},
                        {"eight_clients", ref.eight},
                        {"ours_over_theirs_1", one / ref.one},
                        {"ours_over_theirs_8", eight / ref.eight}};
  }
  if (failed) std::printf("\n%d stream(s) FAILED (see above)\n", failed);
  out["failed_streams"] = failed;
  if (const std::string path = args->get("--json", ""); !path.empty()) {
    std::ofstream f(path);
    f << out.dump(2) << "\n";
    if (!f) return fail(io_error("cannot write '" + path + "'"));
    std::cerr << "wrote " << path << "\n";
  }
  return failed ? 2 : 0;
}

}  // namespace
}  // namespace plexus::bench

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "synth") return plexus::bench::synth(argc, argv);
  if (cmd == "run") return plexus::bench::run(argc, argv);
  if (cmd == "step") return plexus::bench::step_main(argc, argv);
  std::cerr << "usage: bench_server synth OUT.gguf [--shape 1.1b] [--type Q4_K] [--seed 1]\n"
               "       bench_server run --port P --model ID [--clients 1,4,8,16] [--max-tokens 128] [--repeats 3]\n"
               "                        [--long-prompt 512] [--background 8] [--chat] [--json OUT] [--seed S]\n"
               "                        [--reference ONE,EIGHT]  (llama.cpp's tok/s at 1 and 8 clients to compare with)\n"
               "       bench_server step MODEL [--threads 2] [--batch 1,2,4,8,16] [--steps 8] [--context 32] [--json OUT]\n";
  return cmd.empty() || cmd == "--help" || cmd == "-h" ? 0 : 1;
}

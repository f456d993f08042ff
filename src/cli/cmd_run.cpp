// plexus run MODEL [PROMPT]: stream a generation to stdout (text or one JSON object per token).
#include <chrono>
#include <iostream>
#include <memory>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"
#include "runtime/loaded_model.h"
#include "runtime/session.h"

namespace plexus::cli {
namespace {

struct RunArgs {
  std::string model;
  std::string prompt;
  bool has_prompt = false;
  int64_t max_tokens = -1;
  float temperature = 0.8f;
  int32_t top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  int32_t repeat_last_n = 64;
  int64_t seed = -1;
  int64_t ctx = 0;
  int threads = 0;
  bool verbose = false;
  std::string format = "text";
  int32_t top = 0;
};

void print_event(const runtime::TokenEvent& ev, const RunArgs& args) {
  if (args.format == "text") {
    std::cout << ev.text << std::flush;
    return;
  }
  nlohmann::json j;
  j["id"] = ev.id;
  j["text"] = valid_utf8(ev.text);
  j["logprob"] = ev.logprob;
  if (args.top > 0) {
    nlohmann::json top = nlohmann::json::array();
    for (const auto& [id, lp] : ev.top) top.push_back({id, lp});
    j["top"] = std::move(top);
  }
  std::cout << j.dump() << "\n" << std::flush;
}

Status generate_one(runtime::Session& session, const runtime::LoadedModel& model, const std::string& text,
                    const RunArgs& args, bool first_turn) {
  const auto& tok = *model.tokenizer;
  std::vector<int32_t> prompt = tok.encode(text, /*add_special=*/true, /*parse_special=*/true);
  if (prompt.empty()) return invalid_argument("the prompt tokenizes to nothing");
  runtime::GenerateOptions opts;
  opts.max_tokens = args.max_tokens;
  opts.top_logprobs = args.format == "jsonl" ? args.top : 0;
  opts.sampling.temperature = args.temperature;
  opts.sampling.top_k = args.top_k;
  opts.sampling.top_p = args.top_p;
  opts.sampling.min_p = args.min_p;
  opts.sampling.repeat_penalty = args.repeat_penalty;
  opts.sampling.repeat_last_n = args.repeat_last_n;
  opts.sampling.seed = args.seed >= 0 ? static_cast<uint64_t>(args.seed) : std::random_device{}();
  if (args.format == "text" && first_turn) std::cout << text << std::flush;
  runtime::GenerateStats stats;
  PLEXUS_RETURN_IF_ERROR(session.generate(prompt, opts, [&](const runtime::TokenEvent& ev) {
    print_event(ev, args);
    return true;
  }, &stats));
  if (args.format == "text") std::cout << std::endl;
  if (args.verbose) {
    std::cerr << "prompt: " << stats.prompt_tokens << " tokens (" << stats.prompt_evaluated << " evaluated) in "
              << stats.prompt_seconds << " s, "
              << (stats.prompt_seconds > 0 ? static_cast<double>(stats.prompt_evaluated) / stats.prompt_seconds : 0.0)
              << " tokens/s\n"
              << "generation: " << stats.generated << " tokens in " << stats.generate_seconds << " s, "
              << (stats.generate_seconds > 0 ? static_cast<double>(stats.generated) / stats.generate_seconds : 0.0)
              << " tokens/s (stop: " << stats.stop_reason << ", seed " << opts.sampling.seed << ")" << std::endl;
  }
  return {};
}

int run(const RunArgs& args) {
  if (args.format != "text" && args.format != "jsonl") return fail("--format must be text or jsonl");
  if (args.temperature < 0 || args.top_p < 0 || args.top_p > 1 || args.min_p < 0 || args.min_p > 1) {
    return fail("sampling parameters out of range (--temp >= 0, --top-p and --min-p in [0, 1])");
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto loaded = runtime::load_model(args.model);
  if (!loaded.ok()) return fail(loaded.status());
  ThreadPool pool(args.threads > 0 ? args.threads : default_threads());
  runtime::SessionOptions sopts;
  sopts.n_ctx = args.ctx;
  runtime::Session session(**loaded, pool, sopts);
  if (args.verbose) {
    const auto& c = (*loaded)->model->config();
    std::cerr << "loaded " << args.model << " (" << c.arch << ", " << c.n_layer << " layers, width " << c.n_embd
              << ", vocab " << c.n_vocab << ") in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s; ctx "
              << session.n_ctx() << ", " << pool.size() << " threads, kernels " << kernels::active_isa() << std::endl;
  }
  if (args.has_prompt) {
    Status st = generate_one(session, **loaded, args.prompt, args, true);
    return st.ok() ? 0 : fail(st);
  }
  // Interactive: each line of stdin is a prompt.
  std::string line;
  bool first = true;
  while (true) {
    if (args.format == "text") std::cerr << "> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    Status st = generate_one(session, **loaded, line, args, first);
    if (!st.ok()) fail(st);
    first = false;
  }
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Generate text from a prompt (interactive when no prompt is given)");
  cmd->add_option("model", args->model, "GGUF model file")->required();
  cmd->add_option("prompt", args->prompt, "Prompt text ('-' reads stdin)");
  cmd->add_option("-n,--max-tokens", args->max_tokens, "Tokens to generate (-1: until end of text or context)");
  cmd->add_option("--temp", args->temperature, "Temperature (0 = greedy)")->capture_default_str();
  cmd->add_option("--top-k", args->top_k, "Top-k (0 = off)")->capture_default_str();
  cmd->add_option("--top-p", args->top_p, "Top-p (1 = off)")->capture_default_str();
  cmd->add_option("--min-p", args->min_p, "Min-p (0 = off)")->capture_default_str();
  cmd->add_option("--repeat-penalty", args->repeat_penalty, "Repetition penalty (1 = off)")->capture_default_str();
  cmd->add_option("--repeat-last-n", args->repeat_last_n, "Tokens the repetition penalty looks back over")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed (-1: random)");
  cmd->add_option("-c,--ctx", args->ctx, "Context length (0: the model's, capped at 4096)");
  cmd->add_option("-t,--threads", args->threads, "Compute threads (default: all cores)");
  cmd->add_flag("--verbose", args->verbose, "Print load time and tokens/s to stderr");
  cmd->add_option("--format", args->format, "Output: text or jsonl (one JSON object per token)")->capture_default_str();
  cmd->add_option("--top", args->top, "With --format jsonl: the N most likely tokens with log-probabilities");
  cmd->callback([args, cmd] {
    args->has_prompt = cmd->count("prompt") > 0;
    RunArgs a = *args;
    if (a.has_prompt) a.prompt = text_or_stdin(a.prompt);
    exit_code() = run(a);
  });
}

}  // namespace plexus::cli

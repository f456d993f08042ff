// plexus run MODEL [PROMPT]: stream a generation to stdout (text or one JSON object per token),
// optionally through the model's chat template (--chat), constrained by a grammar (--grammar,
// --json-schema, --json) and cut at stop strings (--stop).
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "core/thread_pool.h"
#include "kernels/ops.h"
#include "runtime/loaded_model.h"
#include "runtime/session.h"
#include "sampling/grammar/grammar.h"
#include "sampling/grammar/json_schema.h"
#include "server/chat_prompt.h"
#include "server/model_manager.h"
#include "server/stop_matcher.h"

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
  bool mmap = false;
  bool no_repack = false;
  std::string format = "text";
  int32_t top = 0;
  float typical_p = 1.0f;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  std::vector<std::string> logit_bias;  // "ID=BIAS"
  std::vector<std::string> stops;
  bool chat = false;
  std::string system;
  std::string grammar_file;
  std::string schema_file;
  bool json = false;
};

// What every generation of this run shares, resolved once from the flags.
struct RunSetup {
  std::vector<std::pair<int32_t, float>> logit_bias;
  std::shared_ptr<const sampling::grammar::Grammar> grammar;
  std::shared_ptr<server::LoadedState> chat;  // with --chat: the model's template (or ChatML)
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

Result<std::string> read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(std::string("cannot read ") + what + " file '" + path + "'");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// "ID=BIAS" with ID in [0, n_vocab) and BIAS a number (-inf bans).
Result<std::pair<int32_t, float>> parse_logit_bias(const std::string& arg, int64_t n_vocab) {
  const auto eq = arg.find('=');
  const auto bad = [&](const std::string& why) { return invalid_argument("--logit-bias '" + arg + "': " + why); };
  if (eq == std::string::npos) return bad("expected ID=BIAS");
  const std::string id_text = arg.substr(0, eq), bias_text = arg.substr(eq + 1);
  size_t used = 0;
  long long id = 0;
  float bias = 0;
  try {
    id = std::stoll(id_text, &used);
    if (used != id_text.size()) return bad("the token id is not an integer");
    bias = std::stof(bias_text, &used);
    if (used != bias_text.size()) return bad("the bias is not a number");
  } catch (const std::exception&) {
    return bad("expected ID=BIAS with an integer id and a number");
  }
  if (id < 0 || id >= n_vocab) return bad("token id outside the vocabulary [0, " + std::to_string(n_vocab) + ")");
  if (std::isnan(bias) || bias == std::numeric_limits<float>::infinity()) return bad("the bias must be a number or -inf");
  return std::pair<int32_t, float>(static_cast<int32_t>(id), bias);
}

// The grammar from --grammar / --json-schema / --json (at most one), null when none.
Result<std::shared_ptr<const sampling::grammar::Grammar>> load_grammar(const RunArgs& args) {
  namespace g = sampling::grammar;
  const int given = (args.grammar_file.empty() ? 0 : 1) + (args.schema_file.empty() ? 0 : 1) + (args.json ? 1 : 0);
  if (given > 1) return invalid_argument("--grammar, --json-schema and --json are mutually exclusive");
  if (!args.grammar_file.empty()) {
    PLEXUS_ASSIGN_OR_RETURN(std::string text, read_file(args.grammar_file, "grammar"));
    auto parsed = g::Grammar::parse(text);
    if (!parsed.ok()) {
      return Status(parsed.status().code(), "grammar file '" + args.grammar_file + "': " + parsed.status().message());
    }
    return std::move(parsed).value();
  }
  if (!args.schema_file.empty()) {
    PLEXUS_ASSIGN_OR_RETURN(std::string text, read_file(args.schema_file, "JSON schema"));
    auto compiled = g::json_schema_to_gbnf(text);
    if (!compiled.ok()) {
      return Status(compiled.status().code(),
                    "JSON schema file '" + args.schema_file + "': " + compiled.status().message());
    }
    for (const auto& kw : compiled->ignored) std::cerr << "warning: JSON schema keyword not enforced: " << kw << "\n";
    return compiled->grammar;
  }
  if (args.json) {
    auto parsed = g::Grammar::parse(g::json_object_gbnf());
    if (!parsed.ok()) return internal_error("the built-in JSON grammar does not parse: " + parsed.status().message());
    return std::move(parsed).value();
  }
  return std::shared_ptr<const sampling::grammar::Grammar>();
}

// One turn. With --chat, `messages` holds the conversation so far (the reply is appended).
Status generate_one(runtime::Session& session, const runtime::LoadedModel& model, const std::string& text,
                    const RunArgs& args, const RunSetup& setup, nlohmann::ordered_json& messages, bool first_turn) {
  const auto& tok = *model.tokenizer;
  std::vector<int32_t> prompt;
  if (setup.chat) {
    messages.push_back({{"role", "user"}, {"content", text}});
    PLEXUS_ASSIGN_OR_RETURN(std::string rendered, server::render_chat_prompt(*setup.chat, messages));
    prompt = server::tokenize_prompt(tok, rendered);
  } else {
    prompt = tok.encode(text, /*add_special=*/true, /*parse_special=*/true);
  }
  if (prompt.empty()) return invalid_argument("the prompt tokenizes to nothing");
  runtime::GenerateOptions opts;
  opts.max_tokens = args.max_tokens;
  opts.top_logprobs = args.format == "jsonl" ? args.top : 0;
  opts.sampling.temperature = args.temperature;
  opts.sampling.top_k = args.top_k;
  opts.sampling.top_p = args.top_p;
  opts.sampling.min_p = args.min_p;
  opts.sampling.typical_p = args.typical_p;
  opts.sampling.repeat_penalty = args.repeat_penalty;
  opts.sampling.presence_penalty = args.presence_penalty;
  opts.sampling.frequency_penalty = args.frequency_penalty;
  opts.sampling.repeat_last_n = args.repeat_last_n;
  opts.sampling.logit_bias = setup.logit_bias;
  opts.sampling.seed = args.seed >= 0 ? static_cast<uint64_t>(args.seed) : std::random_device{}();
  opts.grammar = setup.grammar;
  // Plain completions echo the prompt; chat replies and constrained output (JSON for a pipe) do not.
  if (args.format == "text" && first_turn && !setup.chat && !setup.grammar) std::cout << text << std::flush;
  runtime::GenerateStats stats;
  // Stop strings: text that might begin one is held back until it cannot. In jsonl each event
  // carries the text released with it; the last event printed also carries what was held back.
  server::StopMatcher stop(args.stops);
  std::string reply;
  std::optional<runtime::TokenEvent> pending;  // jsonl: printed when the next one comes
  PLEXUS_RETURN_IF_ERROR(session.generate(prompt, opts, [&](const runtime::TokenEvent& ev) {
    if (stop.stopped()) return false;
    runtime::TokenEvent shown = ev;
    shown.text = stop.push(ev.text);
    reply += shown.text;
    if (args.format == "text") {
      print_event(shown, args);
    } else if (!stop.stopped() || !shown.text.empty()) {
      if (pending) print_event(*pending, args);
      pending = std::move(shown);
    }
    return !stop.stopped();
  }, &stats));
  const std::string rest = stop.stopped() ? std::string() : stop.flush();
  reply += rest;
  if (args.format == "text") {
    std::cout << rest;
  } else if (pending) {
    pending->text += rest;
    print_event(*pending, args);
  }
  if (stop.stopped()) stats.stop_reason = "stop";
  if (setup.chat) messages.push_back({{"role", "assistant"}, {"content", reply}});
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
  if (!(args.temperature >= 0) || !(args.top_p >= 0 && args.top_p <= 1) || !(args.min_p >= 0 && args.min_p <= 1) ||
      !(args.typical_p >= 0 && args.typical_p <= 1)) {
    return fail("sampling parameters out of range (--temp >= 0, --top-p, --min-p and --typical-p in [0, 1])");
  }
  if (!std::isfinite(args.presence_penalty) || !std::isfinite(args.frequency_penalty) ||
      !std::isfinite(args.repeat_penalty) || args.repeat_penalty <= 0) {
    return fail("--presence-penalty and --frequency-penalty must be finite, --repeat-penalty finite and > 0");
  }
  for (const auto& s : args.stops) {
    if (s.empty()) return fail("--stop must not be empty");
  }
  RunSetup setup;
  {
    auto grammar = load_grammar(args);
    if (!grammar.ok()) return fail(grammar.status());
    setup.grammar = std::move(grammar).value();
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto loaded_or = runtime::load_model(args.model, {args.mmap ? FileLoad::map : FileLoad::huge_pages, !args.no_repack});
  if (!loaded_or.ok()) return fail(loaded_or.status());
  std::shared_ptr<const runtime::LoadedModel> loaded_model(std::move(loaded_or).value());
  const runtime::LoadedModel* loaded = loaded_model.get();
  for (const auto& b : args.logit_bias) {
    auto parsed = parse_logit_bias(b, loaded->model->config().n_vocab);
    if (!parsed.ok()) return fail(parsed.status());
    setup.logit_bias.push_back(*parsed);
  }
  if (args.chat) {
    setup.chat = std::make_shared<server::LoadedState>();
    setup.chat->model = loaded_model;
    // A template that does not parse falls back to ChatML (with a warning).
    if (Status st = server::load_chat_template(*setup.chat); !st.ok()) {
      std::cerr << "warning: " << st.message() << "; using ChatML" << std::endl;
    }
  }
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (args.chat && !args.system.empty()) messages.push_back({{"role", "system"}, {"content", args.system}});
  ThreadPool pool(args.threads > 0 ? args.threads : default_threads());
  runtime::SessionOptions sopts;
  sopts.n_ctx = args.ctx;
  runtime::Session session(*loaded, pool, sopts);
  if (args.verbose) {
    const auto& c = loaded->model->config();
    std::cerr << "loaded " << args.model << " (" << c.arch << ", " << c.n_layer << " layers, width " << c.n_embd
              << ", vocab " << c.n_vocab << ") in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s; ctx "
              << session.n_ctx() << ", " << pool.size() << " threads, kernels " << kernels::active_isa() << std::endl;
  }
  if (args.has_prompt) {
    Status st = generate_one(session, *loaded, args.prompt, args, setup, messages, true);
    return st.ok() ? 0 : fail(st);
  }
  // Interactive: each line of stdin is a prompt.
  std::string line;
  bool first = true;
  while (true) {
    if (args.format == "text") std::cerr << "> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    if (line.empty()) continue;
    Status st = generate_one(session, *loaded, line, args, setup, messages, first);
    if (!st.ok()) {
      fail(st);
      // A failed turn leaves no half conversation behind.
      if (args.chat && !messages.empty() && messages.back()["role"] == "user") messages.erase(messages.end() - 1);
    }
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
  cmd->add_flag("--mmap", args->mmap, "Use the weights from the mapped file (lazy; 4 KiB pages) instead of huge pages");
  cmd->add_flag("--no-repack", args->no_repack, "Keep the file's row-major weights instead of the kernels' interleaved layouts");
  cmd->add_option("--format", args->format, "Output: text or jsonl (one JSON object per token)")->capture_default_str();
  cmd->add_option("--top", args->top, "With --format jsonl: the N most likely tokens with log-probabilities");
  cmd->add_option("--typical-p", args->typical_p, "Locally typical sampling mass (1 = off)")->capture_default_str();
  cmd->add_option("--presence-penalty", args->presence_penalty,
                  "Subtracted once from the logit of every token in the last --repeat-last-n (0 = off)")
      ->capture_default_str();
  cmd->add_option("--frequency-penalty", args->frequency_penalty,
                  "Subtracted per occurrence in the last --repeat-last-n (0 = off)")
      ->capture_default_str();
  cmd->add_option("--logit-bias", args->logit_bias, "ID=BIAS added to a token's logit (repeatable; -inf bans)");
  cmd->add_option("--stop", args->stops, "Stop string: output ends just before it (repeatable)");
  cmd->add_flag("--chat", args->chat, "Wrap the prompt in the model's chat template (ChatML if it has none)");
  cmd->add_option("--system", args->system, "With --chat: a system message");
  cmd->add_option("--grammar", args->grammar_file, "Constrain the output to a GBNF grammar file");
  cmd->add_option("--json-schema", args->schema_file, "Constrain the output to JSON valid under a JSON Schema file");
  cmd->add_flag("--json", args->json, "Constrain the output to a JSON object");
  cmd->callback([args, cmd] {
    args->has_prompt = cmd->count("prompt") > 0;
    RunArgs a = *args;
    if (a.has_prompt) a.prompt = text_or_stdin(a.prompt);
    exit_code() = run(a);
  });
}

}  // namespace plexus::cli

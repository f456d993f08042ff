// plexus synth OUT --shape 1.1b --type Q4_K_M: a model of a realistic shape with random weights
// (for benchmarks), quantized with the same recipes as plexus quantize, row-parallel.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "core/thread_pool.h"
#include "model/synthetic_model.h"
#include "quantize/quantizer.h"
#include "quantize/recipe.h"

namespace plexus::cli {
namespace {

struct SynthArgs {
  std::string out;
  std::string shape = "tiny";
  std::string type = "Q4_K_M";
  std::string arch = "llama";
  uint64_t seed = 1;
  int threads = 0;
  bool pure = false;
};

int run(const SynthArgs& args) {
  auto shape = model::synthetic_shape(args.shape);
  if (!shape) return fail("unknown shape '" + args.shape + "' (known: tiny, 135m, 1.1b)");
  if (args.arch != "llama" && args.arch != "qwen2") return fail("unknown architecture '" + args.arch + "' (llama, qwen2)");
  shape->arch = args.arch;
  auto recipe = quantize::find_recipe(args.type);
  if (!recipe) return fail("unknown type '" + args.type + "' (known: " + quantize::recipe_names() + ")");

  quantize::ModelShape rules;
  rules.n_head = shape->n_head;
  rules.n_head_kv = shape->n_head_kv;
  rules.has_output = !shape->tied_output;
  rules.n_attn_v = shape->n_layer;
  rules.n_ffn_down = shape->n_layer;
  quantize::TypeChooser chooser(*recipe, rules, args.pure);
  ThreadPool pool(args.threads > 0 ? args.threads : default_threads());

  model::SyntheticOptions options;
  options.file_type = recipe->file_type;
  options.choose_type = [&](const std::string& name, const std::vector<int64_t>& dims) {
    return chooser.choose(name, dims, tensor_type::f32);
  };
  options.quantize_rows = [&](tensor_type type, int64_t rows, int64_t n, uint8_t* dst, const model::RowFill& fill) {
    quantize::quantize_rows(pool, type, rows, n, dst, fill);
  };
  const auto start = std::chrono::steady_clock::now();
  Status s = model::write_synthetic_model(args.out, *shape, args.seed, options);
  if (!s.ok()) return fail(s);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "%s: %s shape, %s, seed %llu, written in %.1f s (%d threads)\n", args.out.c_str(),
               args.shape.c_str(), recipe->name.c_str(), static_cast<unsigned long long>(args.seed), seconds,
               pool.size());
  return 0;
}

}  // namespace

void add_synth_command(CLI::App& app) {
  auto args = std::make_shared<SynthArgs>();
  CLI::App* cmd = app.add_subcommand("synth", "Write a random-weight model of a realistic shape (for benchmarks)");
  cmd->add_option("output", args->out, "GGUF file to write")->required();
  cmd->add_option("--shape", args->shape, "tiny, 135m (SmolLM) or 1.1b (TinyLlama)")->capture_default_str();
  cmd->add_option("--type", args->type, "Weight type or recipe, as for plexus quantize")->capture_default_str();
  cmd->add_option("--arch", args->arch, "llama or qwen2")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  cmd->add_option("-t,--threads", args->threads, "Threads (default: all cores)");
  cmd->add_flag("--pure", args->pure, "Every 2-D weight in the type itself");
  cmd->callback([args] { exit_code() = run(*args); });
}

}  // namespace plexus::cli

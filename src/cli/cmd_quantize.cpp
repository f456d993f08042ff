// plexus quantize IN OUT TYPE: converts an F32/F16/BF16 GGUF model to a quantized type or one of
// llama-quantize's mixed recipes (Q4_K_M ...), row-parallel over -t threads.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "core/thread_pool.h"
#include "quantize/quantizer.h"
#include "quantize/recipe.h"

namespace plexus::cli {
namespace {

struct QuantizeArgs {
  std::string in, out, type;
  int threads = 0;
  bool pure = false;
  bool quiet = false;
};

int run(const QuantizeArgs& args) {
  if (!quantize::find_recipe(args.type)) {
    return fail("unknown quantization type '" + args.type + "' (known: " + quantize::recipe_names() + ")");
  }
  ThreadPool pool(args.threads > 0 ? args.threads : default_threads());
  const auto start = std::chrono::steady_clock::now();
  quantize::QuantizeOptions options;
  options.recipe = args.type;
  options.pure = args.pure;
  auto stats = quantize::quantize_file(args.in, args.out, options, pool);
  if (!stats.ok()) return fail(stats.status());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!args.quiet) {
    std::string types;
    for (const auto& [name, count] : stats->types) types += " " + name + " x" + std::to_string(count);
    std::fprintf(stderr, "%s: %llu tensors,%s; %.1f MB -> %.1f MB in %.2f s (%d threads)\n", args.out.c_str(),
                 static_cast<unsigned long long>(stats->tensors), types.c_str(),
                 static_cast<double>(stats->input_bytes) / 1e6, static_cast<double>(stats->output_bytes) / 1e6,
                 seconds, pool.size());
  }
  return 0;
}

}  // namespace

void add_quantize_command(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand("quantize", "Convert an F32/F16/BF16 GGUF model to a quantized type or recipe");
  cmd->add_option("input", args->in, "GGUF file with F32, F16 or BF16 weights")->required();
  cmd->add_option("output", args->out, "GGUF file to write")->required();
  cmd->add_option("type", args->type, "F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K")->required();
  cmd->add_option("-t,--threads", args->threads, "Threads (default: all cores)");
  cmd->add_flag("--pure", args->pure, "Every 2-D weight in the type itself (no mixture, output matrix included)");
  cmd->add_flag("-q,--quiet", args->quiet, "No summary on stderr");
  cmd->callback([args] { exit_code() = run(*args); });
}

}  // namespace plexus::cli

// plexus embed MODEL TEXT|-: the text's embedding as a JSON array of floats on one line (pooled
// as the model file says or --pooling asks, L2-normalized unless --no-normalize).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "runtime/embedder.h"
#include "runtime/loaded_model.h"

namespace plexus::cli {
namespace {

struct EmbedArgs {
  std::string model;
  std::string text;
  std::string pooling;
  bool no_normalize = false;
  bool truncate = false;
  int threads = 0;
  int64_t ctx = 0;
};

int run(const EmbedArgs& args) {
  model::pooling_type pooling = model::pooling_type::none;
  if (!args.pooling.empty() && (!model::parse_pooling(args.pooling, pooling) || pooling == model::pooling_type::none)) {
    return fail("--pooling must be mean, cls or last");
  }
  auto loaded = runtime::load_model(args.model);
  if (!loaded.ok()) return fail(loaded.status());
  std::shared_ptr<const runtime::LoadedModel> model(std::move(loaded).value());
  runtime::EmbedderOptions options;
  options.threads = args.threads > 0 ? args.threads : default_threads();
  options.n_ctx = args.ctx;
  runtime::Embedder embedder(model, options);

  runtime::EmbedRequest request;
  if (pooling != model::pooling_type::none) request.pooling = pooling;
  request.normalize = !args.no_normalize;
  request.truncate = args.truncate;
  request.inputs.push_back(model->tokenizer->encode(text_or_stdin(args.text), /*add_special=*/true,
                                                    /*parse_special=*/true));
  if (request.inputs[0].empty()) return fail("the text gives no tokens to embed");
  auto result = embedder.embed(std::move(request));
  if (!result.ok()) {
    if (result.status().message().find("no pooling type") != std::string::npos) {
      return fail("the model names no pooling type; choose one with --pooling mean|cls|last");
    }
    return fail(result.status());
  }
  std::cout << nlohmann::json(result->embeddings[0]).dump() << std::endl;
  return 0;
}

}  // namespace

void add_embed_command(CLI::App& app) {
  auto args = std::make_shared<EmbedArgs>();
  CLI::App* cmd = app.add_subcommand("embed", "Print the embedding of a text as a JSON array");
  cmd->add_option("model", args->model, "GGUF model (an embedding model, or any model with --pooling)")->required();
  cmd->add_option("text", args->text, "Text to embed ('-' reads stdin)")->required();
  cmd->add_option("--pooling", args->pooling, "mean, cls or last (default: the model file's)");
  cmd->add_flag("--no-normalize", args->no_normalize, "Print the pooled vector without L2 normalization");
  cmd->add_flag("--truncate", args->truncate, "Cut a text longer than the context instead of failing");
  cmd->add_option("-c,--ctx", args->ctx, "Longest input in tokens (0: the model's, capped at 4096)");
  cmd->add_option("-t,--threads", args->threads, "Compute threads (default: all cores)");
  cmd->callback([args] { exit_code() = run(*args); });
}

}  // namespace plexus::cli

#include "runtime/loaded_model.h"

#include <algorithm>

#include "model/registry.h"

namespace plexus::runtime {

int64_t default_context(const model::ModelConfig& config, int64_t requested) {
  if (requested > 0) return requested;
  return std::min<int64_t>(config.n_ctx_train, 4096);
}

Result<std::unique_ptr<LoadedModel>> load_model(const std::string& path) {
  auto loaded = std::make_unique<LoadedModel>();
  loaded->path = path;
  PLEXUS_ASSIGN_OR_RETURN(loaded->file, gguf::GgufFile::open(path));
  PLEXUS_ASSIGN_OR_RETURN(loaded->model, model::build_model(*loaded->file));
  PLEXUS_ASSIGN_OR_RETURN(loaded->tokenizer, tokenizer::Tokenizer::from_gguf(*loaded->file));
  if (loaded->tokenizer->n_vocab() > loaded->model->config().n_vocab) {
    return invalid_file("tokenizer has " + std::to_string(loaded->tokenizer->n_vocab()) +
                        " tokens but the model's embedding has only " + std::to_string(loaded->model->config().n_vocab) +
                        " rows");
  }
  return loaded;
}

}  // namespace plexus::runtime

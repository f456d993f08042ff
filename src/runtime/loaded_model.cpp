#include "runtime/loaded_model.h"

#include <algorithm>

#include "model/registry.h"

namespace plexus::runtime {

int64_t default_context(const model::ModelConfig& config, int64_t requested) {
  if (requested > 0) return requested;
  return std::min<int64_t>(config.n_ctx_train, 4096);
}

Result<std::shared_ptr<const sampling::grammar::GrammarVocab>> LoadedModel::grammar_vocab() const {
  std::call_once(grammar_vocab_once_, [this] {
    if (!tokenizer) {
      grammar_vocab_ = Status(error_code::invalid_argument, "the model has no tokenizer");
      return;
    }
    const auto& tok = *tokenizer;
    std::vector<std::string> bytes(static_cast<size_t>(tok.n_vocab()));
    for (int32_t id = 0; id < tok.n_vocab(); ++id) {
      const auto attr = tok.attr(id);
      // Control, unknown and unused tokens never appear in constrained output (eog ones are
      // allowed by id, whatever their bytes).
      if (attr == tokenizer::token_attr::control || attr == tokenizer::token_attr::unknown ||
          attr == tokenizer::token_attr::unused) {
        continue;
      }
      bytes[static_cast<size_t>(id)] = tok.token_to_piece(id, /*render_special=*/false);
    }
    grammar_vocab_ = sampling::grammar::GrammarVocab::build(std::move(bytes), tok.eog_ids());
  });
  return grammar_vocab_;
}

Result<std::unique_ptr<LoadedModel>> load_model(const std::string& path, const LoadOptions& options) {
  auto loaded = std::make_unique<LoadedModel>();
  loaded->path = path;
  gguf::OpenOptions open_options;
  open_options.load = options.load;
  PLEXUS_ASSIGN_OR_RETURN(loaded->file, gguf::GgufFile::open(path, open_options));
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

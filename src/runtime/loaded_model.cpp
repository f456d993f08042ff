#include "runtime/loaded_model.h"

#include <algorithm>

#include "kernels/interleave.h"
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

namespace {

// The model's matmul-only weights converted in place to the rows16 layout wherever this CPU's
// kernels read it faster (kernels/interleave.h): only in a private image (huge pages), never in
// the page cache's pages. GgufFile already rejects files whose tensors overlap; should two views
// still share bytes, both keep their layout, since converting shared bytes twice scrambles them.
Status interleave_weights(gguf::GgufFile& file, model::Model& model) {
  if (!file.mapping().is_private()) return {};
  std::vector<kernels::MatrixView*> views;
  for (kernels::MatrixView* w : model.matmul_weights()) {
    if (kernels::matmul_has_rows16(w->type) && kernels::can_interleave_rows16(*w)) views.push_back(w);
  }
  std::sort(views.begin(), views.end(), [](const auto* a, const auto* b) { return a->data < b->data; });
  const auto end_of = [](const kernels::MatrixView* w) { return w->data + static_cast<uint64_t>(w->rows) * w->row_stride; };
  std::vector<kernels::MatrixView*> todo;
  for (size_t i = 0; i < views.size(); ++i) {
    const bool overlaps_prev = i > 0 && views[i]->data < end_of(views[i - 1]);
    const bool overlaps_next = i + 1 < views.size() && views[i + 1]->data < end_of(views[i]);
    if (!overlaps_prev && !overlaps_next) todo.push_back(views[i]);
  }
  if (todo.empty()) return {};
  const uint8_t* image = file.mapping().data();
  return file.mutable_mapping().edit([&](uint8_t* base) {
    for (kernels::MatrixView* w : todo) kernels::interleave_rows16_in_place(*w, base + (w->data - image));
  });
}

}  // namespace

Result<std::unique_ptr<LoadedModel>> load_model(const std::string& path, const LoadOptions& options) {
  auto loaded = std::make_unique<LoadedModel>();
  loaded->path = path;
  gguf::OpenOptions open_options;
  open_options.load = options.load;
  PLEXUS_ASSIGN_OR_RETURN(loaded->file, gguf::GgufFile::open(path, open_options));
  PLEXUS_ASSIGN_OR_RETURN(loaded->model, model::build_model(*loaded->file));
  if (options.repack) PLEXUS_RETURN_IF_ERROR(interleave_weights(*loaded->file, *loaded->model));
  PLEXUS_ASSIGN_OR_RETURN(loaded->tokenizer, tokenizer::Tokenizer::from_gguf(*loaded->file));
  if (loaded->tokenizer->n_vocab() > loaded->model->config().n_vocab) {
    return invalid_file("tokenizer has " + std::to_string(loaded->tokenizer->n_vocab()) +
                        " tokens but the model's embedding has only " + std::to_string(loaded->model->config().n_vocab) +
                        " rows");
  }
  return loaded;
}

}  // namespace plexus::runtime

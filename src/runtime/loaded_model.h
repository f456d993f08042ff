// A model file opened for inference: the GGUF mapping, the architecture's Model over it, and its
// tokenizer. The mapping must outlive the Model (weights are used in place), so they travel together.
// Thread-safe: immutable after load_model() (grammar_vocab() builds once, under std::call_once).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"
#include "gguf/gguf_file.h"
#include "model/model.h"
#include "sampling/grammar/grammar_vocab.h"
#include "tokenizer/tokenizer.h"

namespace plexus::runtime {

struct LoadedModel {
  std::string path;
  std::unique_ptr<gguf::GgufFile> file;
  std::unique_ptr<model::Model> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;

  // The tokenizer's vocabulary as grammar-constrained decoding sees it (each token's output
  // bytes; control/unknown/unused tokens never allowed; end-of-generation tokens from the
  // tokenizer), built on first use and shared by every matcher of this model. The error of a
  // failed build is kept and returned on every call.
  Result<std::shared_ptr<const sampling::grammar::GrammarVocab>> grammar_vocab() const;

 private:
  mutable std::once_flag grammar_vocab_once_;
  mutable Result<std::shared_ptr<const sampling::grammar::GrammarVocab>> grammar_vocab_{
      std::shared_ptr<const sampling::grammar::GrammarVocab>()};
};

struct LoadOptions {
  // Weights in transparent huge pages (read at load; faster decode), or the file mapped in place
  // (lazy, shares the page cache). See core/mapped_file.h.
  FileLoad load = FileLoad::huge_pages;
  // Rewrite the weight matrices this CPU's kernels read faster in an interleaved layout
  // (kernels/interleave.h) in place after loading. Applies only to huge_pages (a private image);
  // false keeps GGUF's row-major bytes (--no-repack, for A/B measurements).
  bool repack = true;
};

Result<std::unique_ptr<LoadedModel>> load_model(const std::string& path, const LoadOptions& options = {});

// The context length a session or engine uses: `requested` when > 0, else the model's training
// context capped at 4096 (so a 128k-context model does not allocate a 128k KV cache by default).
int64_t default_context(const model::ModelConfig& config, int64_t requested);

}  // namespace plexus::runtime

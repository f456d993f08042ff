// A model file opened for inference: the GGUF mapping, the architecture's Model over it, and its
// tokenizer. The mapping must outlive the Model (weights are used in place), so they travel together.
// Thread-safe: immutable after load_model().
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "gguf/gguf_file.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace plexus::runtime {

struct LoadedModel {
  std::string path;
  std::unique_ptr<gguf::GgufFile> file;
  std::unique_ptr<model::Model> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
};

Result<std::unique_ptr<LoadedModel>> load_model(const std::string& path);

// The context length a session or engine uses: `requested` when > 0, else the model's training
// context capped at 4096 (so a 128k-context model does not allocate a 128k KV cache by default).
int64_t default_context(const model::ModelConfig& config, int64_t requested);

}  // namespace plexus::runtime

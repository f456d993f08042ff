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

}  // namespace plexus::runtime

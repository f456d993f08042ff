// One builder per architecture family; each lives in its own file in this folder.
#pragma once

#include "model/registry.h"

namespace plexus::model::arch {

Result<std::unique_ptr<Model>> build_llama(const gguf::GgufFile& file);
Result<std::unique_ptr<Model>> build_qwen2(const gguf::GgufFile& file);
Result<std::unique_ptr<Model>> build_bert(const gguf::GgufFile& file);

}  // namespace plexus::model::arch

// Architecture registry: general.architecture -> the function that builds that family's Model.
// Adding a family is one file in arch/ plus one line in registry.cpp.
// Thread-safe: a constant table.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "gguf/gguf_file.h"
#include "model/model.h"

namespace plexus::model {

using ArchBuilder = Result<std::unique_ptr<Model>> (*)(const gguf::GgufFile& file);

struct ArchEntry {
  const char* name;
  ArchBuilder build;
};

const std::vector<ArchEntry>& architectures();
// Builds the model named by general.architecture; unsupported (listing the known ones) otherwise.
Result<std::unique_ptr<Model>> build_model(const gguf::GgufFile& file);

}  // namespace plexus::model

#include "model/registry.h"

#include "model/arch/arches.h"

namespace plexus::model {

const std::vector<ArchEntry>& architectures() {
  static const std::vector<ArchEntry> table = {
      {"llama", &arch::build_llama},
      {"qwen2", &arch::build_qwen2},
      {"bert", &arch::build_bert},
  };
  return table;
}

Result<std::unique_ptr<Model>> build_model(const gguf::GgufFile& file) {
  auto arch = file.get_string("general.architecture");
  if (!arch.ok()) {
    if (arch.status().code() == error_code::not_found) return invalid_file("model metadata is missing 'general.architecture'");
    return arch.status();
  }
  std::string known;
  for (const ArchEntry& e : architectures()) {
    if (*arch == e.name) return e.build(file);
    known += (known.empty() ? "" : ", ") + std::string(e.name);
  }
  return unsupported("architecture '" + std::string(*arch) + "' is not supported (supported: " + known + ")");
}

}  // namespace plexus::model

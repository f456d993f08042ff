// What the model-listing routes show about a GGUF file without loading it: architecture,
// parameter count, quantization, context length, chat template and scalar metadata. Parsed
// from the file's header (mmap; no tensor data is read) and cached by path, size and mtime.
// Thread-safe: summarize_gguf() may be called from any thread (the cache has a mutex).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace plexus::server {

struct GgufSummary {
  std::string arch;            // general.architecture
  std::string name;            // general.name
  std::string quantization;    // "Q4_K_M", "F32", ... (general.file_type, else the main tensor type)
  uint64_t parameters = 0;     // elements over all tensors
  std::string parameter_size;  // "260.0K", "1.1B"
  int64_t context_length = 0;  // <arch>.context_length (0 when absent)
  std::string chat_template;   // tokenizer.chat_template ("" when absent)
  // Scalar metadata as JSON; arrays appear as their length (e.g. "tokenizer.ggml.tokens": 512 items
  // -> null, as Ollama shows them without verbose).
  nlohmann::json model_info = nlohmann::json::object();
  std::string digest;          // sha256 of path, size and mtime (hex): stable while the file is
};

Result<GgufSummary> summarize_gguf(const std::string& path);

// "260.0K", "7.2B" for a parameter count.
std::string format_parameter_size(uint64_t parameters);

}  // namespace plexus::server

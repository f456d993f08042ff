// Embedding requests as plain structs: OpenAI's POST /v1/embeddings and Ollama's /api/embed and
// legacy /api/embeddings, parsed and validated (400 naming the field), plus the base64 encoding
// of a vector for encoding_format "base64".
// Not thread-safe: plain data and pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "model/model.h"
#include "server/api_errors.h"

namespace plexus::server {

inline constexpr size_t kMaxEmbeddingInputs = 2048;          // inputs per request (OpenAI's limit)
inline constexpr size_t kMaxEmbeddingInputTokens = 1 << 20;  // ids per token-array input

// One input: text (tokenized with the model's special tokens) or token ids used as given.
struct EmbeddingInput {
  bool is_text = true;
  std::string text;
  std::vector<int32_t> ids;
};

struct EmbeddingsRequest {
  std::string model;                           // "" = the default model
  std::vector<EmbeddingInput> inputs;          // at least one
  bool base64 = false;                         // encoding_format "base64"
  std::optional<int64_t> dimensions;           // keep the first N components, then re-normalize
  std::optional<model::pooling_type> pooling;  // extension: per-request pooling override
  bool truncate = false;                       // cut inputs longer than the context
  bool normalize = true;
  std::optional<double> keep_alive_seconds;  // Ollama
};

// OpenAI: model, input (string | [string] | [int] | [[int]]), encoding_format (float|base64),
// dimensions, user; extensions: pooling (mean|cls|last), truncate (default false).
std::optional<ApiError> parse_openai_embeddings(const nlohmann::json& body, EmbeddingsRequest& out);
// Ollama /api/embed: model (required), input (string | [string]), truncate (default true),
// keep_alive, dimensions, options (ignored).
std::optional<ApiError> parse_ollama_embed(const nlohmann::json& body, EmbeddingsRequest& out);
// Ollama /api/embeddings (legacy): model, prompt (string); the vector is not normalized.
std::optional<ApiError> parse_ollama_embeddings_legacy(const nlohmann::json& body, EmbeddingsRequest& out);

// The floats' little-endian IEEE-754 bytes in standard base64 (with padding).
std::string base64_floats(const std::vector<float>& v);

}  // namespace plexus::server

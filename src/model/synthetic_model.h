// Synthetic decoder models with random weights in realistic shapes (for example the 1.1B Llama
// shape of TinyLlama), written as GGUF with a generated SentencePiece vocabulary. Used by tests
// (memory, batching) and benchmarks; their output is noise.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "gguf/tensor_type.h"

namespace plexus::model {

struct SyntheticShape {
  std::string arch = "llama";  // llama or qwen2
  int64_t n_vocab = 512;
  int64_t n_embd = 256;
  int64_t n_layer = 2;
  int64_t n_head = 8;
  int64_t n_head_kv = 2;
  int64_t n_ff = 768;
  int64_t n_ctx = 2048;
  bool tied_output = false;
};

// "tiny" (the shape above), "1.1b" (22 layers, width 2048, FFN 5632, 32 heads, 4 KV heads, vocab
// 32000), "135m" (SmolLM: 30 layers, width 576, FFN 1536, 9 heads, 3 KV heads, vocab 49152).
std::optional<SyntheticShape> synthetic_shape(std::string_view name);

// Writes the model to `path`. Every 2-D weight is stored as `type` (its rows must fit the block
// size); norms stay F32.
Status write_synthetic_model(const std::string& path, const SyntheticShape& shape, tensor_type type, uint64_t seed);

}  // namespace plexus::model

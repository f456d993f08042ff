// Synthetic decoder models with random weights in realistic shapes (for example the 1.1B Llama
// shape of TinyLlama), written as GGUF with a generated SentencePiece vocabulary. Used by tests
// (memory, batching) and benchmarks; their output is noise.
// Thread-safe: pure functions (the callbacks of SyntheticOptions are called from the writing
// thread, except fill, which quantize_rows may call from its workers).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Fills row `row` of a tensor with n floats.
using RowFill = std::function<void(int64_t row, float* out)>;

struct SyntheticOptions {
  // The stored type of each 2-D weight, from its name and GGUF dims (dims[0] = row length);
  // for example a quantize recipe (quantize::TypeChooser). Called in file order.
  std::function<tensor_type(const std::string& name, const std::vector<int64_t>& dims)> choose_type;
  // Quantizes `rows` rows of `n` floats produced by fill into dst (rows * row_bytes(type, n)
  // bytes); for example in parallel (quantize::quantize_rows). Null: one thread, reference
  // tensor::quantize_row.
  std::function<void(tensor_type type, int64_t rows, int64_t n, uint8_t* dst, const RowFill& fill)> quantize_rows;
  std::optional<uint32_t> file_type;  // general.file_type, when set
};

// As above with per-tensor types. The weights depend only on (seed, tensor, row), never on how
// rows are split over threads. A type that does not fit a tensor's rows is an error naming it.
Status write_synthetic_model(const std::string& path, const SyntheticShape& shape, uint64_t seed,
                             const SyntheticOptions& options);

}  // namespace plexus::model

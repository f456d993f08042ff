// Typed, shape-checked access to a GGUF file's tensors for architecture loaders.
// Every error names the tensor, what was expected and what the file holds.
// Thread-safe: pure functions over an immutable GgufFile.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "gguf/gguf_file.h"
#include "kernels/ops.h"

namespace plexus::model {

// A 2-D weight [rows, cols] (GGUF dims [cols, rows]) of any supported type, viewed in place.
Result<kernels::MatrixView> load_matrix(const gguf::GgufFile& file, const std::string& name, int64_t rows, int64_t cols);
// A 1-D F32 (or F16/BF16, converted) tensor of n elements, copied out.
Result<std::vector<float>> load_vector(const gguf::GgufFile& file, const std::string& name, int64_t n);

bool has_tensor(const gguf::GgufFile& file, const std::string& name);

// Metadata helpers for "<arch>.<suffix>" keys.
Result<int64_t> require_int(const gguf::GgufFile& file, const std::string& key);
int64_t int_or(const gguf::GgufFile& file, const std::string& key, int64_t fallback, Status* error);
float float_or(const gguf::GgufFile& file, const std::string& key, float fallback, Status* error);

}  // namespace plexus::model

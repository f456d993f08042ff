// `plexus quantize`: converts a GGUF model from F32/F16/BF16 to another type or mixed recipe.
// Metadata is copied key for key (general.file_type and general.quantization_version set as
// llama-quantize sets them), tensors keep their order, names and shapes; each quantizable tensor
// is converted row-parallel on a ThreadPool with the reference engine's exact quantizers, so the
// output matches llama-quantize's byte for byte for the same recipe. Memory: the input is mapped;
// the output is held once (the GGUF writer's copy) and streamed to disk.
// Thread-safe: quantize_file may run concurrently with itself on different files.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/status.h"
#include "core/thread_pool.h"
#include "gguf/tensor_type.h"

namespace plexus::quantize {

struct QuantizeOptions {
  std::string recipe = "Q4_K_M";  // see recipe_names()
  bool pure = false;              // every 2-D weight in the recipe's base type
};

struct QuantizeStats {
  uint64_t tensors = 0;
  uint64_t input_bytes = 0;   // tensor data read
  uint64_t output_bytes = 0;  // tensor data written
  std::map<std::string, int> types;  // output type name -> tensor count
};

// Converts `in` to `out`. Errors name the tensor (an unsupported input type for a tensor that must
// be converted, a shape that does not fit) or the file.
Result<QuantizeStats> quantize_file(const std::string& in, const std::string& out, const QuantizeOptions& options,
                                    ThreadPool& pool);

// Quantizes `rows` rows of `n_per_row` floats produced by `fill(row, dst)` into `dst` (rows *
// row_bytes(type, n_per_row) bytes), split over the pool's workers. Each worker gets its own
// n_per_row float scratch row. Shared by quantize_file and the synthetic-model writer.
void quantize_rows(ThreadPool& pool, tensor_type type, int64_t rows, int64_t n_per_row, uint8_t* dst,
                   const std::function<void(int64_t row, float* out)>& fill);

}  // namespace plexus::quantize

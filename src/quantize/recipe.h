// Quantization recipes: which type each tensor of a model gets for a requested file type, following
// llama.cpp's llama-quantize rules (no importance matrix). A plain type (Q4_0, Q8_0, F16 ...) puts
// every 2-D weight in that type except the output matrix, which gets Q6_K; the mixed k-quant
// recipes (Q2_K, Q3_K_S/M/L, Q4_K_S/M, Q5_K_S/M) also raise some attn_v / attn_output / ffn_down /
// attn_qkv tensors (the rules for dense models; llama.cpp's extra ones for 70B and 8-expert
// models and for Falcon are not applied, nor Q2_K_S, which needs an importance matrix);
// `pure` gives every 2-D weight the one type. Norms, biases and other 1-D tensors keep their type.
// Rows whose length is not a multiple of the chosen type's block fall back to a compatible type.
// Thread-safe: Recipe is plain data; a TypeChooser is used by one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/tensor_type.h"

namespace plexus::quantize {

struct Recipe {
  std::string name;        // "Q4_K_M"
  tensor_type base;        // the type most weights get
  uint32_t file_type;      // general.file_type (llama_ftype)
  bool mixed = false;      // a k-quant mixture (Q2_K, Q3_K_S ... Q5_K_M)
};

// "Q4_K_M" (case-insensitive); "Q4_K" / "Q3_K" / "Q5_K" are aliases of their _M recipe as in
// llama-quantize. nullopt for an unknown name.
std::optional<Recipe> find_recipe(std::string_view name);
// "F32, F16, BF16, Q4_0, ..." for help and error messages.
std::string recipe_names();

// What the rules need to know about the model.
struct ModelShape {
  int64_t n_head = 1;
  int64_t n_head_kv = 1;
  bool has_output = false; // false: token_embd doubles as the output matrix (tied)
  int64_t n_attn_v = 0;    // attn_v.weight tensors in the model (one per layer)
  int64_t n_ffn_down = 0;  // ffn_down weight tensors in the model
};

// Counts attn_v / ffn_down tensors and notes whether output.weight exists; call it for every
// tensor of the model before choosing types.
void count_tensor(ModelShape& shape, std::string_view name);

// Whether llama-quantize converts a tensor at all: names ending in "weight" with at least 2
// dimensions, except norms and a few special tensors (MoE router, position embeddings).
bool is_quantizable(std::string_view name, int n_dims);

// Picks types tensor by tensor, in file order (the attn_v / ffn_down rules depend on the layer's
// position among its kind, counted as the tensors come).
// Not thread-safe: stateful counters; one chooser per model conversion.
class TypeChooser {
 public:
  TypeChooser(Recipe recipe, ModelShape shape, bool pure);
  // The output type of a tensor with GGUF dims (dims[0] = row length). Tensors that are not
  // quantizable keep `current`.
  tensor_type choose(std::string_view name, const std::vector<int64_t>& dims, tensor_type current);
  // The type of a quantizable 2-D tensor of row length n_per_row when `wanted` does not fit it
  // (llama.cpp's fallback: Q2_K/Q3_K -> IQ4_NL, which we replace by Q4_0; Q4_K -> Q5_0;
  // Q5_K -> Q5_1; Q6_K -> Q8_0; anything whose rows do not fit 32 either -> F16).
  static tensor_type compatible_type(tensor_type wanted, int64_t n_per_row);

 private:
  tensor_type rule_type(std::string_view name, int64_t n_per_row);

  Recipe recipe_;
  ModelShape shape_;
  bool pure_;
  int64_t i_attn_v_ = 0;
  int64_t i_ffn_down_ = 0;
};

}  // namespace plexus::quantize

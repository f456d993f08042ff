#include "quantize/recipe.h"

#include <algorithm>
#include <cctype>

namespace plexus::quantize {
namespace {

struct RecipeRow {
  const char* name;
  tensor_type base;
  uint32_t file_type;
  bool mixed;
};

// file_type values are llama.cpp's llama_ftype enumerators.
constexpr RecipeRow kRecipes[] = {
    {"F32", tensor_type::f32, 0, false},     {"F16", tensor_type::f16, 1, false},
    {"BF16", tensor_type::bf16, 32, false},  {"Q4_0", tensor_type::q4_0, 2, false},
    {"Q4_1", tensor_type::q4_1, 3, false},   {"Q5_0", tensor_type::q5_0, 8, false},
    {"Q5_1", tensor_type::q5_1, 9, false},   {"Q8_0", tensor_type::q8_0, 7, false},
    {"Q2_K", tensor_type::q2_k, 10, true},   {"Q3_K_S", tensor_type::q3_k, 11, true},
    {"Q3_K_M", tensor_type::q3_k, 12, true}, {"Q3_K_L", tensor_type::q3_k, 13, true},
    {"Q4_K_S", tensor_type::q4_k, 14, true}, {"Q4_K_M", tensor_type::q4_k, 15, true},
    {"Q5_K_S", tensor_type::q5_k, 16, true}, {"Q5_K_M", tensor_type::q5_k, 17, true},
    {"Q6_K", tensor_type::q6_k, 18, false},
};

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

bool is_k_quant(tensor_type t) {
  return t == tensor_type::q2_k || t == tensor_type::q3_k || t == tensor_type::q4_k || t == tensor_type::q5_k ||
         t == tensor_type::q6_k;
}

bool is_quantized(tensor_type t) { return t != tensor_type::f32 && t != tensor_type::f16 && t != tensor_type::bf16; }

// llama.cpp's use_more_bits: the first and last eighth of the layers and every third one between.
bool use_more_bits(int64_t i_layer, int64_t n_layers) {
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

}  // namespace

std::optional<Recipe> find_recipe(std::string_view name) {
  std::string key = upper(name);
  if (key == "Q4_K" || key == "Q3_K" || key == "Q5_K") key += "_M";
  for (const auto& r : kRecipes) {
    if (key == r.name) return Recipe{r.name, r.base, r.file_type, r.mixed};
  }
  return std::nullopt;
}

std::string recipe_names() {
  std::string out;
  for (const auto& r : kRecipes) {
    if (!out.empty()) out += ", ";
    out += r.name;
  }
  return out;
}

void count_tensor(ModelShape& shape, std::string_view name) {
  if (contains(name, "attn_v.weight")) ++shape.n_attn_v;
  if (contains(name, "ffn_down")) ++shape.n_ffn_down;
  if (name == "output.weight") shape.has_output = true;
}

bool is_quantizable(std::string_view name, int n_dims) {
  if (!ends_with(name, "weight") || n_dims < 2) return false;
  if (contains(name, "_norm.weight")) return false;
  if (contains(name, "ffn_gate_inp.weight")) return false;
  if (name == "position_embd.weight" || name == "token_types.weight") return false;
  return true;
}

TypeChooser::TypeChooser(Recipe recipe, ModelShape shape, bool pure)
    : recipe_(std::move(recipe)), shape_(shape), pure_(pure) {}

tensor_type TypeChooser::compatible_type(tensor_type wanted, int64_t n_per_row) {
  const auto traits = traits_of(wanted);
  if (traits && n_per_row % traits->block_elems == 0) return wanted;
  tensor_type t = wanted;
  switch (wanted) {
    case tensor_type::q2_k:
    case tensor_type::q3_k: t = tensor_type::q4_0; break;
    case tensor_type::q4_k: t = tensor_type::q5_0; break;
    case tensor_type::q5_k: t = tensor_type::q5_1; break;
    case tensor_type::q6_k: t = tensor_type::q8_0; break;
    default: break;
  }
  const auto t_traits = traits_of(t);
  if (!t_traits || n_per_row % t_traits->block_elems != 0) t = tensor_type::f16;
  return t;
}

tensor_type TypeChooser::rule_type(std::string_view name, int64_t n_per_row) {
  const std::string& r = recipe_.name;
  tensor_type t = recipe_.base;
  const bool is_output = name == "output.weight" || (!shape_.has_output && name == "token_embd.weight");
  if (is_output) {
    if (n_per_row % 256 != 0) return tensor_type::q8_0;
    return t == tensor_type::q8_0 ? t : tensor_type::q6_k;
  }
  if (contains(name, "attn_v.weight")) {
    const int64_t i = i_attn_v_++;
    const int64_t gqa = shape_.n_head_kv > 0 ? shape_.n_head / shape_.n_head_kv : 1;
    if (r == "Q2_K") t = gqa >= 4 ? tensor_type::q4_k : tensor_type::q3_k;
    else if (r == "Q3_K_M") t = i < 2 ? tensor_type::q5_k : tensor_type::q4_k;
    else if (r == "Q3_K_L") t = tensor_type::q5_k;
    else if ((r == "Q4_K_M" || r == "Q5_K_M") && use_more_bits(i, shape_.n_attn_v)) t = tensor_type::q6_k;
    else if (r == "Q4_K_S" && i < 4) t = tensor_type::q5_k;
    return t;
  }
  if (contains(name, "ffn_down")) {
    const int64_t i = i_ffn_down_++;
    const int64_t n = shape_.n_ffn_down;
    if (r == "Q2_K") t = tensor_type::q3_k;
    else if (r == "Q3_K_M") t = i < n / 16 ? tensor_type::q5_k : tensor_type::q4_k;
    else if (r == "Q3_K_L") t = tensor_type::q5_k;
    else if ((r == "Q4_K_M" || r == "Q5_K_M") && use_more_bits(i, n)) t = tensor_type::q6_k;
    else if (r == "Q4_K_S" && i < n / 8) t = tensor_type::q5_k;
    return t;
  }
  if (contains(name, "attn_output.weight")) {
    if (r == "Q2_K") t = tensor_type::q3_k;
    else if (r == "Q3_K_M") t = tensor_type::q4_k;
    else if (r == "Q3_K_L") t = tensor_type::q5_k;
    return t;
  }
  if (contains(name, "attn_qkv.weight")) {  // fused Q/K/V (Phi, Bloom, ...)
    if (r == "Q3_K_M" || r == "Q3_K_L") t = tensor_type::q4_k;
    else if (r == "Q4_K_M") t = tensor_type::q5_k;
    else if (r == "Q5_K_M") t = tensor_type::q6_k;
    return t;
  }
  return t;
}

tensor_type TypeChooser::choose(std::string_view name, const std::vector<int64_t>& dims, tensor_type current) {
  if (!is_quantizable(name, static_cast<int>(dims.size()))) return current;
  const int64_t n_per_row = dims.empty() ? 0 : dims[0];
  tensor_type t = recipe_.base;
  if (!pure_ && is_quantized(recipe_.base)) t = rule_type(name, n_per_row);
  if (is_k_quant(t) || is_quantized(t)) t = compatible_type(t, n_per_row);
  return t;
}

}  // namespace plexus::quantize

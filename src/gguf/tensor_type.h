// The tensor element types of the GGUF format (ggml's type ids) and their block geometry.
// Thread-safe: constant tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plexus {

// Values are the on-disk ids; do not renumber.
enum class tensor_type : uint32_t {
  f32 = 0,
  f16 = 1,
  q4_0 = 2,
  q4_1 = 3,
  q5_0 = 6,
  q5_1 = 7,
  q8_0 = 8,
  q8_1 = 9,
  q2_k = 10,
  q3_k = 11,
  q4_k = 12,
  q5_k = 13,
  q6_k = 14,
  q8_k = 15,
  i8 = 24,
  i16 = 25,
  i32 = 26,
  i64 = 27,
  f64 = 28,
  bf16 = 30,
};

struct tensor_type_traits {
  const char* name;        // "Q4_K", as llama.cpp spells it
  uint32_t block_elems;    // elements per block (1 for plain types)
  uint32_t block_bytes;    // bytes per block
  bool supported;          // the engine can compute with it (dequantize / dot)
};

// nullopt for an id that is not a known type. Besides the enumerators above, ggml ids without an
// enumerator (IQ2_XXS, IQ4_NL, TQ1_0, MXFP4 ...) have traits (name, geometry, supported=false) so
// that errors can name them.
std::optional<tensor_type_traits> traits_of(uint32_t type_id);
// True when `type_id` is the value of a tensor_type enumerator (so a cast to tensor_type names it).
bool has_tensor_type_enumerator(uint32_t type_id);
inline std::optional<tensor_type_traits> traits_of(tensor_type t) { return traits_of(static_cast<uint32_t>(t)); }
const char* tensor_type_name(tensor_type t);
// "Q4_K" / "q4_k" -> type; nullopt if unknown.
std::optional<tensor_type> tensor_type_from_name(std::string_view name);
// "F32, F16, BF16, Q4_0, ..." for error messages.
std::string supported_tensor_type_names();

// Bytes of one row of `n_elems` elements; nullopt when n_elems is not a multiple of the block
// size or on overflow.
std::optional<uint64_t> row_bytes(tensor_type t, uint64_t n_elems);

}  // namespace plexus

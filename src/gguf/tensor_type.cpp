#include "gguf/tensor_type.h"

#include <array>
#include <cctype>

#include "core/checked_math.h"

namespace plexus {
namespace {

// Indexed by ggml type id. Ids 4 and 5 (Q4_2, Q4_3) and 31..33, 36..38 (the repacked Q4_0_x_y
// and IQ4_NL_x_y layouts) were removed from ggml and stay unknown. Ids that ggml defines but that
// have no tensor_type enumerator (IQ*, TQ*, MXFP4) keep their names so that errors can say which
// type a file uses; they are never supported.
struct table_entry {
  const char* name;  // nullptr: not a known id
  uint32_t block_elems;
  uint32_t block_bytes;
  bool supported;
  bool has_enumerator;  // a tensor_type enumerator exists for this id
};

constexpr size_t kTableSize = 40;

constexpr std::array<table_entry, kTableSize> make_table() {
  std::array<table_entry, kTableSize> t{};
  t[0] = {"F32", 1, 4, true, true};
  t[1] = {"F16", 1, 2, true, true};
  t[2] = {"Q4_0", 32, 18, true, true};
  t[3] = {"Q4_1", 32, 20, true, true};
  t[6] = {"Q5_0", 32, 22, true, true};
  t[7] = {"Q5_1", 32, 24, true, true};
  t[8] = {"Q8_0", 32, 34, true, true};
  t[9] = {"Q8_1", 32, 36, false, true};  // activation-only (vec-dot type of Q4_1/Q5_1)
  t[10] = {"Q2_K", 256, 84, true, true};
  t[11] = {"Q3_K", 256, 110, true, true};
  t[12] = {"Q4_K", 256, 144, true, true};
  t[13] = {"Q5_K", 256, 176, true, true};
  t[14] = {"Q6_K", 256, 210, true, true};
  t[15] = {"Q8_K", 256, 292, false, true};  // activation-only (vec-dot type of the k-quants)
  t[16] = {"IQ2_XXS", 256, 66, false, false};
  t[17] = {"IQ2_XS", 256, 74, false, false};
  t[18] = {"IQ3_XXS", 256, 98, false, false};
  t[19] = {"IQ1_S", 256, 50, false, false};
  t[20] = {"IQ4_NL", 32, 18, false, false};
  t[21] = {"IQ3_S", 256, 110, false, false};
  t[22] = {"IQ2_S", 256, 82, false, false};
  t[23] = {"IQ4_XS", 256, 136, false, false};
  t[24] = {"I8", 1, 1, false, true};
  t[25] = {"I16", 1, 2, false, true};
  t[26] = {"I32", 1, 4, false, true};
  t[27] = {"I64", 1, 8, false, true};
  t[28] = {"F64", 1, 8, false, true};
  t[29] = {"IQ1_M", 256, 56, false, false};
  t[30] = {"BF16", 1, 2, true, true};
  t[34] = {"TQ1_0", 256, 54, false, false};
  t[35] = {"TQ2_0", 256, 66, false, false};
  t[39] = {"MXFP4", 32, 17, false, false};
  return t;
}

constexpr std::array<table_entry, kTableSize> kTable = make_table();

// The order in which supported types are listed to users.
constexpr tensor_type kSupportedOrder[] = {
    tensor_type::f32,  tensor_type::f16,  tensor_type::bf16, tensor_type::q4_0, tensor_type::q4_1,
    tensor_type::q5_0, tensor_type::q5_1, tensor_type::q8_0, tensor_type::q2_k, tensor_type::q3_k,
    tensor_type::q4_k, tensor_type::q5_k, tensor_type::q6_k,
};

const table_entry* entry_of(uint32_t id) {
  if (id >= kTableSize || kTable[id].name == nullptr) return nullptr;
  return &kTable[id];
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

std::optional<tensor_type_traits> traits_of(uint32_t type_id) {
  const table_entry* e = entry_of(type_id);
  if (e == nullptr) return std::nullopt;
  return tensor_type_traits{e->name, e->block_elems, e->block_bytes, e->supported};
}

bool has_tensor_type_enumerator(uint32_t type_id) {
  const table_entry* e = entry_of(type_id);
  return e != nullptr && e->has_enumerator;
}

const char* tensor_type_name(tensor_type t) {
  const table_entry* e = entry_of(static_cast<uint32_t>(t));
  return e != nullptr ? e->name : "UNKNOWN";
}

std::optional<tensor_type> tensor_type_from_name(std::string_view name) {
  for (uint32_t id = 0; id < kTableSize; ++id) {
    const table_entry& e = kTable[id];
    if (e.name != nullptr && e.has_enumerator && equals_ignore_case(name, e.name)) return static_cast<tensor_type>(id);
  }
  return std::nullopt;
}

std::string supported_tensor_type_names() {
  std::string out;
  for (tensor_type t : kSupportedOrder) {
    if (!out.empty()) out += ", ";
    out += tensor_type_name(t);
  }
  return out;
}

std::optional<uint64_t> row_bytes(tensor_type t, uint64_t n_elems) {
  const table_entry* e = entry_of(static_cast<uint32_t>(t));
  if (e == nullptr || n_elems % e->block_elems != 0) return std::nullopt;
  return checked_mul(n_elems / e->block_elems, e->block_bytes);
}

}  // namespace plexus

// Read-only view of a GGUF (v2/v3) file: metadata key/values and tensor infos, parsed from a
// memory mapping. Every count, length, dimension and offset is checked against the real file
// size with overflow-checked arithmetic before use; a malformed file gives one clear error that
// names the key or tensor at fault. Tensor data is never copied: TensorInfo::data points into
// the mapping.
// Thread-safe: immutable after open(); all const methods may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/mapped_file.h"
#include "core/status.h"
#include "gguf/tensor_type.h"

namespace plexus::gguf {

enum class value_type : uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
  string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};
const char* value_type_name(value_type t);

// One metadata value. Strings are views into the mapping (valid while the GgufFile lives).
// Scalars are widened: signed ints in `i`, unsigned in `u`, floats in `f`, bool in `b`.
struct Value {
  value_type type = value_type::u8;
  union {
    uint64_t u;
    int64_t i;
    double f;
    bool b;
  } scalar{0};
  std::string_view str;        // type == string
  value_type elem_type = value_type::u8;  // type == array: element type
  std::vector<Value> items;    // type == array (may itself hold arrays)

  bool is_integer() const;
  bool is_float() const { return type == value_type::f32 || type == value_type::f64; }
};

struct KeyValue {
  std::string_view key;
  Value value;
};

struct TensorInfo {
  std::string_view name;
  tensor_type type = tensor_type::f32;
  uint32_t n_dims = 0;
  int64_t dims[4] = {1, 1, 1, 1};  // GGUF order: dims[0] is the fastest-varying (row length)
  uint64_t n_elements = 0;
  uint64_t offset = 0;             // relative to the data section, as stored
  uint64_t n_bytes = 0;            // total bytes of data
  const uint8_t* data = nullptr;   // points into the mapping
};

struct OpenOptions {
  // Caps on counts read from the file, to bound memory before any allocation.
  uint64_t max_tensors = 1u << 20;
  uint64_t max_kv = 1u << 20;
  uint64_t max_array_elems = 1u << 26;
  uint32_t max_array_depth = 8;
  uint64_t max_string_bytes = 1u << 26;
  // Cap on array elements summed over all metadata (each costs a Value, ~64 bytes of heap).
  uint64_t max_total_array_elems = 1u << 24;
  // How open() brings the file into memory (core/mapped_file.h): map for inspection tools,
  // huge_pages for inference.
  FileLoad load = FileLoad::map;
};

class GgufFile {
 public:
  static Result<std::unique_ptr<GgufFile>> open(const std::string& path, const OpenOptions& options = {});
  // Parses an in-memory image (fuzzing, tests); the file keeps its own copy.
  static Result<std::unique_ptr<GgufFile>> from_bytes(std::span<const uint8_t> bytes, const OpenOptions& options = {});
  static Result<std::unique_ptr<GgufFile>> from_mapping(std::unique_ptr<MappedFile> file, const OpenOptions& options = {});

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // start of the tensor data section
  uint64_t file_size() const { return file_->size(); }
  const MappedFile& mapping() const { return *file_; }
  // For MappedFile::edit while loading (tensor views stay valid: the image does not move).
  MappedFile& mutable_mapping() { return *file_; }

  const std::vector<KeyValue>& metadata() const { return kvs_; }
  const Value* find(std::string_view key) const;  // nullptr when absent

  // Typed getters. Absent key: not_found. Present with an incompatible type or out-of-range value:
  // invalid_file naming the key, its actual type and what was expected. Integer getters accept any
  // integer value type whose value fits; get_float accepts f32/f64 and integers.
  Result<std::string_view> get_string(std::string_view key) const;
  Result<uint64_t> get_uint(std::string_view key) const;
  Result<int64_t> get_int(std::string_view key) const;
  Result<double> get_float(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  // The array's items; invalid_file if not an array or if its elements are not of `elem`.
  Result<const std::vector<Value>*> get_array(std::string_view key, value_type elem) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;  // nullptr when absent

 private:
  GgufFile() = default;
  Status parse(const OpenOptions& options);

  std::unique_ptr<MappedFile> file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<KeyValue> kvs_;
  std::vector<TensorInfo> tensors_;
  // Name -> index into kvs_ / tensors_; the views point into the mapping.
  std::unordered_map<std::string_view, size_t> kv_index_;
  std::unordered_map<std::string_view, size_t> tensor_index_;
};

}  // namespace plexus::gguf

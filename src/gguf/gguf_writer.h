// GgufWriter: builds GGUF v3 files (metadata and tensors) in memory, for tests, converters and
// `plexus quantize`. Keys and tensors are written in the order they were first set/added.
//
// Layout written: header, key/values, tensor infos, zero padding to the alignment, then each
// tensor's data at the next multiple of the alignment (zero padding after every tensor, as
// llama.cpp writes it). A file without tensors ends right after the key/values and tensor infos,
// with no padding. The alignment is general.alignment when that key is set (as u32, a
// non-zero power of two), else 32.
//
// Errors in the calls that return void (an empty or non-UTF-8 key, a malformed Value) are kept and
// reported by to_bytes()/write_file(), so a chain of set_* calls needs no checking in between.
// Not thread-safe: one thread builds a writer; it owns copies of every string and tensor byte.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "gguf/gguf_file.h"
#include "gguf/tensor_type.h"

namespace plexus::gguf {

// Value builders for set(): nested arrays and arrays of mixed construction. String values hold
// views; set() copies them, so the viewed text only has to live until set() returns.
Value u8_value(uint8_t v);
Value i8_value(int8_t v);
Value u16_value(uint16_t v);
Value i16_value(int16_t v);
Value u32_value(uint32_t v);
Value i32_value(int32_t v);
Value f32_value(float v);
Value bool_value(bool v);
Value string_value(std::string_view v);
Value u64_value(uint64_t v);
Value i64_value(int64_t v);
Value f64_value(double v);
// Every item must have type `elem` (checked when written).
Value array_value(value_type elem, std::vector<Value> items);

class GgufWriter {
 public:
  GgufWriter() = default;
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;
  GgufWriter(GgufWriter&&) = default;
  GgufWriter& operator=(GgufWriter&&) = default;

  // Sets `key` to a deep copy of `value` (strings included); a key set twice keeps its first
  // position and takes the new value. A Value from a GgufFile can be copied straight across.
  void set(std::string_view key, const Value& value);
  void set_u8(std::string_view key, uint8_t v) { set(key, u8_value(v)); }
  void set_i8(std::string_view key, int8_t v) { set(key, i8_value(v)); }
  void set_u16(std::string_view key, uint16_t v) { set(key, u16_value(v)); }
  void set_i16(std::string_view key, int16_t v) { set(key, i16_value(v)); }
  void set_u32(std::string_view key, uint32_t v) { set(key, u32_value(v)); }
  void set_i32(std::string_view key, int32_t v) { set(key, i32_value(v)); }
  void set_f32(std::string_view key, float v) { set(key, f32_value(v)); }
  void set_bool(std::string_view key, bool v) { set(key, bool_value(v)); }
  void set_string(std::string_view key, std::string_view v) { set(key, string_value(v)); }
  void set_u64(std::string_view key, uint64_t v) { set(key, u64_value(v)); }
  void set_i64(std::string_view key, int64_t v) { set(key, i64_value(v)); }
  void set_f64(std::string_view key, double v) { set(key, f64_value(v)); }

  // Arrays of scalars and strings.
  void set_array_u8(std::string_view key, std::span<const uint8_t> items);
  void set_array_i8(std::string_view key, std::span<const int8_t> items);
  void set_array_u16(std::string_view key, std::span<const uint16_t> items);
  void set_array_i16(std::string_view key, std::span<const int16_t> items);
  void set_array_u32(std::string_view key, std::span<const uint32_t> items);
  void set_array_i32(std::string_view key, std::span<const int32_t> items);
  void set_array_f32(std::string_view key, std::span<const float> items);
  void set_array_bool(std::string_view key, const std::vector<bool>& items);
  void set_array_u64(std::string_view key, std::span<const uint64_t> items);
  void set_array_i64(std::string_view key, std::span<const int64_t> items);
  void set_array_f64(std::string_view key, std::span<const double> items);
  void set_array_string(std::string_view key, std::span<const std::string> items);
  void set_array_string(std::string_view key, std::span<const std::string_view> items);

  // Removes `key`; false when it was not set.
  bool remove(std::string_view key);
  // The value set for `key` (strings view the writer's copies); nullptr when not set.
  const Value* find(std::string_view key) const;

  // Adds a tensor with a copy of `data`. `dims` (1..4 entries, each >= 1) are in GGUF order,
  // dims[0] the row length, a multiple of the type's block size; `data` must hold exactly
  // row_bytes(type, dims[0]) * dims[1] * ... bytes. `type` must be a tensor_type enumerator
  // (supported or not); ids GgufFile rejects (IQ*, ...) are refused.
  Status add_tensor(std::string_view name, tensor_type type, const std::vector<int64_t>& dims,
                    std::span<const uint8_t> data);
  Status add_tensor_f32(std::string_view name, const std::vector<int64_t>& dims, std::span<const float> data);

  size_t kv_count() const { return kvs_.size(); }
  size_t tensor_count() const { return tensors_.size(); }

  // The whole file image. Fails on the first recorded error or an invalid general.alignment.
  Result<std::vector<uint8_t>> to_bytes() const;
  // Streams the image to `path` (created or truncated) without building it in memory.
  Status write_file(const std::string& path) const;

 private:
  struct Entry {
    std::string key;
    Value value;  // string views point into strings_
  };
  struct Tensor {
    std::string name;
    tensor_type type;
    std::vector<int64_t> dims;
    std::vector<uint8_t> data;
  };
  class Sink;

  Value deep_copy(const Value& v);
  void record(Status s);
  Result<uint64_t> alignment() const;
  Status serialize(Sink& sink) const;

  std::vector<Entry> kvs_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::vector<Tensor> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
  std::deque<std::string> strings_;  // deque: elements never move, so views into them stay valid
  Status error_;                     // first error of a void call
};

}  // namespace plexus::gguf

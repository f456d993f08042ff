// Helpers for the GGUF tests: building images with GgufWriter, raw little-endian byte builders for
// layouts the writer refuses to produce, patching fields in place, and locating fields of a parsed
// image (from the views a GgufFile hands out) so that tests can corrupt exactly one of them.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

namespace plexus::gguf::testing {

using bytes_t = std::vector<uint8_t>;

// The image of `w`; fails the test (and returns empty) if the writer reports an error.
inline bytes_t image_of(const GgufWriter& w) {
  auto r = w.to_bytes();
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? std::move(r).value() : bytes_t{};
}

inline std::unique_ptr<GgufFile> open_ok(const bytes_t& bytes, const OpenOptions& options = {}) {
  auto r = GgufFile::from_bytes(bytes, options);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? std::move(r).value() : nullptr;
}

// Appends little-endian fields; for hand-made (often malformed) images.
// Not thread-safe: a plain value type.
class RawBuilder {
 public:
  RawBuilder& u8(uint8_t v) { return put(&v, 1); }
  RawBuilder& u16(uint16_t v) { return put(&v, 2); }
  RawBuilder& u32(uint32_t v) { return put(&v, 4); }
  RawBuilder& u64(uint64_t v) { return put(&v, 8); }
  RawBuilder& f32(float v) { return put(&v, 4); }
  RawBuilder& str(std::string_view s) {
    u64(s.size());
    return put(s.data(), s.size());
  }
  RawBuilder& put(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
    return *this;
  }
  RawBuilder& zeros(size_t n) {
    bytes_.resize(bytes_.size() + n, 0);
    return *this;
  }
  RawBuilder& pad_to(size_t alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back(0);
    return *this;
  }
  // "GGUF", version, tensor_count, kv_count.
  RawBuilder& header(uint64_t tensor_count, uint64_t kv_count, uint32_t version = 3) {
    put("GGUF", 4);
    u32(version);
    u64(tensor_count);
    return u64(kv_count);
  }
  // A tensor info with the given dims (GGUF order).
  RawBuilder& tensor_info(std::string_view name, const std::vector<uint64_t>& dims, uint32_t type, uint64_t offset) {
    str(name);
    u32(static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) u64(d);
    u32(type);
    return u64(offset);
  }
  size_t size() const { return bytes_.size(); }
  const bytes_t& bytes() const { return bytes_; }

 private:
  bytes_t bytes_;
};

template <typename T>
void patch(bytes_t& bytes, uint64_t offset, T value) {
  ASSERT_LE(offset + sizeof(T), bytes.size());
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

template <typename T>
T peek(const bytes_t& bytes, uint64_t offset) {
  T v{};
  EXPECT_LE(offset + sizeof(T), bytes.size());
  if (offset + sizeof(T) <= bytes.size()) std::memcpy(&v, bytes.data() + offset, sizeof(T));
  return v;
}

// Field offsets (from the start of the file) of a parsed image.
struct KvFields {
  std::string key;
  uint64_t key_len = 0;     // u64 key length
  uint64_t type = 0;        // u32 value type
  uint64_t value = 0;       // first byte of the value
  uint64_t end = 0;         // one past the value
};
struct TensorFields {
  std::string name;
  uint64_t name_len = 0;    // u64 name length
  uint64_t n_dims = 0;      // u32
  uint64_t dims = 0;        // u64[n_dims]
  uint64_t type = 0;        // u32
  uint64_t offset = 0;      // u64
  uint64_t end = 0;         // one past the info
  uint64_t data_begin = 0;  // absolute
  uint64_t data_end = 0;
};
struct Layout {
  std::vector<KvFields> kvs;
  std::vector<TensorFields> tensors;
  uint64_t infos_end = 0;     // end of the last tensor info (or of the metadata)
  uint64_t data_offset = 0;
  uint64_t required_end = 0;  // the shortest prefix of the file that still opens
};

// Encoded size of a value (mirrors the format, independent of the parser's bookkeeping).
inline uint64_t encoded_size(const Value& v) {
  switch (v.type) {
    case value_type::u8: case value_type::i8: case value_type::boolean: return 1;
    case value_type::u16: case value_type::i16: return 2;
    case value_type::u32: case value_type::i32: case value_type::f32: return 4;
    case value_type::u64: case value_type::i64: case value_type::f64: return 8;
    case value_type::string: return 8 + v.str.size();
    case value_type::array: {
      uint64_t n = 12;
      for (const Value& item : v.items) n += encoded_size(item);
      return n;
    }
  }
  return 0;
}

inline Layout layout_of(const GgufFile& f) {
  Layout l;
  const uint8_t* base = f.mapping().data();
  uint64_t pos = 24;
  for (const KeyValue& kv : f.metadata()) {
    KvFields k;
    k.key = std::string(kv.key);
    k.key_len = static_cast<uint64_t>(reinterpret_cast<const uint8_t*>(kv.key.data()) - base) - 8;
    EXPECT_EQ(k.key_len, pos);
    k.type = k.key_len + 8 + kv.key.size();
    k.value = k.type + 4;
    k.end = k.value + encoded_size(kv.value);
    pos = k.end;
    l.kvs.push_back(k);
  }
  for (const TensorInfo& t : f.tensors()) {
    TensorFields tf;
    tf.name = std::string(t.name);
    tf.name_len = static_cast<uint64_t>(reinterpret_cast<const uint8_t*>(t.name.data()) - base) - 8;
    EXPECT_EQ(tf.name_len, pos);
    tf.n_dims = tf.name_len + 8 + t.name.size();
    tf.dims = tf.n_dims + 4;
    tf.type = tf.dims + 8ull * t.n_dims;
    tf.offset = tf.type + 4;
    tf.end = tf.offset + 8;
    tf.data_begin = static_cast<uint64_t>(t.data - base);
    tf.data_end = tf.data_begin + t.n_bytes;
    pos = tf.end;
    l.tensors.push_back(tf);
  }
  l.infos_end = pos;
  l.data_offset = f.data_offset();
  l.required_end = pos;
  for (const TensorFields& t : l.tensors) l.required_end = std::max(l.required_end, t.data_end);
  return l;
}

}  // namespace plexus::gguf::testing

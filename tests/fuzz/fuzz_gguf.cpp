// libFuzzer target for the GGUF reader. Any input must either fail with a "gguf: " error or open
// into a file whose every value, string and tensor byte range can be walked; an opened file must
// also survive a copy through GgufWriter and read back identically (so the reader never accepts
// what the writer cannot express, and vice versa).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

namespace {

using plexus::gguf::GgufFile;
using plexus::gguf::GgufWriter;
using plexus::gguf::KeyValue;
using plexus::gguf::TensorInfo;
using plexus::gguf::Value;
using plexus::gguf::value_type;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_gguf: %s\n", what);
  std::abort();
}

volatile uint64_t g_sink;

uint64_t walk_value(const Value& v) {
  uint64_t h = static_cast<uint64_t>(v.type);
  for (char c : v.str) h = h * 131 + static_cast<unsigned char>(c);
  for (const Value& item : v.items) {
    if (item.type != v.elem_type) fail("array item of the wrong type");
    h += walk_value(item);
  }
  return h;
}

bool same_value(const Value& a, const Value& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case value_type::string: return a.str == b.str;
    case value_type::boolean: return a.scalar.b == b.scalar.b;
    case value_type::f32: case value_type::f64: return std::memcmp(&a.scalar.f, &b.scalar.f, sizeof(double)) == 0;
    case value_type::array:
      if (a.elem_type != b.elem_type || a.items.size() != b.items.size()) return false;
      for (size_t i = 0; i < a.items.size(); ++i) {
        if (!same_value(a.items[i], b.items[i])) return false;
      }
      return true;
    default: return a.scalar.u == b.scalar.u;  // every integer type is stored in 64 bits
  }
}

void walk(const GgufFile& f) {
  uint64_t h = f.version() + f.alignment() + f.data_offset();
  if (f.data_offset() > f.file_size()) fail("data offset past the end");
  for (const KeyValue& kv : f.metadata()) {
    h += walk_value(kv.value);
    if (f.find(kv.key) != &kv.value) fail("find() disagrees with metadata()");
    // Every getter must answer without trouble, whatever the type.
    h += f.get_uint(kv.key).ok() + f.get_int(kv.key).ok() + f.get_float(kv.key).ok();
    h += f.get_bool(kv.key).ok() + f.get_string(kv.key).ok() + f.get_array(kv.key, kv.value.elem_type).ok();
  }
  for (const TensorInfo& t : f.tensors()) {
    const uint64_t begin = static_cast<uint64_t>(t.data - f.mapping().data());
    if (t.n_bytes == 0 || begin + t.n_bytes > f.file_size() || begin != f.data_offset() + t.offset) {
      fail("tensor data outside the file");
    }
    h += t.data[0] + t.data[t.n_bytes - 1];
    if (f.find_tensor(t.name) != &t) fail("find_tensor() disagrees with tensors()");
  }
  g_sink = h;
}

void round_trip(const GgufFile& f) {
  GgufWriter w;
  for (const KeyValue& kv : f.metadata()) w.set(kv.key, kv.value);
  for (const TensorInfo& t : f.tensors()) {
    const std::vector<int64_t> dims(t.dims, t.dims + t.n_dims);
    if (!w.add_tensor(t.name, t.type, dims, std::span<const uint8_t>(t.data, t.n_bytes)).ok()) {
      fail("writer refused a tensor the reader accepted");
    }
  }
  auto bytes = w.to_bytes();
  if (!bytes.ok()) fail("writer refused metadata the reader accepted");
  auto again = GgufFile::from_bytes(*bytes);
  if (!again.ok()) fail("reader refused the writer's copy");
  const GgufFile& g = **again;
  if (g.alignment() != f.alignment() || g.metadata().size() != f.metadata().size() ||
      g.tensors().size() != f.tensors().size()) {
    fail("copy differs in shape");
  }
  for (size_t i = 0; i < f.metadata().size(); ++i) {
    if (g.metadata()[i].key != f.metadata()[i].key || !same_value(g.metadata()[i].value, f.metadata()[i].value)) {
      fail("copy differs in metadata");
    }
  }
  for (size_t i = 0; i < f.tensors().size(); ++i) {
    const TensorInfo& a = f.tensors()[i];
    const TensorInfo& b = g.tensors()[i];
    if (a.name != b.name || a.type != b.type || a.n_dims != b.n_dims || a.n_bytes != b.n_bytes ||
        std::memcmp(a.dims, b.dims, sizeof(a.dims)) != 0 || std::memcmp(a.data, b.data, a.n_bytes) != 0) {
      fail("copy differs in tensors");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto opened = GgufFile::from_bytes(std::span<const uint8_t>(data, size));
  if (!opened.ok()) {
    if (opened.status().message().rfind("gguf: ", 0) != 0) fail("error without the gguf: prefix");
    return 0;
  }
  walk(**opened);
  round_trip(**opened);
  return 0;
}

#include "gguf/gguf_writer.h"

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/checked_math.h"
#include "gguf/gguf_util.h"

namespace plexus::gguf {

static_assert(std::endian::native == std::endian::little, "the GGUF writer assumes a little-endian host");

namespace {

constexpr uint32_t kWriteVersion = 3;
constexpr uint8_t kZeros[64] = {};

Value scalar_value(value_type t) {
  Value v;
  v.type = t;
  return v;
}

// Empty when `v` can be written: known types, and array items all of the array's element type.
std::string value_problem(const Value& v) {
  if (!is_known_value_type(static_cast<uint32_t>(v.type))) {
    return "unknown value type " + std::to_string(static_cast<uint32_t>(v.type));
  }
  if (v.type != value_type::array) return {};
  if (!is_known_value_type(static_cast<uint32_t>(v.elem_type))) {
    return "unknown array element type " + std::to_string(static_cast<uint32_t>(v.elem_type));
  }
  for (size_t i = 0; i < v.items.size(); ++i) {
    const Value& item = v.items[i];
    if (item.type != v.elem_type) {
      return "array element " + std::to_string(i) + " has type " + value_type_name(item.type) + " in an array of " +
             value_type_name(v.elem_type);
    }
    std::string inner = value_problem(item);
    if (!inner.empty()) return "array element " + std::to_string(i) + ": " + inner;
  }
  return {};
}

template <typename T, typename Make>
Value array_of(value_type elem, std::span<const T> items, Make make) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (const T& x : items) values.push_back(make(x));
  return array_value(elem, std::move(values));
}

}  // namespace

// ---- value builders ----

Value u8_value(uint8_t v) { Value r = scalar_value(value_type::u8); r.scalar.u = v; return r; }
Value i8_value(int8_t v) { Value r = scalar_value(value_type::i8); r.scalar.i = v; return r; }
Value u16_value(uint16_t v) { Value r = scalar_value(value_type::u16); r.scalar.u = v; return r; }
Value i16_value(int16_t v) { Value r = scalar_value(value_type::i16); r.scalar.i = v; return r; }
Value u32_value(uint32_t v) { Value r = scalar_value(value_type::u32); r.scalar.u = v; return r; }
Value i32_value(int32_t v) { Value r = scalar_value(value_type::i32); r.scalar.i = v; return r; }
Value f32_value(float v) { Value r = scalar_value(value_type::f32); r.scalar.f = v; return r; }
Value bool_value(bool v) { Value r = scalar_value(value_type::boolean); r.scalar.b = v; return r; }
Value u64_value(uint64_t v) { Value r = scalar_value(value_type::u64); r.scalar.u = v; return r; }
Value i64_value(int64_t v) { Value r = scalar_value(value_type::i64); r.scalar.i = v; return r; }
Value f64_value(double v) { Value r = scalar_value(value_type::f64); r.scalar.f = v; return r; }
Value string_value(std::string_view v) { Value r = scalar_value(value_type::string); r.str = v; return r; }

Value array_value(value_type elem, std::vector<Value> items) {
  Value r = scalar_value(value_type::array);
  r.elem_type = elem;
  r.items = std::move(items);
  return r;
}

// ---- metadata ----

void GgufWriter::record(Status s) {
  if (error_.ok() && !s.ok()) error_ = std::move(s);
}

Value GgufWriter::deep_copy(const Value& v) {
  Value copy;
  copy.type = v.type;
  copy.scalar = v.scalar;
  copy.elem_type = v.elem_type;
  if (v.type == value_type::string) copy.str = strings_.emplace_back(v.str);
  if (v.type == value_type::array) {
    copy.items.reserve(v.items.size());
    for (const Value& item : v.items) copy.items.push_back(deep_copy(item));
  }
  return copy;
}

void GgufWriter::set(std::string_view key, const Value& value) {
  if (key.empty() || !is_valid_utf8(key)) {
    record(invalid_argument("gguf writer: key " + quoted(key) + " is empty or not valid UTF-8"));
    return;
  }
  if (std::string problem = value_problem(value); !problem.empty()) {
    record(invalid_argument("gguf writer: key " + quoted(key) + ": " + problem));
    return;
  }
  const auto it = kv_index_.find(std::string(key));
  if (it != kv_index_.end()) {
    kvs_[it->second].value = deep_copy(value);
    return;
  }
  kv_index_.emplace(std::string(key), kvs_.size());
  kvs_.push_back(Entry{std::string(key), deep_copy(value)});
}

void GgufWriter::set_array_u8(std::string_view key, std::span<const uint8_t> items) {
  set(key, array_of(value_type::u8, items, u8_value));
}
void GgufWriter::set_array_i8(std::string_view key, std::span<const int8_t> items) {
  set(key, array_of(value_type::i8, items, i8_value));
}
void GgufWriter::set_array_u16(std::string_view key, std::span<const uint16_t> items) {
  set(key, array_of(value_type::u16, items, u16_value));
}
void GgufWriter::set_array_i16(std::string_view key, std::span<const int16_t> items) {
  set(key, array_of(value_type::i16, items, i16_value));
}
void GgufWriter::set_array_u32(std::string_view key, std::span<const uint32_t> items) {
  set(key, array_of(value_type::u32, items, u32_value));
}
void GgufWriter::set_array_i32(std::string_view key, std::span<const int32_t> items) {
  set(key, array_of(value_type::i32, items, i32_value));
}
void GgufWriter::set_array_f32(std::string_view key, std::span<const float> items) {
  set(key, array_of(value_type::f32, items, f32_value));
}
void GgufWriter::set_array_u64(std::string_view key, std::span<const uint64_t> items) {
  set(key, array_of(value_type::u64, items, u64_value));
}
void GgufWriter::set_array_i64(std::string_view key, std::span<const int64_t> items) {
  set(key, array_of(value_type::i64, items, i64_value));
}
void GgufWriter::set_array_f64(std::string_view key, std::span<const double> items) {
  set(key, array_of(value_type::f64, items, f64_value));
}
void GgufWriter::set_array_bool(std::string_view key, const std::vector<bool>& items) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (bool b : items) values.push_back(bool_value(b));
  set(key, array_value(value_type::boolean, std::move(values)));
}
void GgufWriter::set_array_string(std::string_view key, std::span<const std::string> items) {
  set(key, array_of(value_type::string, items, [](const std::string& s) { return string_value(s); }));
}
void GgufWriter::set_array_string(std::string_view key, std::span<const std::string_view> items) {
  set(key, array_of(value_type::string, items, string_value));
}

bool GgufWriter::remove(std::string_view key) {
  const auto it = kv_index_.find(std::string(key));
  if (it == kv_index_.end()) return false;
  const size_t index = it->second;
  kv_index_.erase(it);
  kvs_.erase(kvs_.begin() + static_cast<std::ptrdiff_t>(index));
  for (auto& [k, i] : kv_index_) {
    if (i > index) --i;
  }
  return true;
}

const Value* GgufWriter::find(std::string_view key) const {
  const auto it = kv_index_.find(std::string(key));
  return it == kv_index_.end() ? nullptr : &kvs_[it->second].value;
}

// ---- tensors ----

Status GgufWriter::add_tensor(std::string_view name, tensor_type type, const std::vector<int64_t>& dims,
                              std::span<const uint8_t> data) {
  const std::string label = "gguf writer: tensor " + quoted(name) + ": ";
  if (name.empty() || !is_valid_utf8(name)) return invalid_argument(label + "name is empty or not valid UTF-8");
  if (tensor_index_.count(std::string(name)) != 0) return invalid_argument(label + "added twice");
  if (dims.empty() || dims.size() > 4) {
    return invalid_argument(label + std::to_string(dims.size()) + " dimensions (must be 1..4)");
  }
  const auto traits = traits_of(type);
  if (!traits) return invalid_argument(label + "unknown tensor type id " + std::to_string(static_cast<uint32_t>(type)));
  if (!has_tensor_type_enumerator(static_cast<uint32_t>(type))) {
    return invalid_argument(label + "tensor type " + traits->name + " cannot be written (GgufFile does not read it)");
  }
  uint64_t rows = 1;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] < 1) return invalid_argument(label + "dimension " + std::to_string(d) + " is " + std::to_string(dims[d]));
    if (d == 0) continue;
    const auto r = checked_mul(rows, static_cast<uint64_t>(dims[d]));
    if (!r) return invalid_argument(label + "element count overflows 64 bits");
    rows = *r;
  }
  if (static_cast<uint64_t>(dims[0]) % traits->block_elems != 0) {
    return invalid_argument(label + "row length " + std::to_string(dims[0]) + " is not a multiple of the " +
                            traits->name + " block size " + std::to_string(traits->block_elems));
  }
  const auto row = row_bytes(type, static_cast<uint64_t>(dims[0]));
  const auto n_bytes = row ? checked_mul(*row, rows) : std::nullopt;
  if (!n_bytes) return invalid_argument(label + "size overflows 64 bits");
  if (*n_bytes != data.size()) {
    return invalid_argument(label + std::to_string(data.size()) + " bytes given; " + traits->name + " needs " +
                            std::to_string(*n_bytes));
  }
  tensor_index_.emplace(std::string(name), tensors_.size());
  tensors_.push_back(Tensor{std::string(name), type, dims, std::vector<uint8_t>(data.begin(), data.end())});
  return {};
}

Status GgufWriter::add_tensor_f32(std::string_view name, const std::vector<int64_t>& dims, std::span<const float> data) {
  return add_tensor(name, tensor_type::f32, dims,
                    std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size_bytes()));
}

// ---- serialization ----

// Receives the file image in order: appends to a vector, streams to a FILE, or (with neither)
// only counts. Counts bytes so that padding can be computed.
// Not thread-safe: one serialization per instance; borrows the vector or FILE.
class GgufWriter::Sink {
 public:
  Sink() = default;
  explicit Sink(std::vector<uint8_t>* out) : vec_(out) {}
  explicit Sink(std::FILE* f) : file_(f) {}

  void put(const void* p, size_t n) {
    if (n == 0) return;
    if (vec_ != nullptr) {
      const auto* b = static_cast<const uint8_t*>(p);
      vec_->insert(vec_->end(), b, b + n);
    } else if (file_ != nullptr && error_ == 0 && std::fwrite(p, 1, n, file_) != n) {
      error_ = errno != 0 ? errno : EIO;
    }
    written_ += n;
  }
  template <typename T>
  void put_le(T v) { put(&v, sizeof(v)); }
  void put_string(std::string_view s) {
    put_le<uint64_t>(s.size());
    put(s.data(), s.size());
  }
  void put_value(const Value& v) {
    switch (v.type) {
      case value_type::u8: put_le(static_cast<uint8_t>(v.scalar.u)); break;
      case value_type::i8: put_le(static_cast<int8_t>(v.scalar.i)); break;
      case value_type::u16: put_le(static_cast<uint16_t>(v.scalar.u)); break;
      case value_type::i16: put_le(static_cast<int16_t>(v.scalar.i)); break;
      case value_type::u32: put_le(static_cast<uint32_t>(v.scalar.u)); break;
      case value_type::i32: put_le(static_cast<int32_t>(v.scalar.i)); break;
      case value_type::f32: put_le(static_cast<float>(v.scalar.f)); break;
      case value_type::boolean: put_le(static_cast<uint8_t>(v.scalar.b ? 1 : 0)); break;
      case value_type::string: put_string(v.str); break;
      case value_type::u64: put_le(v.scalar.u); break;
      case value_type::i64: put_le(v.scalar.i); break;
      case value_type::f64: put_le(v.scalar.f); break;
      case value_type::array:
        put_le(static_cast<uint32_t>(v.elem_type));
        put_le<uint64_t>(v.items.size());
        for (const Value& item : v.items) put_value(item);
        break;
    }
  }
  void pad_to(uint64_t alignment) {
    uint64_t n = (alignment - written_ % alignment) % alignment;
    while (n > 0) {
      const size_t chunk = n < sizeof(kZeros) ? static_cast<size_t>(n) : sizeof(kZeros);
      put(kZeros, chunk);
      n -= chunk;
    }
  }
  uint64_t written() const { return written_; }
  int error() const { return error_; }  // errno of the first failed write, 0 if none

 private:
  std::vector<uint8_t>* vec_ = nullptr;
  std::FILE* file_ = nullptr;
  uint64_t written_ = 0;
  int error_ = 0;
};

Result<uint64_t> GgufWriter::alignment() const {
  const Value* v = find(kAlignmentKey);
  if (v == nullptr) return kDefaultAlignment;
  if (v->type != value_type::u32 || v->scalar.u == 0 || !std::has_single_bit(v->scalar.u)) {
    const std::string got = v->type == value_type::u32 ? std::to_string(v->scalar.u) : value_type_name(v->type);
    return invalid_argument("gguf writer: general.alignment must be a u32 non-zero power of two (got " + got + ")");
  }
  return v->scalar.u;
}

Status GgufWriter::serialize(Sink& s) const {
  if (!error_.ok()) return error_;
  PLEXUS_ASSIGN_OR_RETURN(const uint64_t align, alignment());
  s.put("GGUF", 4);
  s.put_le<uint32_t>(kWriteVersion);
  s.put_le<uint64_t>(tensors_.size());
  s.put_le<uint64_t>(kvs_.size());
  for (const Entry& e : kvs_) {
    s.put_string(e.key);
    s.put_le(static_cast<uint32_t>(e.value.type));
    s.put_value(e.value);
  }
  uint64_t offset = 0;  // relative to the data section
  for (const Tensor& t : tensors_) {
    s.put_string(t.name);
    s.put_le<uint32_t>(static_cast<uint32_t>(t.dims.size()));
    for (int64_t d : t.dims) s.put_le<uint64_t>(static_cast<uint64_t>(d));
    s.put_le(static_cast<uint32_t>(t.type));
    s.put_le<uint64_t>(offset);
    const auto end = checked_add(offset, t.data.size());
    const auto next = end ? checked_align_up(*end, align) : std::nullopt;
    if (!next) return invalid_argument("gguf writer: tensor data exceeds 2^64 bytes");
    offset = *next;
  }
  // No tensors, no data section: the image ends after the infos (readers accept both forms), so a
  // large general.alignment cannot inflate a metadata-only file.
  if (!tensors_.empty()) s.pad_to(align);
  for (const Tensor& t : tensors_) {
    s.put(t.data.data(), t.data.size());
    s.pad_to(align);
  }
  return {};
}

Result<std::vector<uint8_t>> GgufWriter::to_bytes() const {
  Sink counter;
  PLEXUS_RETURN_IF_ERROR(serialize(counter));
  std::vector<uint8_t> bytes;
  bytes.reserve(static_cast<size_t>(counter.written()));
  Sink sink(&bytes);
  PLEXUS_RETURN_IF_ERROR(serialize(sink));
  return bytes;
}

Status GgufWriter::write_file(const std::string& path) const {
  // Validate before touching the file, so a bad writer does not truncate an existing one.
  Sink counter;
  PLEXUS_RETURN_IF_ERROR(serialize(counter));
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (f == nullptr) return io_error("gguf writer: cannot create '" + path + "': " + std::strerror(errno));
  Sink sink(f.get());
  PLEXUS_RETURN_IF_ERROR(serialize(sink));
  if (sink.error() != 0) return io_error("gguf writer: cannot write '" + path + "': " + std::strerror(sink.error()));
  if (std::fclose(f.release()) != 0) {
    return io_error("gguf writer: cannot write '" + path + "': " + std::strerror(errno));
  }
  return {};
}

}  // namespace plexus::gguf

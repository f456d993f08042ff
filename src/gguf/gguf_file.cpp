// GgufFile: opening and typed lookups. The decoder itself is in gguf_parse.cpp.
#include "gguf/gguf_file.h"

#include <limits>

#include "gguf/gguf_util.h"

namespace plexus::gguf {

const char* value_type_name(value_type t) {
  switch (t) {
    case value_type::u8: return "u8";
    case value_type::i8: return "i8";
    case value_type::u16: return "u16";
    case value_type::i16: return "i16";
    case value_type::u32: return "u32";
    case value_type::i32: return "i32";
    case value_type::f32: return "f32";
    case value_type::boolean: return "bool";
    case value_type::string: return "string";
    case value_type::array: return "array";
    case value_type::u64: return "u64";
    case value_type::i64: return "i64";
    case value_type::f64: return "f64";
  }
  return "unknown";
}

bool Value::is_integer() const {
  switch (type) {
    case value_type::u8: case value_type::i8: case value_type::u16: case value_type::i16:
    case value_type::u32: case value_type::i32: case value_type::u64: case value_type::i64:
      return true;
    default:
      return false;
  }
}

namespace {

bool is_signed(value_type t) {
  return t == value_type::i8 || t == value_type::i16 || t == value_type::i32 || t == value_type::i64;
}

// "array of string", "u32".
std::string type_description(const Value& v) {
  if (v.type == value_type::array) return std::string("array of ") + value_type_name(v.elem_type);
  return value_type_name(v.type);
}

Status wrong_type(std::string_view key, const Value& v, const char* expected) {
  return invalid_file("gguf: key " + quoted(key) + " has type " + type_description(v) + "; expected " + expected);
}

}  // namespace

Result<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path, const OpenOptions& options) {
  PLEXUS_ASSIGN_OR_RETURN(auto mapping, MappedFile::open(path, options.load));
  return from_mapping(std::move(mapping), options);
}

Result<std::unique_ptr<GgufFile>> GgufFile::from_bytes(std::span<const uint8_t> bytes, const OpenOptions& options) {
  return from_mapping(MappedFile::from_bytes(bytes), options);
}

Result<std::unique_ptr<GgufFile>> GgufFile::from_mapping(std::unique_ptr<MappedFile> file, const OpenOptions& options) {
  if (file == nullptr) return invalid_argument("gguf: from_mapping given no file");
  std::unique_ptr<GgufFile> gguf(new GgufFile());
  gguf->file_ = std::move(file);
  PLEXUS_RETURN_IF_ERROR(gguf->parse(options));
  return gguf;
}

const Value* GgufFile::find(std::string_view key) const {
  const auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kvs_[it->second].value;
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

Result<const Value*> require(const GgufFile& file, std::string_view key) {
  const Value* v = file.find(key);
  if (v == nullptr) return not_found("gguf: key " + quoted(key) + " not found");
  return v;
}

}  // namespace

Result<std::string_view> GgufFile::get_string(std::string_view key) const {
  PLEXUS_ASSIGN_OR_RETURN(const Value* v, require(*this, key));
  if (v->type != value_type::string) return wrong_type(key, *v, "string");
  return v->str;
}

Result<uint64_t> GgufFile::get_uint(std::string_view key) const {
  PLEXUS_ASSIGN_OR_RETURN(const Value* v, require(*this, key));
  if (!v->is_integer()) return wrong_type(key, *v, "an unsigned integer");
  if (is_signed(v->type)) {
    if (v->scalar.i < 0) {
      return invalid_file("gguf: key " + quoted(key) + " is " + std::to_string(v->scalar.i) +
                          "; expected a non-negative integer");
    }
    return static_cast<uint64_t>(v->scalar.i);
  }
  return v->scalar.u;
}

Result<int64_t> GgufFile::get_int(std::string_view key) const {
  PLEXUS_ASSIGN_OR_RETURN(const Value* v, require(*this, key));
  if (!v->is_integer()) return wrong_type(key, *v, "an integer");
  if (is_signed(v->type)) return v->scalar.i;
  if (v->scalar.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return invalid_file("gguf: key " + quoted(key) + " is " + std::to_string(v->scalar.u) +
                        ", out of range for a signed 64-bit integer");
  }
  return static_cast<int64_t>(v->scalar.u);
}

Result<double> GgufFile::get_float(std::string_view key) const {
  PLEXUS_ASSIGN_OR_RETURN(const Value* v, require(*this, key));
  if (v->is_float()) return v->scalar.f;
  if (!v->is_integer()) return wrong_type(key, *v, "a number");
  return is_signed(v->type) ? static_cast<double>(v->scalar.i) : static_cast<double>(v->scalar.u);
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  PLEXUS_ASSIGN_OR_RETURN(const Value* v, require(*this, key));
  if (v->type != value_type::boolean) return wrong_type(key, *v, "bool");
  return v->scalar.b;
}

Result<const std::vector<Value>*> GgufFile::get_array(std::string_view key, value_type elem) const {
  PLEXUS_ASSIGN_OR_RETURN(const Value* v, require(*this, key));
  if (v->type != value_type::array || v->elem_type != elem) {
    return wrong_type(key, *v, (std::string("array of ") + value_type_name(elem)).c_str());
  }
  return &v->items;
}

}  // namespace plexus::gguf

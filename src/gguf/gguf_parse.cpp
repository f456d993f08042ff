// GgufFile::parse: the bounds-checked GGUF v2/v3 decoder.
//
// Layout (all little-endian):
//   magic "GGUF" | version u32 | tensor_count u64 | kv_count u64
//   kv_count x   { key: string, value_type: u32, value }
//   tensor_count x { name: string, n_dims: u32, dims: u64[n_dims], type: u32, offset: u64 }
//   padding to `alignment` | tensor data (each tensor at data_offset + offset)
// where string = { len: u64, bytes[len] } and array = { elem_type: u32, count: u64, elems }.
//
// Every count and length is compared with the bytes that remain before anything is reserved,
// so memory stays proportional to the file size whatever the counts claim.
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "core/checked_math.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_util.h"

namespace plexus::gguf {
namespace {

static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

constexpr uint32_t kMaxDepthHardCap = 64;  // bounds recursion whatever OpenOptions says
constexpr uint64_t kMaxDim = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
// Smallest encodings: a key/value is a 1-byte key (8+1), a type (4) and a 1-byte value; a tensor
// info is a 1-byte name (8+1), n_dims (4), one dim (8), type (4) and offset (8).
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;

// Bytes that one encoded value of type `t` occupies at least.
uint64_t min_encoded_size(value_type t) {
  switch (t) {
    case value_type::u8: case value_type::i8: case value_type::boolean: return 1;
    case value_type::u16: case value_type::i16: return 2;
    case value_type::u32: case value_type::i32: case value_type::f32: return 4;
    case value_type::u64: case value_type::i64: case value_type::f64: return 8;
    case value_type::string: return 8;       // length
    case value_type::array: return 4 + 8;    // element type + count
  }
  return 1;
}

struct ParsedGguf {
  uint32_t version = 0;
  uint64_t alignment = kDefaultAlignment;
  uint64_t data_offset = 0;
  std::vector<KeyValue> kvs;
  std::vector<TensorInfo> tensors;
  std::unordered_map<std::string_view, size_t> kv_index;
  std::unordered_map<std::string_view, size_t> tensor_index;
};

// Decodes one image into a ParsedGguf; every read is bounds-checked against the image size.
// Not thread-safe: one parse per instance; borrows the file, options and output.
class Parser {
 public:
  Parser(const MappedFile& file, const OpenOptions& options, ParsedGguf* out)
      : data_(file.data()),
        size_(file.size()),
        options_(options),
        max_depth_(std::min(options.max_array_depth, kMaxDepthHardCap)),
        out_(*out) {
    // MappedFile::from_bytes names its images "<memory>"; only real paths go into messages.
    if (file.path() != "<memory>") file_label_ = "'" + file.path() + "': ";
  }

  Status run() {
    PLEXUS_RETURN_IF_ERROR(parse_header());
    PLEXUS_RETURN_IF_ERROR(parse_metadata());
    PLEXUS_RETURN_IF_ERROR(parse_tensor_infos());
    return place_tensor_data();
  }

 private:
  enum class section { header, kv, tensor, data };

  // ---- error reporting ----

  // "key 'general.name'", "key #3", "tensor 'output.weight'", "tensor #0", "header".
  std::string where() const {
    std::string w;
    switch (section_) {
      case section::header: w = "header"; break;
      case section::data: w = "data section"; break;
      case section::kv:
        w = item_name_.data() != nullptr ? "key " + quoted(item_name_) : "key #" + std::to_string(item_index_);
        break;
      case section::tensor:
        w = item_name_.data() != nullptr ? "tensor " + quoted(item_name_) : "tensor #" + std::to_string(item_index_);
        break;
    }
    if (!elem_path_.empty()) {
      w += " element ";
      for (uint64_t i : elem_path_) {
        w += '[';
        w += std::to_string(i);
        w += ']';
      }
    }
    return w;
  }

  Status fail(const std::string& what) const { return invalid_file("gguf: " + file_label_ + where() + ": " + what); }

  Status truncated(const char* field, uint64_t need) const {
    return fail(std::string("truncated ") + field + ": needs " + std::to_string(need) + " bytes at offset " +
                std::to_string(pos_) + " but the file ends at " + std::to_string(size_));
  }

  void enter(section s, uint64_t index) {
    section_ = s;
    item_index_ = index;
    item_name_ = {};
  }

  // ---- primitive reads ----

  uint64_t remaining() const { return size_ - pos_; }

  template <typename T>
  Status read_le(T* out, const char* field) {
    if (remaining() < sizeof(T)) return truncated(field, sizeof(T));
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return {};
  }

  Status read_string(std::string_view* out, const char* field) {
    uint64_t len = 0;
    if (remaining() < 8) return truncated(field, 8);
    std::memcpy(&len, data_ + pos_, 8);
    if (len > options_.max_string_bytes) {
      return fail(std::string(field) + " length " + std::to_string(len) + " exceeds the limit of " +
                  std::to_string(options_.max_string_bytes) + " bytes");
    }
    if (len > remaining() - 8) {
      return fail(std::string(field) + " length " + std::to_string(len) + " at offset " + std::to_string(pos_) +
                  " exceeds the " + std::to_string(remaining() - 8) + " bytes left in the file");
    }
    pos_ += 8;
    *out = std::string_view(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += len;
    return {};
  }

  // A key or tensor name: present, non-empty, valid UTF-8.
  Status read_name(std::string_view* out, const char* field) {
    PLEXUS_RETURN_IF_ERROR(read_string(out, field));
    if (out->empty()) return fail(std::string(field) + " is empty");
    if (!is_valid_utf8(*out)) return fail(std::string(field) + " " + quoted(*out) + " is not valid UTF-8");
    return {};
  }

  // ---- header ----

  Status parse_header() {
    enter(section::header, 0);
    if (size_ < 4) return fail("file is " + std::to_string(size_) + " bytes, too short for the GGUF magic");
    if (std::memcmp(data_, "GGUF", 4) != 0) {
      return fail("bad magic " + hex_bytes(data_, 4) + " (expected 47 47 55 46, \"GGUF\"): not a GGUF file");
    }
    pos_ = 4;
    uint32_t version = 0;
    PLEXUS_RETURN_IF_ERROR(read_le(&version, "version"));
    if (version == 1) {
      return fail("GGUF version 1 is not supported (obsolete layout with 32-bit counts); re-convert the model");
    }
    if (version != 2 && version != 3) {
      const uint32_t swapped = __builtin_bswap32(version);
      if (swapped >= 1 && swapped <= 3) {
        return fail("big-endian GGUF (version field reads 0x" + hex_u32(version) +
                    ") is not supported; only little-endian files are");
      }
      return fail("unsupported GGUF version " + std::to_string(version) + " (supported: 2, 3)");
    }
    out_.version = version;

    uint64_t tensor_count = 0, kv_count = 0;
    PLEXUS_RETURN_IF_ERROR(read_le(&tensor_count, "tensor_count"));
    PLEXUS_RETURN_IF_ERROR(read_le(&kv_count, "kv_count"));
    if (tensor_count > options_.max_tensors) {
      return fail("tensor_count " + std::to_string(tensor_count) + " exceeds the limit of " +
                  std::to_string(options_.max_tensors));
    }
    if (kv_count > options_.max_kv) {
      return fail("kv_count " + std::to_string(kv_count) + " exceeds the limit of " + std::to_string(options_.max_kv));
    }
    // Each section must fit in what is left, at its smallest encoding, before anything is reserved.
    // (Checked one by one rather than summed, so a cut file still gets an error at the cut.)
    const auto kv_min = checked_mul(kv_count, kMinKvBytes);
    if (!kv_min || *kv_min > remaining()) {
      return fail("kv_count " + std::to_string(kv_count) + " cannot fit: each key/value needs at least " +
                  std::to_string(kMinKvBytes) + " bytes and " + std::to_string(remaining()) + " remain");
    }
    const auto tensor_min = checked_mul(tensor_count, kMinTensorInfoBytes);
    if (!tensor_min || *tensor_min > remaining()) {
      return fail("tensor_count " + std::to_string(tensor_count) + " cannot fit: each tensor info needs at least " +
                  std::to_string(kMinTensorInfoBytes) + " bytes and " + std::to_string(remaining()) + " remain");
    }
    kv_count_ = kv_count;
    tensor_count_ = tensor_count;
    return {};
  }

  // ---- metadata ----

  Status parse_metadata() {
    out_.kvs.reserve(kv_count_);
    out_.kv_index.reserve(kv_count_);
    for (uint64_t i = 0; i < kv_count_; ++i) {
      enter(section::kv, i);
      KeyValue kv;
      PLEXUS_RETURN_IF_ERROR(read_name(&kv.key, "key"));
      item_name_ = kv.key;
      const auto [it, inserted] = out_.kv_index.emplace(kv.key, out_.kvs.size());
      if (!inserted) return fail("duplicate key (first defined as key #" + std::to_string(it->second) + ")");
      uint32_t type = 0;
      PLEXUS_RETURN_IF_ERROR(read_le(&type, "value type"));
      if (!is_known_value_type(type)) return fail("unknown value type " + std::to_string(type));
      PLEXUS_RETURN_IF_ERROR(parse_value(static_cast<value_type>(type), 0, &kv.value));
      if (kv.key == kAlignmentKey) PLEXUS_RETURN_IF_ERROR(take_alignment(kv.value));
      out_.kvs.push_back(std::move(kv));
    }
    return {};
  }

  Status take_alignment(const Value& v) {
    if (v.type != value_type::u32) {
      return fail(std::string("has type ") + value_type_name(v.type) + "; expected u32");
    }
    if (v.scalar.u == 0 || !std::has_single_bit(v.scalar.u)) {
      return fail("alignment " + std::to_string(v.scalar.u) + " is not a non-zero power of two");
    }
    out_.alignment = v.scalar.u;
    return {};
  }

  // Reads a T and widens it into the matching member of out->scalar.
  template <typename T>
  Status read_scalar(Value* out, const char* field) {
    T v{};
    PLEXUS_RETURN_IF_ERROR(read_le(&v, field));
    if constexpr (std::is_floating_point_v<T>) {
      out->scalar.f = v;
    } else if constexpr (std::is_signed_v<T>) {
      out->scalar.i = v;
    } else {
      out->scalar.u = v;
    }
    return {};
  }

  // `depth`: arrays enclosing this value.
  Status parse_value(value_type type, uint32_t depth, Value* out) {
    out->type = type;
    switch (type) {
      case value_type::u8: return read_scalar<uint8_t>(out, "u8 value");
      case value_type::u16: return read_scalar<uint16_t>(out, "u16 value");
      case value_type::u32: return read_scalar<uint32_t>(out, "u32 value");
      case value_type::u64: return read_scalar<uint64_t>(out, "u64 value");
      case value_type::i8: return read_scalar<int8_t>(out, "i8 value");
      case value_type::i16: return read_scalar<int16_t>(out, "i16 value");
      case value_type::i32: return read_scalar<int32_t>(out, "i32 value");
      case value_type::i64: return read_scalar<int64_t>(out, "i64 value");
      case value_type::f32: return read_scalar<float>(out, "f32 value");
      case value_type::f64: return read_scalar<double>(out, "f64 value");
      case value_type::boolean: {
        uint8_t v = 0;
        PLEXUS_RETURN_IF_ERROR(read_le(&v, "bool value"));
        if (v > 1) return fail("bool value is " + std::to_string(v) + " (must be 0 or 1)");
        out->scalar.b = v != 0;
        return {};
      }
      case value_type::string: return read_string(&out->str, "string value");
      case value_type::array: return parse_array(depth + 1, out);
    }
    return fail("unknown value type " + std::to_string(static_cast<uint32_t>(type)));
  }

  Status parse_array(uint32_t depth, Value* out) {
    if (depth > max_depth_) return fail("arrays nested deeper than " + std::to_string(max_depth_) + " levels");
    uint32_t elem = 0;
    uint64_t count = 0;
    PLEXUS_RETURN_IF_ERROR(read_le(&elem, "array element type"));
    if (!is_known_value_type(elem)) return fail("unknown array element type " + std::to_string(elem));
    PLEXUS_RETURN_IF_ERROR(read_le(&count, "array length"));
    const value_type elem_type = static_cast<value_type>(elem);
    if (count > options_.max_array_elems) {
      return fail("array length " + std::to_string(count) + " exceeds the limit of " +
                  std::to_string(options_.max_array_elems) + " elements");
    }
    const auto need = checked_mul(count, min_encoded_size(elem_type));
    if (!need || *need > remaining()) {
      return fail("array of " + std::to_string(count) + " " + value_type_name(elem_type) + " elements needs at least " +
                  (need ? std::to_string(*need) : std::string("2^64+")) + " bytes at offset " + std::to_string(pos_) +
                  " but " + std::to_string(remaining()) + " remain");
    }
    total_array_elems_ += count;  // cannot overflow: each element costs at least one byte of the file
    if (total_array_elems_ > options_.max_total_array_elems) {
      return fail("metadata arrays hold more than " + std::to_string(options_.max_total_array_elems) +
                  " elements in total");
    }
    out->elem_type = elem_type;
    out->items.resize(static_cast<size_t>(count));
    elem_path_.push_back(0);
    for (uint64_t i = 0; i < count; ++i) {
      elem_path_.back() = i;
      PLEXUS_RETURN_IF_ERROR(parse_value(elem_type, depth, &out->items[i]));
    }
    elem_path_.pop_back();
    return {};
  }

  // ---- tensor infos ----

  Status parse_tensor_infos() {
    out_.tensors.reserve(tensor_count_);
    out_.tensor_index.reserve(tensor_count_);
    for (uint64_t i = 0; i < tensor_count_; ++i) {
      enter(section::tensor, i);
      TensorInfo t;
      PLEXUS_RETURN_IF_ERROR(read_name(&t.name, "tensor name"));
      item_name_ = t.name;
      const auto [it, inserted] = out_.tensor_index.emplace(t.name, out_.tensors.size());
      if (!inserted) return fail("duplicate tensor name (first defined as tensor #" + std::to_string(it->second) + ")");

      PLEXUS_RETURN_IF_ERROR(read_le(&t.n_dims, "n_dims"));
      if (t.n_dims < 1 || t.n_dims > 4) return fail("n_dims is " + std::to_string(t.n_dims) + " (must be 1..4)");
      uint64_t n_elements = 1;
      for (uint32_t d = 0; d < t.n_dims; ++d) {
        uint64_t dim = 0;
        PLEXUS_RETURN_IF_ERROR(read_le(&dim, "dimension"));
        if (dim == 0) return fail("dimension " + std::to_string(d) + " is 0");
        if (dim > kMaxDim) return fail("dimension " + std::to_string(d) + " is " + std::to_string(dim) + " (over 2^63-1)");
        t.dims[d] = static_cast<int64_t>(dim);
        const auto product = checked_mul(n_elements, dim);
        if (!product || *product > kMaxDim) {
          return fail("element count overflows: dimensions " + dims_string(t, d + 1) + " multiply past 2^63-1");
        }
        n_elements = *product;
      }
      t.n_elements = n_elements;

      uint32_t type_id = 0;
      PLEXUS_RETURN_IF_ERROR(read_le(&type_id, "tensor type"));
      const auto traits = traits_of(type_id);
      if (!traits) return fail("unknown tensor type id " + std::to_string(type_id));
      if (!has_tensor_type_enumerator(type_id)) {
        return unsupported("gguf: " + file_label_ + where() + ": unsupported tensor type " + traits->name + " (id " +
                           std::to_string(type_id) + "); supported: " + supported_tensor_type_names());
      }
      t.type = static_cast<tensor_type>(type_id);
      if (static_cast<uint64_t>(t.dims[0]) % traits->block_elems != 0) {
        return fail("row length " + std::to_string(t.dims[0]) + " is not a multiple of the " + traits->name +
                    " block size " + std::to_string(traits->block_elems));
      }
      const auto row = row_bytes(t.type, static_cast<uint64_t>(t.dims[0]));
      const auto n_bytes = row ? checked_mul(*row, n_elements / static_cast<uint64_t>(t.dims[0])) : std::nullopt;
      if (!n_bytes) return fail("data size of " + std::string(traits->name) + " " + dims_string(t, t.n_dims) + " overflows 64 bits");
      t.n_bytes = *n_bytes;

      PLEXUS_RETURN_IF_ERROR(read_le(&t.offset, "data offset"));
      if (t.offset % out_.alignment != 0) {
        return fail("data offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                    std::to_string(out_.alignment));
      }
      out_.tensors.push_back(t);
    }
    return {};
  }

  // ---- tensor data ----

  Status place_tensor_data() {
    enter(section::data, 0);
    const auto start = checked_align_up(pos_, out_.alignment);
    if (out_.tensors.empty()) {
      // A vocab-only file may end right after the tensor infos, without padding.
      out_.data_offset = start && *start <= size_ ? *start : size_;
      return {};
    }
    if (!start || *start > size_) {
      return fail("data section starts at " + (start ? std::to_string(*start) : std::string("2^64+")) +
                  " (tensor infos end at " + std::to_string(pos_) + ", alignment " + std::to_string(out_.alignment) +
                  "), past end of file (" + std::to_string(size_) + " bytes)");
    }
    out_.data_offset = *start;
    section_ = section::tensor;
    for (size_t i = 0; i < out_.tensors.size(); ++i) {
      TensorInfo& t = out_.tensors[i];
      item_index_ = i;
      item_name_ = t.name;
      const auto begin = checked_add(out_.data_offset, t.offset);
      const auto end = begin ? checked_add(*begin, t.n_bytes) : std::nullopt;
      if (!end || *end > size_) {
        return fail("data [offset " + (begin ? std::to_string(*begin) : std::string("2^64+")) + ", " +
                    std::to_string(t.n_bytes) + " bytes] extends past end of file (" + std::to_string(size_) +
                    " bytes)");
      }
      t.data = data_ + *begin;
    }
    // Tensors may leave gaps but must not share bytes.
    std::vector<size_t> order(out_.tensors.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const uint64_t oa = out_.tensors[a].offset, ob = out_.tensors[b].offset;
      return oa != ob ? oa < ob : a < b;  // ties by index, so the later tensor is the one reported
    });
    for (size_t k = 1; k < order.size(); ++k) {
      const TensorInfo& prev = out_.tensors[order[k - 1]];
      const TensorInfo& cur = out_.tensors[order[k]];
      if (prev.offset + prev.n_bytes > cur.offset) {  // both in the file: no overflow
        item_index_ = order[k];
        item_name_ = cur.name;
        return fail("data [offset " + std::to_string(out_.data_offset + cur.offset) + ", " +
                    std::to_string(cur.n_bytes) + " bytes] overlaps tensor " + quoted(prev.name) + " [offset " +
                    std::to_string(out_.data_offset + prev.offset) + ", " + std::to_string(prev.n_bytes) + " bytes]");
      }
    }
    return {};
  }

  // The first `n` dimensions of `t`, "[4096, 32000]".
  static std::string dims_string(const TensorInfo& t, uint32_t n) {
    std::string s = "[";
    for (uint32_t d = 0; d < n; ++d) {
      if (d > 0) s += ", ";
      s += std::to_string(static_cast<uint64_t>(t.dims[d]));
    }
    return s + "]";
  }

  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const OpenOptions& options_;
  uint32_t max_depth_;
  ParsedGguf& out_;
  std::string file_label_;  // "'path': " for files on disk, empty for in-memory images

  uint64_t kv_count_ = 0;
  uint64_t tensor_count_ = 0;
  uint64_t total_array_elems_ = 0;

  section section_ = section::header;
  uint64_t item_index_ = 0;
  std::string_view item_name_;        // .data() == nullptr until the name is read
  std::vector<uint64_t> elem_path_;   // array indices down to the element being read
};

}  // namespace

Status GgufFile::parse(const OpenOptions& options) {
  ParsedGguf parsed;
  PLEXUS_RETURN_IF_ERROR(Parser(*file_, options, &parsed).run());
  version_ = parsed.version;
  alignment_ = parsed.alignment;
  data_offset_ = parsed.data_offset;
  kvs_ = std::move(parsed.kvs);
  tensors_ = std::move(parsed.tensors);
  kv_index_ = std::move(parsed.kv_index);
  tensor_index_ = std::move(parsed.tensor_index);
  return {};
}

}  // namespace plexus::gguf

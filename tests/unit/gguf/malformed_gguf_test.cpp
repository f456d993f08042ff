// The malformed-GGUF suite: starting from valid images (built with GgufWriter, and the real
// stories260K model) it generates truncations, absurd counts and lengths, overflowing shapes,
// bad offsets, unknown types, wrong-typed keys, nesting bombs and bad headers. Every such image
// must fail to open with an error that names the key, tensor or header field at fault; nothing
// may crash or hang, and no single allocation may exceed what the image's size can justify
// (checked with the counting operator new of alloc_tracker.cpp). Byte-mutation sweeps check that whatever does
// open can be walked safely.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "alloc_tracker.h"
#include "gguf_test_util.h"
#include "test_paths.h"

namespace plexus::gguf {
namespace {

using namespace plexus::gguf::testing;

constexpr uint64_t k2_63 = uint64_t{1} << 63;
constexpr uint64_t kMax64 = ~uint64_t{0};

// Reads every byte a caller could reach through the API, as a model loader would.
uint64_t walk_value(const Value& v) {
  uint64_t h = static_cast<uint64_t>(v.type);
  for (char c : v.str) h = h * 31 + static_cast<unsigned char>(c);
  for (const Value& item : v.items) h += walk_value(item);
  return h;
}

uint64_t walk(const GgufFile& f) {
  uint64_t h = 0;
  for (const KeyValue& kv : f.metadata()) {
    h += kv.key.size() + walk_value(kv.value);
    EXPECT_EQ(f.find(kv.key), &kv.value);
  }
  for (const TensorInfo& t : f.tensors()) {
    EXPECT_GT(t.n_bytes, 0u);
    EXPECT_LE(static_cast<uint64_t>(t.data - f.mapping().data()) + t.n_bytes, f.file_size());
    h += t.data[0] + t.data[t.n_bytes - 1];
    EXPECT_EQ(f.find_tensor(t.name), &t);
  }
  return h;
}

struct Outcome {
  bool ok = false;
  Status status;
};

// Opens `bytes` and walks it if it opens. Checks the largest single allocation against what the
// image's size allows: the parser's biggest buffers are the copy of the image and arrays of Values
// (at most one per byte).
Outcome try_open(const bytes_t& bytes, const OpenOptions& options = {}) {
  reset_largest_allocation();
  auto r = GgufFile::from_bytes(bytes, options);
  const size_t largest = largest_allocation();
  EXPECT_LE(largest, bytes.size() * sizeof(Value) + 65536) << "allocation of " << largest << " bytes for a "
                                                          << bytes.size() << "-byte image";
  Outcome out;
  out.ok = r.ok();
  if (r.ok()) {
    walk(**r);
  } else {
    out.status = r.status();
    EXPECT_EQ(out.status.message().rfind("gguf: ", 0), 0u) << out.status.message();
  }
  return out;
}

// Expects `bytes` to be rejected with `code` and a message containing every needle; returns it.
std::string expect_rejected(const bytes_t& bytes, const std::vector<std::string>& needles,
                            error_code code = error_code::invalid_file, const OpenOptions& options = {}) {
  const Outcome o = try_open(bytes, options);
  EXPECT_FALSE(o.ok) << "opened, expected an error containing '" << (needles.empty() ? "" : needles[0]) << "'";
  if (o.ok) return {};
  EXPECT_EQ(o.status.code(), code) << o.status.to_string();
  for (const std::string& n : needles) {
    EXPECT_NE(o.status.message().find(n), std::string::npos) << "'" << n << "' not in: " << o.status.message();
  }
  return o.status.message();
}

bytes_t prefix(const bytes_t& bytes, uint64_t n) { return bytes_t(bytes.begin(), bytes.begin() + static_cast<long>(n)); }

// A small valid model with every kind of section: scalars, strings, arrays of strings, nested
// arrays, an explicit alignment, and three tensors of different types.
bytes_t small_model() {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u32("general.alignment", 32);
  w.set_u32("test.count", 7);
  w.set_bool("test.flag", true);
  w.set_array_string("test.names", std::vector<std::string>{"ab", "c", "def"});
  w.set("test.nested", array_value(value_type::array, {array_value(value_type::u8, {u8_value(1), u8_value(2)}),
                                                       array_value(value_type::u8, {u8_value(3)})}));
  w.set_array_f32("test.scores", std::vector<float>{0.5f, 1.5f});
  std::vector<float> tok(8);
  for (size_t i = 0; i < tok.size(); ++i) tok[i] = static_cast<float>(i) + 0.5f;
  EXPECT_TRUE(w.add_tensor_f32("tok.weight", {4, 2}, tok).ok());
  EXPECT_TRUE(w.add_tensor("q.weight", tensor_type::q4_0, {64, 2}, std::vector<uint8_t>(72, 0x11)).ok());
  EXPECT_TRUE(w.add_tensor("blk.0.x", tensor_type::q8_0, {32}, std::vector<uint8_t>(34, 0x22)).ok());
  return image_of(w);
}

bytes_t stories_model() {
  const auto path = plexus::testing::shared_dir() / "models" / "stories260K.gguf";
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return bytes_t(std::istreambuf_iterator<char>(in), {});
}

struct Parsed {
  bytes_t bytes;
  Layout layout;
};

Parsed parsed(bytes_t bytes) {
  auto f = open_ok(bytes);
  EXPECT_NE(f, nullptr);
  Layout l = f ? layout_of(*f) : Layout{};
  return {std::move(bytes), std::move(l)};
}

const KvFields& kv_named(const Layout& l, const std::string& key) {
  for (const KvFields& k : l.kvs) {
    if (k.key == key) return k;
  }
  ADD_FAILURE() << "no key " << key;
  return l.kvs.front();
}

const TensorFields& tensor_named(const Layout& l, const std::string& name) {
  for (const TensorFields& t : l.tensors) {
    if (t.name == name) return t;
  }
  ADD_FAILURE() << "no tensor " << name;
  return l.tensors.front();
}

// What an error for an image cut to `n` bytes must name: the item being read at byte n.
std::string subject_at(const Layout& l, uint64_t n) {
  if (n < 24) return "header";
  for (size_t i = 0; i < l.kvs.size(); ++i) {
    const KvFields& k = l.kvs[i];
    if (n < k.end) return n < k.type ? "key #" + std::to_string(i) : "key '" + k.key + "'";
  }
  for (size_t i = 0; i < l.tensors.size(); ++i) {
    const TensorFields& t = l.tensors[i];
    if (n < t.end) return n < t.n_dims ? "tensor #" + std::to_string(i) : "tensor '" + t.name + "'";
  }
  if (n < l.data_offset) return "data section";
  for (const TensorFields& t : l.tensors) {
    if (t.data_end > n) return "tensor '" + t.name + "': data [offset " + std::to_string(t.data_begin);
  }
  return "";
}

// Truncations: every prefix shorter than the data the file needs must fail and name what it cut;
// longer prefixes (cutting only trailing padding) must still open.
void check_truncations(const Parsed& p, const std::vector<uint64_t>& cuts) {
  for (uint64_t n : cuts) {
    SCOPED_TRACE("cut at " + std::to_string(n) + " of " + std::to_string(p.bytes.size()));
    const Outcome o = try_open(prefix(p.bytes, n));
    if (n >= p.layout.required_end) {
      EXPECT_TRUE(o.ok) << o.status.to_string();
      continue;
    }
    ASSERT_FALSE(o.ok);
    const std::string& m = o.status.message();
    const bool counts_too_big = m.find("header: ") != std::string::npos && m.find("cannot fit") != std::string::npos;
    if (!counts_too_big) {
      EXPECT_NE(m.find(subject_at(p.layout, n)), std::string::npos) << m;
    }
    if (n < 4) {
      EXPECT_NE(m.find("too short for the GGUF magic"), std::string::npos) << m;
    }
  }
}

std::vector<uint64_t> section_boundaries(const Layout& l) {
  std::vector<uint64_t> cuts = {0, 3, 4, 8, 16, 24};
  for (const KvFields& k : l.kvs) cuts.insert(cuts.end(), {k.key_len, k.key_len + 8, k.type, k.value, k.end - 1});
  for (const TensorFields& t : l.tensors) {
    cuts.insert(cuts.end(), {t.name_len, t.name_len + 8, t.n_dims, t.dims, t.type, t.offset, t.end - 1});
    cuts.insert(cuts.end(), {t.data_begin, t.data_begin + 1, t.data_end - 1, t.data_end});
  }
  cuts.insert(cuts.end(), {l.infos_end, l.data_offset, l.required_end});
  return cuts;
}

// The allocation guard itself works (so a huge reserve in the parser would be caught).
TEST(MalformedGguf, AllocationTrackerSeesLargeAllocations) {
  reset_largest_allocation();
  auto big = std::make_unique<std::vector<uint8_t>>(size_t{1} << 24);
  EXPECT_GE(largest_allocation(), size_t{1} << 24);
  reset_largest_allocation();
  EXPECT_EQ(largest_allocation(), 0u);
}

// ---- truncation ----

TEST(MalformedGguf, SmallModelTruncatedAtEveryByte) {
  const Parsed p = parsed(small_model());
  ASSERT_LT(p.bytes.size(), 2048u);
  std::vector<uint64_t> cuts;
  for (uint64_t n = 0; n < p.bytes.size(); ++n) cuts.push_back(n);
  check_truncations(p, cuts);
}

TEST(MalformedGguf, SectionBoundaryCutsNameTheField) {
  const Parsed p = parsed(small_model());
  const Layout& l = p.layout;
  // Cut right before a field: the error names the field (the counts still fit at these cuts).
  const KvFields& names = kv_named(l, "test.names");
  expect_rejected(prefix(p.bytes, names.type), {"key 'test.names': truncated value type"});
  expect_rejected(prefix(p.bytes, names.value + 4), {"key 'test.names': truncated array length"});
  // Inside the last string ("ab", "c", "def": 30 bytes in all), past the array's size pre-check.
  expect_rejected(prefix(p.bytes, names.value + 12 + 29),
                  {"key 'test.names' element [2]: string value length 3 at offset", "exceeds the 2 bytes left"});
  const TensorFields& t = l.tensors[1];
  expect_rejected(prefix(p.bytes, t.name_len), {"tensor #1: truncated tensor name"});
  expect_rejected(prefix(p.bytes, t.n_dims), {"tensor 'q.weight': truncated n_dims"});
  expect_rejected(prefix(p.bytes, t.dims + 8), {"tensor 'q.weight': truncated dimension"});
  expect_rejected(prefix(p.bytes, t.type), {"tensor 'q.weight': truncated tensor type"});
  expect_rejected(prefix(p.bytes, t.offset), {"tensor 'q.weight': truncated data offset"});
  expect_rejected(prefix(p.bytes, t.data_end - 1),
                  {"gguf: tensor 'q.weight': data [offset " + std::to_string(t.data_begin) + ", 72 bytes] extends past "
                   "end of file (" + std::to_string(t.data_end - 1) + " bytes)"});
  if (l.infos_end < l.data_offset) {
    expect_rejected(prefix(p.bytes, l.infos_end), {"data section: data section starts at"});
  }
  check_truncations(p, section_boundaries(l));
}

TEST(MalformedGguf, RealModelTruncations) {
  const Parsed p = parsed(stories_model());
  ASSERT_EQ(p.layout.tensors.size(), 48u);
  std::vector<uint64_t> cuts = section_boundaries(p.layout);
  for (uint64_t n = 0; n < p.layout.infos_end; ++n) cuts.push_back(n);  // every byte of the metadata
  for (uint64_t n = p.layout.infos_end; n < p.bytes.size(); n += 9973) cuts.push_back(n);  // the data
  check_truncations(p, cuts);
}

// ---- absurd counts and lengths ----

std::vector<uint64_t> absurd_counts(uint64_t file_size) {
  return {k2_63, kMax64, file_size + 1, uint64_t{1} << 60, uint64_t{1} << 32};
}

void check_absurd_counts(const Parsed& p, const std::string& array_key, const std::string& string_key) {
  const Layout& l = p.layout;
  const uint64_t size = p.bytes.size();
  for (uint64_t v : absurd_counts(size)) {
    SCOPED_TRACE(v);
    bytes_t b = p.bytes;
    patch<uint64_t>(b, 16, v);
    expect_rejected(b, {"header: kv_count " + std::to_string(v)});
    b = p.bytes;
    patch<uint64_t>(b, 8, v);
    expect_rejected(b, {"header: tensor_count " + std::to_string(v)});

    b = p.bytes;
    patch<uint64_t>(b, l.kvs[2].key_len, v);
    expect_rejected(b, {"key #2: key length " + std::to_string(v)});

    const KvFields& s = kv_named(l, string_key);
    b = p.bytes;
    patch<uint64_t>(b, s.value, v);
    expect_rejected(b, {"key '" + string_key + "': string value length " + std::to_string(v)});

    const KvFields& a = kv_named(l, array_key);
    b = p.bytes;
    patch<uint64_t>(b, a.value + 4, v);
    expect_rejected(b, {"key '" + array_key + "': array ", std::to_string(v)});
    // The length of the array's second string.
    b = p.bytes;
    const uint64_t second = a.value + 12 + 8 + peek<uint64_t>(p.bytes, a.value + 12);
    patch<uint64_t>(b, second, v);
    expect_rejected(b, {"key '" + array_key + "' element [1]: string value length " + std::to_string(v)});

    const TensorFields& t = l.tensors.back();
    b = p.bytes;
    patch<uint64_t>(b, t.name_len, v);
    expect_rejected(b, {"tensor #" + std::to_string(l.tensors.size() - 1) + ": tensor name length " + std::to_string(v)});
  }
}

TEST(MalformedGguf, AbsurdCountsSmallModel) {
  check_absurd_counts(parsed(small_model()), "test.names", "general.architecture");
}

TEST(MalformedGguf, AbsurdCountsRealModel) {
  check_absurd_counts(parsed(stories_model()), "tokenizer.ggml.tokens", "tokenizer.ggml.model");
}

TEST(MalformedGguf, CountsThatFitTheLimitsButNotTheFile) {
  const Parsed p = parsed(small_model());
  bytes_t b = p.bytes;
  patch<uint64_t>(b, 16, 1000);  // under max_kv, but 1000 key/values need 14000 bytes
  expect_rejected(b, {"header: kv_count 1000 cannot fit: each key/value needs at least 14 bytes"});
  b = p.bytes;
  patch<uint64_t>(b, 8, 1000);
  expect_rejected(b, {"header: tensor_count 1000 cannot fit"});
  // An array of u64 whose count fits the bytes as u8 but not as u64.
  RawBuilder r;
  r.header(0, 1).str("a").u32(9).u32(10).u64(100).zeros(120);
  expect_rejected(r.bytes(), {"key 'a': array of 100 u64 elements needs at least 800 bytes"});
}

// ---- shapes ----

// A file with one tensor "t" of the given shape and type and `data_bytes` of data.
bytes_t one_tensor(const std::vector<uint64_t>& dims, uint32_t type, uint64_t offset = 0, size_t data_bytes = 64) {
  RawBuilder r;
  r.header(1, 0).tensor_info("t", dims, type, offset).pad_to(32).zeros(data_bytes);
  return r.bytes();
}

TEST(MalformedGguf, DimensionsThatOverflow) {
  EXPECT_TRUE(try_open(one_tensor({4, 2}, 0, 0, 32)).ok);
  expect_rejected(one_tensor({uint64_t{1} << 32, uint64_t{1} << 32}, 0),
                  {"tensor 't': element count overflows: dimensions [4294967296, 4294967296] multiply past 2^63-1"});
  expect_rejected(one_tensor({2, 2, uint64_t{1} << 31, uint64_t{1} << 31}, 0), {"tensor 't': element count overflows"});
  expect_rejected(one_tensor({3, 3, 3, uint64_t{1} << 62}, 0), {"tensor 't': element count overflows"});
  expect_rejected(one_tensor({k2_63}, 0), {"tensor 't': dimension 0 is 9223372036854775808 (over 2^63-1)"});
  expect_rejected(one_tensor({4, kMax64}, 0), {"tensor 't': dimension 1 is 18446744073709551615"});
  // Fits in 63 bits as elements but not as bytes: 2^62 F32 values are 2^64 bytes.
  expect_rejected(one_tensor({uint64_t{1} << 62}, 0), {"tensor 't': data size of F32 [4611686018427387904] overflows"});
  // Fits as bytes, far past the file.
  expect_rejected(one_tensor({uint64_t{1} << 40}, 0), {"tensor 't': data [offset 64, 4398046511104 bytes] extends past end"});
  expect_rejected(one_tensor({4, 0}, 0), {"tensor 't': dimension 1 is 0"});
  expect_rejected(one_tensor({48}, 2), {"tensor 't': row length 48 is not a multiple of the Q4_0 block size 32"});
  expect_rejected(one_tensor({512, 3}, 12), {"tensor 't': data [offset 96, 864 bytes] extends past end of file"});
}

TEST(MalformedGguf, NDims) {
  const Parsed p = parsed(small_model());
  for (uint32_t n : {0u, 5u, 100u, 0xFFFFFFFFu}) {
    bytes_t b = p.bytes;
    patch<uint32_t>(b, p.layout.tensors[0].n_dims, n);
    expect_rejected(b, {"tensor 'tok.weight': n_dims is " + std::to_string(n) + " (must be 1..4)"});
  }
}

// ---- offsets ----

TEST(MalformedGguf, Offsets) {
  const Parsed p = parsed(small_model());
  const Layout& l = p.layout;
  const TensorFields& q = tensor_named(l, "q.weight");
  const uint64_t q_offset = peek<uint64_t>(p.bytes, q.offset);

  for (uint64_t off : {uint64_t{1} << 40, kMax64 - 31, uint64_t{p.bytes.size()} / 32 * 32}) {
    bytes_t b = p.bytes;
    patch<uint64_t>(b, q.offset, off);
    expect_rejected(b, {"tensor 'q.weight': data [offset ", "72 bytes] extends past end of file (" +
                                                                std::to_string(p.bytes.size()) + " bytes)"});
  }
  for (uint64_t off : {q_offset + 1, q_offset + 16, kMax64}) {
    bytes_t b = p.bytes;
    patch<uint64_t>(b, q.offset, off);
    expect_rejected(b, {"tensor 'q.weight': data offset " + std::to_string(off) + " is not a multiple of the alignment 32"});
  }
  // Overlaps: the same bytes as tok.weight; inside q.weight's 72 bytes.
  bytes_t b = p.bytes;
  patch<uint64_t>(b, q.offset, 0);
  expect_rejected(b, {"overlaps tensor 'tok.weight'"});
  b = p.bytes;
  patch<uint64_t>(b, tensor_named(l, "blk.0.x").offset, q_offset + 32);
  expect_rejected(b, {"tensor 'blk.0.x': data [offset", "overlaps tensor 'q.weight'"});
}

// ---- types ----

TEST(MalformedGguf, UnknownAndUnsupportedTensorTypes) {
  const Parsed p = parsed(small_model());
  const TensorFields& t = tensor_named(p.layout, "tok.weight");
  for (uint32_t id : {4u, 5u, 31u, 33u, 36u, 40u, 1000u, 0xFFFFFFFFu}) {
    bytes_t b = p.bytes;
    patch<uint32_t>(b, t.type, id);
    expect_rejected(b, {"tensor 'tok.weight': unknown tensor type id " + std::to_string(id)});
  }
  bytes_t b = p.bytes;
  patch<uint32_t>(b, t.type, 16);
  expect_rejected(b, {"tensor 'tok.weight': unsupported tensor type IQ2_XXS (id 16); supported: F32, F16"},
                  error_code::unsupported);
  b = p.bytes;
  patch<uint32_t>(b, t.type, 2);  // Q4_0 for a row of 4
  expect_rejected(b, {"tensor 'tok.weight': row length 4 is not a multiple of the Q4_0 block size 32"});
}

TEST(MalformedGguf, UnknownValueTypes) {
  const Parsed p = parsed(small_model());
  const KvFields& count = kv_named(p.layout, "test.count");
  const KvFields& names = kv_named(p.layout, "test.names");
  const KvFields& nested = kv_named(p.layout, "test.nested");
  for (uint32_t t : {13u, 100u, 0xFFFFFFFFu}) {
    bytes_t b = p.bytes;
    patch<uint32_t>(b, count.type, t);
    expect_rejected(b, {"key 'test.count': unknown value type " + std::to_string(t)});
    b = p.bytes;
    patch<uint32_t>(b, names.value, t);
    expect_rejected(b, {"key 'test.names': unknown array element type " + std::to_string(t)});
    b = p.bytes;
    patch<uint32_t>(b, nested.value + 12, t);  // the first inner array's element type
    expect_rejected(b, {"key 'test.nested' element [0]: unknown array element type " + std::to_string(t)});
  }
  bytes_t b = p.bytes;
  patch<uint8_t>(b, kv_named(p.layout, "test.flag").value, 2);
  expect_rejected(b, {"key 'test.flag': bool value is 2 (must be 0 or 1)"});
}

bytes_t with_alignment_value(uint32_t type, const std::function<void(RawBuilder&)>& value) {
  RawBuilder r;
  r.header(0, 1).str("general.alignment").u32(type);
  value(r);
  return r.bytes();
}

TEST(MalformedGguf, WrongTypesForGeneralAlignment) {
  const Parsed p = parsed(small_model());
  const KvFields& a = kv_named(p.layout, "general.alignment");
  for (uint32_t v : {0u, 3u, 48u, 0xFFFFFFFFu}) {
    bytes_t b = p.bytes;
    patch<uint32_t>(b, a.value, v);
    expect_rejected(b, {"key 'general.alignment': alignment " + std::to_string(v) + " is not a non-zero power of two"});
  }
  bytes_t b = p.bytes;
  patch<uint32_t>(b, a.type, 5);  // i32: same size, wrong type
  expect_rejected(b, {"key 'general.alignment': has type i32; expected u32"});
  b = p.bytes;
  patch<uint32_t>(b, a.type, 6);
  expect_rejected(b, {"key 'general.alignment': has type f32; expected u32"});

  expect_rejected(with_alignment_value(8, [](RawBuilder& r) { r.str("32"); }), {"has type string; expected u32"});
  expect_rejected(with_alignment_value(10, [](RawBuilder& r) { r.u64(32); }), {"has type u64; expected u32"});
  expect_rejected(with_alignment_value(9, [](RawBuilder& r) { r.u32(4).u64(1).u32(32); }),
                  {"has type array; expected u32"});
  // A larger valid alignment moves the data section; tensors at offsets of the old one fail.
  b = p.bytes;
  patch<uint32_t>(b, a.value, 4096);
  const std::string m = expect_rejected(b, {});
  EXPECT_TRUE(m.find("alignment 4096") != std::string::npos || m.find("past end of file") != std::string::npos) << m;
  EXPECT_TRUE(try_open(with_alignment_value(4, [](RawBuilder& r) { r.u32(1); })).ok);
}

// ---- nesting ----

bytes_t nested_arrays(uint32_t depth) {
  RawBuilder r;
  r.header(0, 1).str("bomb").u32(9);
  for (uint32_t i = 1; i < depth; ++i) r.u32(9).u64(1);  // array of one array ...
  r.u32(0).u64(1).u8(7);                                 // ... of one u8
  return r.bytes();
}

TEST(MalformedGguf, NestingBombs) {
  EXPECT_TRUE(try_open(nested_arrays(8)).ok);
  expect_rejected(nested_arrays(9), {"key 'bomb' element [0][0][0][0][0][0][0][0]: arrays nested deeper than 8 levels"});
  expect_rejected(nested_arrays(100000), {"key 'bomb' element ", "arrays nested deeper than 8 levels"});
  OpenOptions unbounded;
  unbounded.max_array_depth = 0xFFFFFFFF;  // still capped internally, so recursion stays bounded
  expect_rejected(nested_arrays(100000), {"arrays nested deeper than 64 levels"}, error_code::invalid_file, unbounded);

  // Wide: a huge count of nested arrays, and nested arrays each claiming huge counts.
  RawBuilder wide;
  wide.header(0, 1).str("bomb").u32(9).u32(9).u64(uint64_t{1} << 62).zeros(64);
  expect_rejected(wide.bytes(), {"key 'bomb': array length 4611686018427387904 exceeds the limit"});
  RawBuilder inner;
  inner.header(0, 1).str("bomb").u32(9).u32(9).u64(3);
  for (int i = 0; i < 3; ++i) inner.u32(0).u64(uint64_t{1} << 40);
  expect_rejected(inner.bytes(), {"key 'bomb' element [0]: array length 1099511627776 exceeds the limit"});
  // Many empty arrays are fine and cost memory in proportion to the file.
  RawBuilder many;
  many.header(0, 1).str("many").u32(9).u32(9).u64(100000);
  for (int i = 0; i < 100000; ++i) many.u32(0).u64(0);
  EXPECT_TRUE(try_open(many.bytes()).ok);
}

TEST(MalformedGguf, OptionLimits) {
  RawBuilder r;
  r.header(0, 2).str("s").u32(8).str(std::string(100, 'x')).str("a").u32(9).u32(0).u64(50).zeros(50);
  EXPECT_TRUE(try_open(r.bytes()).ok);
  OpenOptions o;
  o.max_string_bytes = 99;
  expect_rejected(r.bytes(), {"key 's': string value length 100 exceeds the limit of 99 bytes"}, error_code::invalid_file, o);
  o = {};
  o.max_array_elems = 49;
  expect_rejected(r.bytes(), {"key 'a': array length 50 exceeds the limit of 49"}, error_code::invalid_file, o);
  o = {};
  o.max_total_array_elems = 49;
  expect_rejected(r.bytes(), {"key 'a': metadata arrays hold more than 49 elements in total"}, error_code::invalid_file, o);
  o = {};
  o.max_kv = 1;
  expect_rejected(r.bytes(), {"header: kv_count 2 exceeds the limit of 1"}, error_code::invalid_file, o);
  o = {};
  o.max_tensors = 0;
  expect_rejected(one_tensor({4}, 0), {"header: tensor_count 1 exceeds the limit of 0"}, error_code::invalid_file, o);
}

// ---- header ----

TEST(MalformedGguf, MagicAndVersion) {
  const Parsed p = parsed(small_model());
  for (const char* magic : {"GGUG", "FUGG", "GGML", "ggjt", "\0\0\0\0"}) {
    bytes_t b = p.bytes;
    std::memcpy(b.data(), magic, 4);
    expect_rejected(b, {"header: bad magic", "not a GGUF file"});
  }
  for (size_t n = 0; n < 4; ++n) expect_rejected(prefix(p.bytes, n), {"header: file is " + std::to_string(n) + " bytes"});
  bytes_t b = p.bytes;
  patch<uint32_t>(b, 4, 1);
  expect_rejected(b, {"header: GGUF version 1 is not supported"});
  for (uint32_t v : {0u, 4u, 5u, 0xFFFFFFFFu, 0x00010000u}) {
    b = p.bytes;
    patch<uint32_t>(b, 4, v);
    expect_rejected(b, {"header: unsupported GGUF version " + std::to_string(v) + " (supported: 2, 3)"});
  }
  for (uint32_t v : {0x01000000u, 0x02000000u, 0x03000000u}) {
    b = p.bytes;
    patch<uint32_t>(b, 4, v);
    expect_rejected(b, {"header: big-endian GGUF", "is not supported"});
  }
  b = p.bytes;
  patch<uint32_t>(b, 4, 2);
  EXPECT_TRUE(try_open(b).ok);
}

// ---- names ----

TEST(MalformedGguf, DuplicateAndInvalidNames) {
  RawBuilder dup_key;
  dup_key.header(0, 2).str("a.b").u32(4).u32(1).str("a.b").u32(8).str("x");
  expect_rejected(dup_key.bytes(), {"key 'a.b': duplicate key (first defined as key #0)"});

  RawBuilder dup_tensor;
  dup_tensor.header(2, 0).tensor_info("w", {8}, 0, 0).tensor_info("w", {8}, 0, 32).pad_to(32).zeros(64);
  expect_rejected(dup_tensor.bytes(), {"tensor 'w': duplicate tensor name (first defined as tensor #0)"});

  RawBuilder empty_key;
  empty_key.header(0, 1).str("").u32(4).u32(1);
  expect_rejected(empty_key.bytes(), {"key #0: key is empty"});

  RawBuilder bad_key;
  bad_key.header(0, 1).str("a\xC0\x80").u32(4).u32(1);  // overlong NUL
  expect_rejected(bad_key.bytes(), {"key #0: key 'a\\xc0\\x80' is not valid UTF-8"});

  RawBuilder empty_tensor;
  empty_tensor.header(1, 0).tensor_info("", {8}, 0, 0).pad_to(32).zeros(32);
  expect_rejected(empty_tensor.bytes(), {"tensor #0: tensor name is empty"});

  RawBuilder bad_tensor;
  bad_tensor.header(1, 0).tensor_info("\xED\xA0\x80", {8}, 0, 0).pad_to(32).zeros(32);  // a surrogate
  expect_rejected(bad_tensor.bytes(), {"tensor #0: tensor name", "is not valid UTF-8"});

  // Long hostile names are cut in messages.
  RawBuilder long_dup;
  const std::string long_name(5000, 'n');
  long_dup.header(0, 2).str(long_name).u32(0).u8(1).str(long_name).u32(0).u8(1);
  const std::string m = expect_rejected(long_dup.bytes(), {"duplicate key"});
  EXPECT_LT(m.size(), 300u);
}

// ---- byte-mutation sweeps ----

TEST(MalformedGguf, EveryByteMutatedInSmallModel) {
  const Parsed p = parsed(small_model());
  int opened = 0, rejected = 0;
  for (size_t i = 0; i < p.bytes.size(); ++i) {
    const uint8_t orig = p.bytes[i];
    for (uint8_t v : {uint8_t{0}, uint8_t{0xFF}, uint8_t{0x80}, static_cast<uint8_t>(orig ^ 1)}) {
      if (v == orig) continue;
      bytes_t b = p.bytes;
      b[i] = v;
      SCOPED_TRACE("byte " + std::to_string(i) + " = " + std::to_string(v));
      (try_open(b).ok ? opened : rejected)++;
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(opened, 0);  // tensor data and most scalar values can take any byte
}

TEST(MalformedGguf, RandomMutationsOfRealModelMetadata) {
  const Parsed p = parsed(stories_model());
  std::mt19937_64 rng(1234);
  std::uniform_int_distribution<uint64_t> pos(0, p.layout.infos_end - 1);
  bytes_t b = p.bytes;
  for (int iter = 0; iter < 600; ++iter) {
    std::vector<std::pair<uint64_t, uint8_t>> undo;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const uint64_t at = pos(rng);
      undo.emplace_back(at, b[at]);
      b[at] = static_cast<uint8_t>(rng());
    }
    SCOPED_TRACE("iteration " + std::to_string(iter));
    try_open(b);
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) b[it->first] = it->second;
  }
}

// Regression inputs found by fuzzing (tests/fuzz/regressions/gguf/): each must open or fail
// cleanly, and what opens must copy through GgufWriter into an image of similar size (as the
// fuzz target does).
TEST(MalformedGguf, FuzzRegressions) {
  const std::filesystem::path dir = std::filesystem::path(PLEXUS_SOURCE_DIR) / "tests/fuzz/regressions/gguf";
  ASSERT_TRUE(std::filesystem::exists(dir));
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().string());
    std::ifstream in(entry.path(), std::ios::binary);
    const bytes_t bytes(std::istreambuf_iterator<char>(in), {});
    if (!try_open(bytes).ok) continue;
    auto f = open_ok(bytes);
    GgufWriter w;
    for (const KeyValue& kv : f->metadata()) w.set(kv.key, kv.value);
    for (const TensorInfo& t : f->tensors()) {
      ASSERT_TRUE(w.add_tensor(t.name, t.type, std::vector<int64_t>(t.dims, t.dims + t.n_dims), {t.data, t.n_bytes}).ok());
    }
    reset_largest_allocation();
    const bytes_t copy = image_of(w);
    EXPECT_LE(copy.size(), 2 * bytes.size() + f->alignment());
    EXPECT_LE(largest_allocation(), 2 * bytes.size() + f->alignment() + 65536);
    EXPECT_NE(open_ok(copy), nullptr);
  }
}

}  // namespace
}  // namespace plexus::gguf

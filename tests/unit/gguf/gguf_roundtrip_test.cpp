// GgufWriter -> GgufFile round trips: every value type, nested arrays, alignments, v2 images,
// tensors of every type, typed getters and the writer's own validation.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "gguf_test_util.h"

namespace plexus::gguf {
namespace {

using namespace plexus::gguf::testing;

TEST(GgufRoundTrip, EmptyFile) {
  GgufWriter w;
  const bytes_t bytes = image_of(w);
  ASSERT_EQ(bytes.size(), 24u);  // the header alone: no tensors, no padded data section
  auto f = open_ok(bytes);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_TRUE(f->metadata().empty());
  EXPECT_TRUE(f->tensors().empty());
  EXPECT_EQ(f->data_offset(), 24u);  // clamped to the file size
}

TEST(GgufRoundTrip, MetadataOnlyFileIsNotPaddedToTheAlignment) {
  GgufWriter w;
  w.set_u32("general.alignment", 1u << 29);
  w.set_string("tokenizer.ggml.model", "llama");
  const bytes_t bytes = image_of(w);
  EXPECT_LT(bytes.size(), 200u);
  auto f = open_ok(bytes);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->alignment(), 1u << 29);
  EXPECT_EQ(f->data_offset(), bytes.size());
}

TEST(GgufRoundTrip, EveryScalarType) {
  GgufWriter w;
  w.set_u8("t.u8", 255);
  w.set_i8("t.i8", -128);
  w.set_u16("t.u16", 65535);
  w.set_i16("t.i16", -32768);
  w.set_u32("t.u32", 0xFFFFFFFFu);
  w.set_i32("t.i32", std::numeric_limits<int32_t>::min());
  w.set_f32("t.f32", 1.5e-7f);
  w.set_bool("t.bool_t", true);
  w.set_bool("t.bool_f", false);
  w.set_string("t.str", "h\xC3\xA9llo");
  w.set_string("t.empty", "");
  w.set_string("t.nul", std::string_view("a\0b", 3));
  w.set_u64("t.u64", std::numeric_limits<uint64_t>::max());
  w.set_i64("t.i64", std::numeric_limits<int64_t>::min());
  w.set_f64("t.f64", -2.0 / 3.0);
  w.set_f32("t.nan", std::numeric_limits<float>::quiet_NaN());
  auto f = open_ok(image_of(w));
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->metadata().size(), 16u);

  const char* order[] = {"t.u8", "t.i8", "t.u16", "t.i16", "t.u32", "t.i32", "t.f32", "t.bool_t",
                         "t.bool_f", "t.str", "t.empty", "t.nul", "t.u64", "t.i64", "t.f64", "t.nan"};
  for (size_t i = 0; i < 16; ++i) EXPECT_EQ(f->metadata()[i].key, order[i]);

  EXPECT_EQ(f->find("t.u8")->type, value_type::u8);
  EXPECT_EQ(*f->get_uint("t.u8"), 255u);
  EXPECT_EQ(*f->get_int("t.i8"), -128);
  EXPECT_EQ(*f->get_uint("t.u16"), 65535u);
  EXPECT_EQ(*f->get_int("t.i16"), -32768);
  EXPECT_EQ(*f->get_uint("t.u32"), 0xFFFFFFFFu);
  EXPECT_EQ(*f->get_int("t.i32"), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(*f->get_float("t.f32"), static_cast<double>(1.5e-7f));
  EXPECT_TRUE(*f->get_bool("t.bool_t"));
  EXPECT_FALSE(*f->get_bool("t.bool_f"));
  EXPECT_EQ(*f->get_string("t.str"), "h\xC3\xA9llo");
  EXPECT_EQ(*f->get_string("t.empty"), "");
  EXPECT_EQ(*f->get_string("t.nul"), std::string_view("a\0b", 3));
  EXPECT_EQ(*f->get_uint("t.u64"), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(*f->get_int("t.i64"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(*f->get_float("t.f64"), -2.0 / 3.0);
  EXPECT_TRUE(std::isnan(*f->get_float("t.nan")));
  for (const auto& kv : f->metadata()) {
    const bool integer = kv.value.type != value_type::f32 && kv.value.type != value_type::f64 &&
                         kv.value.type != value_type::boolean && kv.value.type != value_type::string;
    EXPECT_EQ(kv.value.is_integer(), integer) << kv.key;
  }
}

TEST(GgufRoundTrip, TypedGetterErrors) {
  GgufWriter w;
  w.set_i32("neg", -1);
  w.set_u64("big", std::numeric_limits<uint64_t>::max());
  w.set_u8("small", 7);
  w.set_string("s", "x");
  w.set_array_u32("arr", std::vector<uint32_t>{1, 2});
  auto f = open_ok(image_of(w));
  ASSERT_NE(f, nullptr);

  auto missing = f->get_uint("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), error_code::not_found);
  EXPECT_NE(missing.status().message().find("'nope'"), std::string::npos);

  auto neg = f->get_uint("neg");
  ASSERT_FALSE(neg.ok());
  EXPECT_EQ(neg.status().code(), error_code::invalid_file);
  EXPECT_NE(neg.status().message().find("'neg' is -1"), std::string::npos) << neg.status().message();
  EXPECT_EQ(*f->get_int("neg"), -1);
  EXPECT_EQ(*f->get_float("neg"), -1.0);

  auto big = f->get_int("big");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("out of range"), std::string::npos);

  auto not_bool = f->get_bool("small");
  ASSERT_FALSE(not_bool.ok());
  EXPECT_EQ(not_bool.status().message(), "gguf: key 'small' has type u8; expected bool");
  EXPECT_EQ(*f->get_int("small"), 7);
  EXPECT_EQ(*f->get_float("small"), 7.0);

  auto not_string = f->get_string("small");
  ASSERT_FALSE(not_string.ok());
  EXPECT_NE(not_string.status().message().find("expected string"), std::string::npos);
  EXPECT_FALSE(f->get_uint("s").ok());
  EXPECT_FALSE(f->get_float("s").ok());

  auto arr = f->get_array("arr", value_type::u32);
  ASSERT_TRUE(arr.ok());
  EXPECT_EQ((*arr)->size(), 2u);
  auto wrong_elem = f->get_array("arr", value_type::i32);
  ASSERT_FALSE(wrong_elem.ok());
  EXPECT_EQ(wrong_elem.status().message(), "gguf: key 'arr' has type array of u32; expected array of i32");
  auto not_array = f->get_array("s", value_type::string);
  ASSERT_FALSE(not_array.ok());
  EXPECT_EQ(not_array.status().message(), "gguf: key 's' has type string; expected array of string");
  EXPECT_FALSE(f->get_uint("arr").ok());
}

TEST(GgufRoundTrip, ArraysOfEveryType) {
  GgufWriter w;
  w.set_array_u8("a.u8", std::vector<uint8_t>{0, 1, 255});
  w.set_array_i8("a.i8", std::vector<int8_t>{-1, 127});
  w.set_array_u16("a.u16", std::vector<uint16_t>{1, 65535});
  w.set_array_i16("a.i16", std::vector<int16_t>{-300});
  w.set_array_u32("a.u32", std::vector<uint32_t>{});
  w.set_array_i32("a.i32", std::vector<int32_t>{1, -2, 3});
  w.set_array_f32("a.f32", std::vector<float>{0.5f, -0.25f});
  w.set_array_bool("a.bool", {true, false, true});
  w.set_array_u64("a.u64", std::vector<uint64_t>{1ull << 63});
  w.set_array_i64("a.i64", std::vector<int64_t>{-(1ll << 40)});
  w.set_array_f64("a.f64", std::vector<double>{3.25});
  w.set_array_string("a.str", std::vector<std::string>{"a", "", "\xE2\x96\x81the"});
  w.set_array_string("a.sv", std::vector<std::string_view>{"x", "y"});
  auto f = open_ok(image_of(w));
  ASSERT_NE(f, nullptr);

  auto items = [&](std::string_view key, value_type elem) {
    auto r = f->get_array(key, elem);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? **r : std::vector<Value>{};
  };
  auto u8s = items("a.u8", value_type::u8);
  ASSERT_EQ(u8s.size(), 3u);
  EXPECT_EQ(u8s[2].scalar.u, 255u);
  EXPECT_EQ(items("a.i8", value_type::i8)[0].scalar.i, -1);
  EXPECT_EQ(items("a.u16", value_type::u16)[1].scalar.u, 65535u);
  EXPECT_EQ(items("a.i16", value_type::i16)[0].scalar.i, -300);
  EXPECT_TRUE(items("a.u32", value_type::u32).empty());
  EXPECT_EQ(items("a.i32", value_type::i32)[1].scalar.i, -2);
  EXPECT_EQ(items("a.f32", value_type::f32)[1].scalar.f, -0.25);
  auto bools = items("a.bool", value_type::boolean);
  ASSERT_EQ(bools.size(), 3u);
  EXPECT_TRUE(bools[0].scalar.b);
  EXPECT_FALSE(bools[1].scalar.b);
  EXPECT_EQ(items("a.u64", value_type::u64)[0].scalar.u, 1ull << 63);
  EXPECT_EQ(items("a.i64", value_type::i64)[0].scalar.i, -(1ll << 40));
  EXPECT_EQ(items("a.f64", value_type::f64)[0].scalar.f, 3.25);
  auto strs = items("a.str", value_type::string);
  ASSERT_EQ(strs.size(), 3u);
  EXPECT_EQ(strs[0].str, "a");
  EXPECT_EQ(strs[1].str, "");
  EXPECT_EQ(strs[2].str, "\xE2\x96\x81the");
  EXPECT_EQ(items("a.sv", value_type::string)[1].str, "y");
}

// [[["a", "b"], []], [[1]]]: arrays whose inner arrays have their own element types.
Value nested_value() {
  return array_value(value_type::array,
                     {array_value(value_type::array, {array_value(value_type::string, {string_value("a"), string_value("b")}),
                                                      array_value(value_type::u8, {})}),
                      array_value(value_type::array, {array_value(value_type::i32, {i32_value(1)})})});
}

Value nest(int depth) {
  Value v = u8_value(1);
  for (int i = 0; i < depth; ++i) v = array_value(v.type, {v});
  return v;
}

TEST(GgufRoundTrip, NestedArrays) {
  GgufWriter w;
  w.set("nested", nested_value());
  w.set("deep8", nest(8));
  auto f = open_ok(image_of(w));
  ASSERT_NE(f, nullptr);
  const Value* v = f->find("nested");
  ASSERT_NE(v, nullptr);
  ASSERT_EQ(v->elem_type, value_type::array);
  ASSERT_EQ(v->items.size(), 2u);
  const Value& first = v->items[0];
  ASSERT_EQ(first.items.size(), 2u);
  EXPECT_EQ(first.items[0].elem_type, value_type::string);
  EXPECT_EQ(first.items[0].items[1].str, "b");
  EXPECT_EQ(first.items[1].elem_type, value_type::u8);
  EXPECT_TRUE(first.items[1].items.empty());
  EXPECT_EQ(v->items[1].items[0].items[0].scalar.i, 1);

  const Value* d = f->find("deep8");
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(d->type, value_type::array);
    ASSERT_EQ(d->items.size(), 1u);
    d = &d->items[0];
  }
  EXPECT_EQ(d->type, value_type::u8);

  // One level more than OpenOptions::max_array_depth allows.
  GgufWriter deeper;
  deeper.set("deep9", nest(9));
  auto r = GgufFile::from_bytes(image_of(deeper));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("key 'deep9' element [0][0][0][0][0][0][0][0]: arrays nested deeper than 8"),
            std::string::npos)
      << r.status().message();
  OpenOptions relaxed;
  relaxed.max_array_depth = 9;
  EXPECT_NE(open_ok(image_of(deeper), relaxed), nullptr);
}

TEST(GgufRoundTrip, SetTwiceKeepsPositionAndRemove) {
  GgufWriter w;
  w.set_u32("a", 1);
  w.set_string("b", "x");
  w.set_u32("c", 3);
  w.set_string("a", "replaced");
  EXPECT_TRUE(w.remove("b"));
  EXPECT_FALSE(w.remove("b"));
  w.set_u8("d", 4);
  ASSERT_NE(w.find("a"), nullptr);
  EXPECT_EQ(w.find("a")->str, "replaced");
  auto f = open_ok(image_of(w));
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->metadata().size(), 3u);
  EXPECT_EQ(f->metadata()[0].key, "a");
  EXPECT_EQ(*f->get_string("a"), "replaced");
  EXPECT_EQ(f->metadata()[1].key, "c");
  EXPECT_EQ(f->metadata()[2].key, "d");
  EXPECT_EQ(f->find("b"), nullptr);
}

TEST(GgufRoundTrip, WriterCopiesValuesOutOfAReader) {
  GgufWriter src;
  src.set("nested", nested_value());
  src.set_string("name", "model");
  bytes_t copy_bytes;
  {
    auto f = open_ok(image_of(src));
    ASSERT_NE(f, nullptr);
    GgufWriter dst;
    for (const auto& kv : f->metadata()) dst.set(kv.key, kv.value);
    f.reset();  // the copies must not view the reader's mapping
    copy_bytes = image_of(dst);
  }
  EXPECT_EQ(copy_bytes, image_of(src));
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

TEST(GgufRoundTrip, TensorsOfEveryEnumeratedType) {
  const tensor_type types[] = {tensor_type::f32,  tensor_type::f16,  tensor_type::bf16, tensor_type::q4_0,
                               tensor_type::q4_1, tensor_type::q5_0, tensor_type::q5_1, tensor_type::q8_0,
                               tensor_type::q8_1, tensor_type::q2_k, tensor_type::q3_k, tensor_type::q4_k,
                               tensor_type::q5_k, tensor_type::q6_k, tensor_type::q8_k, tensor_type::i8,
                               tensor_type::i16,  tensor_type::i32,  tensor_type::i64,  tensor_type::f64};
  GgufWriter w;
  w.set_string("general.architecture", "test");
  std::vector<std::vector<uint8_t>> datas;
  for (size_t i = 0; i < std::size(types); ++i) {
    const auto traits = traits_of(types[i]);
    const int64_t row = traits->block_elems * 2;
    const std::vector<int64_t> dims = {row, 3, static_cast<int64_t>(i % 2) + 1};
    datas.push_back(pattern(*row_bytes(types[i], static_cast<uint64_t>(row)) * 3 * dims[2], static_cast<uint8_t>(i)));
    ASSERT_TRUE(w.add_tensor("t." + std::string(traits->name), types[i], dims, datas.back()).ok());
  }
  auto f = open_ok(image_of(w));
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->tensors().size(), std::size(types));
  for (size_t i = 0; i < std::size(types); ++i) {
    const TensorInfo& t = f->tensors()[i];
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.type, types[i]);
    EXPECT_EQ(t.n_dims, 3u);
    EXPECT_EQ(t.dims[3], 1);
    EXPECT_EQ(t.n_elements, static_cast<uint64_t>(t.dims[0] * t.dims[1] * t.dims[2]));
    ASSERT_EQ(t.n_bytes, datas[i].size());
    EXPECT_EQ(std::vector<uint8_t>(t.data, t.data + t.n_bytes), datas[i]);
    EXPECT_EQ(t.offset % 32, 0u);
    EXPECT_EQ(f->find_tensor(t.name), &t);
  }
  EXPECT_EQ(f->find_tensor("absent"), nullptr);
}

TEST(GgufRoundTrip, AlignmentVariants) {
  for (uint32_t align : {1u, 2u, 8u, 32u, 64u, 4096u}) {
    SCOPED_TRACE(align);
    GgufWriter w;
    w.set_u32("general.alignment", align);
    w.set_string("general.name", "odd-length-name");
    const std::vector<float> a = {1, 2, 3};
    const std::vector<float> b = {4, 5, 6, 7, 8};
    ASSERT_TRUE(w.add_tensor_f32("a", {3}, a).ok());
    ASSERT_TRUE(w.add_tensor("b", tensor_type::f16, {5}, pattern(10, 1)).ok());
    ASSERT_TRUE(w.add_tensor_f32("c", {5, 1, 1, 1}, b).ok());
    const bytes_t bytes = image_of(w);
    EXPECT_EQ(bytes.size() % align, 0u);
    auto f = open_ok(bytes);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->alignment(), align);
    EXPECT_EQ(f->data_offset() % align, 0u);
    for (const TensorInfo& t : f->tensors()) {
      EXPECT_EQ(t.offset % align, 0u);
      EXPECT_EQ(static_cast<uint64_t>(t.data - f->mapping().data()) % align, 0u);
    }
    EXPECT_EQ(std::memcmp(f->find_tensor("c")->data, b.data(), 20), 0);
    EXPECT_EQ(f->find_tensor("c")->n_dims, 4u);
  }
}

TEST(GgufRoundTrip, Version2ImageReadsTheSame) {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_array_string("tokens", std::vector<std::string>{"a", "b"});
  ASSERT_TRUE(w.add_tensor_f32("x", {2}, std::vector<float>{1, 2}).ok());
  bytes_t bytes = image_of(w);
  patch<uint32_t>(bytes, 4, 2);
  auto f = open_ok(bytes);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->version(), 2u);
  EXPECT_EQ(*f->get_string("general.architecture"), "llama");
  EXPECT_EQ(f->tensors().size(), 1u);
}

TEST(GgufRoundTrip, WriteFileAndOpen) {
  const auto dir = std::filesystem::temp_directory_path() / ("plexus_gguf_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "model.gguf").string();
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  ASSERT_TRUE(w.add_tensor_f32("x", {4}, std::vector<float>{1, 2, 3, 4}).ok());
  ASSERT_TRUE(w.write_file(path).ok());
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ((*f)->file_size(), image_of(w).size());
  EXPECT_EQ(std::vector<uint8_t>((*f)->mapping().data(), (*f)->mapping().data() + (*f)->file_size()), image_of(w));

  // Errors for files on disk carry the path.
  bytes_t bad = image_of(w);
  bad.resize(bad.size() - 20);  // into the tensor's 16 bytes (the file ends with 16 of padding)
  const std::string bad_path = (dir / "bad.gguf").string();
  {
    std::FILE* out = std::fopen(bad_path.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    ASSERT_EQ(std::fwrite(bad.data(), 1, bad.size(), out), bad.size());
    std::fclose(out);
  }
  auto r = GgufFile::open(bad_path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad.gguf"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("tensor 'x'"), std::string::npos) << r.status().message();

  auto missing = GgufFile::open((dir / "missing.gguf").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), error_code::io_error);
  EXPECT_FALSE(w.write_file((dir / "no_such_dir" / "x.gguf").string()).ok());
  std::filesystem::remove_all(dir);
}

TEST(GgufWriterErrors, TensorValidation) {
  GgufWriter w;
  const auto data = pattern(64, 0);
  auto message = [](const Status& s) { return s.message(); };
  EXPECT_NE(message(w.add_tensor("", tensor_type::f32, {16}, data)).find("empty"), std::string::npos);
  EXPECT_NE(message(w.add_tensor("x", tensor_type::f32, {}, data)).find("0 dimensions"), std::string::npos);
  EXPECT_NE(message(w.add_tensor("x", tensor_type::f32, {1, 1, 1, 1, 16}, data)).find("5 dimensions"), std::string::npos);
  EXPECT_NE(message(w.add_tensor("x", tensor_type::f32, {16, 0}, data)).find("dimension 1 is 0"), std::string::npos);
  EXPECT_NE(message(w.add_tensor("x", tensor_type::f32, {8}, data)).find("64 bytes given; F32 needs 32"), std::string::npos);
  EXPECT_NE(message(w.add_tensor("x", tensor_type::q4_0, {16}, data)).find("not a multiple of the Q4_0 block size 32"),
            std::string::npos);
  EXPECT_NE(message(w.add_tensor("x", static_cast<tensor_type>(99), {16}, data)).find("unknown tensor type id 99"),
            std::string::npos);
  EXPECT_NE(message(w.add_tensor("x", static_cast<tensor_type>(16), {256}, pattern(66, 0))).find("IQ2_XXS"),
            std::string::npos);
  EXPECT_NE(message(w.add_tensor("x", tensor_type::f32, {int64_t{1} << 62, 16}, data)).find("overflows"),
            std::string::npos);
  ASSERT_TRUE(w.add_tensor("x", tensor_type::f32, {16}, data).ok());
  EXPECT_NE(message(w.add_tensor("x", tensor_type::f32, {16}, data)).find("added twice"), std::string::npos);
  EXPECT_EQ(w.tensor_count(), 1u);
  EXPECT_TRUE(w.to_bytes().ok());
}

TEST(GgufWriterErrors, DeferredKeyErrors) {
  GgufWriter w;
  w.set_u32("", 1);
  w.set_u32("fine", 2);
  auto r = w.to_bytes();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), error_code::invalid_argument);
  EXPECT_NE(r.status().message().find("key '' is empty"), std::string::npos) << r.status().message();

  GgufWriter bad_utf8;
  bad_utf8.set_u32("\xFF", 1);
  EXPECT_FALSE(bad_utf8.to_bytes().ok());

  GgufWriter mixed;
  mixed.set("m", array_value(value_type::u8, {u8_value(1), i8_value(2)}));
  auto m = mixed.to_bytes();
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("array element 1 has type i8 in an array of u8"), std::string::npos)
      << m.status().message();
}

TEST(GgufWriterErrors, InvalidAlignmentKey) {
  for (auto set : {+[](GgufWriter& w) { w.set_u32("general.alignment", 0); },
                   +[](GgufWriter& w) { w.set_u32("general.alignment", 48); },
                   +[](GgufWriter& w) { w.set_u64("general.alignment", 32); },
                   +[](GgufWriter& w) { w.set_string("general.alignment", "32"); }}) {
    GgufWriter w;
    set(w);
    auto r = w.to_bytes();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("general.alignment"), std::string::npos);
  }
}

}  // namespace
}  // namespace plexus::gguf

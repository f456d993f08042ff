#include "gguf/tensor_type.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace plexus {
namespace {

struct expected_traits {
  tensor_type type;
  const char* name;
  uint32_t block_elems;
  uint32_t block_bytes;
  bool supported;
};

// Geometry as ggml defines it (ggml-common.h block structs).
const expected_traits kExpected[] = {
    {tensor_type::f32, "F32", 1, 4, true},       {tensor_type::f16, "F16", 1, 2, true},
    {tensor_type::bf16, "BF16", 1, 2, true},     {tensor_type::q4_0, "Q4_0", 32, 18, true},
    {tensor_type::q4_1, "Q4_1", 32, 20, true},   {tensor_type::q5_0, "Q5_0", 32, 22, true},
    {tensor_type::q5_1, "Q5_1", 32, 24, true},   {tensor_type::q8_0, "Q8_0", 32, 34, true},
    {tensor_type::q8_1, "Q8_1", 32, 36, false},  {tensor_type::q2_k, "Q2_K", 256, 84, true},
    {tensor_type::q3_k, "Q3_K", 256, 110, true}, {tensor_type::q4_k, "Q4_K", 256, 144, true},
    {tensor_type::q5_k, "Q5_K", 256, 176, true}, {tensor_type::q6_k, "Q6_K", 256, 210, true},
    {tensor_type::q8_k, "Q8_K", 256, 292, false}, {tensor_type::i8, "I8", 1, 1, false},
    {tensor_type::i16, "I16", 1, 2, false},      {tensor_type::i32, "I32", 1, 4, false},
    {tensor_type::i64, "I64", 1, 8, false},      {tensor_type::f64, "F64", 1, 8, false},
};

TEST(TensorType, TraitsOfEveryEnumerator) {
  for (const auto& e : kExpected) {
    SCOPED_TRACE(e.name);
    const auto t = traits_of(e.type);
    ASSERT_TRUE(t.has_value());
    EXPECT_STREQ(t->name, e.name);
    EXPECT_EQ(t->block_elems, e.block_elems);
    EXPECT_EQ(t->block_bytes, e.block_bytes);
    EXPECT_EQ(t->supported, e.supported);
    EXPECT_STREQ(tensor_type_name(e.type), e.name);
    EXPECT_TRUE(has_tensor_type_enumerator(static_cast<uint32_t>(e.type)));
  }
}

TEST(TensorType, KnownIdsWithoutEnumeratorAreNamedAndUnsupported) {
  const std::pair<uint32_t, const char*> named[] = {
      {16, "IQ2_XXS"}, {17, "IQ2_XS"}, {18, "IQ3_XXS"}, {19, "IQ1_S"}, {20, "IQ4_NL"}, {21, "IQ3_S"},
      {22, "IQ2_S"},   {23, "IQ4_XS"}, {29, "IQ1_M"},   {34, "TQ1_0"}, {35, "TQ2_0"}, {39, "MXFP4"},
  };
  for (const auto& [id, name] : named) {
    const auto t = traits_of(id);
    ASSERT_TRUE(t.has_value()) << id;
    EXPECT_STREQ(t->name, name);
    EXPECT_FALSE(t->supported);
    EXPECT_FALSE(has_tensor_type_enumerator(id));
  }
}

TEST(TensorType, UnknownIds) {
  for (uint32_t id : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 40u, 1000u, 0xFFFFFFFFu}) {
    EXPECT_FALSE(traits_of(id).has_value()) << id;
    EXPECT_FALSE(has_tensor_type_enumerator(id)) << id;
  }
  EXPECT_STREQ(tensor_type_name(static_cast<tensor_type>(99)), "UNKNOWN");
  EXPECT_FALSE(row_bytes(static_cast<tensor_type>(99), 32).has_value());
}

TEST(TensorType, FromName) {
  EXPECT_EQ(tensor_type_from_name("Q4_K"), tensor_type::q4_k);
  EXPECT_EQ(tensor_type_from_name("q4_k"), tensor_type::q4_k);
  EXPECT_EQ(tensor_type_from_name("bf16"), tensor_type::bf16);
  EXPECT_EQ(tensor_type_from_name("F32"), tensor_type::f32);
  EXPECT_FALSE(tensor_type_from_name("Q4_K_M").has_value());
  EXPECT_FALSE(tensor_type_from_name("").has_value());
  EXPECT_FALSE(tensor_type_from_name("IQ2_XXS").has_value());  // no enumerator to return
  for (const auto& e : kExpected) EXPECT_EQ(tensor_type_from_name(e.name), e.type) << e.name;
}

TEST(TensorType, SupportedNames) {
  EXPECT_EQ(supported_tensor_type_names(), "F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K");
}

TEST(TensorType, RowBytes) {
  EXPECT_EQ(row_bytes(tensor_type::f32, 7), 28u);
  EXPECT_EQ(row_bytes(tensor_type::f16, 3), 6u);
  EXPECT_EQ(row_bytes(tensor_type::q4_0, 64), 36u);
  EXPECT_EQ(row_bytes(tensor_type::q8_0, 32), 34u);
  EXPECT_EQ(row_bytes(tensor_type::q4_k, 512), 288u);
  EXPECT_EQ(row_bytes(tensor_type::q6_k, 256), 210u);
  EXPECT_EQ(row_bytes(tensor_type::q4_0, 0), 0u);
  EXPECT_FALSE(row_bytes(tensor_type::q4_0, 33).has_value());
  EXPECT_FALSE(row_bytes(tensor_type::q2_k, 128).has_value());
  // Overflow: 2^62 F64 elements are 2^65 bytes.
  EXPECT_FALSE(row_bytes(tensor_type::f64, uint64_t{1} << 62).has_value());
  EXPECT_EQ(row_bytes(tensor_type::i8, UINT64_MAX), UINT64_MAX);
}

}  // namespace
}  // namespace plexus

// The recipe table on a 22-layer model (TinyLlama's shape): which tensors get more bits.
#include <gtest/gtest.h>

#include <string>

#include "quantize/recipe.h"

namespace plexus::quantize {
namespace {

ModelShape tiny_llama_shape() {
  ModelShape s;
  s.n_head = 32;
  s.n_head_kv = 4;
  for (int il = 0; il < 22; ++il) {
    count_tensor(s, "blk." + std::to_string(il) + ".attn_v.weight");
    count_tensor(s, "blk." + std::to_string(il) + ".ffn_down.weight");
  }
  count_tensor(s, "output.weight");
  return s;
}

// Types of attn_v and ffn_down for layers 0..21, as one string of type names.
std::string layer_types(const char* recipe, const char* tensor) {
  TypeChooser chooser(*find_recipe(recipe), tiny_llama_shape(), false);
  std::string out;
  for (int il = 0; il < 22; ++il) {
    const std::string name = "blk." + std::to_string(il) + "." + tensor + ".weight";
    const int64_t row = std::string(tensor) == "ffn_down" ? 5632 : 2048;
    if (!out.empty()) out += ' ';
    out += tensor_type_name(chooser.choose(name, {row, 256}, tensor_type::f32));
  }
  return out;
}

TEST(Recipe, Names) {
  EXPECT_EQ(find_recipe("q4_k_m")->name, "Q4_K_M");
  EXPECT_EQ(find_recipe("Q4_K")->name, "Q4_K_M");  // llama-quantize's alias
  EXPECT_EQ(find_recipe("Q8_0")->file_type, 7u);
  EXPECT_EQ(find_recipe("Q4_K_M")->file_type, 15u);
  EXPECT_EQ(find_recipe("BF16")->file_type, 32u);
  EXPECT_FALSE(find_recipe("Q4_K_XL").has_value());
  EXPECT_NE(recipe_names().find("Q5_K_M"), std::string::npos);
}

TEST(Recipe, Q4_K_M_RaisesAttnVAndFfnDownInUseMoreBitsLayers) {
  // use_more_bits(i, 22): i < 2, i >= 19, or (i - 2) % 3 == 2.
  const std::string expected =
      "Q6_K Q6_K Q4_K Q4_K Q6_K Q4_K Q4_K Q6_K Q4_K Q4_K Q6_K Q4_K Q4_K Q6_K Q4_K Q4_K Q6_K Q4_K Q4_K Q6_K Q6_K Q6_K";
  EXPECT_EQ(layer_types("Q4_K_M", "attn_v"), expected);
  EXPECT_EQ(layer_types("Q4_K_M", "ffn_down"), expected);
  std::string q5 = expected;
  for (size_t p = q5.find("Q4_K"); p != std::string::npos; p = q5.find("Q4_K", p)) q5.replace(p, 4, "Q5_K");
  EXPECT_EQ(layer_types("Q5_K_M", "attn_v"), q5);
}

TEST(Recipe, Q3_K_M) {
  EXPECT_EQ(layer_types("Q3_K_M", "attn_v"),
            "Q5_K Q5_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K");
  EXPECT_EQ(layer_types("Q3_K_M", "ffn_down"),
            "Q5_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K Q4_K");
  TypeChooser chooser(*find_recipe("Q3_K_M"), tiny_llama_shape(), false);
  EXPECT_EQ(chooser.choose("blk.0.attn_output.weight", {2048, 2048}, tensor_type::f32), tensor_type::q4_k);
  EXPECT_EQ(chooser.choose("blk.0.attn_q.weight", {2048, 2048}, tensor_type::f32), tensor_type::q3_k);
  EXPECT_EQ(chooser.choose("output.weight", {2048, 32000}, tensor_type::f32), tensor_type::q6_k);
}

// The _S and _L recipes (llama-quantize's rules for dense models; the whole files are also
// byte-identical with llama-quantize's: QuantizeDigests in quantize_test.cpp).
TEST(Recipe, SmallAndLargeKQuantRecipes) {
  std::string expected_v = "Q5_K Q5_K Q5_K Q5_K", expected_down = "Q5_K Q5_K";  // attn_v: i < 4; ffn_down: i < 22 / 8
  for (int il = 4; il < 22; ++il) expected_v += " Q4_K";
  for (int il = 2; il < 22; ++il) expected_down += " Q4_K";
  EXPECT_EQ(layer_types("Q4_K_S", "attn_v"), expected_v);
  EXPECT_EQ(layer_types("Q4_K_S", "ffn_down"), expected_down);
  std::string all_q5 = "Q5_K", all_q3 = "Q3_K";
  for (int il = 1; il < 22; ++il) all_q5 += " Q5_K", all_q3 += " Q3_K";
  EXPECT_EQ(layer_types("Q3_K_L", "attn_v"), all_q5);
  EXPECT_EQ(layer_types("Q3_K_L", "ffn_down"), all_q5);
  EXPECT_EQ(layer_types("Q3_K_S", "attn_v"), all_q3);
  EXPECT_EQ(layer_types("Q3_K_S", "ffn_down"), all_q3);
  EXPECT_EQ(layer_types("Q5_K_S", "attn_v"), all_q5);
  EXPECT_EQ(layer_types("Q5_K_S", "ffn_down"), all_q5);
  TypeChooser large(*find_recipe("q3_k_l"), tiny_llama_shape(), false);
  EXPECT_EQ(large.choose("blk.0.attn_output.weight", {2048, 2048}, tensor_type::f32), tensor_type::q5_k);
  EXPECT_EQ(large.choose("blk.0.attn_q.weight", {2048, 2048}, tensor_type::f32), tensor_type::q3_k);
  EXPECT_EQ(large.choose("output.weight", {2048, 32000}, tensor_type::f32), tensor_type::q6_k);
  TypeChooser small(*find_recipe("Q3_K_S"), tiny_llama_shape(), false);
  EXPECT_EQ(small.choose("blk.0.attn_output.weight", {2048, 2048}, tensor_type::f32), tensor_type::q3_k);
  EXPECT_EQ(find_recipe("Q3_K_S")->file_type, 11u);
  EXPECT_EQ(find_recipe("Q3_K_L")->file_type, 13u);
  EXPECT_EQ(find_recipe("Q4_K_S")->file_type, 14u);
  EXPECT_EQ(find_recipe("Q5_K_S")->file_type, 16u);
  EXPECT_FALSE(find_recipe("Q2_K_S").has_value());  // needs an importance matrix
}

// A fused attn_qkv (Phi, Bloom ...) gets one step more in the _M and _L recipes.
TEST(Recipe, FusedQkvGetsMoreBits) {
  const auto qkv_type = [](const char* recipe) {
    return TypeChooser(*find_recipe(recipe), tiny_llama_shape(), false).choose("blk.0.attn_qkv.weight", {2048, 6144}, tensor_type::f32);
  };
  EXPECT_EQ(qkv_type("Q3_K_M"), tensor_type::q4_k);
  EXPECT_EQ(qkv_type("Q3_K_L"), tensor_type::q4_k);
  EXPECT_EQ(qkv_type("Q4_K_M"), tensor_type::q5_k);
  EXPECT_EQ(qkv_type("Q5_K_M"), tensor_type::q6_k);
  EXPECT_EQ(qkv_type("Q4_K_S"), tensor_type::q4_k);
}

TEST(Recipe, Q2_KGivesAttnVQ4_KWithGroupedQueries) {
  TypeChooser chooser(*find_recipe("Q2_K"), tiny_llama_shape(), false);
  EXPECT_EQ(chooser.choose("blk.0.attn_v.weight", {2048, 256}, tensor_type::f32), tensor_type::q4_k);
  EXPECT_EQ(chooser.choose("blk.0.ffn_down.weight", {5632, 2048}, tensor_type::f32), tensor_type::q3_k);
  EXPECT_EQ(chooser.choose("blk.0.ffn_up.weight", {2048, 5632}, tensor_type::f32), tensor_type::q2_k);
}

TEST(Recipe, OutputAndTiedEmbedding) {
  ModelShape tied;  // no output.weight: token_embd is the output matrix
  TypeChooser a(*find_recipe("Q4_0"), tied, false);
  EXPECT_EQ(a.choose("token_embd.weight", {2048, 32000}, tensor_type::f32), tensor_type::q6_k);
  TypeChooser b(*find_recipe("Q4_0"), tiny_llama_shape(), false);
  EXPECT_EQ(b.choose("token_embd.weight", {2048, 32000}, tensor_type::f32), tensor_type::q4_0);
  EXPECT_EQ(b.choose("output.weight", {2048, 32000}, tensor_type::f32), tensor_type::q6_k);
  TypeChooser c(*find_recipe("Q8_0"), tiny_llama_shape(), false);
  EXPECT_EQ(c.choose("output.weight", {2048, 32000}, tensor_type::f32), tensor_type::q8_0);
  TypeChooser pure(*find_recipe("Q4_K_M"), tiny_llama_shape(), true);
  EXPECT_EQ(pure.choose("output.weight", {2048, 32000}, tensor_type::f32), tensor_type::q4_k);
  EXPECT_EQ(pure.choose("blk.1.attn_v.weight", {2048, 256}, tensor_type::f32), tensor_type::q4_k);
}

TEST(Recipe, RowsThatDoNotFitFallBack) {
  ModelShape s = tiny_llama_shape();
  TypeChooser chooser(*find_recipe("Q4_K_M"), s, true);
  EXPECT_EQ(chooser.choose("blk.0.ffn_up.weight", {96, 8}, tensor_type::f32), tensor_type::q5_0);
  EXPECT_EQ(chooser.choose("blk.0.ffn_up.weight", {100, 8}, tensor_type::f32), tensor_type::f16);
  EXPECT_EQ(TypeChooser::compatible_type(tensor_type::q6_k, 64), tensor_type::q8_0);
  EXPECT_EQ(TypeChooser::compatible_type(tensor_type::q5_k, 64), tensor_type::q5_1);
  EXPECT_EQ(TypeChooser::compatible_type(tensor_type::q3_k, 64), tensor_type::q4_0);
  EXPECT_EQ(TypeChooser::compatible_type(tensor_type::q4_0, 48), tensor_type::f16);
  EXPECT_EQ(TypeChooser::compatible_type(tensor_type::q4_k, 512), tensor_type::q4_k);
  TypeChooser mixed(*find_recipe("Q4_K_M"), s, false);
  EXPECT_EQ(mixed.choose("output.weight", {96, 8}, tensor_type::f32), tensor_type::q8_0);
}

TEST(Recipe, NormsBiasesAndOneDimensionalTensorsKeepTheirType) {
  TypeChooser chooser(*find_recipe("Q4_K_M"), tiny_llama_shape(), false);
  EXPECT_EQ(chooser.choose("blk.0.attn_norm.weight", {2048}, tensor_type::f32), tensor_type::f32);
  EXPECT_EQ(chooser.choose("blk.0.attn_q.bias", {2048}, tensor_type::f32), tensor_type::f32);
  EXPECT_EQ(chooser.choose("rope_freqs.weight", {32}, tensor_type::f32), tensor_type::f32);
  EXPECT_EQ(chooser.choose("blk.0.ffn_gate_inp.weight", {2048, 8}, tensor_type::f16), tensor_type::f16);
  EXPECT_FALSE(is_quantizable("blk.0.ffn_norm.weight", 2));
  EXPECT_TRUE(is_quantizable("blk.0.ffn_up.weight", 2));
}

}  // namespace
}  // namespace plexus::quantize

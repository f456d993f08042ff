#include "gguf_seeds.h"

#include <cassert>
#include <string>

#include "gguf/gguf_writer.h"

namespace plexus::gguf::fuzz {
namespace {

using bytes_t = std::vector<uint8_t>;

bytes_t image(const GgufWriter& w) {
  auto r = w.to_bytes();
  assert(r.ok());
  return r.ok() ? std::move(r).value() : bytes_t{};
}

bytes_t filler(size_t n, uint8_t seed) {
  bytes_t b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + 13 * i);
  return b;
}

void add(GgufWriter& w, const char* name, tensor_type type, std::vector<int64_t> dims) {
  uint64_t rows = 1;
  for (size_t d = 1; d < dims.size(); ++d) rows *= static_cast<uint64_t>(dims[d]);
  const uint64_t n = *row_bytes(type, static_cast<uint64_t>(dims[0])) * rows;
  const Status s = w.add_tensor(name, type, dims, filler(n, static_cast<uint8_t>(n)));
  assert(s.ok());
  (void)s;
}

// A small SentencePiece-style vocabulary: tokens, scores, token types, merges.
void add_vocab(GgufWriter& w, int n_tokens) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3};
  for (int i = 3; i < n_tokens; ++i) {
    std::string token = i % 5 == 0 ? std::string("\xE2\x96\x81t") : std::string(1, static_cast<char>('a' + i % 26));
    token += std::to_string(i);
    tokens.push_back(std::move(token));
    scores.push_back(-static_cast<float>(i));
    types.push_back(1);
  }
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_array_string("tokenizer.ggml.tokens", tokens);
  w.set_array_f32("tokenizer.ggml.scores", scores);
  w.set_array_i32("tokenizer.ggml.token_type", types);
  w.set_array_string("tokenizer.ggml.merges", std::vector<std::string>{"a b", "ab c", "\xE2\x96\x81 t"});
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  w.set_bool("tokenizer.ggml.add_bos_token", true);
}

}  // namespace

std::vector<std::pair<std::string, std::vector<uint8_t>>> gguf_seed_files() {
  std::vector<std::pair<std::string, bytes_t>> seeds;

  seeds.emplace_back("empty.gguf", image(GgufWriter()));

  {
    GgufWriter w;
    w.set_u8("s.u8", 200);
    w.set_i8("s.i8", -100);
    w.set_u16("s.u16", 60000);
    w.set_i16("s.i16", -30000);
    w.set_u32("s.u32", 4000000000u);
    w.set_i32("s.i32", -2000000000);
    w.set_f32("s.f32", 0.125f);
    w.set_bool("s.bool", true);
    w.set_string("s.string", "h\xC3\xA9llo");
    w.set_u64("s.u64", 1ull << 40);
    w.set_i64("s.i64", -(1ll << 40));
    w.set_f64("s.f64", 1e-300);
    w.set_u32("general.alignment", 16);
    seeds.emplace_back("scalars.gguf", image(w));
  }

  {
    GgufWriter w;
    w.set_array_u8("a.u8", std::vector<uint8_t>{1, 2, 3});
    w.set_array_i16("a.i16", std::vector<int16_t>{-1, 1});
    w.set_array_u32("a.u32", std::vector<uint32_t>{});
    w.set_array_f64("a.f64", std::vector<double>{0.5});
    w.set_array_bool("a.bool", {true, false});
    w.set_array_i64("a.i64", std::vector<int64_t>{-7});
    w.set_array_string("a.str", std::vector<std::string>{"x", "", "yz"});
    w.set("a.nested", array_value(value_type::array,
                                  {array_value(value_type::string, {string_value("in")}),
                                   array_value(value_type::array, {array_value(value_type::u16, {u16_value(9)})})}));
    seeds.emplace_back("arrays.gguf", image(w));
  }

  GgufWriter tensors;
  tensors.set_string("general.architecture", "llama");
  tensors.set_u32("general.alignment", 64);
  add(tensors, "f32", tensor_type::f32, {4, 2});
  add(tensors, "f16", tensor_type::f16, {3});
  add(tensors, "bf16", tensor_type::bf16, {2, 2, 2});
  add(tensors, "q4_0", tensor_type::q4_0, {32, 2});
  add(tensors, "q8_0", tensor_type::q8_0, {64});
  add(tensors, "q4_k", tensor_type::q4_k, {256, 1, 1, 1});
  add(tensors, "q6_k", tensor_type::q6_k, {256});
  bytes_t tensors_image = image(tensors);
  seeds.emplace_back("tensors.gguf", tensors_image);
  tensors_image[4] = 2;  // GGUF v2: same layout
  seeds.emplace_back("tensors_v2.gguf", tensors_image);

  {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_u32("llama.context_length", 128);
    add_vocab(w, 40);
    seeds.emplace_back("vocab.gguf", image(w));
  }

  {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_string("general.name", "tiny");
    w.set_u32("llama.context_length", 64);
    w.set_u32("llama.embedding_length", 8);
    w.set_u32("llama.block_count", 1);
    w.set_u32("llama.feed_forward_length", 16);
    w.set_u32("llama.attention.head_count", 2);
    w.set_u32("llama.attention.head_count_kv", 1);
    w.set_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    add_vocab(w, 16);
    add(w, "token_embd.weight", tensor_type::f32, {8, 16});
    add(w, "blk.0.attn_norm.weight", tensor_type::f32, {8});
    add(w, "blk.0.attn_q.weight", tensor_type::f16, {8, 8});
    add(w, "blk.0.attn_k.weight", tensor_type::f16, {8, 4});
    add(w, "blk.0.ffn_up.weight", tensor_type::q8_0, {32, 2});
    add(w, "output_norm.weight", tensor_type::f32, {8});
    seeds.emplace_back("tiny_llama.gguf", image(w));
  }

  {
    GgufWriter w;
    w.set_u32("general.alignment", 1);
    add(w, "a", tensor_type::f16, {3});
    add(w, "b", tensor_type::i8, {5});
    add(w, "c", tensor_type::f32, {1});
    seeds.emplace_back("align1.gguf", image(w));
  }
  return seeds;
}

}  // namespace plexus::gguf::fuzz

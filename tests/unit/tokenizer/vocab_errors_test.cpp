// Malformed tokenizer metadata: every case fails with a clear error, none crashes.
#include <gtest/gtest.h>

#include "test_vocab.h"

namespace plexus::tokenizer {
namespace {

Status build_status(const gguf::GgufWriter& w) {
  auto t = testing::build(w);
  return t.status();
}

void expect_error(const gguf::GgufWriter& w, error_code code, const std::string& needle) {
  const Status s = build_status(w);
  ASSERT_FALSE(s.ok()) << "expected an error mentioning " << needle;
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.to_string();
}

// A minimal valid byte-level BPE vocabulary.
void write_bpe_vocab(gguf::GgufWriter& w) {
  const std::vector<std::string> tokens = {"a", "b", "ab", "<|endoftext|>"};
  const std::vector<int32_t> types = {1, 1, 1, 3};
  const std::vector<std::string> merges = {"a b"};
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", "gpt-2");
  w.set_array_string("tokenizer.ggml.tokens", tokens);
  w.set_array_i32("tokenizer.ggml.token_type", types);
  w.set_array_string("tokenizer.ggml.merges", merges);
  w.set_u32("tokenizer.ggml.bos_token_id", 3);
  w.set_u32("tokenizer.ggml.eos_token_id", 3);
}

TEST(VocabErrors, ValidVocabulariesLoad) {
  gguf::GgufWriter spm;
  testing::write_spm_vocab(spm, {"\xE2\x96\x81hi"});
  EXPECT_TRUE(build_status(spm).ok()) << build_status(spm).to_string();
  gguf::GgufWriter bpe;
  write_bpe_vocab(bpe);
  auto t = testing::build(bpe);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ((*t)->encode("ab", false, false), (std::vector<token_id>{2}));
  EXPECT_EQ((*t)->model_name(), "gpt2");
  EXPECT_EQ((*t)->pre_name(), "gpt-2");
}

TEST(VocabErrors, MissingModel) {
  gguf::GgufWriter w;
  w.set_string("general.architecture", "llama");
  expect_error(w, error_code::invalid_file, "tokenizer.ggml.model");
}

TEST(VocabErrors, UnknownModelListsSupported) {
  gguf::GgufWriter w;
  testing::write_spm_vocab(w, {});
  w.set_string("tokenizer.ggml.model", "t5");
  expect_error(w, error_code::unsupported, "llama, gpt2, bert");
}

TEST(VocabErrors, UnknownPreTokenizerListsSupported) {
  gguf::GgufWriter w;
  write_bpe_vocab(w);
  w.set_string("tokenizer.ggml.pre", "no-such-pre");
  expect_error(w, error_code::unsupported, "qwen2");
  expect_error(w, error_code::unsupported, "no-such-pre");
}

TEST(VocabErrors, MissingOrEmptyTokens) {
  gguf::GgufWriter w;
  w.set_string("tokenizer.ggml.model", "llama");
  expect_error(w, error_code::invalid_file, "tokenizer.ggml.tokens");
  w.set_array_string("tokenizer.ggml.tokens", std::vector<std::string>{});
  expect_error(w, error_code::invalid_file, "empty");
}

TEST(VocabErrors, TokensOfWrongType) {
  gguf::GgufWriter w;
  testing::write_spm_vocab(w, {});
  w.set_array_i32("tokenizer.ggml.tokens", std::vector<int32_t>{1, 2, 3});
  expect_error(w, error_code::invalid_file, "tokenizer.ggml.tokens");
}

TEST(VocabErrors, LengthMismatches) {
  gguf::GgufWriter w;
  testing::write_spm_vocab(w, {});
  w.set_array_f32("tokenizer.ggml.scores", std::vector<float>{0.0f});
  expect_error(w, error_code::invalid_file, "tokenizer.ggml.scores");
  gguf::GgufWriter w2;
  testing::write_spm_vocab(w2, {});
  w2.set_array_i32("tokenizer.ggml.token_type", std::vector<int32_t>{1, 1});
  expect_error(w2, error_code::invalid_file, "tokenizer.ggml.token_type");
  gguf::GgufWriter w3;
  testing::write_spm_vocab(w3, {});
  w3.set_array_string("tokenizer.ggml.scores", std::vector<std::string>{"x"});
  expect_error(w3, error_code::invalid_file, "tokenizer.ggml.scores");
}

TEST(VocabErrors, BadTokenType) {
  gguf::GgufWriter w;
  write_bpe_vocab(w);
  w.set_array_i32("tokenizer.ggml.token_type", std::vector<int32_t>{1, 1, 99, 3});
  expect_error(w, error_code::invalid_file, "token_type[2] = 99");
}

TEST(VocabErrors, DuplicateToken) {
  gguf::GgufWriter w;
  write_bpe_vocab(w);
  w.set_array_string("tokenizer.ggml.tokens", std::vector<std::string>{"a", "b", "a", "<|endoftext|>"});
  expect_error(w, error_code::invalid_file, "duplicate token 'a'");
}

TEST(VocabErrors, SpecialIdsOutOfRange) {
  for (const char* key : {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                          "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.eot_token_id"}) {
    gguf::GgufWriter w;
    write_bpe_vocab(w);
    w.set_u32(key, 4);
    expect_error(w, error_code::invalid_file, key);
    gguf::GgufWriter w2;
    write_bpe_vocab(w2);
    w2.set_i32(key, -2);  // -1 and 0xFFFFFFFF mean "unset"
    expect_error(w2, error_code::invalid_file, key);
    gguf::GgufWriter w3;
    write_bpe_vocab(w3);
    w3.set_u32(key, 0xFFFFFFFFu);
    EXPECT_TRUE(build_status(w3).ok()) << key << ": " << build_status(w3).to_string();
  }
  gguf::GgufWriter w;
  write_bpe_vocab(w);
  w.set_string("tokenizer.ggml.bos_token_id", "3");
  expect_error(w, error_code::invalid_file, "tokenizer.ggml.bos_token_id");
}

TEST(VocabErrors, AddBosWithoutBos) {
  gguf::GgufWriter w;
  write_bpe_vocab(w);
  w.remove("tokenizer.ggml.bos_token_id");  // the BPE default (11) is outside this vocabulary
  w.set_bool("tokenizer.ggml.add_bos_token", true);
  expect_error(w, error_code::invalid_file, "add_bos_token");
  gguf::GgufWriter w2;
  write_bpe_vocab(w2);
  w2.set_u32("tokenizer.ggml.add_bos_token", 1);
  expect_error(w2, error_code::invalid_file, "tokenizer.ggml.add_bos_token");
}

TEST(VocabErrors, SharedModelsLoad) {
  // Real files in ../shared/models (one has seperator_token_id = 0xFFFFFFFF).
  for (const char* name : {"stories260K.gguf", "llama-2-tiny-random.gguf"}) {
    const auto path = plexus::testing::shared_dir() / "models" / name;
    if (!std::filesystem::exists(path)) continue;
    auto file = gguf::GgufFile::open(path.string());
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    auto tok = Tokenizer::from_gguf(**file);
    ASSERT_TRUE(tok.ok()) << name << ": " << tok.status().to_string();
    EXPECT_EQ((*tok)->bos_id(), 1);
    EXPECT_FALSE((*tok)->encode("Once upon a time", true, false).empty());
  }
}

TEST(VocabErrors, MalformedMerges) {
  for (const char* bad : {"ab", "a ", " ", "", "abc"}) {
    gguf::GgufWriter w;
    write_bpe_vocab(w);
    w.set_array_string("tokenizer.ggml.merges", std::vector<std::string>{"a b", bad});
    expect_error(w, error_code::invalid_file, "tokenizer.ggml.merges[1]");
  }
  gguf::GgufWriter w;
  write_bpe_vocab(w);
  w.remove("tokenizer.ggml.merges");
  expect_error(w, error_code::invalid_file, "tokenizer.ggml.merges");
}

TEST(VocabErrors, HostileTokenTextsAreHarmless) {
  // Invalid UTF-8, NULs and a long token are allowed as token texts and must not break encoding.
  gguf::GgufWriter w;
  testing::write_spm_vocab(w, {std::string("\xFF\xFE", 2), std::string("a\0b", 3), std::string(5000, 'x'), ""});
  auto t = testing::build(w);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  const auto out = (*t)->encode(std::string("a\0b\xFF\xFE", 5) + std::string(6000, 'x'), true, true);
  EXPECT_FALSE(out.empty());
  EXPECT_EQ((*t)->token_text((*t)->n_vocab() - 1), "[EMPTY_" + std::to_string((*t)->n_vocab() - 1) + "]");
}

}  // namespace
}  // namespace plexus::tokenizer

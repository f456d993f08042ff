// Helpers for tokenizer unit tests: small vocabularies built with GgufWriter, and the golden
// vocabularies from ../shared/golden/tokenizer.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "test_paths.h"
#include "tokenizer/tokenizer.h"

namespace plexus::tokenizer::testing {

// A SentencePiece vocabulary: <unk> <s> </s>, the 256 byte tokens <0x00>..<0xFF>, then `extra`
// (normal tokens, scored by position: earlier is better) and `specials` (control tokens).
inline void write_spm_vocab(gguf::GgufWriter& w, const std::vector<std::string>& extra,
                            const std::vector<std::string>& specials = {}) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};
  std::vector<float> scores = {0, 0, 0};
  static const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">");
    types.push_back(6);
    scores.push_back(0);
  }
  for (size_t i = 0; i < extra.size(); ++i) {
    tokens.push_back(extra[i]);
    types.push_back(1);
    scores.push_back(-static_cast<float>(i + 1));
  }
  for (const auto& s : specials) {
    tokens.push_back(s);
    types.push_back(3);
    scores.push_back(0);
  }
  w.set_string("general.architecture", "llama");
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_array_string("tokenizer.ggml.tokens", tokens);
  w.set_array_f32("tokenizer.ggml.scores", scores);
  w.set_array_i32("tokenizer.ggml.token_type", types);
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  w.set_u32("tokenizer.ggml.unknown_token_id", 0);
}

inline Result<std::unique_ptr<Tokenizer>> build(const gguf::GgufWriter& w) {
  PLEXUS_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, w.to_bytes());
  PLEXUS_ASSIGN_OR_RETURN(auto file, gguf::GgufFile::from_bytes(bytes));
  return Tokenizer::from_gguf(*file);
}

inline std::filesystem::path golden_vocab(const std::string& name) {
  return plexus::testing::shared_dir() / "golden" / "tokenizer" / ("ggml-vocab-" + name + ".gguf");
}

// nullptr (and the test is skipped by the caller) when the golden data is absent. Loaded once
// per process and shared (a Tokenizer is immutable and thread-safe).
inline const Tokenizer* load_golden(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  if (auto it = cache.find(name); it != cache.end()) return it->second.get();
  const auto path = golden_vocab(name);
  if (!std::filesystem::exists(path)) return nullptr;
  auto file = gguf::GgufFile::open(path.string());
  EXPECT_TRUE(file.ok()) << file.status().to_string();
  if (!file.ok()) return nullptr;
  auto tok = Tokenizer::from_gguf(**file);
  EXPECT_TRUE(tok.ok()) << tok.status().to_string();
  if (!tok.ok()) return nullptr;
  return cache.emplace(name, std::move(tok).value()).first->second.get();
}

inline const std::vector<std::string>& golden_vocab_names() {
  static const std::vector<std::string> names = {"llama-spm",      "phi-3",        "baichuan",  "bert-bge",
                                                 "gpt-2",          "gpt-neox",     "mpt",       "falcon",
                                                 "deepseek-coder", "deepseek-llm", "refact",    "starcoder",
                                                 "llama-bpe",      "qwen2",        "smollm"};
  return names;
}

inline std::string detokenize(const Tokenizer& tok, const std::vector<token_id>& ids, bool render_special = true) {
  std::string s;
  for (token_id id : ids) s += tok.token_to_piece(id, render_special);
  return s;
}

}  // namespace plexus::tokenizer::testing

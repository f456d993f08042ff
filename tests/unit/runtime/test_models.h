// Models for the runtime and constrained-generation tests: stories260K from ../shared (a real
// model), and a tiny random-weight synthetic model (SentencePiece vocabulary with all 256 byte
// tokens, so any text can be spelled) written once per process.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "model/synthetic_model.h"
#include "runtime/loaded_model.h"
#include "sampling/grammar/grammar.h"
#include "sampling/grammar/grammar_matcher.h"
#include "sampling/grammar/grammar_vocab.h"
#include "test_paths.h"

namespace plexus::runtime::testing {

inline std::shared_ptr<const LoadedModel> stories_model() {
  static const std::shared_ptr<const LoadedModel> model = [] {
    auto m = load_model((plexus::testing::shared_dir() / "models" / "stories260K.gguf").string());
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    return m.ok() ? std::shared_ptr<const LoadedModel>(std::move(m).value()) : nullptr;
  }();
  return model;
}

// 320 tokens (<unk> <s> </s>, 256 bytes, 61 pieces), width 64, 2 layers, F32, context 2048.
inline std::shared_ptr<const LoadedModel> random_model() {
  static const std::shared_ptr<const LoadedModel> model = []() -> std::shared_ptr<const LoadedModel> {
    const auto path =
        std::filesystem::temp_directory_path() / ("plexus_random_model_" + std::to_string(::getpid()) + ".gguf");
    model::SyntheticShape shape;
    shape.n_vocab = 320;
    shape.n_embd = 64;
    shape.n_layer = 2;
    shape.n_head = 4;
    shape.n_head_kv = 2;
    shape.n_ff = 128;
    shape.n_ctx = 2048;
    Status written = model::write_synthetic_model(path.string(), shape, tensor_type::f32, 7);
    EXPECT_TRUE(written.ok()) << written.to_string();
    if (!written.ok()) return nullptr;
    auto m = load_model(path.string());
    std::filesystem::remove(path);  // the mapping stays valid
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    return m.ok() ? std::shared_ptr<const LoadedModel>(std::move(m).value()) : nullptr;
  }();
  return model;
}

// Does `grammar` match all of `text` and may it end there? (Checked byte by byte, independent of
// any model vocabulary.)
inline bool grammar_full_match(const std::shared_ptr<const sampling::grammar::Grammar>& grammar,
                               std::string_view text) {
  using namespace sampling::grammar;
  static const std::shared_ptr<const GrammarVocab> bytes = [] {
    std::vector<std::string> tokens;
    for (int b = 0; b < 256; ++b) tokens.push_back(std::string(1, static_cast<char>(b)));
    tokens.push_back("");
    auto v = GrammarVocab::build(tokens, std::vector<int32_t>{256});
    return v.ok() ? *v : nullptr;
  }();
  auto m = GrammarMatcher::create(grammar, bytes);
  return m.ok() && (*m)->accept_bytes(text).ok() && (*m)->is_complete();
}

inline std::shared_ptr<const sampling::grammar::Grammar> parse_grammar(std::string_view gbnf) {
  auto g = sampling::grammar::Grammar::parse(gbnf);
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  return g.ok() ? *g : nullptr;
}

}  // namespace plexus::runtime::testing

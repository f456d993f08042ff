// Helpers shared by the grammar tests: byte vocabularies and whole-string matching.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sampling/grammar/grammar.h"
#include "sampling/grammar/grammar_matcher.h"
#include "sampling/grammar/grammar_vocab.h"

namespace plexus::sampling::grammar::testing {

// Time limits in tests are for optimized builds; sanitizer builds run several times slower.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr double kTimeScale = 10.0;
#else
inline constexpr double kTimeScale = 1.0;
#endif

// Ids 0..255 are the single bytes; id 256 is end-of-generation; `extra` follow from 257.
inline std::shared_ptr<const GrammarVocab> byte_vocab(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(std::string(1, static_cast<char>(b)));
  tokens.push_back("</s>");
  for (const std::string& t : extra) tokens.push_back(t);
  const int32_t eog = 256;
  auto v = GrammarVocab::build(tokens, std::span<const int32_t>(&eog, 1));
  EXPECT_TRUE(v.ok()) << v.status().to_string();
  return v.ok() ? *v : nullptr;
}

inline std::shared_ptr<const Grammar> must_parse(std::string_view text) {
  auto g = Grammar::parse(text);
  EXPECT_TRUE(g.ok()) << g.status().to_string() << "\n" << text;
  return g.ok() ? *g : nullptr;
}

inline std::unique_ptr<GrammarMatcher> make_matcher(const std::shared_ptr<const Grammar>& g,
                                                   const std::shared_ptr<const GrammarVocab>& v,
                                                   const MatcherOptions& options = {}) {
  auto m = GrammarMatcher::create(g, v, options);
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  return m.ok() ? std::move(m).value() : nullptr;
}

// Does the grammar match all of `input` (and may end there)?
inline bool full_match(const std::shared_ptr<const Grammar>& g, std::string_view input) {
  static const auto vocab = byte_vocab();
  auto m = GrammarMatcher::create(g, vocab);
  if (!m.ok()) return false;
  return (*m)->accept_bytes(input).ok() && (*m)->is_complete();
}

// Is `input` a prefix of something the grammar matches?
inline bool prefix_match(const std::shared_ptr<const Grammar>& g, std::string_view input) {
  static const auto vocab = byte_vocab();
  auto m = GrammarMatcher::create(g, vocab);
  return m.ok() && (*m)->accept_bytes(input).ok();
}

}  // namespace plexus::sampling::grammar::testing

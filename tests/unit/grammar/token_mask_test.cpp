// Token masks: tokens that split UTF-8 characters, end-of-generation, the mask cache, and
// agreement between the trie walk (fill_mask) and the per-token check (token_allowed).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "sampling/grammar/json_schema.h"
#include "test_util.h"

namespace plexus::sampling::grammar {
namespace {

using testing::must_parse;

struct Vocab {
  std::vector<std::string> tokens;
  int32_t eos = 0;
  std::shared_ptr<const GrammarVocab> built;

  int32_t id(const std::string& t) const {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i] == t && static_cast<int32_t>(i) != eos) return static_cast<int32_t>(i);
    }
    ADD_FAILURE() << "no token " << t;
    return -1;
  }
};

// "é" = C3 A9, "中" = E4 B8 AD, "😀" = F0 9F 98 80; pieces of each are separate tokens.
Vocab split_vocab() {
  Vocab v;
  v.tokens = {"</s>", "caf", "\xC3", "\xA9", "\xC3\xA9", "\xC3\xA9\"", "\"", "\xE4", "\xE4\xB8", "\xB8\xAD", "\xAD",
              "\xB8", "\xE4\xB8\xAD", "a", "ca", "f", "\xF0\x9F", "\x98\x80", "\xF0\x9F\x98\x80", "", "x\xC3"};
  v.eos = 0;
  auto built = GrammarVocab::build(v.tokens, std::vector<int32_t>{0});
  EXPECT_TRUE(built.ok());
  v.built = *built;
  return v;
}

std::set<std::string> allowed_strings(GrammarMatcher& m, const Vocab& v) {
  TokenMask mask;
  EXPECT_TRUE(m.fill_mask(mask).ok());
  std::set<std::string> out;
  for (int32_t i = 0; i < static_cast<int32_t>(v.tokens.size()); ++i) {
    EXPECT_EQ(mask.test(i), m.token_allowed(i)) << "token " << i;
    if (mask.test(i)) out.insert(i == v.eos ? "<eos>" : v.tokens[static_cast<size_t>(i)]);
  }
  return out;
}

TEST(TokenMask, TokensSplittingMultiByteCharacters) {
  Vocab v = split_vocab();
  auto g = must_parse("root ::= \"caf\" \"\xC3\xA9\" \"\\\"\" | \"\xE4\xB8\xAD\" | \"\xF0\x9F\x98\x80\"");
  auto m = testing::make_matcher(g, v.built);
  EXPECT_EQ(allowed_strings(*m, v),
            (std::set<std::string>{"caf", "ca", "\xE4", "\xE4\xB8", "\xE4\xB8\xAD", "\xF0\x9F", "\xF0\x9F\x98\x80"}));

  ASSERT_TRUE(m->accept_token(v.id("\xE4")).ok());  // inside 中
  EXPECT_FALSE(m->is_complete());
  EXPECT_EQ(allowed_strings(*m, v), (std::set<std::string>{"\xB8\xAD", "\xB8"}));
  ASSERT_TRUE(m->accept_token(v.id("\xB8")).ok());
  EXPECT_EQ(allowed_strings(*m, v), (std::set<std::string>{"\xAD"}));
  ASSERT_TRUE(m->accept_token(v.id("\xAD")).ok());
  EXPECT_TRUE(m->is_complete());
  EXPECT_EQ(allowed_strings(*m, v), (std::set<std::string>{"<eos>"}));
  EXPECT_TRUE(m->accept_token(v.eos).ok());
  EXPECT_TRUE(m->is_finished());
  EXPECT_FALSE(m->accept_token(v.eos).ok());
  EXPECT_FALSE(m->token_allowed(v.eos));
}

TEST(TokenMask, PartialCharacterStateAcrossTokens) {
  Vocab v = split_vocab();
  auto g = must_parse("root ::= \"caf\" \"\xC3\xA9\" \"\\\"\"");
  auto m = testing::make_matcher(g, v.built);
  ASSERT_TRUE(m->accept_token(v.id("ca")).ok());
  ASSERT_TRUE(m->accept_token(v.id("f")).ok());
  EXPECT_EQ(allowed_strings(*m, v), (std::set<std::string>{"\xC3", "\xC3\xA9", "\xC3\xA9\""}));
  ASSERT_TRUE(m->accept_token(v.id("\xC3")).ok());
  EXPECT_EQ(allowed_strings(*m, v), (std::set<std::string>{"\xA9"}));
  EXPECT_FALSE(m->accept_token(v.id("\"")).ok());  // a new character cannot start mid-sequence
  ASSERT_TRUE(m->accept_token(v.id("\xA9")).ok());
  EXPECT_FALSE(m->token_allowed(v.eos));
  EXPECT_EQ(allowed_strings(*m, v), (std::set<std::string>{"\""}));
}

TEST(TokenMask, ClassesRejectImpossibleLeadBytesEarly) {
  Vocab v = split_vocab();
  // Only code points below U+0800 after "a": a 3-byte lead cannot start one.
  auto g = must_parse("root ::= \"a\" [\\x80-\\u07FF]");
  auto m = testing::make_matcher(g, v.built);
  ASSERT_TRUE(m->accept_token(v.id("a")).ok());
  EXPECT_EQ(allowed_strings(*m, v), (std::set<std::string>{"\xC3", "\xC3\xA9"}));
}

// An open character where one stack takes any code point and another one exact code point: the
// payload must be kept (no merging into a "whole" state) until it is decided.
TEST(TokenMask, OpenCharacterKeepsItsBitsWhenStacksDisagree) {
  auto g = must_parse("root ::= [^a] \"x\" | \"\xE4\xB8\xAD\" \"y\"");
  for (const std::string third : {"\xAD", "\x80"}) {
    auto m = testing::make_matcher(g, testing::byte_vocab());
    ASSERT_TRUE(m->accept_bytes("\xE4").ok());
    ASSERT_TRUE(m->accept_bytes("\xB8").ok());
    ASSERT_TRUE(m->accept_bytes(third).ok());
    EXPECT_TRUE(m->token_allowed('x'));
    EXPECT_EQ(m->token_allowed('y'), third == "\xAD") << "after E4 B8 " << static_cast<int>(static_cast<uint8_t>(third[0]));
  }
  // Sequences that are invalid UTF-8 die at the byte that decides it.
  auto m = testing::make_matcher(g, testing::byte_vocab());
  EXPECT_FALSE(m->token_allowed(0xC0));                       // overlong lead
  ASSERT_TRUE(m->accept_bytes("\xED").ok());
  EXPECT_FALSE(m->token_allowed(0xA0));                       // surrogate
  EXPECT_TRUE(m->token_allowed(0x9F));
  auto m2 = testing::make_matcher(g, testing::byte_vocab());
  ASSERT_TRUE(m2->accept_bytes("\xF4").ok());
  EXPECT_FALSE(m2->token_allowed(0x90));                      // above U+10FFFF
  ASSERT_TRUE(m2->accept_bytes("\x8F\xBF\xBF").ok());     // U+10FFFF
  EXPECT_TRUE(m2->token_allowed('x'));
}

TEST(TokenMask, EmptyTokensAreNeverAllowedAndBadIdsAreErrors) {
  Vocab v = split_vocab();
  auto g = must_parse("root ::= [^\\x00]*");
  auto m = testing::make_matcher(g, v.built);
  EXPECT_FALSE(m->token_allowed(v.id("")));
  EXPECT_FALSE(m->accept_token(v.id("")).ok());
  EXPECT_FALSE(m->accept_token(-1).ok());
  EXPECT_FALSE(m->accept_token(1000).ok());
  EXPECT_FALSE(m->token_allowed(1000));
}

TEST(TokenMask, ApplyMasksLogitsIncludingPadding) {
  Vocab v = split_vocab();
  auto g = must_parse("root ::= \"a\"");
  auto m = testing::make_matcher(g, v.built);
  std::vector<float> logits(v.tokens.size() + 5, 1.0f);
  ASSERT_TRUE(m->apply(logits).ok());
  for (size_t i = 0; i < logits.size(); ++i) {
    EXPECT_EQ(std::isinf(logits[i]), static_cast<int32_t>(i) != v.id("a")) << i;
  }
  std::vector<float> short_logits(3, 0.0f);
  EXPECT_EQ(m->apply(short_logits).code(), error_code::invalid_argument);
}

TEST(TokenMask, NoContinuationIsAnError) {
  Vocab v = split_vocab();
  auto g = must_parse("root ::= \"a\" \"z\"");  // no token holds "z"
  auto m = testing::make_matcher(g, v.built);
  ASSERT_TRUE(m->accept_token(v.id("a")).ok());
  TokenMask mask;
  EXPECT_EQ(m->fill_mask(mask).code(), error_code::out_of_range);
  EXPECT_EQ(mask.count(), 0);
}

TEST(TokenMask, VocabBuildErrors) {
  EXPECT_FALSE(GrammarVocab::build({}, {}).ok());
  EXPECT_FALSE(GrammarVocab::build({"a"}, std::vector<int32_t>{3}).ok());
  VocabLimits limits;
  limits.max_token_bytes = 4;
  EXPECT_FALSE(GrammarVocab::build({"abcdef"}, {}, limits).ok());
}

TEST(TokenMask, DuplicateTokenBytesAreAllAllowed) {
  auto built = *GrammarVocab::build({"a", "b", "a", "ab", "</s>"}, std::vector<int32_t>{4});
  auto m = testing::make_matcher(must_parse("root ::= \"a\" \"b\"?"), built);
  TokenMask mask;
  ASSERT_TRUE(m->fill_mask(mask).ok());
  EXPECT_TRUE(mask.test(0));
  EXPECT_TRUE(mask.test(2));
  EXPECT_TRUE(mask.test(3));
  EXPECT_FALSE(mask.test(1));
  EXPECT_FALSE(mask.test(4));
}

// A random vocabulary of JSON-ish pieces (with split UTF-8), random walks through a JSON
// grammar, and at every step the full mask must equal the per-token answer, cached or not.
TEST(TokenMask, TrieWalkAgreesWithPerTokenCheck) {
  std::mt19937 rng(1234);
  std::vector<std::string> pieces = {"{", "}", "[", "]", ",", ":", "\"", "\\", "\":", "{\"", "\",\"", "true", "false",
                                     "null", "0", "1", "12", "-", ".", "e", " ", "\n", "  ", "a", "b", "ab", "\xC3",
                                     "\xA9", "\xC3\xA9", "\xE4\xB8", "\xAD", "u", "n", "t"};
  std::vector<std::string> tokens = {"</s>"};
  for (int i = 0; i < 600; ++i) {
    std::string t;
    const int parts = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < parts; ++k) t += pieces[rng() % pieces.size()];
    tokens.push_back(t);
  }
  for (const std::string& p : pieces) tokens.push_back(p);
  for (char c = ' '; c < 0x7F; ++c) tokens.push_back(std::string(1, c));  // no dead ends
  auto vocab = *GrammarVocab::build(tokens, std::vector<int32_t>{0});
  auto g = must_parse(json_value_gbnf());
  for (int run = 0; run < 20; ++run) {
    auto m = testing::make_matcher(g, vocab);
    for (int step = 0; step < 60 && !m->is_finished(); ++step) {
      TokenMask mask;
      ASSERT_TRUE(m->fill_mask(mask).ok());
      std::vector<int32_t> allowed;
      for (int32_t id = 0; id < vocab->n_vocab(); ++id) {
        ASSERT_EQ(mask.test(id), m->token_allowed(id)) << "run " << run << " step " << step << " token " << id;
        if (mask.test(id)) allowed.push_back(id);
      }
      ASSERT_FALSE(allowed.empty());
      ASSERT_TRUE(m->accept_token(allowed[rng() % allowed.size()]).ok());
    }
  }
}

}  // namespace
}  // namespace plexus::sampling::grammar

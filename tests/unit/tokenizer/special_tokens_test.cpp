// Special-token partitioning, BOS/EOS defaults and EOG detection.
#include <gtest/gtest.h>

#include "test_vocab.h"

namespace plexus::tokenizer {
namespace {

using ids = std::vector<token_id>;

TEST(SpecialTokens, ControlTokensOnlyWithParseSpecial) {
  auto tok = testing::load_golden("llama-bpe");
  if (!tok) GTEST_SKIP() << "no golden vocab";
  const std::string text = "Hi<|eot_id|>";
  const auto plain = tok->encode(text, false, false);
  const auto parsed = tok->encode(text, false, true);
  EXPECT_EQ(parsed.back(), 128009);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 128009), 0);
  EXPECT_EQ(testing::detokenize(*tok, plain), text);
  EXPECT_EQ(testing::detokenize(*tok, parsed), text);
  // Rendering: control tokens vanish without render_special.
  EXPECT_EQ(testing::detokenize(*tok, parsed, false), "Hi");
}

TEST(SpecialTokens, UserDefinedTokensMatchEvenWithoutParseSpecial) {
  auto tok = testing::load_golden("qwen2");
  if (!tok) GTEST_SKIP() << "no golden vocab";
  const auto plain = tok->encode("<think>x</think>", false, false);
  ASSERT_GE(plain.size(), 3u);
  EXPECT_EQ(plain.front(), 151667);
  EXPECT_EQ(plain.back(), 151668);
  EXPECT_EQ(tok->attr(151667), token_attr::user_defined);
}

TEST(SpecialTokens, AdjacentAndRepeatedSpecials) {
  auto tok = testing::load_golden("qwen2");
  if (!tok) GTEST_SKIP() << "no golden vocab";
  EXPECT_EQ(tok->encode("<|im_start|><|im_end|><|im_start|>", false, true), (ids{151644, 151645, 151644}));
  // A partial special token stays text.
  const auto partial = tok->encode("<|im_start", false, true);
  EXPECT_EQ(std::count(partial.begin(), partial.end(), 151644), 0);
}

TEST(SpecialTokens, LongestTokenWins) {
  gguf::GgufWriter w;
  // Control tokens "<a>" and "<a><b>": the longer one is matched first.
  testing::write_spm_vocab(w, {"\xE2\x96\x81x"}, {"<a>", "<a><b>"});
  auto t = testing::build(w);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  const auto& tok = **t;
  const token_id a = tok.n_vocab() - 2, ab = tok.n_vocab() - 1;
  EXPECT_EQ(tok.encode("<a><b>", false, true), (ids{ab}));
  EXPECT_EQ(tok.encode("<a><a><b>", false, true), (ids{a, ab}));
}

TEST(SpecialTokens, SpmSpacePrefixAfterSpecial) {
  auto tok = testing::load_golden("llama-spm");
  if (!tok) GTEST_SKIP() << "no golden vocab";
  // "<s>Hello</s>": BOS, then the parsed <s>, then " Hello" (space prefix after a special), </s>.
  EXPECT_EQ(tok->encode("<s>Hello</s>", true, true), (ids{1, 1, 15043, 2}));
  EXPECT_EQ(tok->encode("", true, true), (ids{1}));
  EXPECT_EQ(tok->encode("", false, false), (ids{}));
}

TEST(SpecialTokens, Phi3StripsWhitespaceAfterSpecials) {
  auto tok = testing::load_golden("phi-3");
  if (!tok) GTEST_SKIP() << "no golden vocab";
  // <|user|> has RSTRIP: the newline after it is dropped; <|endoftext|> does not.
  const auto a = tok->encode("<|user|>\nHi", false, true);
  const auto b = tok->encode("<|user|>Hi", false, true);
  EXPECT_EQ(a, b);
  const auto c = tok->encode("<|endoftext|>\nHi", false, true);
  const auto d = tok->encode("<|endoftext|>Hi", false, true);
  EXPECT_NE(c, d);
}

TEST(SpecialTokens, BosEosDefaults) {
  struct expectation {
    const char* name;
    bool add_bos;
    token_id first;
  };
  for (const auto& e : {expectation{"llama-spm", true, 1}, expectation{"llama-bpe", true, 128000},
                        expectation{"qwen2", false, -1}, expectation{"gpt-2", false, -1},
                        expectation{"deepseek-llm", true, 100000}}) {
    auto tok = testing::load_golden(e.name);
    if (!tok) GTEST_SKIP() << "no golden vocab";
    EXPECT_EQ(tok->add_bos(), e.add_bos) << e.name;
    EXPECT_FALSE(tok->add_eos()) << e.name;
    const auto with = tok->encode("a", true, true);
    const auto without = tok->encode("a", false, true);
    if (e.add_bos) {
      ASSERT_EQ(with.size(), without.size() + 1) << e.name;
      EXPECT_EQ(with.front(), e.first) << e.name;
    } else {
      EXPECT_EQ(with, without) << e.name;
    }
  }
}

TEST(SpecialTokens, WordPieceAddsClsAndSep) {
  auto tok = testing::load_golden("bert-bge");
  if (!tok) GTEST_SKIP() << "no golden vocab";
  const auto out = tok->encode("hello world", true, true);
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(out.front(), 101);
  EXPECT_EQ(out.back(), 102);
  EXPECT_EQ(tok->encode("", true, true), (ids{101, 102}));
  // Unknown word -> [UNK].
  EXPECT_EQ(tok->encode("\xE2\x98\x83", false, false), (ids{100}));
}

TEST(SpecialTokens, EndOfGeneration) {
  auto llama = testing::load_golden("llama-bpe");
  auto qwen = testing::load_golden("qwen2");
  auto smol = testing::load_golden("smollm");
  if (!llama || !qwen || !smol) GTEST_SKIP() << "no golden vocab";
  EXPECT_TRUE(llama->is_eog(128001));  // eos
  EXPECT_TRUE(llama->is_eog(128009));  // <|eot_id|>
  EXPECT_TRUE(llama->is_eog(128008));  // <|eom_id|>
  EXPECT_FALSE(llama->is_eog(128000));
  EXPECT_FALSE(llama->is_eog(-1));
  EXPECT_TRUE(qwen->is_eog(151645));  // <|im_end|>
  EXPECT_TRUE(qwen->is_eog(151643));  // <|endoftext|>
  EXPECT_FALSE(qwen->is_eog(151644));
  EXPECT_TRUE(smol->is_eog(2));
  EXPECT_TRUE(smol->is_eog(0));
  EXPECT_FALSE(smol->is_eog(1));
  EXPECT_TRUE(std::is_sorted(qwen->eog_ids().begin(), qwen->eog_ids().end()));
}

TEST(SpecialTokens, EogNamedTokenBecomesControl) {
  gguf::GgufWriter w;
  // "<|im_end|>" listed as a normal token: llama.cpp treats it as control (and EOG).
  testing::write_spm_vocab(w, {"<|im_end|>"});
  auto t = testing::build(w);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  const token_id id = (*t)->n_vocab() - 1;
  EXPECT_EQ((*t)->attr(id), token_attr::control);
  EXPECT_TRUE((*t)->is_eog(id));
  EXPECT_TRUE((*t)->is_eog(2));
}

}  // namespace
}  // namespace plexus::tokenizer

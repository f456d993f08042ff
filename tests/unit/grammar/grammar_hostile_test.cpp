// Hostile grammars and inputs: each must end in a clear error (or a correct answer) within a
// second, never a crash, hang or stack overflow.
#include <gtest/gtest.h>

#include <string>

#include "cpu_timer.h"
#include "test_util.h"

namespace plexus::sampling::grammar {
namespace {

using testing::byte_vocab;
using testing::full_match;
using testing::must_parse;

using Deadline = plexus::testing::CpuTimer;

Status parse_status(std::string_view text, const GrammarLimits& limits = {}) {
  auto g = Grammar::parse(text, limits);
  return g.ok() ? Status{} : g.status();
}

void expect_error_fast(std::string_view text, error_code code, const std::string& needle,
                       const GrammarLimits& limits = {}) {
  Deadline d;
  Status s = parse_status(text, limits);
  EXPECT_LT(d.seconds(), 1.0 * testing::kTimeScale);
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

TEST(GrammarHostile, HundredThousandNestedParentheses) {
  const std::string text = "root ::= " + std::string(100000, '(') + "\"a\"" + std::string(100000, ')');
  expect_error_fast(text, error_code::out_of_range, "nested deeper than 256");
}

TEST(GrammarHostile, NestingJustUnderTheLimitWorks) {
  const std::string text = "root ::= " + std::string(200, '(') + "\"a\"" + std::string(200, ')');
  auto g = must_parse(text);
  EXPECT_TRUE(full_match(g, "a"));
}

TEST(GrammarHostile, DirectLeftRecursion) {
  expect_error_fast("root ::= expr\nexpr ::= expr \"+\" term | term\nterm ::= [0-9]", error_code::invalid_argument,
                    "left recursion in rule 'expr'");
}

TEST(GrammarHostile, IndirectLeftRecursionNamesTheCycle) {
  expect_error_fast("root ::= a\na ::= b \"x\"\nb ::= c | \"y\"\nc ::= a \"z\"", error_code::invalid_argument,
                    "a -> b -> c -> a");
}

TEST(GrammarHostile, LeftRecursionThroughNullablePrefix) {
  expect_error_fast("root ::= ws root \"a\" | \"b\"\nws ::= [ ]*", error_code::invalid_argument,
                    "left recursion in rule 'root'");
  expect_error_fast("root ::= (\"x\"?)*", error_code::invalid_argument, "left recursion");
}

TEST(GrammarHostile, RightRecursionIsFine) {
  auto g = must_parse("root ::= \"a\" root | \"b\"");
  EXPECT_TRUE(full_match(g, "aaab"));
}

TEST(GrammarHostile, HugeRepetitionBound) {
  expect_error_fast("root ::= \"a\"{0,1000000}", error_code::out_of_range, "exceeds the limit 10000");
  expect_error_fast("root ::= \"a\"{99999999999}", error_code::out_of_range, "exceeds the limit");
  expect_error_fast("root ::= [a-z]{1000001,}", error_code::out_of_range, "exceeds the limit");
}

TEST(GrammarHostile, RepetitionsThatMultiplyHitTheElementCap) {
  std::string text = "root ::= x\nx ::=";
  for (int i = 0; i < 5000; ++i) text += " \"ab\"{10000}";
  expect_error_fast(text, error_code::out_of_range, "elements");
}

TEST(GrammarHostile, LargestRepetitionMatches) {
  auto g = must_parse("root ::= \"a\"{0,10000} \"b\"");
  EXPECT_TRUE(full_match(g, std::string(10000, 'a') + "b"));
  EXPECT_FALSE(full_match(g, std::string(10001, 'a') + "b"));
}

TEST(GrammarHostile, InvalidUtf8) {
  expect_error_fast("root ::= \"\xC3\x28\"", error_code::invalid_argument, "invalid UTF-8 at byte offset 10");
  expect_error_fast("# \xFF comment\nroot ::= \"a\"", error_code::invalid_argument, "invalid UTF-8");
  expect_error_fast("root ::= [\xED\xA0\x80]", error_code::invalid_argument, "invalid UTF-8");  // surrogate
  expect_error_fast("root ::= \"\xE2\x82\"", error_code::invalid_argument, "invalid UTF-8");    // truncated
}

TEST(GrammarHostile, HugeGrammarText) {
  const std::string text = "root ::= \"" + std::string(2u << 20, 'a') + "\"";
  expect_error_fast(text, error_code::out_of_range, "above the limit");
}

TEST(GrammarHostile, ManyRulesParseQuickly) {
  std::string text = "root ::= r0\n";
  for (int i = 0; i < 20000; ++i) {
    text.append("r").append(std::to_string(i)).append(" ::= \"x\" r").append(std::to_string(i + 1)).append(" | [a-z]\n");
  }
  text += "r20000 ::= \"end\"\n";
  Deadline d;
  auto g = Grammar::parse(text);
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_TRUE(full_match(*g, "xxxq"));
  EXPECT_LT(d.seconds(), 1.0 * testing::kTimeScale);
}

TEST(GrammarHostile, RuleCountLimit) {
  GrammarLimits limits;
  limits.max_rules = 100;
  std::string text = "root ::= r0\n";
  for (int i = 0; i < 200; ++i) text.append("r").append(std::to_string(i)).append(" ::= \"x\"\n");
  expect_error_fast(text, error_code::out_of_range, "more than 100 rules", limits);
}

TEST(GrammarHostile, EmptyAndGarbageText) {
  expect_error_fast("", error_code::invalid_argument, "no rule named 'root'");
  expect_error_fast("::=", error_code::invalid_argument, "expected a rule name");
  expect_error_fast(std::string("root ::= \"a\"\0", 13), error_code::invalid_argument, "unexpected");
}

TEST(GrammarHostile, ExponentialAmbiguityStopsCleanly) {
  // After n x's there are 2^n distinct parse stacks (each x chooses "y" or "z" to close).
  auto g = must_parse("root ::= s\ns ::= \"x\" s \"y\" | \"x\" s \"z\" | \"\"");
  MatcherOptions options;
  options.max_stacks = 1024;
  auto m = GrammarMatcher::create(g, byte_vocab(), options);
  ASSERT_TRUE(m.ok());
  Deadline d;
  EXPECT_TRUE((*m)->accept_bytes("xxxxxxxx").ok());   // 256 stacks
  Status s = (*m)->accept_bytes("xxxxxxxxxxxxxxxxxxxxxxxx");
  EXPECT_EQ(s.code(), error_code::out_of_range) << s.to_string();
  EXPECT_NE(s.message().find("ambiguous"), std::string::npos);
  // The state is unchanged; the mask leaves out the branch that overflows.
  TokenMask mask;
  EXPECT_TRUE((*m)->fill_mask(mask).ok());
  EXPECT_FALSE(mask.test('x'));
  EXPECT_TRUE(mask.test('y'));
  EXPECT_GT((*m)->stats().overflow_cuts, 0u);
  EXPECT_LT(d.seconds(), 1.0 * testing::kTimeScale);
}

TEST(GrammarHostile, ExponentialExpansionAtStartIsAnError) {
  // 2^20 ways to derive the empty prefix before "a".
  std::string text = "root ::= r0 \"a\"\n";
  for (int i = 0; i < 20; ++i) text.append("r").append(std::to_string(i)).append(" ::= r").append(std::to_string(i + 1)).append(" r").append(std::to_string(i + 1)).append("\n");
  text += "r20 ::= \"b\" | \"\"\n";
  Deadline d;
  auto g = must_parse(text);
  auto m = GrammarMatcher::create(g, byte_vocab());
  EXPECT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), error_code::out_of_range);
  EXPECT_LT(d.seconds(), 1.0 * testing::kTimeScale);
}

TEST(GrammarHostile, DeepInputNestingDoesNotRecurse) {
  auto g = must_parse("root ::= \"(\" root \")\" | \"x\"");
  auto m = GrammarMatcher::create(g, byte_vocab());
  ASSERT_TRUE(m.ok());
  const int depth = 100000;
  Deadline d;
  ASSERT_TRUE((*m)->accept_bytes(std::string(depth, '(') + "x").ok());
  EXPECT_FALSE((*m)->is_complete());
  TokenMask mask;
  ASSERT_TRUE((*m)->fill_mask(mask).ok());
  EXPECT_EQ(mask.count(), 1);
  EXPECT_TRUE(mask.test(')'));
  ASSERT_TRUE((*m)->accept_bytes(std::string(depth, ')')).ok());
  EXPECT_TRUE((*m)->is_complete());
  EXPECT_LT(d.seconds(), 2.0 * testing::kTimeScale);
}

TEST(GrammarHostile, CompactionUnderATinyMemoryBudgetKeepsTheState) {
  auto g = must_parse("root ::= \"(\" root \")\" | [a-z]+");
  MatcherOptions options;
  options.automaton_bytes = 4096;
  auto m = GrammarMatcher::create(g, byte_vocab(), options);
  ASSERT_TRUE(m.ok());
  TokenMask mask;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE((*m)->fill_mask(mask).ok());
    ASSERT_TRUE((*m)->accept_token('(').ok());
  }
  ASSERT_TRUE((*m)->accept_bytes("abc").ok());
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE((*m)->fill_mask(mask).ok());
    EXPECT_TRUE(mask.test(')'));
    EXPECT_EQ(mask.test('a'), i == 0);
    ASSERT_TRUE((*m)->accept_token(')').ok()) << i;
  }
  EXPECT_TRUE((*m)->is_complete());
  EXPECT_GT((*m)->stats().compactions, 0u);
}

}  // namespace
}  // namespace plexus::sampling::grammar

// GBNF parsing: the dialect's constructs, matching whole strings, and error messages.
#include <gtest/gtest.h>

#include "test_util.h"

namespace plexus::sampling::grammar {
namespace {

using testing::full_match;
using testing::must_parse;
using testing::prefix_match;

Status parse_error(std::string_view text) {
  auto g = Grammar::parse(text);
  EXPECT_FALSE(g.ok()) << "parsed unexpectedly:\n" << text;
  return g.ok() ? Status{} : g.status();
}

TEST(GrammarParse, LiteralsAlternationAndGroups) {
  auto g = must_parse(R"(root ::= "ab" ("c" | "de") "f" | "x")");
  EXPECT_TRUE(full_match(g, "abcf"));
  EXPECT_TRUE(full_match(g, "abdef"));
  EXPECT_TRUE(full_match(g, "x"));
  EXPECT_FALSE(full_match(g, "abf"));
  EXPECT_FALSE(full_match(g, "abc"));
  EXPECT_TRUE(prefix_match(g, "abd"));
  EXPECT_FALSE(prefix_match(g, "abx"));
  EXPECT_FALSE(full_match(g, ""));
}

TEST(GrammarParse, RuleReferencesAndRecursion) {
  auto g = must_parse(
      "root ::= list\n"
      "list ::= \"[\" (item (\",\" item)*)? \"]\"\n"
      "item ::= [0-9]+ | list\n");
  EXPECT_TRUE(full_match(g, "[]"));
  EXPECT_TRUE(full_match(g, "[1,22,[3,[]]]"));
  EXPECT_FALSE(full_match(g, "[1,]"));
  EXPECT_FALSE(full_match(g, "[[1]"));
}

TEST(GrammarParse, EscapesInLiterals) {
  auto g = must_parse(R"(root ::= "\n\t\r\"\\\x41\u00e9\U0001F600\/")");
  EXPECT_TRUE(full_match(g, "\n\t\r\"\\A\xC3\xA9\xF0\x9F\x98\x80/"));
  EXPECT_FALSE(full_match(g, "\n\t\r\"\\A\xC3\xA9"));
}

TEST(GrammarParse, CharacterClasses) {
  auto g = must_parse(R"(root ::= [a-z0-9_] [^"\\] [\]\-^x] [é-ë])");
  EXPECT_TRUE(full_match(g, "a\"\x5D\xC3\xA9") == false);  // '"' excluded by the negated class
  EXPECT_TRUE(full_match(g, "_q]\xC3\xAA"));
  EXPECT_TRUE(full_match(g, "9\xE2\x82\xAC-\xC3\xAB"));  // € in the negated class
  EXPECT_TRUE(full_match(g, "zz^\xC3\xA9"));
  EXPECT_FALSE(full_match(g, "A?x\xC3\xA9"));
  EXPECT_FALSE(full_match(g, "a\\x\xC3\xA9"));
  EXPECT_FALSE(full_match(g, "aax\xC3\xAC"));
}

TEST(GrammarParse, AnyCharIsOneCodePoint) {
  auto g = must_parse("root ::= \"<\" . \">\"");
  EXPECT_TRUE(full_match(g, "<a>"));
  EXPECT_TRUE(full_match(g, "<\xE4\xB8\xAD>"));
  EXPECT_TRUE(full_match(g, "<\xF0\x9F\x98\x80>"));
  EXPECT_FALSE(full_match(g, "<ab>"));
  EXPECT_FALSE(full_match(g, "<>"));
}

TEST(GrammarParse, Repetitions) {
  auto g = must_parse(R"(root ::= "a"* "b"+ "c"? "d"{2} "e"{1,} "f"{1,3} "g"{,2})");
  EXPECT_TRUE(full_match(g, "bddef"));
  EXPECT_TRUE(full_match(g, "aaabbbcddeeefffgg"));
  EXPECT_FALSE(full_match(g, "ddef"));      // b+ needs one
  EXPECT_FALSE(full_match(g, "bdef"));      // d{2}
  EXPECT_FALSE(full_match(g, "bddeffff"));  // f{1,3}
  EXPECT_FALSE(full_match(g, "bddefggg"));  // g{,2}
  EXPECT_FALSE(full_match(g, "bccddef"));
}

TEST(GrammarParse, RepetitionOfMultiCharLiteralRepeatsTheWhole) {
  auto g = must_parse(R"(root ::= "ab"{2,3})");
  EXPECT_TRUE(full_match(g, "abab"));
  EXPECT_TRUE(full_match(g, "ababab"));
  EXPECT_FALSE(full_match(g, "abb"));
  EXPECT_FALSE(full_match(g, "abababab"));
}

TEST(GrammarParse, CommentsAndNewlinesInsideParentheses) {
  auto g = must_parse(
      "# leading comment\n"
      "root ::= (  # open\n"
      "    \"a\"\n"
      "  | \"b\"   # second\n"
      ") tail  # trailing\n"
      "\n"
      "tail ::=\n"
      "  \"!\"\n");
  EXPECT_TRUE(full_match(g, "a!"));
  EXPECT_TRUE(full_match(g, "b!"));
  EXPECT_FALSE(full_match(g, "ab!"));
}

TEST(GrammarParse, EmptyAlternativesAndCrLf) {
  auto g = must_parse("root ::= x \"z\"\r\nx ::= | \"y\"\r\n");
  EXPECT_TRUE(full_match(g, "z"));
  EXPECT_TRUE(full_match(g, "yz"));
}

TEST(GrammarParse, AmbiguityIsHandledByParallelStacks) {
  auto g = must_parse(R"(root ::= [a-z]* "ab" [a-z]*)");
  EXPECT_TRUE(full_match(g, "xxabyy"));
  EXPECT_TRUE(full_match(g, "abab"));
  EXPECT_FALSE(full_match(g, "xxbayy"));
}

// The layout of llama.cpp's grammars/json.gbnf: rules broken over lines after '::=', inside
// parentheses and after '|', comments inside groups, an empty first alternative.
TEST(GrammarParse, LlamaCppJsonGrammarLayout) {
  auto g = must_parse(R"(root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null") ws

object ::=
  "{" ws (
            string ":" ws value
    ("," ws string ":" ws value)*
  )? "}" ws

array  ::=
  "[" ws (
            value
    ("," ws value)*
  )? "]" ws

string ::=
  "\"" (
    [^"\\\x7F\x00-\x1F] |
    "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
  )* "\"" ws

number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

# Optional space: by convention, applied in this grammar after literal chars when allowed
ws ::= | " " | "\n" [ \t]{0,20}
)");
  EXPECT_TRUE(full_match(g, R"({"a": [1, 2.5e3, "x\n\u00e9"], "b": {"c": null}})"));
  EXPECT_TRUE(full_match(g, "{ }"));
  EXPECT_FALSE(full_match(g, R"({"a": [1, ]})"));
  EXPECT_FALSE(full_match(g, "[1]"));
}

TEST(GrammarParse, StartRuleCanBeChosen) {
  auto g = Grammar::parse("a ::= \"x\"\nb ::= \"y\"", {}, "b");
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_TRUE(full_match(*g, "y"));
  EXPECT_FALSE(full_match(*g, "x"));
}

TEST(GrammarParse, ToGbnfRoundTrips) {
  auto g = must_parse(R"(root ::= ("ab"|[^a-c\n]{1,2})+ "\"" [é\x00]? .)");
  auto again = must_parse(g->to_gbnf());
  for (std::string s : {"ab\"x", "zz\"\xC3\xA9", "abq\"\xC3\xA9\xC3\xA9", "\"x", "ab\"", "a\"x"}) {
    EXPECT_EQ(full_match(g, s), full_match(again, s)) << s << "\n" << g->to_gbnf();
  }
}

TEST(GrammarParseErrors, MessagesNameWhatAndWhere) {
  auto expect_error = [](std::string_view text, const std::string& needle) {
    Status s = parse_error(text);
    EXPECT_NE(s.message().find(needle), std::string::npos) << "message: " << s.message() << "\nwanted: " << needle;
  };
  expect_error("root ::= foo", "undefined rule 'foo'");
  expect_error("root ::= \"a\"\nroot ::= \"b\"", "defined twice");
  expect_error("other ::= \"a\"", "no rule named 'root'");
  expect_error("root = \"a\"", "expected '::='");
  expect_error("root ::= \"abc", "unterminated string literal");
  expect_error("root ::= [abc", "unterminated character class");
  expect_error("root ::= []", "empty character class");
  expect_error("root ::= [z-a]", "reversed");
  expect_error("root ::= (\"a\"", "expected ')'");
  expect_error("root ::= \"a\")", "unexpected ')'");
  expect_error("root ::= * \"a\"", "does not follow an element");
  expect_error("root ::= \"a\"{3,2}", "n < m");
  expect_error("root ::= \"a\"{2", "expected '}'");
  expect_error("root ::= \"\\q\"", "unknown escape");
  expect_error("root ::= \"\\x4\"", "hex digits");
  expect_error("root ::= \"\\uD800\"", "surrogate");
  expect_error("root ::= \"\\U00110000\"", "above U+10FFFF");
  expect_error("root ::= \"a\" @", "unexpected '@'");
  expect_error("\n\nroot ::= \"a\" @", "line 3:");
  expect_error("root ::= \"a\"\n| \"b\"", "expected a rule name");
  expect_error("root ::= \"a\"**", "does not follow an element");
}

}  // namespace
}  // namespace plexus::sampling::grammar

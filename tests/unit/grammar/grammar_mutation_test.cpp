// Mutation tests (a seeded stand-in for a fuzzer): grammars and schemas with random edits must
// either fail with a Status or work; matchers fed random bytes and tokens must stay consistent.
// Run under the sanitizer build, these catch out-of-bounds reads and undefined behaviour.
#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

#include "sampling/grammar/json_schema.h"
#include "test_util.h"

namespace plexus::sampling::grammar {
namespace {

const char* kSeedGrammars[] = {
    "root ::= \"a\" (\"b\" | [c-e]{2,4})* tail\ntail ::= [^x\\n]? \"\\u00e9\"",
    "root ::= obj\nobj ::= \"{\" ( kv (\",\" kv)* )? \"}\"\nkv ::= [a-z]+ \":\" ( [0-9]+ | obj )",
    "root ::= ( . | \"\\\\\" [nt] ){0,5} \"!\" # comment\n",
    "root ::= x y\nx ::= | \"1\"\ny ::= \"2\"+ \"\\xff\"",
};

const char* kSeedSchemas[] = {
    R"({"type":"object","properties":{"a":{"type":"integer","minimum":-5,"maximum":50},"b":{"type":"array","items":{"type":"string","maxLength":3}}},"required":["a"]})",
    R"({"anyOf":[{"type":"string","pattern":"^[a-c]+(x|yz)?$"},{"enum":[1,"two",null]}]})",
    R"({"$defs":{"t":{"type":"object","properties":{"k":{"$ref":"#/$defs/t"}}}},"$ref":"#/$defs/t"})",
    R"({"type":"array","prefixItems":[{"type":"boolean"},{"format":"date"}],"minItems":1})",
};

std::string mutate(std::string s, std::mt19937& rng) {
  static const char specials[] = "()[]{}|*+?\"\\^-.#:=,\n\x80\xC3\xFF" "0123456789az";
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    if (s.empty()) s.push_back('x');
    const size_t at = rng() % s.size();
    switch (rng() % 4) {
      case 0: s[at] = specials[rng() % (sizeof specials - 1)]; break;
      case 1: s.insert(at, 1, specials[rng() % (sizeof specials - 1)]); break;
      case 2: s.erase(at, 1 + rng() % 3); break;
      default: s.insert(at, s.substr(rng() % s.size(), 1 + rng() % 8)); break;
    }
  }
  return s;
}

// Feeds random bytes and tokens; checks that fill_mask agrees with token_allowed and that
// accepting an allowed token never fails.
void exercise(const std::shared_ptr<const Grammar>& g, std::mt19937& rng) {
  static const auto vocab = testing::byte_vocab({"ab", "{\"", "\":", "\xC3\xA9", "\xE4\xB8", "12", "true"});
  MatcherOptions options;
  options.max_stacks = 256;
  options.automaton_bytes = 1u << 16;  // compaction happens often
  auto created = GrammarMatcher::create(g, vocab, options);
  if (!created.ok()) return;
  auto& m = *created;
  TokenMask mask;
  for (int step = 0; step < 12 && !m->is_finished(); ++step) {
    if (rng() % 4 == 0) {
      std::string junk;
      for (int i = 0, n = 1 + static_cast<int>(rng() % 3); i < n; ++i) junk.push_back(static_cast<char>(rng()));
      (void)m->accept_bytes(junk);  // may fail; the state must stay usable
      continue;
    }
    if (!m->fill_mask(mask).ok()) return;
    std::vector<int32_t> allowed;
    for (int32_t id = 0; id < vocab->n_vocab(); ++id) {
      ASSERT_EQ(mask.test(id), m->token_allowed(id));
      if (mask.test(id)) allowed.push_back(id);
    }
    ASSERT_FALSE(allowed.empty());
    ASSERT_TRUE(m->accept_token(allowed[rng() % allowed.size()]).ok());
  }
}

TEST(GrammarMutation, MutatedGrammarsFailCleanlyOrWork) {
  std::mt19937 rng(31337);
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = mutate(kSeedGrammars[i % 4], rng);
    auto g = Grammar::parse(text);
    if (!g.ok()) {
      EXPECT_FALSE(g.status().message().empty());
      continue;
    }
    ++parsed;
    exercise(*g, rng);
    auto again = Grammar::parse((*g)->to_gbnf());
    EXPECT_TRUE(again.ok()) << "to_gbnf() does not parse back:\n" << (*g)->to_gbnf() << "\nfrom:\n" << text;
  }
  EXPECT_GT(parsed, 200);
}

TEST(GrammarMutation, MutatedSchemasFailCleanlyOrWork) {
  std::mt19937 rng(4242);
  int compiled = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string text = mutate(kSeedSchemas[i % 4], rng);
    auto r = json_schema_to_gbnf(text);
    if (!r.ok()) {
      EXPECT_FALSE(r.status().message().empty());
      continue;
    }
    ++compiled;
    ASSERT_NE(r->grammar, nullptr);
    exercise(r->grammar, rng);
  }
  EXPECT_GT(compiled, 100);
}

TEST(GrammarMutation, RandomRegexPatterns) {
  std::mt19937 rng(777);
  static const char alphabet[] = "ab()[]{}|*+?^$.\\-,0123dws\"";
  for (int i = 0; i < 3000; ++i) {
    std::string pattern;
    for (int k = 0, n = 1 + static_cast<int>(rng() % 12); k < n; ++k) pattern.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
    std::string schema = "{\"pattern\":";
    schema.append(nlohmann::json(pattern).dump()).append("}");
    auto r = json_schema_to_gbnf(schema);
    if (r.ok()) exercise(r->grammar, rng);
  }
}

}  // namespace
}  // namespace plexus::sampling::grammar

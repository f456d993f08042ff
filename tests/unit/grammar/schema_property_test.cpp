// Property tests over random JSON Schemas (seeded, so every run is the same):
//  1. soundness: text built by sampling random allowed tokens until the grammar is complete
//     parses as JSON and validates against the schema;
//  2. completeness for canonical layouts: valid instances, serialized the way the grammar lays
//     them out, are accepted.
#include <gtest/gtest.h>

#include "sampling/grammar/json_schema.h"
#include "schema_testkit.h"
#include "test_util.h"

namespace plexus::sampling::grammar {
namespace {

using testing::InstanceGen;
using testing::ojson;
using testing::SchemaGen;

// All single bytes (ids 0..255, invalid UTF-8 leads included), end-of-generation (256), and
// multi-byte pieces typical of JSON, some splitting UTF-8 characters.
struct PropertyVocab {
  std::vector<std::string> tokens;
  std::shared_ptr<const GrammarVocab> vocab;
  static constexpr int32_t kEos = 256;

  PropertyVocab() {
    for (int b = 0; b < 256; ++b) tokens.push_back(std::string(1, static_cast<char>(b)));
    tokens.push_back("<|end|>");
    for (const char* t : {"\":", "\": ", "\",", "\",\"", "{\"", "\"}", "}}", "]}", "[]", "{}", "true", "false", "null",
                          "12", "0.", "-1", "e+", "\\n", "\\u00", "\\\"", "name", "id", "\"a\"", "ab", "cd", "ing",
                          "2024-", "T12:", ":00", "00Z", "\xC3\xA9", "\xE4\xB8", "\xAD", "\xF0\x9F\x98", "\x80",
                          " \"", "\n  ", ", ", "zz", "tr", "ue"}) {
      tokens.push_back(t);
    }
    auto built = GrammarVocab::build(tokens, std::vector<int32_t>{kEos});
    EXPECT_TRUE(built.ok());
    vocab = *built;
  }
  int32_t id(const std::string& t) const {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i] == t && i != static_cast<size_t>(kEos)) return static_cast<int32_t>(i);
    }
    return -1;
  }
};

const PropertyVocab& property_vocab() {
  static const PropertyVocab v;
  return v;
}

// Samples random allowed tokens until the grammar completes. Past `soft_limit` tokens it
// prefers, in order: ending, closing tokens, short values, anything but openers and commas,
// commas, anything. Returns false (with a reason) if no completion within `hard_limit`.
bool sample_text(const std::shared_ptr<const Grammar>& g, std::mt19937& rng, std::string* text, std::string* why) {
  const PropertyVocab& pv = property_vocab();
  auto m = testing::make_matcher(g, pv.vocab);
  if (!m) return false;
  static const std::vector<std::vector<std::string>> tiers = {
      {"\"", "]", "}", "\"}", "]}", "}}"}, {"0", "1", "7", "null", "true", "false", "a", "-"}};
  const int soft_limit = 120, hard_limit = 6000;
  TokenMask mask;
  text->clear();
  for (int step = 0; step < hard_limit; ++step) {
    Status s = m->fill_mask(mask);
    if (!s.ok()) {
      *why = "fill_mask: " + s.to_string() + " after " + *text;
      return false;
    }
    const bool eos_ok = mask.test(PropertyVocab::kEos);
    const bool long_run = step > soft_limit;
    std::vector<int32_t> allowed;
    for (int32_t id = 0; id < pv.vocab->n_vocab(); ++id) {
      if (id != PropertyVocab::kEos && mask.test(id)) allowed.push_back(id);
    }
    if (eos_ok && (allowed.empty() || long_run || rng() % 4 == 0)) {
      if (!m->accept_token(PropertyVocab::kEos).ok()) return false;
      return true;
    }
    if (allowed.empty()) {
      *why = "no token allowed and not complete after " + *text;
      return false;
    }
    int32_t choice = allowed[rng() % allowed.size()];
    if (long_run) {
      // Pools: closing tokens, short values, anything but openers/commas/whitespace/escapes,
      // commas. A random pool is tried first (so that a string whose pattern still needs, say,
      // three digits does not loop on '}' forever), then the others in order.
      std::vector<std::vector<int32_t>> pools(4);
      for (size_t t = 0; t < tiers.size(); ++t) {
        for (const std::string& tok : tiers[t]) {
          const int32_t id = pv.id(tok);
          if (id >= 0 && mask.test(id)) pools[t].push_back(id);
        }
      }
      for (int32_t id : allowed) {
        const std::string& t = pv.tokens[static_cast<size_t>(id)];
        if (t.find_first_of("{[, \n\t\\") == std::string::npos) pools[2].push_back(id);
      }
      if (pv.id(",") >= 0 && mask.test(pv.id(","))) pools[3].push_back(pv.id(","));
      const uint32_t r = rng() % 100;
      const size_t first = r < 50 ? 0 : r < 75 ? 1 : 2;
      for (size_t k = 0; k < pools.size(); ++k) {
        const auto& pool = pools[k == 0 ? first : (k <= first ? k - 1 : k)];
        if (!pool.empty()) {
          choice = pool[rng() % pool.size()];
          break;
        }
      }
    }
    Status a = m->accept_token(choice);
    if (!a.ok()) {
      *why = "accept_token after mask allowed it: " + a.to_string();
      return false;
    }
    *text += pv.tokens[static_cast<size_t>(choice)];
  }
  *why = "no completion within " + std::to_string(hard_limit) + " tokens: " + text->substr(0, 400);
  return false;
}

TEST(SchemaProperty, RandomTokenWalksProduceValidJson) {
  std::mt19937 rng(20240517);
  int schemas = 0, samples = 0, instances = 0;
  for (uint32_t seed = 1; schemas < 300; ++seed) {
    SchemaGen gen(seed);
    const ojson schema = gen.schema();
    auto compiled = json_schema_to_gbnf(schema.dump());
    ASSERT_TRUE(compiled.ok()) << compiled.status().to_string() << "\nschema: " << schema.dump();
    ++schemas;
    for (int k = 0; k < 3; ++k) {
      std::string text, why;
      ASSERT_TRUE(sample_text(compiled->grammar, rng, &text, &why))
          << why << "\nschema: " << schema.dump() << "\ngrammar:\n" << compiled->gbnf;
      const ojson value = ojson::parse(text, nullptr, false);
      ASSERT_FALSE(value.is_discarded()) << "not JSON: " << text << "\nschema: " << schema.dump();
      ASSERT_TRUE(testing::validate(schema, value, schema, &why))
          << why << "\ntext: " << text << "\nschema: " << schema.dump() << "\ngrammar:\n" << compiled->gbnf;
      ++samples;
    }
    InstanceGen instances_of(schema, seed);
    for (int k = 0; k < 3; ++k) {
      const auto instance = instances_of.gen(schema);
      if (!instance) continue;
      std::string why;
      ASSERT_TRUE(testing::validate(schema, *instance, schema, &why)) << "test kit made an invalid instance: " << why;
      const std::string text = instance->dump();
      EXPECT_TRUE(testing::full_match(compiled->grammar, text))
          << "valid instance rejected: " << text << "\nschema: " << schema.dump() << "\ngrammar:\n" << compiled->gbnf;
      ++instances;
    }
  }
  EXPECT_EQ(samples, 900);
  EXPECT_GT(instances, 500);
}

// The same random walks with the fast path a sampler would use: the token drawn is checked
// alone, and the full mask agrees with that check.
TEST(SchemaProperty, TokenAllowedAgreesWithMaskOnRandomSchemas) {
  std::mt19937 rng(99);
  const PropertyVocab& pv = property_vocab();
  for (uint32_t seed = 1000; seed < 1040; ++seed) {
    SchemaGen gen(seed);
    auto compiled = json_schema_to_gbnf(gen.schema().dump());
    ASSERT_TRUE(compiled.ok());
    auto m = testing::make_matcher(compiled->grammar, pv.vocab);
    TokenMask mask;
    for (int step = 0; step < 80 && !m->is_finished(); ++step) {
      ASSERT_TRUE(m->fill_mask(mask).ok());
      std::vector<int32_t> allowed;
      for (int32_t id = 0; id < pv.vocab->n_vocab(); ++id) {
        ASSERT_EQ(m->token_allowed(id), mask.test(id)) << "seed " << seed << " step " << step << " id " << id;
        if (mask.test(id)) allowed.push_back(id);
      }
      ASSERT_TRUE(m->accept_token(allowed[rng() % allowed.size()]).ok());
    }
  }
}

}  // namespace
}  // namespace plexus::sampling::grammar

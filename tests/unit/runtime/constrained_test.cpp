// Grammar-constrained generation through Session and Engine on real models (stories260K and a
// random-weight synthetic model): every output matches its grammar, end-of-generation comes only
// where the grammar may end, "grammar" and "eog" stops, determinism per seed, and unconstrained
// sequences batched beside constrained ones are unaffected.
#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>

#include "runtime/engine.h"
#include "runtime/session.h"
#include "sampling/grammar/json_schema.h"
#include "test_models.h"

namespace plexus::runtime {
namespace {

using testing::grammar_full_match;
using testing::parse_grammar;
using testing::random_model;
using testing::stories_model;

struct Output {
  std::vector<int32_t> ids;
  std::string text;
  GenerateStats stats;
  Status status;
};

Output session_run(const LoadedModel& model, const std::vector<int32_t>& prompt, const GenerateOptions& o) {
  ThreadPool pool(1);
  Session s(model, pool, {.n_ctx = 512});
  Output out;
  out.status = s.generate(prompt, o, [&](const TokenEvent& ev) {
    out.ids.push_back(ev.id);
    out.text += ev.text;
    return true;
  }, &out.stats);
  return out;
}

GenerateOptions sampled(std::shared_ptr<const sampling::grammar::Grammar> g, uint64_t seed, int64_t max_tokens) {
  GenerateOptions o;
  o.max_tokens = max_tokens;
  o.sampling.temperature = 0.9f;
  o.sampling.seed = seed;
  o.grammar = std::move(g);
  return o;
}

// A finite grammar: at most 4 + 9 * 13 + 1 bytes, so 200 tokens always reach the end.
constexpr const char* kSentence = R"(root ::= "The " word (" " word){0,8} "."
word ::= [a-z]{1,12})";

TEST(Constrained, SessionOutputAlwaysMatchesTheGrammarAndEndsAtEog) {
  auto model = stories_model();
  ASSERT_TRUE(model);
  auto g = parse_grammar(kSentence);
  const auto prompt = model->tokenizer->encode("Once upon a time", true, false);
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    Output out = session_run(*model, prompt, sampled(g, seed, 200));
    ASSERT_TRUE(out.status.ok()) << out.status.to_string();
    EXPECT_EQ(out.stats.stop_reason, "eog") << out.text;
    EXPECT_TRUE(grammar_full_match(g, out.text)) << "seed " << seed << ": '" << out.text << "'";
    ASSERT_FALSE(out.ids.empty());
    EXPECT_TRUE(model->tokenizer->is_eog(out.ids.back()));
    for (size_t i = 0; i + 1 < out.ids.size(); ++i) EXPECT_FALSE(model->tokenizer->is_eog(out.ids[i]));
  }
}

TEST(Constrained, SameSeedSameConstrainedOutputDifferentSeedDiffers) {
  auto model = stories_model();
  ASSERT_TRUE(model);
  auto g = parse_grammar(kSentence);
  const auto prompt = model->tokenizer->encode("Once upon a time", true, false);
  Output a = session_run(*model, prompt, sampled(g, 42, 200));
  Output b = session_run(*model, prompt, sampled(g, 42, 200));
  EXPECT_EQ(a.ids, b.ids);
  bool differs = false;
  for (uint64_t seed = 43; seed < 48 && !differs; ++seed) differs = session_run(*model, prompt, sampled(g, seed, 200)).ids != a.ids;
  EXPECT_TRUE(differs);
}

TEST(Constrained, GreedyConstrainedOutputMatches) {
  // Greedy under a grammar: the mask is exact, so the output is still complete and matching.
  auto model = stories_model();
  ASSERT_TRUE(model);
  auto g = parse_grammar(kSentence);
  GenerateOptions o = sampled(g, 0, 200);
  o.sampling.temperature = 0;
  Output out = session_run(*model, model->tokenizer->encode("Once upon a time", true, false), o);
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.text.rfind("The ", 0), 0u) << out.text;
  EXPECT_TRUE(grammar_full_match(g, out.text)) << out.text;
}

TEST(Constrained, JsonSchemaOutputParsesAndValidates) {
  auto model = stories_model();
  ASSERT_TRUE(model);
  auto compiled = sampling::grammar::json_schema_to_gbnf(R"({
    "type": "object",
    "properties": {
      "name": {"type": "string", "maxLength": 10},
      "age": {"type": "integer", "minimum": 0, "maximum": 120},
      "pet": {"enum": ["cat", "dog", "bird"]}
    },
    "required": ["name", "age", "pet"],
    "additionalProperties": false
  })");
  ASSERT_TRUE(compiled.ok()) << compiled.status().to_string();
  const auto prompt = model->tokenizer->encode("Lily had a", true, false);
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    Output out = session_run(*model, prompt, sampled(compiled->grammar, seed, 400));
    ASSERT_TRUE(out.status.ok());
    ASSERT_EQ(out.stats.stop_reason, "eog") << out.text;
    auto j = nlohmann::json::parse(out.text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << out.text;
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j.size(), 3u);
    ASSERT_TRUE(j["name"].is_string());
    EXPECT_LE(j["name"].get<std::string>().size(), 10u * 4);  // 10 code points
    ASSERT_TRUE(j["age"].is_number_integer());
    EXPECT_GE(j["age"].get<int64_t>(), 0);
    EXPECT_LE(j["age"].get<int64_t>(), 120);
    ASSERT_TRUE(j["pet"].is_string());
    EXPECT_TRUE(j["pet"] == "cat" || j["pet"] == "dog" || j["pet"] == "bird") << j["pet"];
  }
}

TEST(Constrained, CompleteGrammarThatCannotContinueEndsAsEog) {
  auto model = stories_model();
  ASSERT_TRUE(model);
  auto g = parse_grammar(R"(root ::= "Hi")");
  GenerateOptions o = sampled(g, 3, 50);
  Output out = session_run(*model, model->tokenizer->encode("Once", true, false), o);
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.text, "Hi");
  EXPECT_EQ(out.stats.stop_reason, "eog");
  ASSERT_FALSE(out.ids.empty());
  EXPECT_TRUE(model->tokenizer->is_eog(out.ids.back()));

  // Without stop_at_eog the end-of-generation token is emitted and the sequence still ends.
  o.stop_at_eog = false;
  out = session_run(*model, model->tokenizer->encode("Once", true, false), o);
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.stats.stop_reason, "eog");
  EXPECT_TRUE(model->tokenizer->is_eog(out.ids.back()));
}

// Every token whose bytes start with `prefix`: banning them all leaves the grammar no way on.
std::vector<std::pair<int32_t, float>> ban_tokens_starting_with(const LoadedModel& model, const std::string& prefix) {
  std::vector<std::pair<int32_t, float>> bans;
  const auto& tok = *model.tokenizer;
  for (int32_t id = 0; id < tok.n_vocab(); ++id) {
    if (tok.token_to_piece(id, false).rfind(prefix, 0) == 0) bans.emplace_back(id, -std::numeric_limits<float>::infinity());
  }
  return bans;
}

TEST(Constrained, GrammarWithNoAllowedTokenStopsWithGrammarReason) {
  auto model = stories_model();
  ASSERT_TRUE(model);
  GenerateOptions o = sampled(parse_grammar(R"(root ::= "q" [a-z]*)"), 1, 20);
  o.sampling.logit_bias = ban_tokens_starting_with(*model, "q");
  Output out = session_run(*model, model->tokenizer->encode("Once", true, false), o);
  ASSERT_TRUE(out.status.ok()) << out.status.to_string();
  EXPECT_EQ(out.stats.stop_reason, "grammar");
  EXPECT_TRUE(out.ids.empty());
}

TEST(Constrained, OutputCutByMaxTokensIsAPrefixOfTheGrammar) {
  auto model = stories_model();
  ASSERT_TRUE(model);
  auto g = parse_grammar(kSentence);
  Output out = session_run(*model, model->tokenizer->encode("Once", true, false), sampled(g, 5, 3));
  ASSERT_TRUE(out.status.ok());
  EXPECT_EQ(out.stats.stop_reason, "limit");
  EXPECT_EQ(out.ids.size(), 3u);
  EXPECT_EQ(out.text.rfind("The", 0), 0u) << out.text;
}

TEST(Constrained, RandomWeightModelFollowsTheGrammarInSession) {
  auto model = random_model();
  ASSERT_TRUE(model);
  auto g = parse_grammar(kSentence);
  const auto prompt = model->tokenizer->encode("hello", true, false);
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    Output out = session_run(*model, prompt, sampled(g, seed, 200));
    ASSERT_TRUE(out.status.ok()) << out.status.to_string();
    EXPECT_EQ(out.stats.stop_reason, "eog") << out.text;
    EXPECT_TRUE(grammar_full_match(g, out.text)) << out.text;
  }
}

class Collector : public RequestSink {
 public:
  void on_token(const TokenEvent& ev) override {
    out.ids.push_back(ev.id);
    out.text += ev.text;
  }
  void on_done(const GenerateStats& s, const Status& st) override {
    out.stats = s;
    out.status = st;
    done.set_value();
  }
  Output out;
  std::promise<void> done;
};

Output engine_result(const std::shared_ptr<Collector>& c) {
  c->done.get_future().wait();
  return c->out;
}

TEST(Constrained, EngineRunsConstrainedAndFreeSequencesTogether) {
  for (auto model : {stories_model(), random_model()}) {
    ASSERT_TRUE(model);
    auto g = parse_grammar(kSentence);
    const auto prompt = model->tokenizer->encode("Once upon a time", true, false);
    // Solo references: greedy unconstrained and greedy constrained, from a Session.
    GenerateOptions free_greedy;
    free_greedy.max_tokens = 30;
    free_greedy.sampling.temperature = 0;
    GenerateOptions constrained_greedy = sampled(g, 0, 200);
    constrained_greedy.sampling.temperature = 0;
    const Output solo_free = session_run(*model, prompt, free_greedy);
    const Output solo_constrained = session_run(*model, prompt, constrained_greedy);

    EngineOptions eo;
    eo.threads = 1;
    eo.max_sequences = 8;
    eo.n_ctx = 512;
    Engine engine(model, eo);
    std::vector<std::shared_ptr<Collector>> free, constrained, greedy_constrained;
    for (int i = 0; i < 3; ++i) {
      free.push_back(std::make_shared<Collector>());
      ASSERT_TRUE(engine.submit({prompt, free_greedy, free.back()}).ok());
      constrained.push_back(std::make_shared<Collector>());
      ASSERT_TRUE(engine.submit({prompt, sampled(g, 100 + static_cast<uint64_t>(i), 200), constrained.back()}).ok());
      greedy_constrained.push_back(std::make_shared<Collector>());
      ASSERT_TRUE(engine.submit({prompt, constrained_greedy, greedy_constrained.back()}).ok());
    }
    for (auto& c : free) {
      Output out = engine_result(c);
      ASSERT_TRUE(out.status.ok());
      EXPECT_EQ(out.ids, solo_free.ids);
    }
    for (auto& c : constrained) {
      Output out = engine_result(c);
      ASSERT_TRUE(out.status.ok()) << out.status.to_string();
      EXPECT_EQ(out.stats.stop_reason, "eog");
      EXPECT_TRUE(grammar_full_match(g, out.text)) << out.text;
    }
    for (auto& c : greedy_constrained) {
      Output out = engine_result(c);
      ASSERT_TRUE(out.status.ok());
      EXPECT_EQ(out.ids, solo_constrained.ids) << out.text << " vs " << solo_constrained.text;
    }
  }
}

TEST(Constrained, EngineSameSeedSameOutput) {
  auto model = random_model();
  ASSERT_TRUE(model);
  auto g = parse_grammar(kSentence);
  EngineOptions eo;
  eo.threads = 1;
  eo.n_ctx = 512;
  Engine engine(model, eo);
  const auto prompt = model->tokenizer->encode("abc", true, false);
  auto a = std::make_shared<Collector>(), b = std::make_shared<Collector>();
  ASSERT_TRUE(engine.submit({prompt, sampled(g, 9, 200), a}).ok());
  ASSERT_TRUE(engine.submit({prompt, sampled(g, 9, 200), b}).ok());
  EXPECT_EQ(engine_result(a).ids, engine_result(b).ids);
}

TEST(Constrained, EngineGrammarStopAndEogStop) {
  auto model = stories_model();
  ASSERT_TRUE(model);
  EngineOptions eo;
  eo.threads = 1;
  eo.n_ctx = 256;
  Engine engine(model, eo);
  const auto prompt = model->tokenizer->encode("Once", true, false);
  GenerateOptions stuck = sampled(parse_grammar(R"(root ::= "q" [a-z]*)"), 1, 20);
  stuck.sampling.logit_bias = ban_tokens_starting_with(*model, "q");
  auto s1 = std::make_shared<Collector>(), s2 = std::make_shared<Collector>();
  ASSERT_TRUE(engine.submit({prompt, stuck, s1}).ok());
  ASSERT_TRUE(engine.submit({prompt, sampled(parse_grammar(R"(root ::= "Hi")"), 1, 20), s2}).ok());
  Output o1 = engine_result(s1), o2 = engine_result(s2);
  ASSERT_TRUE(o1.status.ok());
  EXPECT_EQ(o1.stats.stop_reason, "grammar");
  EXPECT_TRUE(o1.ids.empty());
  ASSERT_TRUE(o2.status.ok());
  EXPECT_EQ(o2.stats.stop_reason, "eog");
  EXPECT_EQ(o2.text, "Hi");
}

TEST(Constrained, GrammarVocabIsBuiltOnceAndSharedAcrossThreads) {
  auto model = random_model();
  ASSERT_TRUE(model);
  std::vector<std::future<const void*>> got;
  for (int i = 0; i < 4; ++i) {
    got.push_back(std::async(std::launch::async, [&] {
      auto v = model->grammar_vocab();
      return v.ok() ? static_cast<const void*>(v->get()) : nullptr;
    }));
  }
  const void* first = got[0].get();
  ASSERT_NE(first, nullptr);
  for (size_t i = 1; i < got.size(); ++i) EXPECT_EQ(got[i].get(), first);
  auto v = model->grammar_vocab();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)->n_vocab(), model->tokenizer->n_vocab());
  EXPECT_TRUE((*v)->is_eog(model->tokenizer->eos_id()));
  EXPECT_EQ((*v)->token_bytes(1), "");  // <s> is a control token: never allowed
}

}  // namespace
}  // namespace plexus::runtime

// The stages the sampler chain gained (logit_bias, presence/frequency penalties, typical-p,
// grammar) and the order of the chain: each test is built so that a different order, or a
// stage computed over the wrong tokens, gives a different token.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>

#include "sampling/grammar/grammar.h"
#include "sampling/grammar/grammar_matcher.h"
#include "sampling/grammar/grammar_vocab.h"
#include "sampling/sampler.h"

namespace plexus::sampling {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> logits_from_probs(const std::vector<double>& p) {
  std::vector<float> l;
  for (double x : p) l.push_back(static_cast<float>(std::log(x)));
  return l;
}

std::map<int32_t, int> histogram(Sampler& s, const std::vector<float>& logits, int draws,
                                 const std::vector<int32_t>& history = {}) {
  std::map<int32_t, int> h;
  for (int i = 0; i < draws; ++i) ++h[s.sample(logits, history)];
  return h;
}

SamplingParams plain(uint64_t seed) {
  SamplingParams p;
  p.temperature = 1;
  p.top_k = 0;
  p.top_p = 1;
  p.min_p = 0;
  p.seed = seed;
  return p;
}

SamplingParams greedy() {
  SamplingParams p;
  p.temperature = 0;
  return p;
}

// --- logit_bias ------------------------------------------------------------------------------

TEST(SamplerChain, LogitBiasMinus100BansAndPositiveBiasPromotes) {
  SamplingParams p = plain(1);
  p.logit_bias = {{0, -100.0f}};
  Sampler s(p);
  auto h = histogram(s, logits_from_probs({0.9, 0.05, 0.05}), 2000);
  EXPECT_EQ(h.count(0), 0u);

  SamplingParams g = greedy();
  g.logit_bias = {{2, 3.0f}};
  Sampler sg(g);
  EXPECT_EQ(sg.sample(std::vector<float>{2.0f, 1.0f, 0.0f}, {}), 2);  // 0 + 3 > 2
}

TEST(SamplerChain, LogitBiasMinusInfBansEvenTheOnlyLikelyToken) {
  SamplingParams p = plain(2);
  p.top_k = 1;
  p.logit_bias = {{1, -kInf}};
  Sampler s(p);
  auto h = histogram(s, std::vector<float>{0.0f, 50.0f, 1.0f}, 500);
  EXPECT_EQ(h.count(1), 0u);
  EXPECT_EQ(h[2], 500);
}

TEST(SamplerChain, LogitBiasIdsOutsideTheVocabularyAreIgnored) {
  SamplingParams g = greedy();
  g.logit_bias = {{-1, 100.0f}, {3, 100.0f}, {1000000, 100.0f}};
  Sampler s(g);
  EXPECT_EQ(s.sample(std::vector<float>{0.0f, 1.0f, 0.5f}, {}), 1);
}

TEST(SamplerChain, EveryTokenBannedFallsBackToRawArgmax) {
  SamplingParams p = plain(3);
  p.logit_bias = {{0, -kInf}, {1, -kInf}};
  Sampler s(p);
  EXPECT_EQ(s.sample(std::vector<float>{0.0f, 1.0f}, {}), 1);
}

// --- penalties -------------------------------------------------------------------------------

TEST(SamplerChain, FrequencyPenaltyCountsOccurrencesPresencePenaltyDoesNot) {
  const std::vector<float> logits = {2.0f, 1.5f, 1.0f};
  const std::vector<int32_t> history = {0, 0};
  SamplingParams f = greedy();
  f.frequency_penalty = 0.3f;  // 2.0 - 0.3 * 2 = 1.4 < 1.5
  EXPECT_EQ(Sampler(f).sample(logits, history), 1);
  SamplingParams pr = greedy();
  pr.presence_penalty = 0.3f;  // 2.0 - 0.3 = 1.7 > 1.5
  EXPECT_EQ(Sampler(pr).sample(logits, history), 0);
  pr.presence_penalty = 0.6f;  // 1.4 < 1.5
  EXPECT_EQ(Sampler(pr).sample(logits, history), 1);
  SamplingParams both = greedy();
  both.presence_penalty = 0.2f;
  both.frequency_penalty = 0.1f;  // 2.0 - 0.2 - 0.2 = 1.6 > 1.5
  EXPECT_EQ(Sampler(both).sample(logits, history), 0);
  both.frequency_penalty = 0.2f;  // 2.0 - 0.2 - 0.4 = 1.4 < 1.5
  EXPECT_EQ(Sampler(both).sample(logits, history), 1);
}

TEST(SamplerChain, PenaltiesCountOnlyTheWindow) {
  const std::vector<float> logits = {2.0f, 1.5f, 1.0f};
  SamplingParams f = greedy();
  f.frequency_penalty = 0.3f;
  f.repeat_last_n = 2;
  // Five 0s, but only the last two tokens count: 0 appears once there (2.0 - 0.3 = 1.7).
  EXPECT_EQ(Sampler(f).sample(logits, std::vector<int32_t>{0, 0, 0, 0, 1, 0}), 0);
  // Both window tokens are 0: 2.0 - 0.6 = 1.4.
  EXPECT_EQ(Sampler(f).sample(logits, std::vector<int32_t>{1, 1, 0, 0}), 1);
  // repeat_last_n = 0 turns penalties off; -1 is the whole history.
  f.repeat_last_n = 0;
  EXPECT_EQ(Sampler(f).sample(logits, std::vector<int32_t>{0, 0, 0, 0}), 0);
  f.repeat_last_n = 2;
  EXPECT_EQ(Sampler(f).sample(logits, std::vector<int32_t>{0, 0, 0, 2}), 0);  // 2.0 - 0.3 = 1.7
  f.repeat_last_n = -1;
  EXPECT_EQ(Sampler(f).sample(logits, std::vector<int32_t>{0, 0, 0, 2}), 1);  // 2.0 - 0.9 = 1.1
}

TEST(SamplerChain, PenaltiesIgnoreHistoryIdsOutsideTheVocabulary) {
  SamplingParams f = greedy();
  f.frequency_penalty = 1.0f;
  EXPECT_EQ(Sampler(f).sample(std::vector<float>{1.0f, 0.0f}, std::vector<int32_t>{-5, 7, 100000}), 0);
}

TEST(SamplerChain, RepeatPenaltyMultipliesNegativeLogits) {
  SamplingParams r = greedy();
  r.repeat_penalty = 2.0f;
  // -0.5 * 2 = -1.0 < -0.8
  EXPECT_EQ(Sampler(r).sample(std::vector<float>{-0.5f, -0.8f}, std::vector<int32_t>{0}), 1);
}

TEST(SamplerChain, BiasComesBeforePenalties) {
  // Token 0: logit 1.0, bias +1.0, repeat penalty 2. Bias first: (1 + 1) / 2 = 1.0 < 1.2 (token 1).
  // Penalty first would give 1 / 2 + 1 = 1.5 > 1.2.
  SamplingParams p = greedy();
  p.logit_bias = {{0, 1.0f}};
  p.repeat_penalty = 2.0f;
  EXPECT_EQ(Sampler(p).sample(std::vector<float>{1.0f, 1.2f}, std::vector<int32_t>{0}), 1);
}

TEST(SamplerChain, RepeatPenaltyComesBeforePresencePenalty) {
  // (3 / 2) - 1 = 0.5 < 0.8; the other order gives (3 - 1) / 2 = 1.0 > 0.8.
  SamplingParams p = greedy();
  p.repeat_penalty = 2.0f;
  p.presence_penalty = 1.0f;
  EXPECT_EQ(Sampler(p).sample(std::vector<float>{3.0f, 0.8f}, std::vector<int32_t>{0}), 1);
}

// --- typical-p -------------------------------------------------------------------------------

TEST(SamplerChain, TypicalPKeepsTokensNearTheEntropy) {
  // p = {0.4, 0.3, 0.2, 0.1}: H = 1.2799 nats; surprisals 0.916, 1.204, 1.609, 2.303 are at
  // distances 0.364, 0.076, 0.330, 1.023. typical_p = 0.5 keeps {1 (0.3), 2 (0.2)}: the most
  // probable token is not typical and is dropped.
  SamplingParams p = plain(7);
  p.typical_p = 0.5f;
  Sampler s(p);
  auto h = histogram(s, logits_from_probs({0.4, 0.3, 0.2, 0.1}), 20000);
  EXPECT_EQ(h.count(0), 0u);
  EXPECT_EQ(h.count(3), 0u);
  EXPECT_NEAR(h[1] / 20000.0, 0.6, 0.02);
  EXPECT_NEAR(h[2] / 20000.0, 0.4, 0.02);
}

TEST(SamplerChain, TypicalPOfOneIsOff) {
  SamplingParams p = plain(8);
  p.typical_p = 1.0f;
  Sampler s(p);
  auto h = histogram(s, logits_from_probs({0.4, 0.3, 0.2, 0.1}), 4000);
  EXPECT_EQ(h.size(), 4u);
}

TEST(SamplerChain, TopKRunsBeforeTypicalP) {
  // top_k = 2 leaves {0.4, 0.3} -> renormalized {0.571, 0.429}; H = 0.683; distances 0.123 and
  // 0.163: typical_p = 0.5 keeps token 0 only. Typical-p on the full distribution would keep {1, 2}.
  SamplingParams p = plain(9);
  p.top_k = 2;
  p.typical_p = 0.5f;
  Sampler s(p);
  auto h = histogram(s, logits_from_probs({0.4, 0.3, 0.2, 0.1}), 1000);
  EXPECT_EQ(h[0], 1000);
}

TEST(SamplerChain, TypicalPRunsBeforeTopP) {
  // Typical-p 0.5 keeps {1, 2} renormalized to {0.6, 0.4}; then top_p 0.5 keeps token 1 only.
  // The other order: top-p keeps {0, 1}, then typical-p over {0.57, 0.43} keeps token 0 only.
  SamplingParams p = plain(10);
  p.typical_p = 0.5f;
  p.top_p = 0.5f;
  Sampler s(p);
  auto h = histogram(s, logits_from_probs({0.4, 0.3, 0.2, 0.1}), 1000);
  EXPECT_EQ(h[1], 1000);
}

// --- -inf, top-k, min-p, temperature ---------------------------------------------------------

TEST(SamplerChain, MinusInfCandidatesAreNeverDrawn) {
  SamplingParams p = plain(11);
  p.top_k = 3;
  Sampler s(p);
  auto h = histogram(s, std::vector<float>{-kInf, 0.0f, -kInf, 0.0f, -kInf}, 2000);
  EXPECT_EQ((std::set<int32_t>{1, 3}), [&] {
    std::set<int32_t> k;
    for (auto& [id, n] : h) k.insert(id);
    return k;
  }());
}

TEST(SamplerChain, TemperatureComesAfterMinP) {
  // min_p 0.5 of {0.5, 0.3, 0.2}: threshold 0.25 keeps {0, 1}. A huge temperature flattens what
  // is left but cannot bring token 2 back (temperature before min-p would keep all three).
  SamplingParams p = plain(12);
  p.min_p = 0.5f;
  p.temperature = 100.0f;
  Sampler s(p);
  auto h = histogram(s, logits_from_probs({0.5, 0.3, 0.2}), 4000);
  EXPECT_EQ(h.count(2), 0u);
  EXPECT_NEAR(h[0] / 4000.0, 0.5, 0.05);  // nearly uniform over {0, 1}
}

// --- determinism -----------------------------------------------------------------------------

TEST(SamplerChain, SameSeedSameTokensWithEveryStageOn) {
  SamplingParams p;
  p.temperature = 0.9f;
  p.top_k = 50;
  p.top_p = 0.9f;
  p.min_p = 0.01f;
  p.typical_p = 0.95f;
  p.repeat_penalty = 1.1f;
  p.presence_penalty = 0.3f;
  p.frequency_penalty = 0.2f;
  p.logit_bias = {{3, -2.0f}, {7, 1.0f}};
  p.seed = 1234;
  std::vector<float> logits(100);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(std::sin(static_cast<double>(i) * 1.7));
  auto run = [&](uint64_t seed) {
    SamplingParams q = p;
    q.seed = seed;
    Sampler s(q);
    std::vector<int32_t> history;
    for (int i = 0; i < 200; ++i) history.push_back(s.sample(logits, history));
    return history;
  };
  EXPECT_EQ(run(1234), run(1234));
  EXPECT_NE(run(1234), run(1235));
}

// --- grammar ---------------------------------------------------------------------------------

struct SmallVocab {
  // 0: "a", 1: "b", 2: "ab", 3: "c", 4: "</s>" (end of generation)
  std::shared_ptr<const grammar::GrammarVocab> vocab;
  SmallVocab() {
    auto built = grammar::GrammarVocab::build({"a", "b", "ab", "c", "</s>"}, std::vector<int32_t>{4});
    EXPECT_TRUE(built.ok());
    vocab = *built;
  }
};

std::unique_ptr<grammar::GrammarMatcher> matcher_for(const std::string& gbnf, const SmallVocab& v) {
  auto g = grammar::Grammar::parse(gbnf);
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  auto m = grammar::GrammarMatcher::create(*g, v.vocab);
  EXPECT_TRUE(m.ok());
  return std::move(m).value();
}

TEST(SamplerChain, GreedyWithGrammarPicksTheBestAllowedToken) {
  SmallVocab v;
  auto m = matcher_for("root ::= \"b\"+", v);
  Sampler s(greedy());
  // "c" is best but not allowed; "b" is the best allowed.
  auto id = s.sample(std::vector<float>{1.0f, 2.0f, 0.0f, 5.0f, 0.0f}, {}, *m);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 1);
}

TEST(SamplerChain, SampledTokensAreAlwaysAllowedAndEogOnlyWhenComplete) {
  SmallVocab v;
  auto m = matcher_for("root ::= \"a\" \"b\" \"c\"?", v);
  SamplingParams p = plain(5);
  for (int trial = 0; trial < 200; ++trial) {
    m->reset();
    Sampler s(p);
    std::string out;
    for (int step = 0; step < 10 && !m->is_finished(); ++step) {
      // End-of-generation is the model's favourite; "c" is the worst.
      auto id = s.sample(std::vector<float>{0.0f, 0.0f, 0.0f, -3.0f, 4.0f}, {}, *m);
      ASSERT_TRUE(id.ok());
      ASSERT_NE(*id, Sampler::kNoToken);
      ASSERT_TRUE(m->accept_token(*id).ok()) << "token " << *id << " after '" << out << "'";
      if (*id != 4) out += std::string(v.vocab->token_bytes(*id));
    }
    ASSERT_TRUE(m->is_finished());
    EXPECT_TRUE(out == "ab" || out == "abc") << out;
  }
}

TEST(SamplerChain, GrammarAllowingNothingGivesNoToken) {
  SmallVocab v;
  auto m = matcher_for("root ::= \"a\"", v);
  ASSERT_TRUE(m->accept_token(0).ok());
  ASSERT_TRUE(m->accept_token(4).ok());  // finished: nothing more is allowed
  Sampler s(plain(6));
  auto id = s.sample(std::vector<float>{0, 0, 0, 0, 0}, {}, *m);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, Sampler::kNoToken);
}

TEST(SamplerChain, BiasBanningEveryAllowedTokenGivesNoToken) {
  SmallVocab v;
  auto m = matcher_for("root ::= \"c\"", v);
  SamplingParams p = plain(6);
  p.logit_bias = {{3, -kInf}};
  Sampler s(p);
  auto id = s.sample(std::vector<float>{0, 0, 0, 0, 0}, {}, *m);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, Sampler::kNoToken);
}

TEST(SamplerChain, GrammarRejectsLogitsShorterThanItsVocabulary) {
  SmallVocab v;
  auto m = matcher_for("root ::= \"c\"", v);
  Sampler s(plain(6));
  auto id = s.sample(std::vector<float>{5.0f, 0.0f}, {}, *m);  // draws 0, rejected, mask fails
  EXPECT_FALSE(id.ok());
}

TEST(SamplerChain, ConstrainedDrawFollowsTheMaskedDistribution) {
  // Plain softmax sampling: the fast path draws exactly from p restricted to the allowed set.
  SmallVocab v;
  auto m = matcher_for("root ::= [ab] | \"ab\"", v);
  Sampler s(plain(13));
  const auto logits = logits_from_probs({0.2, 0.1, 0.1, 0.5, 0.1});  // allowed: 0, 1, 2 (mass 0.4)
  std::map<int32_t, int> h;
  for (int i = 0; i < 20000; ++i) {
    auto id = s.sample(logits, {}, *m);
    ASSERT_TRUE(id.ok());
    ++h[*id];
  }
  EXPECT_EQ(h.count(3) + h.count(4), 0u);
  EXPECT_NEAR(h[0] / 20000.0, 0.5, 0.02);
  EXPECT_NEAR(h[1] / 20000.0, 0.25, 0.02);
  EXPECT_NEAR(h[2] / 20000.0, 0.25, 0.02);
}

}  // namespace
}  // namespace plexus::sampling

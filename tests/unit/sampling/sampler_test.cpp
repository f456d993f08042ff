#include "sampling/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

namespace plexus::sampling {
namespace {

std::vector<float> logits_from_probs(const std::vector<double>& p) {
  std::vector<float> l;
  for (double x : p) l.push_back(static_cast<float>(std::log(x)));
  return l;
}

std::map<int32_t, int> histogram(Sampler& s, const std::vector<float>& logits, int draws) {
  std::map<int32_t, int> h;
  for (int i = 0; i < draws; ++i) ++h[s.sample(logits, {})];
  return h;
}

TEST(Sampler, ZeroTemperatureIsArgmaxWithLowestIdOnTies) {
  Sampler s({.temperature = 0});
  EXPECT_EQ(s.sample(std::vector<float>{1, 3, 2}, {}), 1);
  EXPECT_EQ(s.sample(std::vector<float>{5, 5, 1}, {}), 0);
}

TEST(Sampler, TopKKeepsOnlyKBest) {
  Sampler s({.temperature = 1, .top_k = 2, .top_p = 1, .min_p = 0, .seed = 3});
  auto h = histogram(s, logits_from_probs({0.3, 0.1, 0.35, 0.25}), 2000);
  EXPECT_EQ((std::set<int32_t>{0, 2}), [&] { std::set<int32_t> k; for (auto& [id, n] : h) k.insert(id); return k; }());
}

TEST(Sampler, TopPKeepsSmallestPrefixReachingP) {
  Sampler s({.temperature = 1, .top_k = 0, .top_p = 0.6f, .min_p = 0, .seed = 3});
  auto h = histogram(s, logits_from_probs({0.5, 0.2, 0.2, 0.1}), 3000);
  EXPECT_EQ(h.count(3), 0u);
  EXPECT_EQ(h.count(0) + h.count(1) + h.count(2), h.size());
  EXPECT_GT(h[0], h[1]);
}

TEST(Sampler, MinPDropsTokensBelowFractionOfBest) {
  Sampler s({.temperature = 1, .top_k = 0, .top_p = 1, .min_p = 0.3f, .seed = 5});
  auto h = histogram(s, logits_from_probs({0.55, 0.25, 0.1, 0.1}), 3000);
  EXPECT_EQ(h.count(2), 0u);  // 0.1 < 0.3 * 0.55
  EXPECT_EQ(h.count(3), 0u);
  EXPECT_GT(h[1], 0);
}

TEST(Sampler, DrawFrequenciesFollowTheDistribution) {
  Sampler s({.temperature = 1, .top_k = 0, .top_p = 1, .min_p = 0, .seed = 11});
  auto h = histogram(s, logits_from_probs({0.7, 0.2, 0.1}), 20000);
  EXPECT_NEAR(h[0] / 20000.0, 0.7, 0.02);
  EXPECT_NEAR(h[1] / 20000.0, 0.2, 0.02);
  EXPECT_NEAR(h[2] / 20000.0, 0.1, 0.02);
}

TEST(Sampler, RepeatPenaltyDemotesRecentTokens) {
  Sampler s({.temperature = 0, .repeat_penalty = 2.0f, .repeat_last_n = 2});
  std::vector<int32_t> history = {1};
  EXPECT_EQ(s.sample(std::vector<float>{1.5f, 2.0f}, history), 0);  // 2.0 / 2 < 1.5
  std::vector<int32_t> old_history = {1, 0, 0};                       // token 1 outside the window
  EXPECT_EQ(s.sample(std::vector<float>{1.5f, 2.0f}, old_history), 1);
}

TEST(Sampler, SameSeedSameSequence) {
  auto logits = logits_from_probs({0.25, 0.25, 0.25, 0.25});
  Sampler a({.temperature = 1, .top_k = 0, .top_p = 1, .min_p = 0, .seed = 42});
  Sampler b({.temperature = 1, .top_k = 0, .top_p = 1, .min_p = 0, .seed = 42});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.sample(logits, {}), b.sample(logits, {}));
}

TEST(LogSoftmax, SumsToOneAndIsStableForLargeLogits) {
  std::vector<float> l = {1000.0f, 999.0f, -1000.0f};
  std::vector<float> out(3);
  log_softmax(l, out);
  double sum = 0;
  for (float x : out) sum += std::exp(static_cast<double>(x));
  EXPECT_NEAR(sum, 1.0, 1e-6);
  EXPECT_NEAR(out[0] - out[1], 1.0, 1e-5);
}

}  // namespace
}  // namespace plexus::sampling

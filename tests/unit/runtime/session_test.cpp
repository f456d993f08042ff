// Session behaviour on real models: context limits, prefix reuse, seeded sampling, stop at EOG.
#include <gtest/gtest.h>

#include "core/thread_pool.h"
#include "runtime/loaded_model.h"
#include "runtime/session.h"
#include "test_paths.h"

namespace plexus::runtime {
namespace {

std::string stories() { return (testing::shared_dir() / "models" / "stories260K.gguf").string(); }

std::vector<int32_t> run_tokens(Session& s, const std::vector<int32_t>& prompt, const GenerateOptions& o,
                                GenerateStats* stats = nullptr) {
  std::vector<int32_t> out;
  Status st = s.generate(prompt, o, [&](const TokenEvent& ev) {
    out.push_back(ev.id);
    return true;
  }, stats);
  EXPECT_TRUE(st.ok()) << st.to_string();
  return out;
}

TEST(Session, PromptPlusMaxTokensBeyondContextIsAClearError) {
  auto m = load_model(stories());
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  ThreadPool pool(2);
  Session s(**m, pool, {.n_ctx = 32});
  auto prompt = (*m)->tokenizer->encode("Once upon a time", true, false);
  GenerateOptions o;
  o.max_tokens = 100;
  Status st = s.generate(prompt, o, [](const TokenEvent&) { return true; });
  EXPECT_EQ(st.code(), error_code::out_of_range);
  EXPECT_NE(st.message().find("context length 32"), std::string::npos) << st.message();
}

TEST(Session, UnlimitedGenerationStopsAtFullContext) {
  auto m = load_model(stories());
  ASSERT_TRUE(m.ok());
  ThreadPool pool(1);
  Session s(**m, pool, {.n_ctx = 24});
  auto prompt = (*m)->tokenizer->encode("Once upon a time", true, false);
  GenerateOptions o;
  o.sampling.temperature = 0;
  GenerateStats stats;
  auto ids = run_tokens(s, prompt, o, &stats);
  EXPECT_EQ(static_cast<int64_t>(prompt.size() + ids.size()), 24);
  EXPECT_EQ(stats.stop_reason, "context");
}

TEST(Session, ReusesCachedPrefixAndGivesSameGreedyOutput) {
  auto m = load_model(stories());
  ASSERT_TRUE(m.ok());
  ThreadPool pool(2);
  Session s(**m, pool, {});
  auto prompt = (*m)->tokenizer->encode("Once upon a time, there was a little girl", true, false);
  GenerateOptions o;
  o.max_tokens = 16;
  o.sampling.temperature = 0;
  GenerateStats first, second;
  auto a = run_tokens(s, prompt, o, &first);
  auto b = run_tokens(s, prompt, o, &second);
  EXPECT_EQ(a, b);
  EXPECT_EQ(first.prompt_evaluated, static_cast<int64_t>(prompt.size()));
  EXPECT_EQ(second.prompt_evaluated, 1);  // only the last prompt token is re-run for its logits
  Session fresh(**m, pool, {});
  EXPECT_EQ(run_tokens(fresh, prompt, o), a);
}

TEST(Session, SameSeedSameTextDifferentSeedDifferentText) {
  auto m = load_model(stories());
  ASSERT_TRUE(m.ok());
  ThreadPool pool(2);
  Session s(**m, pool, {});
  auto prompt = (*m)->tokenizer->encode("Once upon a time", true, false);
  GenerateOptions o;
  o.max_tokens = 48;
  o.sampling.temperature = 1.0f;
  o.sampling.seed = 7;
  auto a = run_tokens(s, prompt, o);
  auto b = run_tokens(s, prompt, o);
  EXPECT_EQ(a, b);
  o.sampling.seed = 8;
  EXPECT_NE(run_tokens(s, prompt, o), a);
}

TEST(Session, TopLogprobsAreSortedAndIncludeGreedyChoice) {
  auto m = load_model(stories());
  ASSERT_TRUE(m.ok());
  ThreadPool pool(2);
  Session s(**m, pool, {});
  auto prompt = (*m)->tokenizer->encode("Once upon a time", true, false);
  GenerateOptions o;
  o.max_tokens = 4;
  o.sampling.temperature = 0;
  o.top_logprobs = 5;
  Status st = s.generate(prompt, o, [&](const TokenEvent& ev) {
    EXPECT_EQ(ev.top.size(), 5u);
    EXPECT_EQ(ev.top[0].first, ev.id);
    EXPECT_FLOAT_EQ(ev.top[0].second, ev.logprob);
    for (size_t i = 1; i < ev.top.size(); ++i) EXPECT_GE(ev.top[i - 1].second, ev.top[i].second);
    return true;
  });
  EXPECT_TRUE(st.ok());
}

}  // namespace
}  // namespace plexus::runtime

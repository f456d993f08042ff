// The continuous-batching Engine on a real model: batched outputs equal solo outputs, prefix
// cache hits, bounded queue, cancellation, KV pool admission.
#include "runtime/engine.h"

#include <gtest/gtest.h>

#include <future>

#include "runtime/session.h"
#include "test_paths.h"

namespace plexus::runtime {
namespace {

class CollectingSink : public RequestSink {
 public:
  void on_token(const TokenEvent& ev) override {
    ids.push_back(ev.id);
    text += ev.text;
    if (cancel_after > 0 && static_cast<int>(ids.size()) == cancel_after && on_cancel) on_cancel();
  }
  void on_done(const GenerateStats& s, const Status& st) override {
    stats = s;
    status = st;
    done.set_value();
  }
  std::vector<int32_t> ids;
  std::string text;
  GenerateStats stats;
  Status status;
  std::promise<void> done;
  int cancel_after = 0;
  std::function<void()> on_cancel;
};

std::shared_ptr<const LoadedModel> stories() {
  auto m = load_model((testing::shared_dir() / "models" / "stories260K.gguf").string());
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  return std::shared_ptr<const LoadedModel>(std::move(*m));
}

std::vector<int32_t> solo_greedy(const LoadedModel& m, const std::vector<int32_t>& prompt, int64_t n) {
  ThreadPool pool(2);
  Session s(m, pool, {});
  GenerateOptions o;
  o.max_tokens = n;
  o.sampling.temperature = 0;
  std::vector<int32_t> out;
  EXPECT_TRUE(s.generate(prompt, o, [&](const TokenEvent& ev) {
                 out.push_back(ev.id);
                 return true;
               }).ok());
  return out;
}

GenerateRequest greedy_request(const std::vector<int32_t>& prompt, int64_t n, std::shared_ptr<RequestSink> sink) {
  GenerateRequest r;
  r.prompt = prompt;
  r.options.max_tokens = n;
  r.options.sampling.temperature = 0;
  r.sink = std::move(sink);
  return r;
}

TEST(Engine, ConcurrentGreedyRequestsMatchSoloRuns) {
  auto model = stories();
  const std::vector<std::string> prompts = {"Once upon a time", "The cat sat on the mat.", "Lily and Tom went to",
                                            "One day, a big dog", "There was a little bird who", "Tim had a red ball",
                                            "The sun was hot and", "Mom said"};
  EngineOptions opts;
  opts.max_sequences = 8;
  opts.n_batch = 16;  // small chunks: prompts prefill over several steps interleaved with decoding
  Engine engine(model, opts);
  std::vector<std::shared_ptr<CollectingSink>> sinks;
  std::vector<std::vector<int32_t>> token_prompts;
  for (const auto& p : prompts) {
    token_prompts.push_back(model->tokenizer->encode(p, true, false));
    sinks.push_back(std::make_shared<CollectingSink>());
    ASSERT_TRUE(engine.submit(greedy_request(token_prompts.back(), 40, sinks.back())).ok());
  }
  for (size_t i = 0; i < prompts.size(); ++i) {
    sinks[i]->done.get_future().wait();
    EXPECT_TRUE(sinks[i]->status.ok());
    EXPECT_EQ(sinks[i]->ids, solo_greedy(*model, token_prompts[i], 40)) << prompts[i];
    EXPECT_EQ(sinks[i]->stats.stop_reason, "limit");
  }
  EXPECT_EQ(engine.metrics().requests_done, static_cast<int64_t>(prompts.size()));
}

TEST(Engine, SharedPrefixIsServedFromTheCache) {
  auto model = stories();
  Engine engine(model, {});
  std::string system = "Once upon a time, there was a little girl named Lily. She loved to play outside with her "
                       "friends in the park. One day,";
  auto a = model->tokenizer->encode(system + " she saw a bird.", true, false);
  auto b = model->tokenizer->encode(system + " her mom said", true, false);
  auto sink_a = std::make_shared<CollectingSink>();
  ASSERT_TRUE(engine.submit(greedy_request(a, 8, sink_a)).ok());
  sink_a->done.get_future().wait();
  auto sink_b = std::make_shared<CollectingSink>();
  ASSERT_TRUE(engine.submit(greedy_request(b, 8, sink_b)).ok());
  sink_b->done.get_future().wait();
  EXPECT_GE(engine.metrics().prompt_tokens_cached, 16);
  EXPECT_LT(sink_b->stats.prompt_evaluated, static_cast<int64_t>(b.size()));
  EXPECT_EQ(sink_b->ids, solo_greedy(*model, b, 8));
}

TEST(Engine, FullQueueIsRefused) {
  auto model = stories();
  EngineOptions opts;
  opts.max_sequences = 1;
  opts.max_queue = 2;
  Engine engine(model, opts);
  auto prompt = model->tokenizer->encode("Once upon a time", true, false);
  int refused = 0;
  std::vector<std::shared_ptr<CollectingSink>> sinks;
  for (int i = 0; i < 20; ++i) {
    sinks.push_back(std::make_shared<CollectingSink>());
    auto r = engine.submit(greedy_request(prompt, 200, sinks.back()));
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), error_code::resource_exhausted);
      ++refused;
      sinks.pop_back();
    }
  }
  EXPECT_GT(refused, 0);
  for (auto& s : sinks) s->done.get_future().wait();
}

TEST(Engine, CancelStopsARequestPromptly) {
  auto model = stories();
  Engine engine(model, {});
  auto prompt = model->tokenizer->encode("Once upon a time", true, false);
  auto sink = std::make_shared<CollectingSink>();
  // The third token may arrive before submit() has returned the id to this thread: the sink
  // (on the engine thread) waits for it.
  std::promise<uint64_t> id_promise;
  std::shared_future<uint64_t> id = id_promise.get_future().share();
  sink->cancel_after = 3;
  sink->on_cancel = [&] { engine.cancel(id.get()); };
  auto r = engine.submit(greedy_request(prompt, 1000, sink));
  ASSERT_TRUE(r.ok());
  id_promise.set_value(*r);
  sink->done.get_future().wait();
  EXPECT_EQ(sink->stats.stop_reason, "cancelled");
  EXPECT_LE(sink->ids.size(), 5u);
}

TEST(Engine, RejectsRequestsThatCannotFit) {
  auto model = stories();
  EngineOptions opts;
  opts.n_ctx = 64;
  Engine engine(model, opts);
  auto sink = std::make_shared<CollectingSink>();
  auto prompt = model->tokenizer->encode("Once upon a time", true, false);
  auto r = engine.submit(greedy_request(prompt, 100, sink));
  EXPECT_EQ(r.status().code(), error_code::out_of_range);
  GenerateRequest bad = greedy_request({1, 99999}, 4, sink);
  EXPECT_EQ(engine.submit(std::move(bad)).status().code(), error_code::invalid_argument);
  EXPECT_EQ(engine.submit(greedy_request({}, 4, sink)).status().code(), error_code::invalid_argument);
}

TEST(Engine, EachSequenceMayUseTheWholeContext) {
  // KV pool of 2 contexts shared by 4 sequences: they queue for blocks rather than split the context.
  auto model = stories();
  EngineOptions opts;
  opts.n_ctx = 256;
  opts.kv_tokens = 512;
  opts.max_sequences = 4;
  Engine engine(model, opts);
  auto prompt = model->tokenizer->encode("Once upon a time", true, false);
  std::vector<std::shared_ptr<CollectingSink>> sinks;
  for (int i = 0; i < 4; ++i) {
    sinks.push_back(std::make_shared<CollectingSink>());
    GenerateRequest r = greedy_request(prompt, 256 - static_cast<int64_t>(prompt.size()), sinks.back());
    r.options.stop_at_eog = false;
    ASSERT_TRUE(engine.submit(std::move(r)).ok());
  }
  for (auto& s : sinks) {
    s->done.get_future().wait();
    EXPECT_TRUE(s->status.ok()) << s->status.to_string();
  }
  // At least two sequences reached the full context length.
  int full = 0;
  for (auto& s : sinks) full += static_cast<int>(s->ids.size() + prompt.size()) == 256 ? 1 : 0;
  EXPECT_GE(full, 2);
}

}  // namespace
}  // namespace plexus::runtime

// runtime::Embedder: pooling and normalization, batched == one at a time, inputs of concurrent
// requests packed into one forward pass, context limits and truncation, validation, the
// bounded queue, and encoder/decoder hidden states.
#include "runtime/embedder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "runtime/loaded_model.h"
#include "test_paths.h"

namespace plexus::runtime {
namespace {

std::shared_ptr<const LoadedModel> load(const std::string& file) {
  auto m = load_model((testing::shared_dir() / "models" / "synth" / file).string());
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return nullptr;
  return std::shared_ptr<const LoadedModel>(std::move(m).value());
}

std::vector<int32_t> tokens(const LoadedModel& m, const std::string& text) {
  return m.tokenizer->encode(text, true, true);
}

// Holds the embedder thread inside a callback until release(), so later submissions queue up.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool entered = false, open = false;
  void hold() {
    std::unique_lock lock(mutex);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return open; });
  }
  void wait_entered() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return entered; });
  }
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    cv.notify_all();
  }
};

const std::vector<std::string> kTexts = {"hello world", "The quick brown fox jumps over the lazy dog.", "",
                                         "Numbers: 3.14159, 42 and -7!", "a b c d e f g h i j k l m n o p q"};

TEST(Pooling, MeanClsLastAndNone) {
  const float h[] = {1, 2, 3, 4, 5, 6};  // 3 tokens x 2
  float out[2];
  ASSERT_TRUE(pool_hidden(model::pooling_type::mean, h, 3, 2, out).ok());
  EXPECT_FLOAT_EQ(out[0], 3);
  EXPECT_FLOAT_EQ(out[1], 4);
  ASSERT_TRUE(pool_hidden(model::pooling_type::cls, h, 3, 2, out).ok());
  EXPECT_FLOAT_EQ(out[0], 1);
  ASSERT_TRUE(pool_hidden(model::pooling_type::last, h, 3, 2, out).ok());
  EXPECT_FLOAT_EQ(out[1], 6);
  EXPECT_FALSE(pool_hidden(model::pooling_type::none, h, 3, 2, out).ok());
  EXPECT_FALSE(pool_hidden(model::pooling_type::mean, h, 0, 2, out).ok());
}

TEST(Pooling, L2Normalize) {
  float v[] = {3, 4};
  EXPECT_DOUBLE_EQ(l2_normalize(v, 2), 5.0);
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
  float z[] = {0, 0};
  EXPECT_DOUBLE_EQ(l2_normalize(z, 2), 0.0);
  EXPECT_EQ(z[0], 0.0f);
}

TEST(PoolingNames, RoundTrip) {
  for (auto p :
       {model::pooling_type::none, model::pooling_type::mean, model::pooling_type::cls, model::pooling_type::last}) {
    model::pooling_type q;
    ASSERT_TRUE(model::parse_pooling(model::pooling_name(p), q));
    EXPECT_EQ(p, q);
  }
  model::pooling_type q;
  EXPECT_FALSE(model::parse_pooling("max", q));
}

void expect_close(const std::vector<float>& a, const std::vector<float>& b, float tol, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], tol) << what << " component " << i;
}

// Batched == one at a time, for an encoder (mean and cls) and a decoder (last and mean).
TEST(Embedder, BatchedEqualsOneAtATime) {
  for (const auto& [file, pooling] : {std::pair{"synth-bert-mean-F32.gguf", model::pooling_type::mean},
                                      std::pair{"synth-bert-mean-F32.gguf", model::pooling_type::cls},
                                      std::pair{"synth-llama-F32.gguf", model::pooling_type::last},
                                      std::pair{"synth-llama-F32.gguf", model::pooling_type::mean}}) {
    auto m = load(file);
    ASSERT_TRUE(m);
    EmbedderOptions o;
    o.threads = 2;
    Embedder e(m, o);
    EmbedRequest all;
    all.pooling = pooling;
    std::vector<std::vector<float>> single;
    int64_t tokens_total = 0;
    for (const auto& t : kTexts) {
      EmbedRequest one;
      one.pooling = pooling;
      one.inputs = {tokens(*m, t)};
      tokens_total += static_cast<int64_t>(one.inputs[0].size());
      all.inputs.push_back(one.inputs[0]);
      auto r = e.embed(one);
      ASSERT_TRUE(r.ok()) << r.status().message();
      single.push_back(r->embeddings[0]);
      double n2 = 0;
      for (float x : single.back()) n2 += static_cast<double>(x) * x;
      EXPECT_NEAR(std::sqrt(n2), 1.0, 1e-5);
    }
    const int64_t passes_before = e.metrics().forward_passes;
    auto r = e.embed(all);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(e.metrics().forward_passes, passes_before + 1) << "one request's inputs share one forward pass";
    EXPECT_EQ(r->prompt_tokens, tokens_total);
    for (size_t i = 0; i < kTexts.size(); ++i) {
      expect_close(r->embeddings[i], single[i], 2e-5f,
                   std::string(file) + " " + model::pooling_name(pooling) + " input " + std::to_string(i));
    }
  }
}

TEST(Embedder, ConcurrentRequestsShareOneForwardPass) {
  auto m = load("synth-bert-mean-F32.gguf");
  ASSERT_TRUE(m);
  EmbedderOptions o;
  o.threads = 2;
  Embedder e(m, o);
  std::vector<std::vector<float>> expected;
  for (const auto& t : kTexts) {
    EmbedRequest one;
    one.inputs = {tokens(*m, t)};
    expected.push_back(e.embed(one).value().embeddings[0]);
  }
  Gate gate;
  EmbedRequest blocker;
  blocker.inputs = {tokens(*m, "block")};
  ASSERT_TRUE(e.submit(blocker, [&](Result<EmbedResult>) { gate.hold(); }).ok());
  gate.wait_entered();
  const int64_t passes_before = e.metrics().forward_passes;
  // Every request below waits while the embedder thread is held, then all go in one pass.
  std::vector<std::future<Result<EmbedResult>>> futures;
  std::vector<std::thread> threads;
  std::vector<std::promise<Result<EmbedResult>>> promises(kTexts.size());
  for (size_t i = 0; i < kTexts.size(); ++i) futures.push_back(promises[i].get_future());
  for (size_t i = 0; i < kTexts.size(); ++i) {
    threads.emplace_back([&, i] {
      EmbedRequest one;
      one.inputs = {tokens(*m, kTexts[i])};
      Status st = e.submit(one, [&, i](Result<EmbedResult> r) { promises[i].set_value(std::move(r)); });
      if (!st.ok()) promises[i].set_value(st);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(e.metrics().queued_inputs, static_cast<int64_t>(kTexts.size()));
  gate.release();
  for (size_t i = 0; i < kTexts.size(); ++i) {
    auto r = futures[i].get();
    ASSERT_TRUE(r.ok()) << r.status().message();
    expect_close(r->embeddings[0], expected[i], 2e-5f, "concurrent input " + std::to_string(i));
  }
  EXPECT_EQ(e.metrics().forward_passes, passes_before + 1);
}

TEST(Embedder, LongInputIsAnErrorNamingTheLimitUnlessTruncated) {
  auto m = load("synth-bert-mean-F32.gguf");
  ASSERT_TRUE(m);
  Embedder e(m, {});
  EXPECT_EQ(e.n_ctx(), 512);  // the position table
  EmbedRequest r;
  r.inputs = {std::vector<int32_t>(600, 1000)};
  auto err = e.embed(r);
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.status().code(), error_code::out_of_range);
  EXPECT_NE(err.status().message().find("512"), std::string::npos) << err.status().message();
  EXPECT_NE(err.status().message().find("600"), std::string::npos) << err.status().message();
  r.truncate = true;
  auto ok = e.embed(r);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->prompt_tokens, 512);
  EXPECT_EQ(ok->embeddings[0].size(), 128u);

  EmbedderOptions small;
  small.n_ctx = 8;
  Embedder e8(m, small);
  EmbedRequest r8;
  r8.inputs = {std::vector<int32_t>(9, 1000)};
  auto err8 = e8.embed(r8);
  ASSERT_FALSE(err8.ok());
  EXPECT_NE(err8.status().message().find("context of 8 tokens"), std::string::npos) << err8.status().message();
}

TEST(Embedder, RefusesBadRequests) {
  auto llama = load("synth-llama-F32.gguf");
  ASSERT_TRUE(llama);
  Embedder e(llama, {});
  EXPECT_EQ(e.default_pooling(), model::pooling_type::none);
  EmbedRequest r;
  r.inputs = {{1, 2, 3}};
  auto none = e.embed(r);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), error_code::invalid_argument);
  EXPECT_NE(none.status().message().find("pooling"), std::string::npos);
  r.pooling = model::pooling_type::last;
  EXPECT_TRUE(e.embed(r).ok());
  r.inputs = {{1, 2}, {}};
  EXPECT_EQ(e.embed(r).status().code(), error_code::invalid_argument);
  r.inputs = {{1, 512}};
  auto vocab = e.embed(r);
  EXPECT_EQ(vocab.status().code(), error_code::invalid_argument);
  EXPECT_NE(vocab.status().message().find("512"), std::string::npos);
  r.inputs = {{1, -1}};
  EXPECT_EQ(e.embed(r).status().code(), error_code::invalid_argument);
  r.inputs.clear();
  EXPECT_EQ(e.embed(r).status().code(), error_code::invalid_argument);

  EmbedderOptions o;
  o.pooling = model::pooling_type::mean;
  Embedder served(llama, o);
  EXPECT_EQ(served.default_pooling(), model::pooling_type::mean);  // serve --pooling
  auto bert = load("synth-bert-cls-F16.gguf");
  ASSERT_TRUE(bert);
  Embedder cls(bert, o);
  EXPECT_EQ(cls.default_pooling(), model::pooling_type::cls);  // the file's pooling wins
}

TEST(Embedder, BoundedQueue) {
  auto m = load("synth-bert-mean-F32.gguf");
  ASSERT_TRUE(m);
  EmbedderOptions o;
  o.max_queue = 4;
  o.threads = 1;
  Embedder e(m, o);
  EmbedRequest too_many;
  too_many.inputs.assign(5, {101, 102});
  EXPECT_EQ(e.embed(too_many).status().code(), error_code::invalid_argument);

  Gate gate;
  EmbedRequest one;
  one.inputs = {{101, 102}};
  ASSERT_TRUE(e.submit(one, [&](Result<EmbedResult>) { gate.hold(); }).ok());
  gate.wait_entered();
  std::atomic<int> done{0};
  EmbedRequest three;
  three.inputs.assign(3, {101, 7592, 102});
  ASSERT_TRUE(e.submit(three, [&](Result<EmbedResult> r) { done += r.ok() ? 1 : 100; }).ok());
  ASSERT_TRUE(e.submit(one, [&](Result<EmbedResult> r) { done += r.ok() ? 1 : 100; }).ok());
  Status full = e.submit(one, [&](Result<EmbedResult>) { done += 1000; });
  EXPECT_EQ(full.code(), error_code::resource_exhausted);
  gate.release();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (done.load() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(done.load(), 2);
  EXPECT_TRUE(e.embed(one).ok());  // room again
}

TEST(Embedder, ShutdownCancelsWaitingRequests) {
  auto m = load("synth-bert-mean-F32.gguf");
  ASSERT_TRUE(m);
  Gate gate;
  std::promise<Status> second;
  std::thread opener;
  {
    Embedder e(m, {});
    EmbedRequest one;
    one.inputs = {{101, 102}};
    ASSERT_TRUE(e.submit(one, [&](Result<EmbedResult>) { gate.hold(); }).ok());
    gate.wait_entered();
    ASSERT_TRUE(e.submit(one, [&](Result<EmbedResult> r) { second.set_value(r.status()); }).ok());
    opener = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      gate.release();
    });
  }  // ~Embedder: stops after the held callback; the waiting request is cancelled
  opener.join();
  // Exactly one answer; "cancelled" unless the opener ran before the destructor began (a very
  // busy machine), in which case the request was simply served.
  const Status st = second.get_future().get();
  EXPECT_TRUE(st.code() == error_code::cancelled || st.ok()) << st.message();
}

TEST(Model, EncoderCannotGenerate) {
  auto m = load("synth-bert-mean-F16.gguf");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->model->can_generate());
  EXPECT_EQ(m->model->config().arch, "bert");
  EXPECT_EQ(m->model->config().n_embd, 128);
  EXPECT_FALSE(m->model->config().causal);
  model::KvCache cache(m->model->kv_shape(), 16);
  ASSERT_TRUE(cache.reserve(0, 2).ok());
  model::ForwardScratch s;
  ThreadPool pool(1);
  std::vector<float> logits;
  Status st = m->model->forward({{101, 0, 0, true}, {102, 1, 0, true}}, cache, s, pool, logits);
  EXPECT_EQ(st.code(), error_code::unsupported);
  EXPECT_NE(st.message().find("embedding model"), std::string::npos);
}

}  // namespace
}  // namespace plexus::runtime

// Many clients at once, a full queue, and the model manager: --models-dir with on-demand loading,
// --max-loaded-models LRU unloading, Ollama keep_alive, and a synthetic model through the API.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_server.h"

namespace plexus::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::vector<std::string> loaded_models(uint16_t port) {
  std::vector<std::string> out;
  const json ps = http(port, "GET", "/api/ps").json();
  for (const auto& m : ps["models"]) out.push_back(m["name"]);
  return out;
}

TEST(Load, ThirtyTwoConcurrentGreedyStreamsEachMatchTheirSoloRun) {
  ServerProcess s({shared_model("stories260K.gguf"), "--parallel", "16", "--queue", "64"});
  ASSERT_TRUE(s.started()) << s.stderr_text();
  const std::vector<std::string> prompts = {"Once upon a time", "The cat", "Lily and Ben", "One day, a little",
                                            "Tom had a big", "The sun was", "She wanted to", "In the park"};
  auto request = [](const std::string& prompt) {
    return json{{"model", "stories260K"},
                {"messages", {{{"role", "user"}, {"content", prompt}}}},
                {"max_tokens", 40},
                {"temperature", 0},
                {"stream", true}};
  };
  // Alone, one after another.
  std::vector<std::string> solo;
  for (const auto& p : prompts) {
    HttpResult r = post_json(s.port(), "/v1/chat/completions", request(p));
    ASSERT_EQ(r.status, 200) << r.body;
    solo.push_back(sse_text(r.body));
    ASSERT_FALSE(solo.back().empty());
  }
  // 32 at once (each prompt four times), batched together by the engine.
  constexpr int kClients = 32;
  std::vector<HttpResult> results(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      results[static_cast<size_t>(i)] =
          post_json(s.port(), "/v1/chat/completions", request(prompts[static_cast<size_t>(i) % prompts.size()]));
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) {
    const HttpResult& r = results[static_cast<size_t>(i)];
    ASSERT_TRUE(r.ok) << i << ": " << r.error;
    ASSERT_EQ(r.status, 200) << i << ": " << r.body;
    EXPECT_EQ(sse_events(r.body).back(), "[DONE]") << i;
    EXPECT_EQ(sse_text(r.body), solo[static_cast<size_t>(i) % prompts.size()]) << "client " << i;
  }
  EXPECT_TRUE(s.alive());
}

TEST(Load, AFullQueueAnswers429WithRetryAfter) {
  ServerProcess s({shared_model("stories260K.gguf"), "--parallel", "1", "--queue", "1"});
  ASSERT_TRUE(s.started()) << s.stderr_text();
  // Long generations keep the single slot and the single queue place busy.
  const std::string body = json{{"prompt", "Once upon a time"}, {"max_tokens", 1500}, {"stream", true},
                                {"temperature", 1.0}}.dump();
  std::vector<int> fds;
  int refused = 0;
  std::string retry_after;
  for (int i = 0; i < 8; ++i) {
    const int fd = connect_loopback(s.port());
    ASSERT_GE(fd, 0);
    send_all(fd, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\n\r\n" + body);
    fds.push_back(fd);
  }
  for (int fd : fds) {
    // The head tells accepted (200, streaming) from refused (429, a small JSON body).
    std::string raw;
    char buf[4096];
    auto complete = [&] {
      if (raw.find("\r\n\r\n") == std::string::npos) return false;
      return raw.find(" 429 ") == std::string::npos || raw.rfind('}') > raw.find("\r\n\r\n");
    };
    while (!complete()) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      raw.append(buf, static_cast<size_t>(n));
    }
    const HttpResult r = parse_response(raw);
    if (r.status == 429) {
      ++refused;
      retry_after = r.headers.at("retry-after");
      EXPECT_EQ(r.json()["error"]["code"], "queue_full");
    }
    ::close(fd);  // the accepted ones are cancelled by the disconnect
  }
  EXPECT_GE(refused, 5);
  EXPECT_EQ(retry_after, "1");
  EXPECT_EQ(http(s.port(), "GET", "/health").status, 200);
}

class ModelsDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plexus_models_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    fs::create_symlink(shared_model("stories260K.gguf"), dir_ / "stories.gguf");
    fs::create_symlink(shared_model("synth/synth-llama-Q8_0.gguf"), dir_ / "synth.gguf");
    fs::create_symlink(shared_model("synth/synth-qwen2-Q4_0.gguf"), dir_ / "qwen.gguf");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ModelsDir, LoadsOnFirstRequestAndUnloadsLeastRecentlyUsed) {
  ServerProcess s({"--models-dir", dir_.string(), "--max-loaded-models", "2"});
  ASSERT_TRUE(s.started()) << s.stderr_text();
  const json models = http(s.port(), "GET", "/v1/models").json();
  ASSERT_EQ(models["data"].size(), 3u);
  EXPECT_TRUE(loaded_models(s.port()).empty());
  auto complete = [&](const std::string& model) {
    return post_json(s.port(), "/v1/completions", {{"model", model}, {"prompt", "Once"}, {"max_tokens", 4}});
  };
  EXPECT_EQ(complete("stories").status, 200);
  EXPECT_EQ(loaded_models(s.port()), std::vector<std::string>{"stories"});
  EXPECT_EQ(complete("synth").status, 200);
  EXPECT_EQ(loaded_models(s.port()).size(), 2u);
  EXPECT_EQ(complete("stories").status, 200);  // stories is now the most recently used
  EXPECT_EQ(complete("qwen").status, 200);     // evicts synth
  auto loaded = loaded_models(s.port());
  std::sort(loaded.begin(), loaded.end());
  EXPECT_EQ(loaded, (std::vector<std::string>{"qwen", "stories"}));
  // A file added later is found on request.
  fs::create_symlink(shared_model("stories260K.gguf"), dir_ / "late.gguf");
  EXPECT_EQ(complete("late").status, 200);
  EXPECT_EQ(complete("never-there").status, 404);
}

TEST_F(ModelsDir, OllamaKeepAliveZeroUnloadsAfterTheRequest) {
  ServerProcess s({"--models-dir", dir_.string()});
  ASSERT_TRUE(s.started()) << s.stderr_text();
  // Load only (no prompt), kept by default.
  HttpResult load = post_json(s.port(), "/api/generate", {{"model", "synth"}});
  ASSERT_EQ(load.status, 200) << load.body;
  EXPECT_EQ(load.json()["done_reason"], "load");
  EXPECT_EQ(loaded_models(s.port()), std::vector<std::string>{"synth"});
  // A chat with keep_alive 0: answered, then unloaded.
  HttpResult chat = post_json(s.port(), "/api/chat",
                              {{"model", "synth"},
                               {"messages", {{{"role", "user"}, {"content", "hello"}}}},
                               {"stream", false},
                               {"keep_alive", 0},
                               {"options", {{"num_predict", 5}, {"temperature", 0}}}});
  ASSERT_EQ(chat.status, 200) << chat.body;
  EXPECT_EQ(chat.json()["eval_count"], 5);
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!loaded_models(s.port()).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(loaded_models(s.port()).empty());
  // keep_alive "1s" on a load: unloaded about a second later.
  ASSERT_EQ(post_json(s.port(), "/api/chat", {{"model", "qwen"}, {"keep_alive", "1s"}}).status, 200);
  EXPECT_EQ(loaded_models(s.port()), std::vector<std::string>{"qwen"});
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(loaded_models(s.port()).empty());
}

TEST(SynthModel, ChatAndCompletionThroughTheApi) {
  ServerProcess s({shared_model("synth/synth-llama-Q4_K_M.gguf"), "--ctx", "256"});
  ASSERT_TRUE(s.started()) << s.stderr_text();
  HttpResult chat = post_json(s.port(), "/v1/chat/completions",
                              {{"messages", {{{"role", "system"}, {"content", "Be brief."}},
                                             {{"role", "user"}, {"content", "Hello"}}}},
                               {"max_tokens", 8}, {"temperature", 0.7}, {"seed", 42}});
  ASSERT_EQ(chat.status, 200) << chat.body;
  EXPECT_EQ(chat.json()["model"], "synth-llama-Q4_K_M");
  // Same seed, same output.
  HttpResult again = post_json(s.port(), "/v1/chat/completions",
                               {{"messages", {{{"role", "system"}, {"content", "Be brief."}},
                                              {{"role", "user"}, {"content", "Hello"}}}},
                                {"max_tokens", 8}, {"temperature", 0.7}, {"seed", 42}});
  EXPECT_EQ(again.json()["choices"], chat.json()["choices"]);
  // The context is 256: asking for more than is left names max_tokens.
  HttpResult too_long = post_json(s.port(), "/v1/completions", {{"prompt", "x"}, {"max_tokens", 300}});
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(too_long.json()["error"]["param"], "max_tokens");
  HttpResult ollama = post_json(s.port(), "/api/generate",
                                {{"model", "synth-llama-Q4_K_M"}, {"prompt", "Hi"}, {"stream", false},
                                 {"options", {{"num_predict", 4}, {"num_ctx", 64}}}});
  EXPECT_EQ(ollama.status, 200) << ollama.body;
  HttpResult over_ctx = post_json(s.port(), "/api/generate",
                                  {{"model", "synth-llama-Q4_K_M"}, {"prompt", "Hi"}, {"stream", false},
                                   {"options", {{"num_predict", 100}, {"num_ctx", 64}}}});
  EXPECT_EQ(over_ctx.status, 400);
}

}  // namespace
}  // namespace plexus::testing

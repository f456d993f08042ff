// The real `plexus serve` on a loopback port: OpenAI and Ollama routes, their JSON shapes,
// streaming, stop strings, logprobs, errors, authentication and limits.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_paths.h"
#include "test_server.h"

namespace plexus::testing {
namespace {

using nlohmann::json;

json golden_line(int index) {
  std::ifstream in(shared_dir() / "golden" / "generation" / "stories260K.jsonl");
  std::string line;
  for (int i = 0; i <= index; ++i) std::getline(in, line);
  return json::parse(line);
}

class Api : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({shared_model("stories260K.gguf"), "--parallel", "4"});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->started()) << server_->stderr_text(); }
  uint16_t port() const { return server_->port(); }

  static ServerProcess* server_;
};
ServerProcess* Api::server_ = nullptr;

json chat_request(const std::string& content, int max_tokens) {
  return {{"model", "stories260K"},
          {"messages", {{{"role", "user"}, {"content", content}}}},
          {"max_tokens", max_tokens},
          {"temperature", 0}};
}

TEST_F(Api, HealthAndModels) {
  HttpResult h = http(port(), "GET", "/health");
  ASSERT_TRUE(h.ok) << h.error;
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.json()["status"], "ok");
  HttpResult m = http(port(), "GET", "/v1/models");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.json()["object"], "list");
  ASSERT_EQ(m.json()["data"].size(), 1u);
  EXPECT_EQ(m.json()["data"][0]["id"], "stories260K");
  EXPECT_EQ(m.json()["data"][0]["object"], "model");
}

TEST_F(Api, CompletionMatchesTheGreedyGolden) {
  const json g = golden_line(0);
  HttpResult r = post_json(port(), "/v1/completions",
                           {{"model", "stories260K"}, {"prompt", g["prompt"]}, {"max_tokens", g["ids"].size()},
                            {"temperature", 0}, {"logprobs", 2}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.json();
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["choices"][0]["text"], g["text"]);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["prompt_tokens"], g["prompt_ids"].size());
  EXPECT_EQ(j["usage"]["completion_tokens"], g["ids"].size());
  EXPECT_EQ(j["usage"]["total_tokens"], g["prompt_ids"].size() + g["ids"].size());
  const json& lp = j["choices"][0]["logprobs"];
  ASSERT_EQ(lp["token_logprobs"].size(), g["ids"].size());
  EXPECT_NEAR(lp["token_logprobs"][0].get<double>(), g["top"][0][0][1].get<double>(), 1e-3);
  EXPECT_EQ(lp["top_logprobs"][0].size(), 2u);
}

TEST_F(Api, ChatNonStreamingShape) {
  HttpResult r = post_json(port(), "/v1/chat/completions", chat_request("Tell me a story", 16));
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.json();
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "stories260K");
  EXPECT_EQ(j["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  ASSERT_EQ(j["choices"].size(), 1u);
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_FALSE(j["choices"][0]["message"]["content"].get<std::string>().empty());
  EXPECT_TRUE(j["choices"][0]["logprobs"].is_null());
  const std::string reason = j["choices"][0]["finish_reason"];
  EXPECT_TRUE(reason == "length" || reason == "stop") << reason;
  EXPECT_LE(j["usage"]["completion_tokens"].get<int>(), 16);
  EXPECT_GT(j["usage"]["prompt_tokens"].get<int>(), 0);
}

TEST_F(Api, ChatStreamingEqualsNonStreaming) {
  json req = chat_request("Once upon a time", 24);
  HttpResult whole = post_json(port(), "/v1/chat/completions", req);
  ASSERT_EQ(whole.status, 200);
  req["stream"] = true;
  req["stream_options"] = {{"include_usage", true}};
  HttpResult s = post_json(port(), "/v1/chat/completions", req);
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.headers["content-type"], "text/event-stream");
  EXPECT_EQ(s.headers["transfer-encoding"], "chunked");
  const auto events = sse_events(s.body);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back(), "[DONE]");
  const json first = json::parse(events.front());
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  const json usage_chunk = json::parse(events[events.size() - 2]);
  EXPECT_TRUE(usage_chunk["choices"].empty());
  EXPECT_EQ(usage_chunk["usage"], whole.json()["usage"]);
  const json last_choice = json::parse(events[events.size() - 3]);
  EXPECT_EQ(last_choice["choices"][0]["finish_reason"], whole.json()["choices"][0]["finish_reason"]);
  EXPECT_EQ(sse_text(s.body), whole.json()["choices"][0]["message"]["content"]);
}

TEST_F(Api, StopStringsCutStreamedAndWholeOutputAlike) {
  const json g = golden_line(0);
  const std::string text = g["text"];  // ", there was a little girl named Lily. She loved ..."
  json req = {{"prompt", g["prompt"]}, {"max_tokens", 32}, {"temperature", 0}, {"stop", {"Lily", "zzz"}}};
  HttpResult whole = post_json(port(), "/v1/completions", req);
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.json()["choices"][0]["text"], text.substr(0, text.find("Lily")));
  EXPECT_EQ(whole.json()["choices"][0]["finish_reason"], "stop");
  req["stream"] = true;
  HttpResult s = post_json(port(), "/v1/completions", req);
  ASSERT_EQ(s.status, 200);
  EXPECT_EQ(sse_text(s.body), text.substr(0, text.find("Lily")));
  // A stop string that spans tokens: " little girl" is several tokens.
  req["stream"] = false;
  req["stop"] = " little girl";
  HttpResult span = post_json(port(), "/v1/completions", req);
  EXPECT_EQ(span.json()["choices"][0]["text"], text.substr(0, text.find(" little girl")));
}

TEST_F(Api, SeveralChoicesAndLogprobs) {
  json req = chat_request("Hi", 8);
  req["n"] = 3;
  req["logprobs"] = true;
  req["top_logprobs"] = 2;
  HttpResult r = post_json(port(), "/v1/chat/completions", req);
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.json();
  ASSERT_EQ(j["choices"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(j["choices"][i]["index"], i);
    const json& content = j["choices"][i]["logprobs"]["content"];
    ASSERT_FALSE(content.empty());
    EXPECT_LE(content[0]["logprob"].get<double>(), 0.0);
    EXPECT_EQ(content[0]["top_logprobs"].size(), 2u);
    EXPECT_TRUE(content[0]["bytes"].is_array());
  }
  // Greedy choices agree.
  EXPECT_EQ(j["choices"][0]["message"], j["choices"][2]["message"]);
}

TEST_F(Api, AliasRouteAndMultipartContent) {
  json req = chat_request("", 4);
  req["messages"][0]["content"] = json::array({{{"type", "text"}, {"text", "Once upon "}}, {{"type", "text"}, {"text", "a time"}}});
  HttpResult r = post_json(port(), "/api/v1/llm/chat/completions", req);
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(Api, TokenizeDetokenizeRoundTrip) {
  HttpResult t = post_json(port(), "/tokenize", {{"content", "Once upon a time"}});
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(t.json()["tokens"], golden_line(0)["prompt_ids"]);
  HttpResult d = post_json(port(), "/detokenize", {{"tokens", t.json()["tokens"]}});
  ASSERT_EQ(d.status, 200);
  EXPECT_NE(d.json()["content"].get<std::string>().find("Once upon a time"), std::string::npos);
  HttpResult bad = post_json(port(), "/detokenize", {{"tokens", {1, 99999}}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["error"]["param"], "tokens[1]");
}

TEST_F(Api, MetricsCountRequestsTokensAndEngineState) {
  post_json(port(), "/v1/completions", {{"prompt", "Once"}, {"max_tokens", 4}});
  HttpResult m = http(port(), "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.headers["content-type"].rfind("text/plain", 0), 0u);
  EXPECT_GE(metric_value(m.body, "plexus_http_requests_total{route=\"/v1/completions\",status=\"200\"}"), 1);
  EXPECT_GT(metric_value(m.body, "plexus_generated_tokens_total"), 0);
  EXPECT_GT(metric_value(m.body, "plexus_time_to_first_token_seconds_count"), 0);
  EXPECT_GE(metric_value(m.body, "plexus_engine_queue_depth{model=\"stories260K\"}"), 0);
  EXPECT_GT(metric_value(m.body, "plexus_engine_kv_blocks_total{model=\"stories260K\"}"), 0);
}

TEST_F(Api, MetricsCountEmbeddings) {
  const double before = metric_value(http(port(), "GET", "/metrics").body, "plexus_embedder_inputs_total{model=\"stories260K\"}");
  HttpResult e = post_json(port(), "/v1/embeddings", {{"input", {"Once upon", "a time"}}, {"pooling", "mean"}});
  ASSERT_EQ(e.status, 200) << e.body;
  HttpResult m = http(port(), "GET", "/metrics");
  EXPECT_EQ(metric_value(m.body, "plexus_embedder_inputs_total{model=\"stories260K\"}"), before + 2);
  EXPECT_GE(metric_value(m.body, "plexus_embedder_requests_done_total{model=\"stories260K\"}"), 1);
  EXPECT_GE(metric_value(m.body, "plexus_embedder_forward_passes_total{model=\"stories260K\"}"), 1);
  EXPECT_GT(metric_value(m.body, "plexus_embedder_tokens_total{model=\"stories260K\"}"), 0);
  EXPECT_EQ(metric_value(m.body, "plexus_embedder_queued_inputs{model=\"stories260K\"}"), 0);
}

TEST_F(Api, ErrorsHaveOneShapeAndTheRightStatus) {
  struct Case {
    std::string method, path, body;
    int status;
    std::string param;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/chat/completions", "{not json", 400, ""},
      {"POST", "/v1/chat/completions", R"({"messages":[{"role":"user","content":"x"}],"temperature":3})", 400,
       "temperature"},
      {"POST", "/v1/chat/completions", R"({"messages":[{"role":"user","content":"x"}],"max_tokens":100000})", 400,
       "max_tokens"},
      {"POST", "/v1/chat/completions", R"({"messages":[{"role":"user","content":"x"}],"n":100})", 400, "n"},
      {"POST", "/v1/chat/completions", R"({"model":"nope","messages":[{"role":"user","content":"x"}]})", 404,
       "model"},
      {"POST", "/v1/completions", R"({"prompt":7})", 400, "prompt"},
      {"GET", "/v1/nothing", "", 404, ""},
      {"GET", "/v1/chat/completions", "", 405, ""},
      {"DELETE", "/v1/models", "", 405, ""},
  };
  for (const auto& c : cases) {
    HttpResult r = http(port(), c.method, c.path, c.body);
    ASSERT_TRUE(r.ok) << c.path << " " << r.error;
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    const json j = r.json();
    ASSERT_TRUE(j["error"].is_object()) << r.body;
    EXPECT_TRUE(j["error"]["message"].is_string());
    EXPECT_TRUE(j["error"]["type"].is_string());
    EXPECT_TRUE(j["error"].contains("code"));
    EXPECT_TRUE(j["error"].contains("param"));
    if (!c.param.empty()) {
      EXPECT_EQ(j["error"]["param"], c.param) << r.body;
    }
  }
}

TEST_F(Api, OllamaChatStreamingAndNot) {
  json req = {{"model", "stories260K"},
              {"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}},
              {"options", {{"temperature", 0}, {"num_predict", 12}}}};
  HttpResult s = post_json(port(), "/api/chat", req);  // stream defaults to true
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.headers["content-type"], "application/x-ndjson");
  std::string streamed;
  json last;
  std::istringstream lines(s.body);
  for (std::string line; std::getline(lines, line);) {
    last = json::parse(line);
    streamed += last["message"]["content"].get<std::string>();
  }
  EXPECT_EQ(last["done"], true);
  EXPECT_EQ(last["done_reason"], "length");
  EXPECT_EQ(last["eval_count"], 12);
  EXPECT_GT(last["prompt_eval_count"].get<int>(), 0);
  req["stream"] = false;
  HttpResult whole = post_json(port(), "/api/chat", req);
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.json()["message"]["content"], streamed);
  EXPECT_EQ(whole.json()["done"], true);
}

TEST_F(Api, OllamaGenerateRawMatchesTheGolden) {
  const json g = golden_line(0);
  HttpResult r = post_json(port(), "/api/generate",
                           {{"model", "stories260K:latest"}, {"prompt", g["prompt"]}, {"raw", true}, {"stream", false},
                            {"options", {{"temperature", 0}, {"num_predict", g["ids"].size()}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["response"], g["text"]);
  EXPECT_EQ(r.json()["model"], "stories260K");
}

TEST_F(Api, OllamaListingRoutes) {
  HttpResult tags = http(port(), "GET", "/api/tags");
  ASSERT_EQ(tags.status, 200);
  const json all = tags.json();
  const json& m = all["models"][0];
  EXPECT_EQ(m["name"], "stories260K");
  EXPECT_EQ(m["size"], 1185376);
  EXPECT_EQ(m["details"]["family"], "llama");
  EXPECT_EQ(m["details"]["quantization_level"], "F32");
  HttpResult show = post_json(port(), "/api/show", {{"model", "stories260K"}});
  ASSERT_EQ(show.status, 200) << show.body;
  EXPECT_EQ(show.json()["model_info"]["general.architecture"], "llama");
  EXPECT_EQ(show.json()["model_info"]["llama.context_length"], 2048);
  HttpResult ps = http(port(), "GET", "/api/ps");
  ASSERT_EQ(ps.status, 200);
  EXPECT_EQ(ps.json()["models"][0]["name"], "stories260K");
  EXPECT_EQ(http(port(), "GET", "/api/version").json()["version"], "0.1.0");
}

TEST_F(Api, OllamaErrorsAreStrings) {
  HttpResult r = post_json(port(), "/api/chat", {{"model", "missing"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}});
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(r.json()["error"].is_string()) << r.body;
  HttpResult bad = post_json(port(), "/api/generate", {{"model", "stories260K"}, {"prompt", "x"}, {"options", {{"top_p", 7}}}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.json()["error"].get<std::string>().find("options.top_p"), std::string::npos);
  HttpResult show = post_json(port(), "/api/show", {{"model", "missing"}});
  EXPECT_EQ(show.status, 404);
}

TEST(ServerAuth, ApiKeysProtectEveryRouteButHealth) {
  char path[] = "/tmp/plexus_keys_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string keys = "# comment\n\nfile-key\n";
  ASSERT_EQ(::write(fd, keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
  ::close(fd);
  ServerProcess s({shared_model("stories260K.gguf"), "--api-key", "cli-key", "--api-keys-file", path});
  ASSERT_TRUE(s.started()) << s.stderr_text();
  EXPECT_EQ(http(s.port(), "GET", "/health").status, 200);
  HttpResult denied = http(s.port(), "GET", "/v1/models");
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.json()["error"]["type"], "authentication_error");
  EXPECT_EQ(http(s.port(), "GET", "/v1/models", "", {"Authorization: Bearer wrong"}).status, 401);
  EXPECT_EQ(http(s.port(), "GET", "/v1/models", "", {"Authorization: Bearer cli-key"}).status, 200);
  EXPECT_EQ(http(s.port(), "GET", "/v1/models", "", {"Authorization: Bearer file-key"}).status, 200);
  EXPECT_EQ(http(s.port(), "GET", "/metrics").status, 401);
  EXPECT_EQ(post_json(s.port(), "/api/chat", {{"model", "stories260K"}}).status, 401);
  ::unlink(path);
}

std::string write_temp_file(const std::string& text) {
  char path[] = "/tmp/plexus_file_XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return "";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok ? path : "";
}

// --chat-template-file replaces the file's template for rendering, /api/show and the output rules:
// a template that leaves the generation prompt inside <think> (as DeepSeek-R1's does) makes the
// output reasoning, in OpenAI's message.reasoning_content and Ollama's message.thinking.
TEST(ServerChatTemplate, FileReplacesTheTemplateAndOpensReasoning) {
  const std::string tmpl =
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
      "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}";
  const std::string path = write_temp_file(tmpl);
  ASSERT_FALSE(path.empty());
  ServerProcess s({shared_model("stories260K.gguf"), "--chat-template-file", path});
  ASSERT_TRUE(s.started()) << s.stderr_text();
  HttpResult show = post_json(s.port(), "/api/show", {{"model", "stories260K"}});
  ASSERT_EQ(show.status, 200);
  EXPECT_EQ(show.json()["template"], tmpl);
  HttpResult r = post_json(s.port(), "/v1/chat/completions", chat_request("Tell me a story", 8));
  ASSERT_EQ(r.status, 200) << r.body;
  const json message = r.json()["choices"][0]["message"];
  ASSERT_TRUE(message.contains("reasoning_content") && message["reasoning_content"].is_string()) << message.dump();
  EXPECT_FALSE(message["reasoning_content"].get<std::string>().empty()) << message.dump();
  HttpResult o = post_json(s.port(), "/api/chat",
                           {{"model", "stories260K"},
                            {"messages", {{{"role", "user"}, {"content", "Tell me a story"}}}},
                            {"stream", false},
                            {"options", {{"num_predict", 8}, {"temperature", 0}}}});
  ASSERT_EQ(o.status, 200) << o.body;
  ASSERT_TRUE(o.json()["message"].contains("thinking")) << o.body;
  EXPECT_FALSE(o.json()["message"]["thinking"].get<std::string>().empty()) << o.body;
  ::unlink(path.c_str());
}

// A template that instructs the pythonic tool-call form (as Llama 3.2 1B/3B and Llama 4 do): a
// forced call is generated in the JSON form, which the pythonic parser reads, and comes back as
// message.tool_calls.
TEST(ServerChatTemplate, PythonicTemplateGivesToolCalls) {
  const std::string tmpl =
      "{% if tools %}<|im_start|>system\nIf you decide to invoke any of the function(s), you MUST put it in the "
      "format of [func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)]\n"
      "{{ tools | tojson }}<|im_end|>\n{% endif %}"
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
      "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
  const std::string path = write_temp_file(tmpl);
  ASSERT_FALSE(path.empty());
  ServerProcess s({shared_model("stories260K.gguf"), "--chat-template-file", path});
  ASSERT_TRUE(s.started()) << s.stderr_text();
  json request = chat_request("Weather in Paris?", 200);
  request["tools"] = {{{"type", "function"},
                       {"function",
                        {{"name", "get_weather"},
                         {"parameters",
                          {{"type", "object"},
                           {"properties", {{"city", {{"enum", {"Paris", "Rome"}}}}}},
                           {"required", {"city"}}}}}}}};
  request["tool_choice"] = "required";
  HttpResult r = post_json(s.port(), "/v1/chat/completions", request);
  ASSERT_EQ(r.status, 200) << r.body;
  const json choice = r.json()["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "tool_calls") << choice.dump();
  ASSERT_EQ(choice["message"]["tool_calls"].size(), 1u) << choice.dump();
  const json call = choice["message"]["tool_calls"][0];
  EXPECT_EQ(call["function"]["name"], "get_weather");
  const json args = json::parse(call["function"]["arguments"].get<std::string>());
  EXPECT_TRUE(args["city"] == "Paris" || args["city"] == "Rome") << args.dump();
  ::unlink(path.c_str());
}

TEST(ServerChatTemplate, BadFileStopsTheServerNamingIt) {
  const std::string path = write_temp_file("{% for m in messages %}never closed");
  ASSERT_FALSE(path.empty());
  ServerProcess bad({shared_model("stories260K.gguf"), "--chat-template-file", path}, false);
  EXPECT_FALSE(bad.started());
  EXPECT_NE(bad.stderr_text().find("--chat-template-file '" + path + "' does not parse"), std::string::npos)
      << bad.stderr_text();
  ServerProcess missing({shared_model("stories260K.gguf"), "--chat-template-file", "/nonexistent/t.jinja"}, false);
  EXPECT_FALSE(missing.started());
  EXPECT_NE(missing.stderr_text().find("cannot read --chat-template-file"), std::string::npos) << missing.stderr_text();
  ::unlink(path.c_str());
}

TEST(ServerCors, HeadersAndPreflight) {
  ServerProcess s({shared_model("stories260K.gguf"), "--cors", "https://ui.example"});
  ASSERT_TRUE(s.started());
  HttpResult pre = http(s.port(), "OPTIONS", "/v1/chat/completions");
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.headers["access-control-allow-origin"], "https://ui.example");
  EXPECT_EQ(http(s.port(), "GET", "/v1/models").headers["access-control-allow-origin"], "https://ui.example");
}

TEST(ServerStartup, BadArgumentsFailWithOneLine) {
  ServerProcess missing({"/nonexistent/model.gguf"}, false);
  EXPECT_FALSE(missing.started());
  EXPECT_NE(missing.stderr_text().find("does not exist"), std::string::npos) << missing.stderr_text();
  ServerProcess none({}, false);
  EXPECT_FALSE(none.started());
  EXPECT_NE(none.stderr_text().find("no models"), std::string::npos) << none.stderr_text();
}

TEST(ServerStartup, AliasNamesTheModelAndSignalsStopCleanly) {
  ServerProcess s({shared_model("stories260K.gguf"), "--alias", "story"});
  ASSERT_TRUE(s.started()) << s.stderr_text();
  EXPECT_EQ(http(s.port(), "GET", "/v1/models").json()["data"][0]["id"], "story");
  EXPECT_EQ(post_json(s.port(), "/v1/completions", {{"model", "story"}, {"prompt", "a"}, {"max_tokens", 2}}).status, 200);
  EXPECT_EQ(s.stop(), 0) << s.stderr_text();
}

}  // namespace
}  // namespace plexus::testing

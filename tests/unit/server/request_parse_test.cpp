// OpenAI and Ollama request parsing: every field's type and range, defaults, the field named
// in each 400, and content flattening.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/request_types.h"

namespace plexus::server {
namespace {

using nlohmann::json;

json chat_body(json extra = json::object()) {
  json j = {{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  for (auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

std::optional<ApiError> chat(const json& body, ChatRequest* out = nullptr) {
  ChatRequest r;
  auto err = parse_openai_chat(body, RequestLimits{}, r);
  if (out != nullptr) *out = r;
  return err;
}

TEST(OpenAiChat, ParsesAFullRequest) {
  ChatRequest r;
  auto err = chat(chat_body({{"stream", true},
                             {"stream_options", {{"include_usage", true}}},
                             {"n", 2},
                             {"temperature", 0.5},
                             {"top_p", 0.9},
                             {"top_k", 20},
                             {"min_p", 0.1},
                             {"seed", -7},
                             {"stop", {"a", "b"}},
                             {"max_completion_tokens", 33},
                             {"max_tokens", 44},
                             {"logprobs", true},
                             {"top_logprobs", 3},
                             {"presence_penalty", 0.5},
                             {"user", "u1"}}),
                  &r);
  ASSERT_FALSE(err.has_value()) << err->message;
  EXPECT_EQ(r.gen.model, "m");
  EXPECT_TRUE(r.gen.stream);
  EXPECT_TRUE(r.gen.include_usage);
  EXPECT_EQ(r.gen.n, 2);
  EXPECT_DOUBLE_EQ(*r.gen.temperature, 0.5);
  EXPECT_EQ(*r.gen.top_k, 20);
  EXPECT_EQ(*r.gen.seed, static_cast<uint64_t>(-7));
  EXPECT_EQ(r.gen.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*r.gen.max_tokens, 33);  // max_completion_tokens wins
  EXPECT_TRUE(r.gen.logprobs);
  EXPECT_EQ(r.gen.top_logprobs, 3);
  EXPECT_EQ(r.gen.user, "u1");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0]["content"], "hi");
}

TEST(OpenAiChat, DefaultsWhenFieldsAreAbsent) {
  ChatRequest r;
  ASSERT_FALSE(chat(chat_body(), &r).has_value());
  EXPECT_FALSE(r.gen.stream);
  EXPECT_EQ(r.gen.n, 1);
  EXPECT_FALSE(r.gen.temperature.has_value());
  EXPECT_FALSE(r.gen.max_tokens.has_value());
  EXPECT_TRUE(r.gen.stop.empty());
}

TEST(OpenAiChat, EachOutOfRangeFieldIsNamed) {
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"temperature", 2.5}}, "temperature"},
      {{{"temperature", -0.1}}, "temperature"},
      {{{"top_p", 1.5}}, "top_p"},
      {{{"top_k", -1}}, "top_k"},
      {{{"min_p", 2}}, "min_p"},
      {{{"n", 0}}, "n"},
      {{{"n", 1000}}, "n"},
      {{{"max_tokens", 0}}, "max_tokens"},
      {{{"max_tokens", -5}}, "max_tokens"},
      {{{"max_tokens", 1e30}}, "max_tokens"},
      {{{"max_completion_tokens", "10"}}, "max_completion_tokens"},
      {{{"presence_penalty", 3}}, "presence_penalty"},
      {{{"frequency_penalty", -2.5}}, "frequency_penalty"},
      {{{"top_logprobs", 21}, {"logprobs", true}}, "top_logprobs"},
      {{{"top_logprobs", 2}}, "top_logprobs"},  // needs logprobs: true
      {{{"stream", "yes"}}, "stream"},
      {{{"stream_options", {{"include_usage", 1}}}}, "stream_options.include_usage"},
      {{{"stop", 5}}, "stop"},
      {{{"stop", {"a", 1}}}, "stop[1]"},
      {{{"stop", json(std::vector<std::string>(17, "s"))}}, "stop"},
      {{{"seed", 1.5}}, "seed"},
      {{{"model", 7}}, "model"},
      {{{"model", std::string(300, 'm')}}, "model"},
      {{{"user", json::object()}}, "user"},
      {{{"tools", {{{"type", "function"}}}}}, "tools[0].function"},
      {{{"tools", {{{"type", "function"}, {"function", {{"name", "bad name"}}}}}}}, "tools[0].function.name"},
      {{{"response_format", {{"type", "xml"}}}}, "response_format.type"},
      {{{"response_format", {{"type", "json_schema"}}}}, "response_format.json_schema"},
      {{{"response_format", {{"type", "json_schema"}, {"json_schema", {{"schema", {{"type", "wat"}}}}}}}},
       "response_format.json_schema.schema"},
      {{{"tool_choice", "required"}}, "tool_choice"},
      {{{"logit_bias", {{"abc", 1}}}}, "logit_bias"},
      {{{"logit_bias", {{"5", 101}}}}, "logit_bias"},
      {{{"typical_p", 0}}, "typical_p"},
  };
  for (const auto& [extra, param] : cases) {
    auto err = chat(chat_body(extra));
    ASSERT_TRUE(err.has_value()) << extra.dump();
    EXPECT_EQ(err->status, 400) << extra.dump();
    EXPECT_EQ(err->param, param) << extra.dump();
  }
}

TEST(OpenAiChat, MessagesAreValidated) {
  const std::vector<std::pair<json, std::string>> cases = {
      {json::object(), "messages"},
      {{{"messages", "hi"}}, "messages"},
      {{{"messages", json::array()}}, "messages"},
      {{{"messages", {1}}}, "messages[0]"},
      {{{"messages", {{{"content", "x"}}}}}, "messages[0].role"},
      {{{"messages", {{{"role", "wizard"}, {"content", "x"}}}}}, "messages[0].role"},
      {{{"messages", {{{"role", "user"}, {"content", 5}}}}}, "messages[0].content"},
      {{{"messages", {{{"role", "user"}, {"content", {{{"type", "image_url"}}}}}}}}, "messages[0].content[0].type"},
      {{{"messages", {{{"role", "user"}, {"content", {{{"type", "text"}}}}}}}}, "messages[0].content[0].text"},
      {{{"messages", {{{"role", "user"}, {"content", {"plain"}}}}}}, "messages[0].content[0]"},
  };
  for (const auto& [body, param] : cases) {
    ChatRequest r;
    auto err = parse_openai_chat(body, RequestLimits{}, r);
    ASSERT_TRUE(err.has_value()) << body.dump();
    EXPECT_EQ(err->param, param) << body.dump();
  }
}

TEST(OpenAiChat, ContentPartsAreJoinedAndDeveloperBecomesSystem) {
  json body = {{"messages",
                {{{"role", "developer"}, {"content", "be brief"}},
                 {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}}}},
                 {{"role", "assistant"}, {"content", nullptr}}}}};
  ChatRequest r;
  ASSERT_FALSE(parse_openai_chat(body, RequestLimits{}, r).has_value());
  EXPECT_EQ(r.messages[0]["role"], "system");
  EXPECT_EQ(r.messages[1]["content"], "ab");
  EXPECT_EQ(r.messages[2]["content"], "");
  EXPECT_EQ(r.gen.model, "");  // the default model
}

TEST(OpenAiChat, LimitsComeFromTheServer) {
  RequestLimits limits;
  limits.max_n = 2;
  limits.max_messages = 1;
  ChatRequest r;
  EXPECT_EQ(parse_openai_chat(chat_body({{"n", 3}}), limits, r)->param, "n");
  json two = chat_body();
  two["messages"].push_back(two["messages"][0]);
  EXPECT_EQ(parse_openai_chat(two, limits, r)->param, "messages");
}

TEST(OpenAiCompletion, PromptFormsAndUnsupportedFields) {
  CompletionRequest r;
  ASSERT_FALSE(parse_openai_completion({{"prompt", "abc"}, {"echo", true}, {"logprobs", 2}}, RequestLimits{}, r));
  EXPECT_EQ(r.prompt, "abc");
  EXPECT_TRUE(r.echo);
  EXPECT_TRUE(r.gen.logprobs);
  EXPECT_EQ(r.gen.top_logprobs, 2);
  ASSERT_FALSE(parse_openai_completion({{"prompt", {"one"}}}, RequestLimits{}, r));
  EXPECT_EQ(r.prompt, "one");
  EXPECT_EQ(parse_openai_completion(json::object(), RequestLimits{}, r)->param, "prompt");
  EXPECT_EQ(parse_openai_completion({{"prompt", {1, 2}}}, RequestLimits{}, r)->param, "prompt");
  EXPECT_EQ(parse_openai_completion({{"prompt", "x"}, {"logprobs", 6}}, RequestLimits{}, r)->param, "logprobs");
  EXPECT_EQ(parse_openai_completion({{"prompt", "x"}, {"suffix", "y"}}, RequestLimits{}, r)->param, "suffix");
  EXPECT_EQ(parse_openai_completion({{"prompt", "x"}, {"best_of", 3}}, RequestLimits{}, r)->param, "best_of");
}

TEST(Tokenize, FieldsAndTokenIds) {
  TokenizeRequest t;
  ASSERT_FALSE(parse_tokenize({{"content", "x"}, {"add_special", false}}, RequestLimits{}, t));
  EXPECT_FALSE(t.add_special);
  EXPECT_EQ(parse_tokenize(json::object(), RequestLimits{}, t)->param, "content");
  DetokenizeRequest d;
  ASSERT_FALSE(parse_detokenize({{"tokens", {1, 2, 3}}}, RequestLimits{}, d));
  EXPECT_EQ(d.tokens, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(parse_detokenize({{"tokens", {1, -2}}}, RequestLimits{}, d)->param, "tokens[1]");
  EXPECT_EQ(parse_detokenize({{"tokens", {1, 1e20}}}, RequestLimits{}, d)->param, "tokens[1]");
  EXPECT_EQ(parse_detokenize({{"tokens", {"a"}}}, RequestLimits{}, d)->param, "tokens[0]");
  EXPECT_EQ(parse_detokenize({{"tokens", 3}}, RequestLimits{}, d)->param, "tokens");
}

TEST(OllamaChat, StreamDefaultsToTrueAndOptionsMap) {
  ChatRequest r;
  json body = {{"model", "m"},
               {"messages", {{{"role", "user"}, {"content", "hi"}}}},
               {"options",
                {{"temperature", 0}, {"top_k", 5}, {"num_predict", 12}, {"seed", 3}, {"stop", {"x"}},
                 {"num_ctx", 256}, {"num_thread", 8}}},
               {"keep_alive", "5m"}};
  ASSERT_FALSE(parse_ollama_chat(body, RequestLimits{}, r));
  EXPECT_TRUE(r.gen.stream);
  EXPECT_EQ(*r.gen.max_tokens, 12);
  EXPECT_EQ(*r.gen.top_k, 5);
  EXPECT_EQ(*r.gen.seed, 3u);
  EXPECT_EQ(*r.gen.num_ctx, 256);
  EXPECT_EQ(r.gen.stop, std::vector<std::string>{"x"});
  EXPECT_DOUBLE_EQ(*r.gen.keep_alive_seconds, 300);
  body["stream"] = false;
  body["options"]["num_predict"] = -1;
  ASSERT_FALSE(parse_ollama_chat(body, RequestLimits{}, r));
  EXPECT_FALSE(r.gen.stream);
}

TEST(OllamaChat, ErrorsNameTheField) {
  ChatRequest r;
  const json msgs = {{{"role", "user"}, {"content", "hi"}}};
  EXPECT_EQ(parse_ollama_chat({{"messages", msgs}}, RequestLimits{}, r)->param, "model");
  EXPECT_EQ(parse_ollama_chat({{"model", "m"}, {"messages", msgs}, {"options", {{"temperature", 9}}}}, RequestLimits{}, r)
                ->param,
            "options.temperature");
  EXPECT_EQ(parse_ollama_chat({{"model", "m"}, {"messages", msgs}, {"options", 3}}, RequestLimits{}, r)->param,
            "options");
  EXPECT_EQ(parse_ollama_chat({{"model", "m"}, {"messages", msgs}, {"format", "xml"}}, RequestLimits{}, r)->param,
            "format");
  EXPECT_EQ(parse_ollama_chat({{"model", "m"}, {"messages", msgs}, {"think", 3}}, RequestLimits{}, r)->param, "think");
  EXPECT_EQ(parse_ollama_chat({{"model", "m"}, {"messages", msgs}, {"keep_alive", "soon"}}, RequestLimits{}, r)->param,
            "keep_alive");
  EXPECT_EQ(parse_ollama_chat({{"model", "m"}, {"messages", {{{"role", "user"}, {"content", {"x"}}}}}},
                              RequestLimits{}, r)
                ->param,
            "messages[0].content");
  // No messages: a load request.
  ASSERT_FALSE(parse_ollama_chat({{"model", "m"}}, RequestLimits{}, r));
  EXPECT_TRUE(r.messages.empty());
}

TEST(OllamaGenerate, FieldsAndUnsupported) {
  CompletionRequest r;
  ASSERT_FALSE(parse_ollama_generate({{"model", "m"}, {"prompt", "p"}, {"system", "s"}, {"raw", true}}, RequestLimits{}, r));
  EXPECT_EQ(r.prompt, "p");
  EXPECT_EQ(r.system, "s");
  EXPECT_TRUE(r.raw);
  EXPECT_EQ(parse_ollama_generate({{"model", "m"}, {"images", {"x"}}}, RequestLimits{}, r)->param, "images");
  EXPECT_EQ(parse_ollama_generate({{"model", "m"}, {"suffix", "x"}}, RequestLimits{}, r)->param, "suffix");
  EXPECT_EQ(parse_ollama_generate({{"model", "m"}, {"prompt", 1}}, RequestLimits{}, r)->param, "prompt");
}

TEST(KeepAlive, DurationsAndNumbers) {
  std::string err;
  EXPECT_DOUBLE_EQ(*parse_keep_alive(json("5m"), err), 300);
  EXPECT_DOUBLE_EQ(*parse_keep_alive(json("1h30m"), err), 5400);
  EXPECT_DOUBLE_EQ(*parse_keep_alive(json("10s"), err), 10);
  EXPECT_DOUBLE_EQ(*parse_keep_alive(json("250ms"), err), 0.25);
  EXPECT_DOUBLE_EQ(*parse_keep_alive(json("-1"), err), -1);
  EXPECT_DOUBLE_EQ(*parse_keep_alive(json("-1m"), err), -60);
  EXPECT_DOUBLE_EQ(*parse_keep_alive(json("30"), err), 30);
  EXPECT_DOUBLE_EQ(*parse_keep_alive(json(0), err), 0);
  EXPECT_DOUBLE_EQ(*parse_keep_alive(json(-1), err), -1);
  for (const json& bad : {json(""), json("m"), json("5x"), json("5m3"), json("--1"), json(true), json::array(),
                          json(std::string(100, '9'))}) {
    EXPECT_FALSE(parse_keep_alive(bad, err).has_value()) << bad.dump();
  }
}

}  // namespace
}  // namespace plexus::server

// tools / tool_choice / response_format / format / logit_bias parsing, history tool calls, the
// tool-call grammar for every format (it accepts a valid call and rejects others), and the
// per-choice output filter (reasoning + tool calls, streamed and whole).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sampling/grammar/grammar_matcher.h"
#include "server/json_body.h"
#include "server/request_types.h"
#include "server/tool_output.h"

namespace plexus::server {
namespace {

using nlohmann::json;
namespace grammar = sampling::grammar;

const json kMessages = {{{"role", "user"}, {"content", "weather?"}}};

json weather_tool() {
  return {{"type", "function"},
          {"function",
           {{"name", "get_weather"},
            {"description", "Weather in a city"},
            {"parameters",
             {{"type", "object"},
              {"properties", {{"city", {{"type", "string"}}}, {"days", {{"type", "integer"}}}}},
              {"required", {"city"}}}}}}};
}

TEST(Structured, ToolsAndToolChoiceParse) {
  ChatRequest r;
  json body = {{"messages", kMessages}, {"tools", {weather_tool()}}, {"tool_choice", "required"}};
  ASSERT_FALSE(parse_openai_chat(body, RequestLimits{}, r));
  ASSERT_EQ(r.tool_names, std::vector<std::string>{"get_weather"});
  EXPECT_EQ(r.tool_choice, ToolChoice::required);
  EXPECT_EQ(r.tools[0]["function"]["parameters"]["required"][0], "city");
  body["tool_choice"] = {{"type", "function"}, {"function", {{"name", "get_weather"}}}};
  ASSERT_FALSE(parse_openai_chat(body, RequestLimits{}, r));
  EXPECT_EQ(r.tool_choice, ToolChoice::named);
  body["tool_choice"] = {{"type", "function"}, {"function", {{"name", "other"}}}};
  EXPECT_EQ(parse_openai_chat(body, RequestLimits{}, r)->param, "tool_choice.function.name");
  body["tool_choice"] = "sometimes";
  EXPECT_EQ(parse_openai_chat(body, RequestLimits{}, r)->param, "tool_choice");
  body["tool_choice"] = "none";
  ASSERT_FALSE(parse_openai_chat(body, RequestLimits{}, r));
  EXPECT_EQ(r.tool_choice, ToolChoice::none);
  // A tool without parameters gets an empty object schema; duplicates and bad schemas are 400.
  ChatRequest r2;
  ASSERT_FALSE(parse_openai_chat({{"messages", kMessages}, {"tools", {{{"function", {{"name", "now"}}}}}}},
                                 RequestLimits{}, r2));
  EXPECT_EQ(r2.tools[0]["function"]["parameters"]["type"], "object");
  EXPECT_EQ(parse_openai_chat({{"messages", kMessages}, {"tools", {weather_tool(), weather_tool()}}}, RequestLimits{}, r2)
                ->param,
            "tools[1].function.name");
  json bad = weather_tool();
  bad["function"]["parameters"] = {{"$ref", "#/nowhere"}};
  auto err = parse_openai_chat({{"messages", kMessages}, {"tools", {bad}}}, RequestLimits{}, r2);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->param, "tools[0].function.parameters");
  RequestLimits few;
  few.max_tools = 1;
  EXPECT_EQ(parse_openai_chat({{"messages", kMessages}, {"tools", {weather_tool(), weather_tool()}}}, few, r2)->param,
            "tools");
}

TEST(Structured, ResponseFormatCompiles) {
  ChatRequest r;
  ASSERT_FALSE(parse_openai_chat({{"messages", kMessages}, {"response_format", {{"type", "json_object"}}}},
                                 RequestLimits{}, r));
  EXPECT_NE(r.gen.grammar, nullptr);
  ChatRequest r2;
  json body = {{"messages", kMessages},
               {"response_format",
                {{"type", "json_schema"},
                 {"json_schema", {{"name", "w"}, {"strict", true}, {"schema", weather_tool()["function"]["parameters"]}}}}}};
  ASSERT_FALSE(parse_openai_chat(body, RequestLimits{}, r2));
  EXPECT_NE(r2.gen.grammar, nullptr);
  body["response_format"]["json_schema"]["schema"] = {{"type", "object"}, {"properties", {{"a", {{"minLength", "x"}}}}}};
  auto err = parse_openai_chat(body, RequestLimits{}, r2);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->param, "response_format.json_schema.schema");
  EXPECT_NE(err->message.find("cannot be used"), std::string::npos) << err->message;
  ChatRequest r3;
  ASSERT_FALSE(parse_openai_chat({{"messages", kMessages}, {"response_format", {{"type", "text"}}}}, RequestLimits{}, r3));
  EXPECT_EQ(r3.gen.grammar, nullptr);
  // Ollama format: "json" or a schema.
  ChatRequest o;
  ASSERT_FALSE(parse_ollama_chat({{"model", "m"}, {"messages", kMessages}, {"format", "json"}, {"think", true}},
                                 RequestLimits{}, o));
  EXPECT_NE(o.gen.grammar, nullptr);
  EXPECT_EQ(o.think, std::optional<bool>(true));
  CompletionRequest g;
  ASSERT_FALSE(parse_ollama_generate({{"model", "m"}, {"prompt", "p"}, {"format", {{"type", "object"}}}}, RequestLimits{}, g));
  EXPECT_NE(g.gen.grammar, nullptr);
}

TEST(Structured, SchemasKeepTheClientsKeyOrder) {
  const std::string text = R"({"messages": [{"role": "user", "content": "x"}],
    "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object",
      "properties": {"zeta": {"type": "boolean"}, "alpha": {"type": "boolean"}}, "required": ["zeta", "alpha"]}}},
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object",
      "properties": {"zeta": {"type": "integer"}, "alpha": {"type": "integer"}}}}}]})";
  nlohmann::json body;
  ASSERT_FALSE(parse_json_object(text, body));
  const nlohmann::ordered_json ordered = ordered_body_for(text, body, {"tools", "response_format"});
  ASSERT_TRUE(ordered.is_object());
  ChatRequest r;
  ASSERT_FALSE(parse_openai_chat(body, RequestLimits{}, r, &ordered));
  EXPECT_EQ(r.tools[0]["function"]["parameters"]["properties"].begin().key(), "zeta");
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(std::string(1, static_cast<char>(b)));
  auto vocab = grammar::GrammarVocab::build(bytes, {});
  ASSERT_TRUE(vocab.ok());
  auto m = grammar::GrammarMatcher::create(r.gen.grammar, *vocab);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE((*m)->accept_bytes("{\"zeta\": true, \"alpha\": false}").ok());
  EXPECT_TRUE((*m)->is_complete());
  EXPECT_EQ(ordered_body_for("{\"a\": 1}", nlohmann::json{{"a", 1}}, {"tools"}), nullptr);  // not needed: no parse
}

TEST(Structured, LogitBiasAndPenalties) {
  ChatRequest r;
  ASSERT_FALSE(parse_openai_chat({{"messages", kMessages},
                                  {"logit_bias", {{"5", -100}, {"17", 2.5}}},
                                  {"presence_penalty", 0.5},
                                  {"frequency_penalty", -0.5},
                                  {"typical_p", 0.9}},
                                 RequestLimits{}, r));
  ASSERT_EQ(r.gen.logit_bias.size(), 2u);
  EXPECT_EQ(r.gen.logit_bias[1].first, 5);  // json object keys iterate sorted as strings
  EXPECT_FLOAT_EQ(r.gen.logit_bias[1].second, -100.0f);
  EXPECT_DOUBLE_EQ(*r.gen.presence_penalty, 0.5);
  EXPECT_DOUBLE_EQ(*r.gen.typical_p, 0.9);
  for (const json& bad : {json{{"-1", 1}}, json{{"99999999999", 1}}, json{{"1", "x"}}, json{{"", 1}}}) {
    EXPECT_EQ(parse_openai_chat({{"messages", kMessages}, {"logit_bias", bad}}, RequestLimits{}, r)->param, "logit_bias")
        << bad.dump();
  }
}

TEST(Structured, HistoryToolCallsAreNormalized) {
  json messages = {
      {{"role", "user"}, {"content", "weather?"}},
      {{"role", "assistant"},
       {"content", nullptr},
       {"tool_calls",
        {{{"id", "call_1"}, {"type", "function"},
          {"function", {{"name", "get_weather"}, {"arguments", "{\"city\":\"Paris\"}"}}}}}}},
      {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "sunny"}},
  };
  ChatRequest r;
  ASSERT_FALSE(parse_openai_chat({{"messages", messages}}, RequestLimits{}, r));
  EXPECT_EQ(r.messages[1]["tool_calls"][0]["function"]["arguments"]["city"], "Paris");
  EXPECT_EQ(r.messages[1]["content"], "");
  EXPECT_EQ(r.messages[2]["tool_call_id"], "call_1");
  messages[1]["tool_calls"][0]["function"]["arguments"] = 5;
  EXPECT_EQ(parse_openai_chat({{"messages", messages}}, RequestLimits{}, r)->param,
            "messages[1].tool_calls[0].function.arguments");
  messages[0]["tool_calls"] = json::array();
  EXPECT_EQ(parse_openai_chat({{"messages", messages}}, RequestLimits{}, r)->param, "messages[0].tool_calls");
}

// The grammar accepts `good` (and is then complete) and rejects `bad`.
void expect_grammar(chat::tool_call_format format, const std::string& good, const std::string& bad) {
  ChatRequest r;
  ASSERT_FALSE(parse_openai_chat({{"messages", kMessages}, {"tools", {weather_tool()}}}, RequestLimits{}, r));
  auto g = tool_call_grammar(format, r.tools, "");
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  // A byte vocabulary: every byte is a token, id 256 is the end of text.
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(std::string(1, static_cast<char>(b)));
  bytes.push_back("");
  const int32_t eog = 256;
  auto vocab = grammar::GrammarVocab::build(bytes, std::span<const int32_t>(&eog, 1));
  ASSERT_TRUE(vocab.ok());
  auto m = grammar::GrammarMatcher::create(*g, *vocab);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE((*m)->accept_bytes(good).ok()) << good;
  EXPECT_TRUE((*m)->is_complete()) << good;
  auto m2 = grammar::GrammarMatcher::create(*g, *vocab);
  EXPECT_FALSE((*m2)->accept_bytes(bad).ok()) << bad;
  // And what the grammar accepts parses back into the call.
  auto parsed = chat::parse_tool_calls(good, format, r.tool_names);
  ASSERT_EQ(parsed.calls.size(), 1u) << good;
  EXPECT_EQ(json::parse(parsed.calls[0].arguments)["city"], "Paris");
}

TEST(Structured, ToolCallGrammarPerFormat) {
  expect_grammar(chat::tool_call_format::hermes,
                 "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
                 "<tool_call>\n{\"name\": \"rm\"");
  expect_grammar(chat::tool_call_format::llama3, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"days\": 2}}",
                 "{\"name\": \"get_weather\", \"parameters\": {\"days\": \"x\"");
  expect_grammar(chat::tool_call_format::mistral,
                 "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]", "[{");
  expect_grammar(chat::tool_call_format::mistral_args,
                 "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]", "Hello");
  ChatRequest r;
  ASSERT_FALSE(parse_openai_chat({{"messages", kMessages}, {"tools", {weather_tool()}}}, RequestLimits{}, r));
  EXPECT_FALSE(tool_call_grammar(chat::tool_call_format::hermes, r.tools, "missing").ok());
}

OutputDelta run(ChoiceOutput& out, const std::string& text, size_t step) {
  OutputDelta all;
  for (size_t i = 0; i < text.size(); i += step) {
    OutputDelta d = out.push(text.substr(i, step));
    all.reasoning += d.reasoning;
    all.content += d.content;
  }
  OutputDelta d = out.finish();
  all.reasoning += d.reasoning;
  all.content += d.content;
  all.calls = std::move(d.calls);
  return all;
}

TEST(Structured, ChoiceOutputSplitsReasoningThenCalls) {
  ChatRequest chat;
  chat.tool_names = {"get_weather"};
  const std::string tmpl = "{{ '<think>' }} <tool_call>";
  const std::string text =
      "<think>\nNeed the weather.\n</think>\n\nChecking.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
      "{\"city\": \"Paris\"}}\n</tool_call>";
  for (size_t step : {1u, 3u, 7u, 500u}) {
    ChoiceOutput out(output_rules(tmpl, "<|im_start|>assistant\n", chat, chat::tool_call_format::hermes));
    OutputDelta all = run(out, text, step);
    EXPECT_EQ(all.reasoning, "Need the weather.\n") << step;
    EXPECT_EQ(all.content, "Checking.\n") << step;
    ASSERT_EQ(all.calls.size(), 1u) << step;
    EXPECT_EQ(all.calls[0].name, "get_weather");
  }
  // tool_choice none: nothing is parsed; no think in the template: no split.
  chat.tool_choice = ToolChoice::none;
  ChoiceOutput plain(output_rules("{{ x }}", "", chat, chat::tool_call_format::hermes));
  OutputDelta all = run(plain, text, 4);
  EXPECT_EQ(all.content, text);
  EXPECT_TRUE(all.calls.empty());
  // The prompt opened the think block.
  ChoiceOutput opened(output_rules("", "<|Assistant|><think>\n", chat, chat::tool_call_format::hermes));
  all = run(opened, "hmm</think>answer", 2);
  EXPECT_EQ(all.reasoning, "hmm");
  EXPECT_EQ(all.content, "answer");
  // Under a grammar the output is the constrained text even when the prompt opened <think>.
  chat.tool_choice = ToolChoice::required;
  ChoiceOutput forced(output_rules("", "<|Assistant|><think>\n", chat, chat::tool_call_format::hermes));
  all = run(forced, "<tool_call>{\"name\": \"get_weather\", \"arguments\": {}}</tool_call>", 5);
  EXPECT_EQ(all.reasoning, "");
  ASSERT_EQ(all.calls.size(), 1u);
}

}  // namespace
}  // namespace plexus::server

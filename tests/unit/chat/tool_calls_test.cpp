// Tool-call parsing (every format, several calls, malformed and hostile output), the streaming
// hold-back, format detection from the golden templates, and the <think> split.
#include "chat/tool_calls.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chat/reasoning.h"
#include "test_paths.h"

namespace plexus::chat {
namespace {

using nlohmann::json;

tool_call_result parse(std::string_view s, tool_call_format f, std::vector<std::string> names = {}) {
  return parse_tool_calls(s, f, names);
}

void expect_call(const tool_call& c, const std::string& name, const json& args) {
  EXPECT_EQ(c.name, name);
  EXPECT_EQ(json::parse(c.arguments), args) << c.arguments;
  EXPECT_EQ(c.id.rfind("call_", 0), 0u);
  EXPECT_EQ(c.id.size(), 29u);
}

TEST(ToolCalls, Hermes) {
  auto r = parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
                 tool_call_format::hermes);
  ASSERT_EQ(r.calls.size(), 1u);
  expect_call(r.calls[0], "get_weather", {{"city", "Paris"}});
  EXPECT_EQ(r.content, "");
  r = parse("Let me check.\n<tool_call>{\"name\":\"a\",\"arguments\":{}}</tool_call>\n<tool_call>\n"
            "{\"name\":\"b\",\"arguments\":{\"x\":[1,{\"y\":\"}\"}]}}\n</tool_call>",
            tool_call_format::hermes);
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.content, "Let me check.");
  expect_call(r.calls[0], "a", json::object());
  expect_call(r.calls[1], "b", {{"x", {1, {{"y", "}"}}}}});
  EXPECT_NE(r.calls[0].id, r.calls[1].id);
  // A truncated last call (no closing tag) is still a call; arguments as a JSON string too.
  r = parse("<tool_call>{\"name\":\"a\",\"arguments\":\"{\\\"k\\\": 2}\"}", tool_call_format::hermes);
  ASSERT_EQ(r.calls.size(), 1u);
  expect_call(r.calls[0], "a", {{"k", 2}});
}

TEST(ToolCalls, Llama3) {
  auto r = parse("{\"name\": \"f\", \"parameters\": {\"a\": 1}}", tool_call_format::llama3);
  ASSERT_EQ(r.calls.size(), 1u);
  expect_call(r.calls[0], "f", {{"a", 1}});
  r = parse("<|python_tag|>{\"name\": \"f\", \"parameters\": {}}; {\"name\": \"g\", \"arguments\": {\"b\": true}}\n"
            "{\"name\": \"h\"}",
            tool_call_format::llama3);
  ASSERT_EQ(r.calls.size(), 3u);
  expect_call(r.calls[1], "g", {{"b", true}});
  expect_call(r.calls[2], "h", json::object());
  // Plain prose is content; JSON that is not a call is content.
  EXPECT_TRUE(parse("The answer is {\"name\": 1}", tool_call_format::llama3).calls.empty());
  r = parse("{\"city\": \"Paris\"}", tool_call_format::llama3);
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.content, "{\"city\": \"Paris\"}");
}

TEST(ToolCalls, Pythonic) {
  auto r = parse("[get_weather(city='Paris', days=3)]", tool_call_format::pythonic);
  ASSERT_EQ(r.calls.size(), 1u);
  expect_call(r.calls[0], "get_weather", {{"city", "Paris"}, {"days", 3}});
  EXPECT_EQ(r.content, "");
  // Several calls; every literal kind; escapes; markers; a call without arguments.
  r = parse(" <|python_start|>[f(a=\"x\\ny\", b=-1.5e2, c=True, d=None, e=[1, (2, 'z')], g={'k': {'n': False}},"
            " h='\\u00e9\\x41\\'q\\w'), g2()]<|python_end|>\n",
            tool_call_format::pythonic);
  ASSERT_EQ(r.calls.size(), 2u);
  expect_call(r.calls[0], "f",
              {{"a", "x\ny"}, {"b", -150.0}, {"c", true}, {"d", nullptr}, {"e", json::array({1, json::array({2, "z"})})},
               {"g", {{"k", {{"n", false}}}}}, {"h", "\u00e9A'q\\w"}});
  expect_call(r.calls[1], "g2", json::object());
  // Integers past int64 become floats; the JSON form (a forced call) is read as llama3's.
  r = parse("[f(n=123456789012345678901234)]", tool_call_format::pythonic);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_TRUE(json::parse(r.calls[0].arguments)["n"].is_number_float());
  r = parse("{\"name\": \"f\", \"arguments\": {\"a\": 1}}", tool_call_format::pythonic);
  ASSERT_EQ(r.calls.size(), 1u);
  expect_call(r.calls[0], "f", {{"a", 1}});
  // Not calls: prose, a list of values, trailing text, bad literals, positional arguments, depth.
  for (const char* text : {"The answer is [f(a=1)]", "[1, 2, 3]", "[f(a=1)] and more", "[f(a=x)]", "[f(a='open)]",
                           "[f(1)]", "[f(a=1,, b=2)]", "[f(a=1)", "[]", "[f(a='\\ud800')]", "[f(a=1e999)]",
                           "[f(a={1: 2})]"}) {
    r = parse(text, tool_call_format::pythonic);
    EXPECT_TRUE(r.calls.empty()) << text;
    EXPECT_EQ(r.content, text);
  }
  std::string deep = "[f(a=" + std::string(200, '[') + std::string(200, ']') + ")]";
  EXPECT_TRUE(parse(deep, tool_call_format::pythonic).calls.empty());
  // Unknown tool names make it content, as in every format.
  EXPECT_TRUE(parse("[rm(path='/')]", tool_call_format::pythonic, {"get_weather"}).calls.empty());
}

TEST(ToolCalls, Mistral) {
  auto r = parse("[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {\"a\": \"b\"}}, {\"name\": \"g\", \"arguments\": {}}]",
                 tool_call_format::mistral);
  ASSERT_EQ(r.calls.size(), 2u);
  expect_call(r.calls[0], "f", {{"a", "b"}});
  // The control token dropped by the detokenizer.
  r = parse(" [{\"name\": \"f\", \"arguments\": {}}]", tool_call_format::mistral);
  ASSERT_EQ(r.calls.size(), 1u);
  // The newer name[ARGS]{...} form, several.
  r = parse("[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}[TOOL_CALLS]get_time[ARGS]{}",
            tool_call_format::mistral_args);
  ASSERT_EQ(r.calls.size(), 2u);
  expect_call(r.calls[0], "get_weather", {{"city", "Paris"}});
  expect_call(r.calls[1], "get_time", json::object());
}

TEST(ToolCalls, MalformedOutputIsContent) {
  const std::vector<std::pair<std::string, tool_call_format>> cases = {
      {"<tool_call>{\"name\": \"f\", \"arguments\": {</tool_call>", tool_call_format::hermes},
      {"<tool_call>not json</tool_call>", tool_call_format::hermes},
      {"<tool_call>{\"arguments\": {}}</tool_call>", tool_call_format::hermes},
      {"<tool_call>{\"name\": 5, \"arguments\": {}}</tool_call>", tool_call_format::hermes},
      {"<tool_call>{\"name\": \"f\", \"arguments\": [1]}</tool_call>", tool_call_format::hermes},
      {"<tool_call>{\"name\": \"f\", \"arguments\": \"not json\"}</tool_call>", tool_call_format::hermes},
      {"<tool_call>{\"name\": \"\", \"arguments\": {}}</tool_call>", tool_call_format::hermes},
      {"<tool_call>{\"name\": \"f\"} trailing</tool_call>", tool_call_format::hermes},
      {"<tool_call>", tool_call_format::hermes},
      {"{\"name\": \"f\", \"parameters\": {}} and more", tool_call_format::llama3},
      {"<|python_tag|>", tool_call_format::llama3},
      {"{\"name\": \"f\", \"parameters\": {\"a\": \"\xff\"}}", tool_call_format::llama3},
      {"[TOOL_CALLS] [1, 2]", tool_call_format::mistral},
      {"[TOOL_CALLS] []", tool_call_format::mistral},
      {"[TOOL_CALLS]f[ARGS]", tool_call_format::mistral_args},
      {"[TOOL_CALLS]f[ARGS][1]", tool_call_format::mistral_args},
      {"[TOOL_CALLS]", tool_call_format::mistral},
      {"[" + std::string(100000, '[') , tool_call_format::mistral},
      {"<tool_call>" + std::string(100000, '{'), tool_call_format::hermes},
      {"<tool_call>{\"name\":\"f\",\"arguments\":" + std::string(5000, '[') + std::string(5000, ']') + "}</tool_call>",
       tool_call_format::hermes},
  };
  for (const auto& [text, format] : cases) {
    auto r = parse(text, format);
    EXPECT_TRUE(r.calls.empty()) << text.substr(0, 80);
    EXPECT_EQ(r.content, text) << text.substr(0, 80);
  }
}

TEST(ToolCalls, UnknownNamesAndLimits) {
  const std::string out = "<tool_call>{\"name\": \"rm_rf\", \"arguments\": {}}</tool_call>";
  EXPECT_TRUE(parse(out, tool_call_format::hermes, {"get_weather"}).calls.empty());
  EXPECT_EQ(parse(out, tool_call_format::hermes, {"rm_rf"}).calls.size(), 1u);
  std::string many;
  for (int i = 0; i < 100; ++i) many += "<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>";
  EXPECT_TRUE(parse(many, tool_call_format::hermes).calls.empty());  // past max_calls: content
}

TEST(ToolCalls, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]\":,;\\ aAnme<>/_|tool_callTOOLS[ARGS]\n\xff()='.1eT";
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s;
    const int len = static_cast<int>(rng() % 200);
    for (int i = 0; i < len; ++i) s += alphabet[rng() % alphabet.size()];
    if (iter % 3 == 0) s = "<tool_call>" + s;
    if (iter % 3 == 1) s = "[f(" + s;
    for (auto f : {tool_call_format::hermes, tool_call_format::llama3, tool_call_format::mistral,
                   tool_call_format::mistral_args, tool_call_format::pythonic}) {
      auto r = parse(s, f);
      if (r.calls.empty()) {
        EXPECT_EQ(r.content, s);
      }
      for (const auto& c : r.calls) EXPECT_TRUE(json::parse(c.arguments).is_object());
    }
  }
}

TEST(ToolCalls, FormatFromTheGoldenTemplates) {
  auto read = [](const std::string& name) {
    std::ifstream in(plexus::testing::shared_dir() / "golden" / "templates" / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  const std::vector<std::pair<std::string, tool_call_format>> cases = {
      {"Qwen-Qwen2.5-7B-Instruct.jinja", tool_call_format::hermes},
      {"Qwen-Qwen3-0.6B.jinja", tool_call_format::hermes},
      {"NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", tool_call_format::hermes},
      {"meta-llama-Llama-3.1-8B-Instruct.jinja", tool_call_format::llama3},
      {"meta-llama-Llama-3.2-3B-Instruct.jinja", tool_call_format::llama3},
      {"mistralai-Mistral-Nemo-Instruct-2407.jinja", tool_call_format::mistral},
      {"Mistral-Small-3.2-24B-Instruct-2506.jinja", tool_call_format::mistral_args},
      {"google-gemma-2-2b-it.jinja", tool_call_format::hermes},  // no markers: the fallback
  };
  for (const auto& [file, format] : cases) {
    const std::string src = read(file);
    ASSERT_FALSE(src.empty()) << file;
    EXPECT_STREQ(tool_call_format_name(detect_tool_call_format(src)), tool_call_format_name(format)) << file;
  }
  EXPECT_EQ(detect_tool_call_format(""), tool_call_format::hermes);
  // Llama 3.2 1B/3B, Llama 4 and Gemma tool templates instruct the pythonic form by this example.
  EXPECT_EQ(detect_tool_call_format("{{- '<|start_header_id|>system<|end_header_id|>' }}you MUST put it in the format of "
                                    "[func_name1(params_name1=params_value1, params_name2=params_value2...), "
                                    "func_name2(params)]"),
            tool_call_format::pythonic);
}

// Feeds `text` in pieces of `step` bytes.
std::pair<std::string, tool_call_result> stream_all(const std::string& text, tool_call_format f, size_t step) {
  tool_call_stream s(f);
  std::string released;
  for (size_t i = 0; i < text.size(); i += step) released += s.push(std::string_view(text).substr(i, step));
  return {released, s.finish()};
}

TEST(ToolCallStream, HoldsBackMarkersAndFindsCalls) {
  const std::string text = "Checking.<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n</tool_call>";
  for (size_t step : {1u, 2u, 5u, 1000u}) {
    auto [released, end] = stream_all(text, tool_call_format::hermes, step);
    EXPECT_EQ(released, "Checking.") << step;
    ASSERT_EQ(end.calls.size(), 1u) << step;
    expect_call(end.calls[0], "f", {{"a", 1}});
  }
  // A partial marker that turns out to be content is released at the end.
  auto [released, end] = stream_all("a <tool_ca", tool_call_format::hermes, 1);
  EXPECT_EQ(released + end.content, "a <tool_ca");
  EXPECT_TRUE(end.calls.empty());
  // llama3: leading JSON is held; prose is released at once.
  tool_call_stream l(tool_call_format::llama3);
  EXPECT_EQ(l.push("  "), "");
  EXPECT_EQ(l.push("{\"name\": \"f\", "), "");
  EXPECT_TRUE(l.capturing());
  EXPECT_EQ(l.push("\"parameters\": {}}"), "");
  EXPECT_EQ(l.finish().calls.size(), 1u);
  tool_call_stream p(tool_call_format::llama3);
  EXPECT_EQ(p.push(" Hello"), " Hello");
  EXPECT_EQ(p.push(" {not a call"), " {not a call");
  // A held-back output that is no call comes back whole as content.
  auto [r2, e2] = stream_all("{\"city\": \"Paris\"}", tool_call_format::llama3, 3);
  EXPECT_EQ(r2, "");
  EXPECT_EQ(e2.content, "{\"city\": \"Paris\"}");
  // pythonic: a leading '[' is held, so is the <|python_start|> marker.
  for (const std::string text : {"[f(a='b')]", "<|python_start|>[f(a='b')]<|python_end|>"}) {
    for (size_t step : {1u, 3u, 1000u}) {
      auto [released, end] = stream_all(text, tool_call_format::pythonic, step);
      EXPECT_EQ(released, "") << text << step;
      ASSERT_EQ(end.calls.size(), 1u) << text << step;
      expect_call(end.calls[0], "f", {{"a", "b"}});
    }
  }
  auto [r5, e5] = stream_all(" {\"name\": \"f\", \"arguments\": {}}", tool_call_format::pythonic, 2);  // the JSON form
  EXPECT_EQ(r5, "");
  EXPECT_EQ(e5.calls.size(), 1u);
  auto [r4, e4] = stream_all("Sure: [1, 2]", tool_call_format::pythonic, 2);
  EXPECT_EQ(r4 + e4.content, "Sure: [1, 2]");
  auto [r3, e3] = stream_all("[TOOL_CALLS]f[ARGS]{\"x\": \"y\"}", tool_call_format::mistral_args, 4);
  EXPECT_EQ(r3, "");
  ASSERT_EQ(e3.calls.size(), 1u);
  // llama3 and mistral_args: a bare JSON array of calls (no control token) is held and parsed, as
  // the whole-output parse reads it (found by fuzz_tool_calls: the stream released it as content).
  const std::string bare_array = " [{\"name\": \"fTOO\", \"a[ARGS]nts\": {\"X\": \"y\"}}]";
  for (tool_call_format format : {tool_call_format::llama3, tool_call_format::mistral, tool_call_format::mistral_args}) {
    const tool_call_result whole = parse_tool_calls(bare_array, format);
    ASSERT_EQ(whole.calls.size(), 1u) << static_cast<int>(format);
    for (size_t step : {1u, 22u, 23u, 1000u}) {
      auto [released, end] = stream_all(bare_array, format, step);
      EXPECT_EQ(released, "") << static_cast<int>(format) << " " << step;
      EXPECT_EQ(end.calls.size(), whole.calls.size()) << static_cast<int>(format) << " " << step;
    }
  }
}

TEST(Reasoning, SplitsThinkBlocks) {
  auto r = split_reasoning("<think>\nI should greet.\n</think>\n\nHello!", false);
  EXPECT_EQ(r.reasoning, "I should greet.");
  EXPECT_EQ(r.content, "Hello!");
  r = split_reasoning("  <think>x</think>y", false);
  EXPECT_EQ(r.reasoning, "x");
  EXPECT_EQ(r.content, "y");
  // The template opened the block in the prompt.
  r = split_reasoning("Let me see.\n</think>\n\nAnswer", true);
  EXPECT_EQ(r.reasoning, "Let me see.");
  EXPECT_EQ(r.content, "Answer");
  // Never closed: all reasoning. No block: all content. A late <think> is content.
  r = split_reasoning("<think>still going", false);
  EXPECT_EQ(r.reasoning, "still going");
  EXPECT_EQ(r.content, "");
  r = split_reasoning("Plain <think>x</think>", false);
  EXPECT_EQ(r.reasoning, "");
  EXPECT_EQ(r.content, "Plain <think>x</think>");
  r = split_reasoning("<thi", false);
  EXPECT_EQ(r.content, "<thi");
  EXPECT_TRUE(prompt_opens_think("<|Assistant|><think>\n"));
  EXPECT_FALSE(prompt_opens_think("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
  EXPECT_FALSE(prompt_opens_think("<think> is a tag\nassistant:"));
}

TEST(Reasoning, StreamingNeverSplitsAMarker) {
  const std::string text = "<think>\nabc </think >x</think>\n\nThe answer.";
  for (size_t step = 1; step <= text.size(); ++step) {
    reasoning_stream s(false);
    std::string reasoning, content;
    for (size_t i = 0; i < text.size(); i += step) {
      auto d = s.push(std::string_view(text).substr(i, step));
      reasoning += d.reasoning;
      content += d.content;
    }
    auto d = s.finish();
    reasoning += d.reasoning;
    content += d.content;
    EXPECT_EQ(reasoning, "abc </think >x") << step;
    EXPECT_EQ(content, "The answer.") << step;
  }
}

}  // namespace
}  // namespace plexus::chat

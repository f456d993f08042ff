// A systematic hostile-input suite against the real server: every JSON route × broken JSON,
// wrong types and absurd values for every field, 10 MB strings, deep nesting, unknown models,
// invalid UTF-8, bad tools / tool_choice / response_format / logit_bias / format, then raw-HTTP
// abuse (header floods, bad request lines, invalid bytes in headers, pipelined garbage, a client
// that never finishes its headers). Every request must get a 4xx JSON error or a closed
// connection, and after every batch a valid request must still succeed. Prints the count.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_server.h"

namespace plexus::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct Outcome {
  std::string raw;
  bool closed = false;
};

Outcome exchange(uint16_t port, const std::string& bytes, int timeout_ms = 10000) {
  Outcome o;
  const int fd = connect_loopback(port);
  if (fd < 0) return o;
  send_all(fd, bytes);  // the server may close before reading everything
  o.raw = read_until_close(fd, timeout_ms, &o.closed);
  ::close(fd);
  return o;
}

std::string request(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& extra_headers = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The JSON text of `base` with `key` set to the raw JSON text `value` (which may be invalid
// UTF-8 or not JSON at all: it is spliced in as bytes).
std::string with_field(json base, const std::string& key, const std::string& value) {
  base.erase(key);
  std::string text = base.dump();
  text.pop_back();  // '}'
  if (text.size() > 1) text += ",";
  return text + "\"" + key + "\":" + value + "}";
}

std::string nested(const std::string& open, const std::string& close, int depth, const std::string& inner = "1") {
  std::string s;
  for (int i = 0; i < depth; ++i) s += open;
  s += inner;
  for (int i = 0; i < depth; ++i) s += close;
  return s;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

class HostileSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // A body limit above 10 MB so that the 10 MB strings reach the JSON parser and the validators.
    server_ = new ServerProcess({shared_model("stories260K.gguf"), "--read-timeout", "1", "--idle-timeout", "2",
                                 "--body-limit", "12000000", "--header-limit", "8192"});
  }
  static void TearDownTestSuite() {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->stop(), 0) << server_->stderr_text();
    }
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->started()) << server_->stderr_text(); }
  uint16_t port() const { return server_->port(); }

  // One hostile exchange: a 4xx with an error JSON body, or the connection closed unanswered.
  void expect_refused(const std::string& what, const std::string& bytes) {
    ++count_;
    const Outcome o = exchange(port(), bytes);
    if (o.raw.empty()) {
      EXPECT_TRUE(o.closed) << what << ": no answer and the connection stayed open";
      return;
    }
    const HttpResult r = parse_response(o.raw);
    ASSERT_TRUE(r.ok) << what << ": " << r.error << "\n" << o.raw.substr(0, 300);
    EXPECT_GE(r.status, 400) << what << " -> " << r.body.substr(0, 300);
    EXPECT_LT(r.status, 500) << what << " -> " << r.body.substr(0, 300);
    const json j = r.json();
    EXPECT_TRUE(j.is_object() && j.contains("error")) << what << " -> " << r.body.substr(0, 300);
  }

  void post(const std::string& path, const std::string& body, const std::string& what) {
    expect_refused(path + " " + what, request("POST", path, body));
  }

  // A valid request is served after each batch.
  void expect_serving(const std::string& after) {
    HttpResult r = post_json(port(), "/v1/completions", {{"prompt", "Once"}, {"max_tokens", 2}, {"temperature", 0}});
    EXPECT_EQ(r.status, 200) << "after " << after << ": " << r.error << r.body;
    EXPECT_TRUE(server_->alive()) << "after " << after;
  }

  void hostile_bodies();
  void ten_megabyte_strings();
  void raw_http_abuse();

  static ServerProcess* server_;
  int count_ = 0;
};
ServerProcess* HostileSuite::server_ = nullptr;

// The bytes of a literal, embedded NULs included.
template <size_t N>
std::string bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

struct Route {
  std::string path;
  json base;  // a valid body (checked to succeed)
  // field -> raw JSON values that must be refused
  std::vector<std::pair<std::string, std::vector<std::string>>> fields;
};

const json kMsgs = json::array({{{"role", "user"}, {"content", "hi"}}});

const std::vector<std::string> kNotString = {"5", "true", "[]", "{}", "[\"a\"]", "-1e308"};
const std::vector<std::string> kNotBool = {"\"yes\"", "1", "[]", "{}", "\"\""};
const std::vector<std::string> kNotObject = {"5", "\"x\"", "[]", "true"};
const std::vector<std::string> kNotArray = {"5", "\"x\"", "{}", "true"};

std::vector<std::string> bad_int(std::vector<std::string> extra) {
  std::vector<std::string> v = {"\"7\"", "true", "[]", "{}", "1.5", "-99999999999999999999999", "1e300"};
  v.insert(v.end(), extra.begin(), extra.end());
  return v;
}
std::vector<std::string> bad_number(std::vector<std::string> extra) {
  std::vector<std::string> v = {"\"0.5\"", "false", "[]", "{}", "1e308", "-1e308"};
  v.insert(v.end(), extra.begin(), extra.end());
  return v;
}

std::vector<std::string> bad_messages() {
  return {"\"hi\"", "5", "{}", "[]", "[5]", "[[]]", "[{}]", "[{\"role\":5,\"content\":\"x\"}]",
          "[{\"role\":\"wizard\",\"content\":\"x\"}]", "[{\"role\":\"user\",\"content\":5}]",
          "[{\"role\":\"user\",\"content\":{\"a\":1}}]", "[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]",
          "[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]", "[{\"role\":\"user\",\"content\":[5]}]",
          "[{\"role\":\"user\",\"content\":\"x\",\"tool_calls\":[]}]",
          "[{\"role\":\"assistant\",\"content\":\"x\",\"tool_calls\":5}]",
          "[{\"role\":\"assistant\",\"content\":\"x\",\"tool_calls\":[{\"function\":5}]}]",
          "[{\"role\":\"assistant\",\"content\":\"x\",\"tool_calls\":[{\"function\":{\"arguments\":\"{}\"}}]}]",
          "[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":[1]}}]}]",
          "[{\"role\":\"tool\",\"content\":\"x\",\"tool_call_id\":5}]", "[{\"role\":\"user\",\"content\":\"x\",\"name\":[]}]"};
}

std::vector<std::string> bad_tools() {
  auto tool = [](const std::string& fn) { return "[{\"type\":\"function\",\"function\":" + fn + "}]"; };
  std::string many = "[";
  for (int i = 0; i < 200; ++i) many += std::string(i ? "," : "") + "{\"function\":{\"name\":\"f" + std::to_string(i) + "\"}}";
  many += "]";
  std::string deep_schema = "{\"type\":\"string\"}";
  for (int i = 0; i < 80; ++i) deep_schema = "{\"type\":\"object\",\"properties\":{\"a\":" + deep_schema + "}}";
  return {"5", "\"x\"", "{}", "[5]", "[{}]", "[{\"type\":\"retrieval\"}]", "[{\"type\":\"function\"}]",
          tool("5"), tool("{}"), tool("{\"name\":\"\"}"), tool("{\"name\":\"has space\"}"),
          tool("{\"name\":\"" + std::string(65, 'n') + "\"}"), tool("{\"name\":5}"), tool("{\"name\":\"f\",\"description\":5}"),
          tool("{\"name\":\"f\",\"parameters\":5}"), tool("{\"name\":\"f\",\"parameters\":\"x\"}"),
          tool("{\"name\":\"f\",\"parameters\":{\"type\":\"wat\"}}"), tool("{\"name\":\"f\",\"parameters\":{\"$ref\":\"#\"}}"),
          tool("{\"name\":\"f\",\"parameters\":{\"$ref\":\"#/$defs/missing\"}}"),
          tool("{\"name\":\"f\",\"parameters\":{\"type\":\"string\",\"minLength\":1000000}}"),
          tool("{\"name\":\"f\",\"parameters\":" + deep_schema + "}"), tool("{\"name\":\"f\",\"strict\":\"x\"}"),
          "[{\"function\":{\"name\":\"f\"}},{\"function\":{\"name\":\"f\"}}]", many};
}

std::vector<std::string> bad_response_format() {
  auto schema = [](const std::string& s) { return "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":" + s + "}}"; };
  return {"5", "\"json\"", "[]", "{}", "{\"type\":5}", "{\"type\":\"xml\"}", "{\"type\":\"json_schema\"}",
          "{\"type\":\"json_schema\",\"json_schema\":5}", "{\"type\":\"json_schema\",\"json_schema\":{}}",
          "{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{},\"strict\":\"yes\"}}", schema("5"), schema("\"x\""),
          schema("{\"type\":\"wat\"}"), schema("{\"$ref\":\"#\"}"), schema("{\"type\":\"array\",\"minItems\":100000}"),
          schema("{\"type\":\"string\",\"minLength\":\"x\"}"), schema("{\"properties\":5}"),
          schema(nested("{\"anyOf\":[", "]}", 100, "{}"))};
}

std::vector<std::string> bad_logit_bias() {
  std::string many = "{";
  for (int i = 0; i < 2000; ++i) many += std::string(i ? "," : "") + "\"" + std::to_string(i) + "\":1";
  many += "}";
  return {"5", "\"x\"", "[]", "{\"x\":1}", "{\"-1\":1}", "{\"1\":\"x\"}", "{\"1\":101}", "{\"1\":-101}",
          "{\"99999999\":1}", "{\"1e3\":1}", "{\"\":1}", "{\"1\":[]}", "{\"4294967296\":1}", many};
}

std::vector<Route> routes() {
  const json chat = {{"model", "stories260K"}, {"messages", kMsgs}, {"max_tokens", 1}};
  std::vector<std::pair<std::string, std::vector<std::string>>> chat_fields = {
      {"model", {"5", "true", "[]", "{}", quoted(std::string(300, 'm')), "\"nope\"", "\"../../etc/passwd\""}},
      {"messages", bad_messages()},
      {"max_tokens", bad_int({"0", "-1", "16777217"})},
      {"max_completion_tokens", bad_int({"0", "-5"})},
      {"temperature", bad_number({"-0.1", "2.5"})},
      {"top_p", bad_number({"-0.5", "1.5"})},
      {"top_k", bad_int({"-1", "1e18"})},
      {"min_p", bad_number({"-1", "2"})},
      {"typical_p", bad_number({"0", "1.1"})},
      {"presence_penalty", bad_number({"-3", "2.01"})},
      {"frequency_penalty", bad_number({"-2.5", "9"})},
      {"repetition_penalty", bad_number({"0", "11"})},
      {"repeat_last_n", bad_int({"-1", "2000000"})},
      {"seed", {"\"abc\"", "true", "[]", "{}", "1.5", "1e300"}},
      {"n", bad_int({"0", "-3", "1000"})},
      {"stream", kNotBool},
      {"stream_options", {"5", "\"x\"", "{\"include_usage\":1}"}},
      {"stop", {"5", "true", "{}", "[5]", "[\"a\",1]", "[{}]", "[" + std::string(17 * 4, ' ') + "\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]", quoted(std::string(300, 's'))}},
      {"logprobs", kNotBool},
      {"top_logprobs", bad_int({"21", "-1", "2"})},  // 2 needs logprobs: true
      {"user", kNotString},
      {"parallel_tool_calls", kNotBool},
      {"tools", bad_tools()},
      {"tool_choice", {"5", "\"maybe\"", "[]", "{}", "{\"type\":\"function\"}", "{\"type\":\"function\",\"function\":5}",
                       "{\"type\":\"function\",\"function\":{\"name\":\"missing\"}}", "\"required\"", "{\"type\":\"x\"}"}},
      {"response_format", bad_response_format()},
      {"logit_bias", bad_logit_bias()},
  };
  const json completion = {{"model", "stories260K"}, {"prompt", "hi"}, {"max_tokens", 1}};
  std::vector<std::pair<std::string, std::vector<std::string>>> completion_fields = {
      {"model", {"5", "[]", "\"nope\""}},
      {"prompt", {"5", "true", "{}", "[1,2]", "[\"a\",\"b\"]", "[]"}},
      {"max_tokens", bad_int({"0", "-1"})},
      {"temperature", bad_number({"3"})},
      {"top_p", bad_number({"2"})},
      {"typical_p", {"0", "\"x\""}},
      {"n", bad_int({"0"})},
      {"stream", kNotBool},
      {"echo", kNotBool},
      {"logprobs", {"\"x\"", "true", "6", "-1", "1.5"}},
      {"best_of", {"2", "\"x\"", "0"}},
      {"suffix", {"\"x\"", "5"}},
      {"stop", {"5", "[1]"}},
      {"logit_bias", {"5", "{\"a\":1}", "{\"999999\":1}"}},
      {"response_format", {"5", "{\"type\":\"xml\"}", "{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{\"type\":\"wat\"}}}"}},
  };
  auto ollama_options = std::vector<std::string>{"5", "\"x\"", "[]", "{\"temperature\":\"x\"}", "{\"temperature\":9}",
                                                 "{\"top_k\":-1}", "{\"top_p\":[]}", "{\"num_predict\":-3}",
                                                 "{\"num_ctx\":0}", "{\"stop\":5}", "{\"repeat_last_n\":-2}",
                                                 "{\"seed\":\"x\"}", "{\"typical_p\":0}", "{\"presence_penalty\":5}"};
  const json ochat = {{"model", "stories260K"}, {"messages", kMsgs}, {"stream", false}, {"options", {{"num_predict", 1}}}};
  std::vector<std::pair<std::string, std::vector<std::string>>> ochat_fields = {
      {"model", {"5", "\"\"", "[]", "\"nope\""}},
      {"messages", {"\"hi\"", "5", "{}", "[5]", "[{\"role\":\"user\",\"content\":[\"x\"]}]",
                    "[{\"role\":\"user\",\"content\":\"x\",\"images\":[\"aGk=\"]}]"}},
      {"stream", kNotBool},
      {"format", {"5", "\"xml\"", "[]", "true", "{\"type\":\"wat\"}", "{\"$ref\":\"#\"}"}},
      {"keep_alive", {"true", "[]", "\"soon\"", "\"5x\"", "{}"}},
      {"options", ollama_options},
      {"tools", {"5", "{}", "[5]", "[{\"function\":{}}]", "[{\"function\":{\"name\":\"a b\"}}]"}},
      {"think", {"3", "\"maybe\"", "[]", "{}"}},
  };
  const json ogen = {{"model", "stories260K"}, {"prompt", "hi"}, {"stream", false}, {"options", {{"num_predict", 1}}}};
  std::vector<std::pair<std::string, std::vector<std::string>>> ogen_fields = {
      {"model", {"5", "\"\"", "\"nope\""}},
      {"prompt", {"5", "[]", "{}"}},
      {"system", {"5", "[]"}},
      {"raw", {"\"x\"", "1"}},
      {"suffix", {"\"x\""}},
      {"template", {"\"{{ x }}\""}},
      {"images", {"[\"aGk=\"]", "5"}},
      {"context", {"5", "\"x\""}},
      {"format", {"5", "\"yaml\"", "{\"type\":\"wat\"}"}},
      {"options", ollama_options},
      {"keep_alive", {"\"forever\"", "[]"}},
  };
  return {
      {"/v1/chat/completions", chat, chat_fields},
      {"/api/v1/llm/chat/completions", chat, chat_fields},
      {"/v1/completions", completion, completion_fields},
      {"/api/chat", ochat, ochat_fields},
      {"/api/generate", ogen, ogen_fields},
      {"/tokenize",
       {{"model", "stories260K"}, {"content", "hi"}},
       {{"model", {"5", "\"nope\""}}, {"content", {"5", "[]", "{}", "true"}}, {"add_special", kNotBool},
        {"with_pieces", kNotBool}}},
      {"/detokenize",
       {{"model", "stories260K"}, {"tokens", {1, 2}}},
       {{"model", {"5", "\"nope\""}},
        {"tokens", {"\"x\"", "5", "{}", "[-1]", "[1.5]", "[\"a\"]", "[99999999999]", "[1000000]", "[[1]]"}}}},
      {"/api/show", {{"model", "stories260K"}}, {{"model", {"5", "[]", "\"\"", "\"nope\"", "{}"}}}},
  };
}

const std::vector<std::string> kBrokenJson = {
    "", " ", "{", "}", "[", "null", "[]", "\"x\"", "5", "true", "{\"model\":}", "{\"model\" \"x\"}", "{'model':'x'}",
    "{\"model\":\"x\",}", "{\"a\":1}{\"b\":2}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-Infinity}", "{\"a\":1e999}",
    "{\"a\":0x10}", "{\"a\":01}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"unterminated}",
    bytes("{\"a\":\"nul\0here\"}"), "\xef\xbb\xbf{}x", "{\"a\":tru}", "{/* comment */}",
};

void HostileSuite::hostile_bodies() {
  const std::vector<Route> all = routes();
  for (const Route& route : all) {
    HttpResult ok = post_json(port(), route.path, route.base);
    ASSERT_EQ(ok.status, 200) << route.path << " base body must be valid: " << ok.body;
  }
  for (const Route& route : all) {
    for (const auto& body : kBrokenJson) post(route.path, body, "broken json: " + body.substr(0, 40));
  }
  expect_serving("broken JSON");
  for (const Route& route : all) {
    for (const auto& [field, values] : route.fields) {
      for (const auto& v : values) post(route.path, with_field(route.base, field, v), field + "=" + v.substr(0, 60));
    }
    expect_serving("fields of " + route.path);
  }
  // Deep nesting, at the top and inside each route's fields.
  for (const Route& route : all) {
    post(route.path, nested("[", "]", 100000), "deep array");
    post(route.path, nested("{\"a\":", "}", 5000), "deep object");
    for (const auto& [field, values] : route.fields) {
      post(route.path, with_field(route.base, field, nested("[", "]", 70)), field + " nested 70");
    }
  }
  expect_serving("deep nesting");
  // Invalid UTF-8 in every string field (overlong, surrogate, truncated, stray continuation).
  const std::vector<std::string> bad_utf8 = {"\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xe2\x82\"", "\"\x80x\"", "\"\xff\""};
  for (const Route& route : all) {
    for (const auto& [key, value] : route.base.items()) {
      if (!value.is_string()) continue;
      for (const auto& b : bad_utf8) post(route.path, with_field(route.base, key, b), key + " invalid utf-8");
    }
    post(route.path, with_field(route.base, "messages", "[{\"role\":\"user\",\"content\":\"\xfe\xfe\"}]"), "content utf-8");
  }
  expect_serving("invalid UTF-8");
  std::printf("[ hostile  ] %d hostile bodies refused\n", count_);
}

void HostileSuite::ten_megabyte_strings() {
  const std::string big = quoted(std::string(10u << 20, 'a'));
  post("/v1/chat/completions", with_field({{"messages", kMsgs}, {"max_tokens", 1}}, "model", big), "10 MB model");
  post("/v1/chat/completions", with_field({{"messages", kMsgs}, {"max_tokens", 1}}, "stop", big), "10 MB stop");
  post("/v1/completions", with_field({{"prompt", "x"}, {"max_tokens", 1}}, "user", big), "10 MB user");
  post("/api/chat", with_field({{"model", "stories260K"}, {"messages", kMsgs}}, "keep_alive", big), "10 MB keep_alive");
  post("/api/generate", with_field({{"model", "stories260K"}, {"prompt", "x"}}, "template", big), "10 MB template");
  post("/v1/chat/completions",
       with_field({{"messages", kMsgs}}, "tools", "[{\"function\":{\"name\":\"f\",\"description\":" + big + "}}]"),
       "10 MB tool description");
  // Past the body limit: 413 before the body is read.
  post("/v1/completions", with_field({{"max_tokens", 1}}, "prompt", quoted(std::string(12u << 20, 'a'))), "12 MB prompt");
  expect_serving("10 MB strings");
}

void HostileSuite::raw_http_abuse() {
  const int before = count_;
  std::vector<std::pair<std::string, std::string>> cases;
  std::string flood = "GET /v1/models HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 2000; ++i) flood += "X-Flood-" + std::to_string(i) + ": v\r\n";
  cases.push_back({"header flood", flood + "\r\n"});
  cases.push_back({"huge header", "GET /health HTTP/1.1\r\nX-Big: " + std::string(100000, 'b') + "\r\n\r\n"});
  cases.push_back({"tls hello", bytes("\x16\x03\x01\x02\x00 hello\r\n\r\n")});
  cases.push_back({"http/9.9", "GET /health HTTP/9.9\r\n\r\n"});
  cases.push_back({"negative length", "POST /v1/completions HTTP/1.1\r\nContent-Length: -5\r\n\r\n"});
  cases.push_back({"two lengths", "POST /v1/completions HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"});
  cases.push_back({"huge length", "POST /v1/completions HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"});
  cases.push_back({"bad chunk", "POST /v1/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"});
  cases.push_back({"space in path", "GET /v1/mo dels HTTP/1.1\r\n\r\n"});
  cases.push_back({"no method", " /health HTTP/1.1\r\n\r\n"});
  cases.push_back({"bare newlines", "GET /health HTTP/1.1\nHost: x\n\n"});
  cases.push_back({"header without colon", "GET /health HTTP/1.1\r\nHost x\r\n\r\n"});
  cases.push_back({"invalid utf-8 header name", "GET /health HTTP/1.1\r\nX-\xff\xfe: 1\r\n\r\n"});
  cases.push_back({"control byte in header", "GET /health HTTP/1.1\r\nX-A: a\x01\x02\r\n\r\n"});
  cases.push_back({"nul in request line", bytes("GET /he\0alth HTTP/1.1\r\n\r\n")});
  // Headers carrying invalid UTF-8 on requests that are wrong anyway.
  for (const char* h : {"X-Name: \xff\xfe\xfd\r\n", "Authorization: Bearer \xc0\xaf\r\n", "Content-Type: \xed\xa0\x80\r\n",
                               "User-Agent: \x80\x80\r\n"}) {
    cases.push_back({"utf-8 header + bad body", request("POST", "/v1/chat/completions", "{", h)});
    cases.push_back({"utf-8 header + unknown route", request("POST", "/v1/\xff\xfe", "{}", h)});
  }
  // Unknown routes and wrong methods, on every route.
  for (const char* path_text : {"/v1/chat/completions", "/v1/completions", "/api/chat", "/api/generate", "/tokenize",
                                  "/detokenize", "/api/show"}) {
    const std::string path = path_text;
    cases.push_back({"GET " + path, request("GET", path, "")});
    cases.push_back({"DELETE " + path, request("DELETE", path, "{}")});
    cases.push_back({"PUT " + path, request("PUT", path, "{}")});
  }
  for (const std::string& path : std::vector<std::string>{"/", "/v2/chat", "/../../etc/passwd", "/v1/models/../../x", "/%00", "/api/pull",
                                  "/v1/chat/completions/extra", "/" + std::string(4000, 'a')}) {
    cases.push_back({"unknown " + path.substr(0, 30), request("POST", path, "{}")});
  }
  for (const auto& [what, bytes] : cases) expect_refused(what, bytes);
  expect_serving("raw HTTP");

  // Pipelined garbage after a good request: the good one is answered, the garbage refused, and
  // the connection closed.
  for (const std::string& garbage : {bytes("\x00\x01\x02\x03\r\n\r\n"), std::string("NOT HTTP AT ALL\r\n\r\n"),
                                     request("POST", "/v1/completions", "{bad"),
                                     std::string("GET /health HTTP/1.1\r\nContent-Length: x\r\n\r\n")}) {
    ++count_;
    const Outcome o = exchange(port(), "GET /health HTTP/1.1\r\nHost: x\r\n\r\n" + garbage);
    const size_t second = o.raw.find("HTTP/1.1", 1);
    EXPECT_EQ(parse_response(o.raw.substr(0, second)).status, 200) << o.raw.substr(0, 200);
    if (second != std::string::npos) {
      const HttpResult r = parse_response(o.raw.substr(second));
      EXPECT_GE(r.status, 400) << o.raw.substr(0, 400);
      EXPECT_LT(r.status, 500) << o.raw.substr(0, 400);
    }
    EXPECT_TRUE(o.closed);
  }
  expect_serving("pipelined garbage");

  // A client that never finishes its headers is dropped by the read deadline while others are served.
  ++count_;
  const int fd = connect_loopback(port());
  ASSERT_GE(fd, 0);
  send_all(fd, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {
    send_all(fd, "s");
    read_until_close(fd, 200, &closed);
  }
  ::close(fd);
  EXPECT_TRUE(closed);
  expect_serving("slow client");
  std::printf("[ hostile  ] %d raw HTTP exchanges refused\n", count_ - before);
}

// One test (ctest runs each test in its own process): every batch, then the count.
TEST_F(HostileSuite, FiveHundredHostileRequestsAreRefusedAndTheServerServesOn) {
  hostile_bodies();
  ten_megabyte_strings();
  raw_http_abuse();
  std::printf("[ hostile  ] %d hostile requests in all, each a 4xx JSON error or a closed connection\n", count_);
  EXPECT_GE(count_, 500);
}

}  // namespace
}  // namespace plexus::testing

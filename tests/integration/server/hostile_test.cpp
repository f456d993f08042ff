// Hostile clients against the real server: malformed bodies, absurd values, header floods,
// slow and idle clients, connection floods, clients that vanish mid-stream. After each, the
// server must still answer others promptly.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_server.h"

namespace plexus::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class Hostile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({shared_model("stories260K.gguf"), "--read-timeout", "1", "--idle-timeout", "2",
                                 "--max-connections", "16", "--body-limit", "65536", "--header-limit", "8192"});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->started()) << server_->stderr_text(); }
  void TearDown() override { expect_serving(); }
  uint16_t port() const { return server_->port(); }

  // Another client is served normally, quickly.
  void expect_serving() {
    const auto t0 = std::chrono::steady_clock::now();
    HttpResult r = post_json(port(), "/v1/completions", {{"prompt", "Once"}, {"max_tokens", 3}, {"temperature", 0}});
    EXPECT_EQ(r.status, 200) << r.error << r.body;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
    EXPECT_TRUE(server_->alive());
  }

  static ServerProcess* server_;
};
ServerProcess* Hostile::server_ = nullptr;

std::string raw_request(const std::string& path, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

HttpResult raw_exchange(uint16_t port, const std::string& bytes, int timeout_ms = 5000) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {};
  send_all(fd, bytes);
  const std::string raw = read_until_close(fd, timeout_ms);
  ::close(fd);
  return parse_response(raw);
}

TEST_F(Hostile, MalformedBodiesAre400) {
  const std::vector<std::string> bodies = {
      "",
      "{",
      "}",
      "null",
      "[]",
      "{\"messages\": [}",
      "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]",
      std::string("{\"messages\": [{\"role\": \"user\", \"content\": \"\xff\xfe\"}]}"),
      std::string("{\"messages\": [{\"role\": \"user\", \"content\": \"\xc3\x28\"}]}"),
      std::string("{\"model\": \"\xed\xa0\x80\"}"),
      "{\"messages\": " + std::string(5000, '[') + std::string(5000, ']') + "}",
      "{\"a\":" + std::string(60000, '{'),
      std::string("{\"messages\": [{\"role\": \"user\", \"content\": \"a\0b\"}]}", 50),
      "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 1e400}",
  };
  for (const auto& body : bodies) {
    HttpResult r = http(port(), "POST", "/v1/chat/completions", body);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 400) << body.substr(0, 80) << " -> " << r.body;
    EXPECT_TRUE(r.json()["error"].is_object()) << r.body;
  }
}

TEST_F(Hostile, WrongTypesAndAbsurdNumbersNameTheField) {
  const json msgs = {{{"role", "user"}, {"content", "x"}}};
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"messages", msgs}, {"max_tokens", -1}}, "max_tokens"},
      {{{"messages", msgs}, {"max_tokens", 9223372036854775807LL}}, "max_tokens"},
      {{{"messages", msgs}, {"max_tokens", 18446744073709551615ULL}}, "max_tokens"},
      {{{"messages", msgs}, {"max_tokens", "many"}}, "max_tokens"},
      {{{"messages", msgs}, {"temperature", -1e308}}, "temperature"},
      {{{"messages", msgs}, {"top_k", 1e18}}, "top_k"},
      {{{"messages", msgs}, {"n", -3}}, "n"},
      {{{"messages", msgs}, {"seed", "abc"}}, "seed"},
      {{{"messages", msgs}, {"stop", {{{"a", 1}}}}}, "stop[0]"},
      {{{"messages", msgs}, {"stream", nullptr}, {"logprobs", "yes"}}, "logprobs"},
      {{{"messages", {{{"role", "user"}, {"content", {{"nested", true}}}}}}}, "messages[0].content"},
      {{{"messages", json::array({json::array()})}}, "messages[0]"},
      {{{"messages", msgs}, {"model", json::array()}}, "model"},
  };
  for (const auto& [body, param] : cases) {
    HttpResult r = post_json(port(), "/v1/chat/completions", body);
    EXPECT_EQ(r.status, 400) << body.dump() << " -> " << r.body;
    EXPECT_EQ(r.json()["error"]["param"], param) << body.dump() << " -> " << r.body;
  }
}

TEST_F(Hostile, UnknownModelIs404) {
  HttpResult r = post_json(port(), "/v1/chat/completions",
                           {{"model", "../../etc/passwd"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json()["error"]["code"], "model_not_found");
}

TEST_F(Hostile, BodyOverTheLimitIs413BeforeItIsRead) {
  // Content-Length says 10 MB; only the head is sent. The answer must not wait for the body.
  const int fd = connect_loopback(port());
  ASSERT_GE(fd, 0);
  send_all(fd, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n{");
  const HttpResult r = parse_response(read_until_close(fd, 3000));
  ::close(fd);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json()["error"]["code"], "payload_too_large");
  // A chunked body that grows past the limit.
  std::string chunked = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) chunked += "1000\r\n" + std::string(4096, 'a') + "\r\n";
  EXPECT_EQ(raw_exchange(port(), chunked).status, 413);
  // Exactly at the limit is read (and then rejected as JSON, not as size).
  EXPECT_EQ(http(port(), "POST", "/v1/completions", std::string(65536, ' ')).status, 400);
}

TEST_F(Hostile, HeaderFloodIs431AndClosed) {
  std::string req = "GET /v1/models HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 2000; ++i) req += "X-Flood-" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
  req += "\r\n";
  const int fd = connect_loopback(port());
  send_all(fd, req);
  bool closed = false;
  const HttpResult r = parse_response(read_until_close(fd, 5000, &closed));
  ::close(fd);
  EXPECT_EQ(r.status, 431);
  EXPECT_TRUE(closed);
  // One enormous header line too.
  EXPECT_EQ(raw_exchange(port(), "GET /health HTTP/1.1\r\nX-Big: " + std::string(100000, 'b') + "\r\n\r\n").status, 431);
}

TEST_F(Hostile, SlowClientThatNeverFinishesItsHeadersIsDropped) {
  const int fd = connect_loopback(port());
  ASSERT_GE(fd, 0);
  const auto t0 = std::chrono::steady_clock::now();
  send_all(fd, "POST /v1/completions HTTP/1.1\r\nHost: x\r\n");
  // Trickle a byte every 300 ms: the deadline covers the whole request, not each read.
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {
    send_all(fd, "X");
    expect_serving();  // others are served meanwhile
    read_until_close(fd, 300, &closed);
  }
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(Hostile, IdleKeepAliveConnectionsAreClosed) {
  const int fd = connect_loopback(port());
  ASSERT_GE(fd, 0);
  bool closed = false;
  const auto t0 = std::chrono::steady_clock::now();
  read_until_close(fd, 6000, &closed);
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(Hostile, GarbageIsA400AndClosed) {
  static const char kTlsHello[] = "\x16\x03\x01\x02\x00 not http at all\r\n\r\n";
  const HttpResult r = raw_exchange(port(), std::string(kTlsHello, sizeof kTlsHello - 1));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(raw_exchange(port(), "GET /health HTTP/1.1\r\nContent-Length: -5\r\n\r\n").status, 400);
  EXPECT_EQ(raw_exchange(port(), "GET /health HTTP/9.9\r\n\r\n").status, 400);
}

TEST_F(Hostile, KeepAliveAndPipelinedRequestsAreAnsweredInOrder) {
  const int fd = connect_loopback(port());
  ASSERT_GE(fd, 0);
  const std::string one = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string two = "GET /api/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  send_all(fd, one + two);
  const std::string raw = read_until_close(fd, 5000);
  ::close(fd);
  const size_t second = raw.find("HTTP/1.1", 1);
  ASSERT_NE(second, std::string::npos) << raw;
  EXPECT_EQ(parse_response(raw.substr(0, second)).json()["status"], "ok");
  EXPECT_EQ(parse_response(raw.substr(second)).json()["version"], "0.1.0");
}

TEST_F(Hostile, HeadResponsesCarryNoBody) {
  const int fd = connect_loopback(port());
  ASSERT_GE(fd, 0);
  send_all(fd, "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /api/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string raw = read_until_close(fd, 5000);
  ::close(fd);
  const size_t head_end = raw.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << raw;
  EXPECT_EQ(raw.substr(head_end + 4, 8), "HTTP/1.1") << raw;  // the next response follows at once
  EXPECT_EQ(parse_response(raw.substr(head_end + 4)).json()["version"], "0.1.0");
}

TEST_F(Hostile, TooManyConnectionsGet503) {
  std::vector<int> fds;
  for (int i = 0; i < 16; ++i) fds.push_back(connect_loopback(port()));
  std::this_thread::sleep_for(200ms);
  HttpResult r = raw_exchange(port(), "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(r.headers["retry-after"].empty());
  for (int fd : fds) ::close(fd);
  std::this_thread::sleep_for(200ms);  // the slots free up as the server sees the closes
}

TEST_F(Hostile, ClientVanishingMidStreamCancelsItsGeneration) {
  const std::string done_sample = "plexus_engine_requests_done_total{model=\"stories260K\"}";
  const std::string before = http(port(), "GET", "/metrics").body;
  const double done_before = metric_value(before, done_sample);
  const double tokens_before = metric_value(before, "plexus_generated_tokens_total");
  const std::string body = json{{"prompt", "Once upon a time"}, {"max_tokens", 2000}, {"stream", true},
                                {"temperature", 1.0}, {"seed", 1}}.dump();
  const int fd = connect_loopback(port());
  ASSERT_GE(fd, 0);
  send_all(fd, raw_request("/v1/completions", body));
  char buf[512];
  ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);  // the stream has started
  ::close(fd);
  // The engine is told within a step and ends the sequence long before 2000 tokens.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  std::string m;
  while (std::chrono::steady_clock::now() < deadline) {
    m = http(port(), "GET", "/metrics").body;
    if (metric_value(m, "plexus_generations_cancelled_by_client_total") >= 1 &&
        metric_value(m, done_sample) > done_before) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GE(metric_value(m, "plexus_generations_cancelled_by_client_total"), 1) << m;
  EXPECT_EQ(metric_value(m, done_sample), done_before + 1) << m;
  EXPECT_LT(metric_value(m, "plexus_generated_tokens_total") - tokens_before, 1000) << m;
}

}  // namespace
}  // namespace plexus::testing

// Routing rules shared by every route: auth, 404/405, CORS, request counting.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/router.h"

namespace plexus::server {
namespace {

// Records what a route answered. Not thread-safe: the tests are single-threaded.
class RecordingChannel final : public ResponseChannel {
 public:
  void send(HttpResponse r) override { response = std::move(r); }
  void begin_stream(int status, std::string, header_list) override { response.status = status; }
  void write(std::string data) override { response.body += data; }
  void end_stream() override {}
  void on_client_gone(std::function<void()>) override {}
  bool client_gone() const override { return false; }
  size_t buffered_bytes() const override { return 0; }
  void post(std::function<void()> fn) override { fn(); }

  std::string header(const std::string& name) const {
    for (const auto& [k, v] : response.headers) {
      if (k == name) return v;
    }
    return "";
  }
  HttpResponse response;
};

HttpRequest request(std::string method, std::string path, header_list headers = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.headers = std::move(headers);
  return r;
}

struct Fixture {
  explicit Fixture(RouterOptions options) : metrics(std::make_shared<ServerMetrics>()), router(options, metrics) {
    auto ok = [](const HttpRequest&, std::shared_ptr<ResponseChannel> ch) {
      HttpResponse r;
      r.body = "{\"ok\":true}";
      ch->send(r);
    };
    router.add("GET", "/health", api_flavor::openai, ok, /*public_route=*/true);
    router.add("GET", "/v1/models", api_flavor::openai, ok);
    router.add("POST", "/api/chat", api_flavor::ollama, ok);
  }
  HttpResponse run(const HttpRequest& req) {
    auto ch = std::make_shared<RecordingChannel>();
    router.dispatch(req, ch);
    last = ch;
    return ch->response;
  }
  std::shared_ptr<ServerMetrics> metrics;
  Router router;
  std::shared_ptr<RecordingChannel> last;
};

TEST(Router, DispatchesByPathAndMethod) {
  Fixture f(RouterOptions{});
  EXPECT_EQ(f.run(request("GET", "/v1/models")).status, 200);
  HttpResponse nf = f.run(request("GET", "/v1/nothing"));
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nlohmann::json::parse(nf.body)["error"]["code"], "not_found");
  HttpResponse na = f.run(request("DELETE", "/v1/models"));
  EXPECT_EQ(na.status, 405);
  EXPECT_EQ(f.last->header("Allow"), "GET");
}

TEST(Router, OllamaRoutesAnswerErrorsInTheirFlavor) {
  Fixture f(RouterOptions{});
  HttpResponse r = f.run(request("GET", "/api/chat"));
  EXPECT_EQ(r.status, 405);
  EXPECT_TRUE(nlohmann::json::parse(r.body)["error"].is_string());
}

TEST(Router, ApiKeysProtectEverythingButHealth) {
  RouterOptions o;
  o.api_keys = {"k1", "secret-2"};
  Fixture f(o);
  EXPECT_EQ(f.run(request("GET", "/health")).status, 200);
  HttpResponse denied = f.run(request("GET", "/v1/models"));
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(nlohmann::json::parse(denied.body)["error"]["type"], "authentication_error");
  EXPECT_EQ(f.run(request("GET", "/v1/models", {{"authorization", "Bearer wrong"}})).status, 401);
  EXPECT_EQ(f.run(request("GET", "/v1/models", {{"authorization", "Bearer k1"}})).status, 200);
  EXPECT_EQ(f.run(request("GET", "/v1/models", {{"authorization", "bearer secret-2"}})).status, 200);
  EXPECT_EQ(f.run(request("GET", "/v1/models", {{"x-api-key", "k1"}})).status, 200);
  // Unknown routes do not reveal themselves without a key.
  EXPECT_EQ(f.run(request("GET", "/v1/nothing")).status, 401);
}

TEST(Router, KeyMatching) {
  EXPECT_TRUE(Router::key_matches("Bearer abc", {"abc"}));
  EXPECT_FALSE(Router::key_matches("Bearer abcd", {"abc"}));
  EXPECT_FALSE(Router::key_matches("Bearer ab", {"abc"}));
  EXPECT_FALSE(Router::key_matches("Basic abc", {"abc"}));
  EXPECT_FALSE(Router::key_matches("", {"abc"}));
  EXPECT_FALSE(Router::key_matches("Bearer ", {"abc"}));
}

TEST(Router, CorsHeadersAndPreflight) {
  RouterOptions o;
  o.cors_origin = "https://app.example";
  o.api_keys = {"k"};
  Fixture f(o);
  HttpResponse pre = f.run(request("OPTIONS", "/v1/models"));  // no key needed for a preflight
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(f.last->header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_NE(f.last->header("Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
  f.run(request("GET", "/v1/models", {{"authorization", "Bearer k"}}));
  EXPECT_EQ(f.last->header("Access-Control-Allow-Origin"), "https://app.example");
}

TEST(Router, CountsRequestsByRouteAndStatus) {
  Fixture f(RouterOptions{});
  f.run(request("GET", "/v1/models"));
  f.run(request("GET", "/v1/models"));
  f.run(request("GET", "/nope"));
  const std::string text = f.metrics->render({}, 0);
  EXPECT_NE(text.find("plexus_http_requests_total{route=\"/v1/models\",status=\"200\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("plexus_http_requests_total{route=\"other\",status=\"404\"} 1"), std::string::npos) << text;
}

}  // namespace
}  // namespace plexus::server

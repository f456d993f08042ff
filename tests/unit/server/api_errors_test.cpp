// The one error shape: status, type, code, param, Retry-After, both flavors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/api_errors.h"

namespace plexus::server {
namespace {

nlohmann::json body_of(const HttpResponse& r) { return nlohmann::json::parse(r.body); }

TEST(ApiErrors, OpenAiShapeHasMessageTypeCodeParam) {
  HttpResponse r = error_response(bad_field("temperature", "'temperature' must be ..."), api_flavor::openai);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  auto j = body_of(r);
  ASSERT_TRUE(j["error"].is_object());
  EXPECT_EQ(j["error"]["message"], "'temperature' must be ...");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["code"], "invalid_value");
  EXPECT_EQ(j["error"]["param"], "temperature");
  EXPECT_TRUE(r.headers.empty());
}

TEST(ApiErrors, ParamIsNullWhenNoField) {
  auto j = body_of(error_response(unauthorized(), api_flavor::openai));
  EXPECT_TRUE(j["error"]["param"].is_null());
  EXPECT_EQ(j["error"]["type"], "authentication_error");
}

TEST(ApiErrors, OllamaShapeIsAString) {
  auto j = body_of(error_response(model_not_found("nope"), api_flavor::ollama));
  ASSERT_TRUE(j["error"].is_string());
  EXPECT_NE(j["error"].get<std::string>().find("nope"), std::string::npos);
}

TEST(ApiErrors, StatusesAndRetryAfter) {
  EXPECT_EQ(unauthorized().status, 401);
  EXPECT_EQ(model_not_found("m").status, 404);
  EXPECT_EQ(route_not_found("GET", "/x").status, 404);
  EXPECT_EQ(method_not_allowed("GET", "/x").status, 405);
  EXPECT_EQ(payload_too_large(10).status, 413);
  EXPECT_EQ(internal("x").status, 500);
  HttpResponse q = error_response(queue_full(), api_flavor::openai);
  EXPECT_EQ(q.status, 429);
  ASSERT_EQ(q.headers.size(), 1u);
  EXPECT_EQ(q.headers[0].first, "Retry-After");
  HttpResponse u = error_response(unavailable("loading", 3), api_flavor::openai);
  EXPECT_EQ(u.status, 503);
  EXPECT_EQ(u.headers[0].second, "3");
}

TEST(ApiErrors, FromStatusMapsEngineErrors) {
  EXPECT_EQ(from_status(Status(error_code::resource_exhausted, "full")).status, 429);
  ApiError range = from_status(out_of_range("too long"), "max_tokens");
  EXPECT_EQ(range.status, 400);
  EXPECT_EQ(range.param, "max_tokens");
  EXPECT_EQ(from_status(invalid_argument("bad")).status, 400);
  EXPECT_EQ(from_status(not_found("x")).status, 404);
  EXPECT_EQ(from_status(internal_error("boom")).status, 500);
  EXPECT_EQ(from_status(io_error("disk")).status, 500);
}

TEST(ApiErrors, InvalidUtf8InAMessageIsReplacedNotThrown) {
  std::string body;
  ASSERT_NO_THROW(body = error_body(bad_field("model", std::string("bad \xff\xfe name")), api_flavor::openai));
  auto j = nlohmann::json::parse(body);
  EXPECT_NE(j["error"]["message"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);
}

}  // namespace
}  // namespace plexus::server

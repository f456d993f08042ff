#include "server/api_errors.h"

#include <nlohmann/json.hpp>

namespace plexus::server {
namespace {

ApiError make(int status, std::string message, std::string type, std::string code, std::string param = "") {
  ApiError e;
  e.status = status;
  e.message = std::move(message);
  e.type = std::move(type);
  e.code = std::move(code);
  e.param = std::move(param);
  return e;
}

}  // namespace

ApiError bad_field(std::string param, std::string message) {
  return make(400, std::move(message), "invalid_request_error", "invalid_value", std::move(param));
}

ApiError bad_json(std::string message) {
  return make(400, "request body is not valid JSON: " + message, "invalid_request_error", "invalid_json");
}

ApiError unauthorized() {
  return make(401, "missing or invalid API key (send 'Authorization: Bearer <key>')", "authentication_error",
              "invalid_api_key");
}

ApiError model_not_found(const std::string& model) {
  return make(404, "the model '" + model + "' does not exist", "invalid_request_error", "model_not_found", "model");
}

ApiError route_not_found(const std::string& method, const std::string& path) {
  return make(404, "no route for " + method + " " + path, "invalid_request_error", "not_found");
}

ApiError method_not_allowed(const std::string& method, const std::string& path) {
  return make(405, "method " + method + " is not allowed on " + path, "invalid_request_error", "method_not_allowed");
}

ApiError payload_too_large(uint64_t limit_bytes) {
  return make(413, "request body larger than the limit of " + std::to_string(limit_bytes) + " bytes",
              "invalid_request_error", "payload_too_large");
}

ApiError queue_full() {
  ApiError e = make(429, "the server is busy: too many requests are waiting, retry shortly", "rate_limit_error",
                    "queue_full");
  e.retry_after_seconds = 1;
  return e;
}

ApiError unavailable(std::string message, int retry_after_seconds) {
  ApiError e = make(503, std::move(message), "server_error", "unavailable");
  e.retry_after_seconds = retry_after_seconds;
  return e;
}

ApiError internal(std::string message) { return make(500, std::move(message), "server_error", "internal_error"); }

ApiError from_status(const Status& status, std::string param) {
  switch (status.code()) {
    case error_code::invalid_argument:
    case error_code::out_of_range:
      return bad_field(std::move(param), status.message());
    case error_code::not_found:
      return make(404, status.message(), "invalid_request_error", "not_found", std::move(param));
    case error_code::resource_exhausted:
      return queue_full();
    case error_code::unsupported:
      return make(400, status.message(), "invalid_request_error", "unsupported", std::move(param));
    case error_code::cancelled:
      return unavailable(status.message());
    case error_code::invalid_file:
    case error_code::io_error:
    case error_code::internal:
    case error_code::ok:
      break;
  }
  return internal(status.to_string());
}

std::string error_body(const ApiError& error, api_flavor flavor) {
  nlohmann::json j;
  if (flavor == api_flavor::ollama) {
    j["error"] = error.message;
  } else {
    j["error"] = {
        {"message", error.message},
        {"type", error.type},
        {"code", error.code.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.code)},
        {"param", error.param.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.param)},
    };
  }
  // Messages may quote client input: replace invalid UTF-8 instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpResponse error_response(const ApiError& error, api_flavor flavor) {
  HttpResponse r;
  r.status = error.status;
  r.body = error_body(error, flavor);
  if (error.retry_after_seconds > 0) r.headers.emplace_back("Retry-After", std::to_string(error.retry_after_seconds));
  return r;
}

}  // namespace plexus::server

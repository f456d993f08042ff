// API errors: one typed value carrying the HTTP status, and the ONE place that turns it into a
// response body. OpenAI routes answer {"error":{"message","type","code","param"}}; Ollama routes
// answer {"error":"message"} because the Ollama clients read `error` as a string.
// Thread-safe: plain data and pure functions.
#pragma once

#include <string>
#include <utility>

#include "core/status.h"
#include "server/http_types.h"

namespace plexus::server {

enum class api_flavor { openai, ollama };

struct ApiError {
  int status = 500;            // HTTP status
  std::string message;
  std::string type;            // "invalid_request_error", "authentication_error", ...
  std::string code;            // machine-readable detail ("invalid_value", "model_not_found", ...)
  std::string param;           // the request field at fault ("" when none)
  int retry_after_seconds = 0; // > 0: a Retry-After header is sent (429/503)
};

// 400: `param` names the request field (dotted path, e.g. "messages[2].content").
ApiError bad_field(std::string param, std::string message);
// 400 for a body that is not valid JSON (or too deep, or not UTF-8).
ApiError bad_json(std::string message);
ApiError unauthorized();
ApiError model_not_found(const std::string& model);
ApiError route_not_found(const std::string& method, const std::string& path);
ApiError method_not_allowed(const std::string& method, const std::string& path);
ApiError payload_too_large(uint64_t limit_bytes);
// 429: the engine's waiting queue is full.
ApiError queue_full();
// 503: the server cannot take the request now (loading, too many connections, no room to load).
ApiError unavailable(std::string message, int retry_after_seconds = 1);
ApiError internal(std::string message);

// Maps a Status from the engine or a lower module to the HTTP error it means for a client.
// `param` is attached to invalid_argument / out_of_range errors.
ApiError from_status(const Status& status, std::string param = "");

// The JSON body (no trailing newline) in the given flavor.
std::string error_body(const ApiError& error, api_flavor flavor);
// A complete response: status, JSON body, Retry-After when set.
HttpResponse error_response(const ApiError& error, api_flavor flavor);

}  // namespace plexus::server

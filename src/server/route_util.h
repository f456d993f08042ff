// What the route files share: the server context they read, JSON responses, model lookup with
// on-demand loading, and the translation of a validated GenerationSpec into engine options
// (including the checks that need the model: max_tokens against the remaining context).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/session.h"
#include "sampling/sampler.h"
#include "server/api_errors.h"
#include "server/http_types.h"
#include "server/metrics.h"
#include "server/model_manager.h"
#include "server/request_types.h"

namespace plexus::server {

// Thread-safe: immutable after the server starts, except through the thread-safe members.
struct ServerContext {
  ModelManager* models = nullptr;
  std::shared_ptr<ServerMetrics> metrics;
  RequestLimits limits;
  sampling::SamplingParams sampling_defaults;  // for fields a request leaves out
  std::string version = "0.1.0";
  int64_t started_unix = 0;
  std::function<int64_t()> open_connections;
};

// Serializes with invalid UTF-8 replaced (U+FFFD), never throwing.
std::string dump_json(const nlohmann::json& j);
std::string dump_json(const nlohmann::ordered_json& j);
void send_json(ResponseChannel& channel, const nlohmann::json& body, int status = 200);
void send_error(ResponseChannel& channel, const ApiError& error, api_flavor flavor);

// Resolves `name` (404 when unknown), loads the model if needed, and runs `fn(lease)` on the
// channel's strand. Load failures and a full --max-loaded-models answer with the error.
void with_model(const ServerContext& ctx, const std::shared_ptr<ResponseChannel>& channel, const std::string& name,
                std::optional<double> keep_alive, api_flavor flavor,
                std::function<void(std::shared_ptr<ModelLease>)> fn);

// Engine options for `gen` with `prompt_tokens` of prompt on `lease`'s model: checks that the
// prompt fits and that max_tokens (and num_ctx) leave room (400 naming the field otherwise).
std::optional<ApiError> make_generate_options(const ServerContext& ctx, const GenerationSpec& gen,
                                              const ModelLease& lease, int64_t prompt_tokens,
                                              runtime::GenerateOptions& out);

// Seconds since the epoch, and an RFC 3339 UTC time with nanoseconds (Ollama's created_at).
int64_t unix_now();
std::string rfc3339_now();
std::string rfc3339(int64_t unix_seconds);
// A random id with a prefix ("chatcmpl-" + 24 alphanumerics).
std::string random_id(const std::string& prefix);

}  // namespace plexus::server

// Validated API requests as plain structs. Parsing (openai_parse.cpp, ollama_parse.cpp) checks
// every field against its declared type and range and fails with a 400 naming the field; what
// needs the model (the prompt's token count against the context) is checked by the routes.
// Not thread-safe: plain data.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sampling/grammar/grammar.h"
#include "server/api_errors.h"

namespace plexus::server {

// Server-wide caps on what one request may ask for.
struct RequestLimits {
  int32_t max_n = 8;                  // choices per request (`n`)
  int32_t max_stop = 16;              // stop strings
  size_t max_stop_bytes = 256;        // bytes per stop string
  int32_t max_top_logprobs = 20;      // OpenAI's own limit
  size_t max_messages = 4096;
  size_t max_model_name_bytes = 256;
  int64_t max_tokens_cap = 1 << 24;   // absolute ceiling before the per-model context check
  size_t max_tools = 128;             // entries of `tools`
  size_t max_logit_bias = 1024;       // entries of `logit_bias`
};

// Sampling and stopping, shared by every API. Unset optionals take the server's defaults.
struct GenerationSpec {
  std::string model;                   // "" = the default model
  std::optional<int64_t> max_tokens;   // >= 1
  std::optional<double> temperature;   // [0, 2]
  std::optional<double> top_p;         // [0, 1]
  std::optional<int64_t> top_k;        // >= 0, 0 = off
  std::optional<double> min_p;         // [0, 1]
  std::optional<double> repeat_penalty;  // (0, 10]
  std::optional<int64_t> repeat_last_n;  // [0, 1<<20]
  std::optional<double> typical_p;          // (0, 1], 1 = off
  std::optional<double> presence_penalty;   // [-2, 2]
  std::optional<double> frequency_penalty;  // [-2, 2]
  // (token id, bias in [-100, 100]); ids are checked against the vocabulary by the route.
  std::vector<std::pair<int32_t, float>> logit_bias;
  // Structured output (response_format / Ollama `format`), compiled; null = unconstrained.
  std::shared_ptr<const sampling::grammar::Grammar> grammar;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;       // empty strings removed
  int32_t n = 1;
  bool stream = false;
  bool include_usage = false;          // stream_options.include_usage
  bool logprobs = false;
  int32_t top_logprobs = 0;
  std::string user;
  std::optional<int64_t> num_ctx;      // Ollama: caps prompt + generation (<= the engine's context)
  std::optional<double> keep_alive_seconds;  // Ollama: < 0 forever, 0 unload after the request
};

enum class ToolChoice { none, auto_choice, required, named };

struct ChatRequest {
  GenerationSpec gen;
  // [{role, content, name?, tool_calls?, tool_call_id?}] with content flattened to a string;
  // roles: system, user, assistant, tool ("developer" becomes "system"). An assistant's
  // tool_calls carry `function.arguments` as a JSON object (what HF templates expect).
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  // [{type: "function", function: {name, description?, parameters}}], validated (each
  // parameters schema compiles); null when the request has none.
  nlohmann::ordered_json tools = nullptr;
  std::vector<std::string> tool_names;
  ToolChoice tool_choice = ToolChoice::auto_choice;
  std::string tool_choice_name;  // ToolChoice::named
  // Ollama `think`: nullopt = the template's default; false passes enable_thinking=false.
  std::optional<bool> think;
};

struct CompletionRequest {
  GenerationSpec gen;
  std::string prompt;
  bool echo = false;
  // Ollama /api/generate: system prompt and raw mode (no template).
  std::string system;
  bool raw = true;
};

struct TokenizeRequest {
  std::string model;
  std::string content;
  bool add_special = true;
  bool with_pieces = false;
};

struct DetokenizeRequest {
  std::string model;
  std::vector<int32_t> tokens;
};

// OpenAI. Each returns nullopt on success. `ordered`: the same body parsed with its key order
// kept (optional); JSON schemas and tools are then taken from it, so that generated objects list
// their properties in the order the client wrote them.
std::optional<ApiError> parse_openai_chat(const nlohmann::json& body, const RequestLimits& limits, ChatRequest& out,
                                          const nlohmann::ordered_json* ordered = nullptr);
std::optional<ApiError> parse_openai_completion(const nlohmann::json& body, const RequestLimits& limits,
                                                CompletionRequest& out, const nlohmann::ordered_json* ordered = nullptr);
std::optional<ApiError> parse_tokenize(const nlohmann::json& body, const RequestLimits& limits, TokenizeRequest& out);
std::optional<ApiError> parse_detokenize(const nlohmann::json& body, const RequestLimits& limits,
                                         DetokenizeRequest& out);

// Ollama: /api/chat and /api/generate (`stream` defaults to true).
std::optional<ApiError> parse_ollama_chat(const nlohmann::json& body, const RequestLimits& limits, ChatRequest& out,
                                          const nlohmann::ordered_json* ordered = nullptr);
std::optional<ApiError> parse_ollama_generate(const nlohmann::json& body, const RequestLimits& limits,
                                              CompletionRequest& out, const nlohmann::ordered_json* ordered = nullptr);
// Ollama keep_alive: a number of seconds or a Go-style duration ("5m", "1h30m", "10s", "-1").
// Negative = keep forever. nullopt with `error` set when malformed.
std::optional<double> parse_keep_alive(const nlohmann::json& value, std::string& error);

}  // namespace plexus::server

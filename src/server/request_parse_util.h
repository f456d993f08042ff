// Helpers shared by the OpenAI and Ollama request parsers (internal to plexus_server).
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/api_errors.h"
#include "server/json_body.h"
#include "server/request_types.h"

namespace plexus::server {

// body["messages"] -> [{role, content(string)}]. allow_parts: OpenAI content-part arrays.
std::optional<ApiError> parse_messages(const nlohmann::json& body, const RequestLimits& limits, bool allow_parts,
                                       nlohmann::ordered_json& out);
// temperature, top_p, top_k, min_p, presence_penalty, frequency_penalty, seed.
void read_common_sampling(FieldReader& r, GenerationSpec& gen);
// A string or array of strings at `key`; empty strings dropped.
void read_stop(FieldReader& r, const RequestLimits& limits, std::string_view key, GenerationSpec& gen);

// Structured-output fields (structured_parse.cpp). Each returns nullopt on success.
// body["tools"] (OpenAI and Ollama shape) -> out.tools / out.tool_names; every parameters schema
// is compiled once so that a bad one is a 400 naming tools[i].function.parameters.
// `ordered` (may be null): the body with key order kept, the source of schemas and tools.
std::optional<ApiError> parse_tools(const nlohmann::json& body, const RequestLimits& limits, ChatRequest& out,
                                    const nlohmann::ordered_json* ordered);
// body["tool_choice"]: "none" | "auto" | "required" | {"type":"function","function":{"name"}}.
std::optional<ApiError> parse_tool_choice(const nlohmann::json& body, ChatRequest& out);
// body["response_format"]: {type: text | json_object | json_schema, json_schema: {name, schema, strict}}.
std::optional<ApiError> parse_response_format(const nlohmann::json& body, GenerationSpec& gen,
                                              const nlohmann::ordered_json* ordered);
// Ollama body["format"]: "" | "json" | a JSON schema object.
std::optional<ApiError> parse_ollama_format(const nlohmann::json& body, GenerationSpec& gen,
                                            const nlohmann::ordered_json* ordered);
// body[key]: {"<token id>": bias in [-100, 100], ...}; `param` names it in errors.
std::optional<ApiError> parse_logit_bias(const nlohmann::json& object, const std::string& param,
                                         const RequestLimits& limits, GenerationSpec& gen);
// A JSON schema (as text) compiled to a grammar; a compile error is a 400 naming `param`.
std::optional<ApiError> compile_schema(const std::string& schema_text, const std::string& param,
                                       std::shared_ptr<const sampling::grammar::Grammar>& out);

}  // namespace plexus::server

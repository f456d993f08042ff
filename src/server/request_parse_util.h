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

}  // namespace plexus::server

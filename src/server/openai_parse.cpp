// Parsing and validation of OpenAI-style request bodies (and /tokenize, /detokenize).
#include <limits>

#include "server/json_body.h"
#include "server/request_parse_util.h"
#include "server/request_types.h"

namespace plexus::server {
namespace {

constexpr size_t kMaxUserBytes = 256;

// Flattens OpenAI message content: a string, null, or an array of parts where only
// {"type":"text","text":...} parts are supported.
std::optional<ApiError> flatten_content(const nlohmann::json& content, const std::string& path, std::string& out) {
  if (content.is_null()) return std::nullopt;
  if (content.is_string()) {
    out = content.get<std::string>();
    return std::nullopt;
  }
  if (!content.is_array()) {
    return bad_field(path, "'" + path + "' must be a string or an array of content parts, got " +
                               json_type_name(content));
  }
  for (size_t j = 0; j < content.size(); ++j) {
    const auto& part = content[j];
    const std::string part_path = path + "[" + std::to_string(j) + "]";
    if (!part.is_object()) return bad_field(part_path, "'" + part_path + "' must be an object");
    FieldReader r(part, part_path);
    auto type = r.string("type", 64);
    if (!r.ok()) return r.error();
    if (!type) return bad_field(part_path + ".type", "'" + part_path + ".type' is required");
    if (*type != "text") {
      return bad_field(part_path + ".type", "content part type '" + *type + "' is not supported (only 'text')");
    }
    auto text = r.string("text", std::numeric_limits<size_t>::max());
    if (!r.ok()) return r.error();
    if (!text) return bad_field(part_path + ".text", "'" + part_path + ".text' is required");
    out += *text;
  }
  return std::nullopt;
}

// An assistant message's tool_calls, OpenAI ({id, type, function: {name, arguments: string}})
// or Ollama ({function: {name, arguments: object}}) shaped, normalized to {id?, type, function:
// {name, arguments: object}}: HF templates serialize `arguments` with tojson and expect a mapping.
std::optional<ApiError> parse_history_tool_calls(const nlohmann::json& calls, const std::string& path,
                                                 nlohmann::ordered_json& out) {
  if (!calls.is_array()) return bad_field(path, "'" + path + "' must be an array, got " + json_type_name(calls));
  if (calls.size() > 256) return bad_field(path, "'" + path + "' has more than 256 entries");
  out = nlohmann::ordered_json::array();
  for (size_t j = 0; j < calls.size(); ++j) {
    const std::string cpath = path + "[" + std::to_string(j) + "]";
    const auto& call = calls[j];
    if (!call.is_object()) return bad_field(cpath, "'" + cpath + "' must be an object");
    FieldReader r(call, cpath);
    auto id = r.string("id", 256);
    auto type = r.string("type", 64);
    const nlohmann::json* function = r.object("function");
    if (!r.ok()) return r.error();
    if (type && *type != "function") return bad_field(cpath + ".type", "'" + cpath + ".type' must be 'function'");
    if (function == nullptr) return bad_field(cpath + ".function", "'" + cpath + ".function' is required");
    FieldReader f(*function, cpath + ".function");
    auto name = f.string("name", 256);
    if (!f.ok()) return f.error();
    if (!name) return bad_field(cpath + ".function.name", "'" + cpath + ".function.name' is required");
    nlohmann::ordered_json arguments = nlohmann::ordered_json::object();
    if (auto a = function->find("arguments"); a != function->end() && !a->is_null()) {
      if (a->is_object()) {
        arguments = *a;
      } else if (a->is_string()) {
        // Models are shown their own calls; a string that is not a JSON object is passed as is.
        arguments = nlohmann::ordered_json::parse(a->get_ref<const std::string&>(), nullptr, false);
        if (!arguments.is_object()) arguments = a->get<std::string>();
      } else {
        return bad_field(cpath + ".function.arguments",
                         "'" + cpath + ".function.arguments' must be a JSON string or an object");
      }
    }
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    if (id) entry["id"] = *id;
    entry["type"] = "function";
    entry["function"] = {{"name", *name}, {"arguments", std::move(arguments)}};
    out.push_back(std::move(entry));
  }
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> parse_messages(const nlohmann::json& body, const RequestLimits& limits, bool allow_parts,
                                       nlohmann::ordered_json& out) {
  auto it = body.find("messages");
  if (it == body.end() || it->is_null()) return bad_field("messages", "'messages' is required");
  if (!it->is_array()) return bad_field("messages", std::string("'messages' must be an array, got ") + json_type_name(*it));
  if (it->empty()) return bad_field("messages", "'messages' must not be empty");
  if (it->size() > limits.max_messages) {
    return bad_field("messages", "'messages' has " + std::to_string(it->size()) + " entries, more than the limit of " +
                                     std::to_string(limits.max_messages));
  }
  out = nlohmann::ordered_json::array();
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& m = (*it)[i];
    const std::string path = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) return bad_field(path, "'" + path + "' must be an object, got " + json_type_name(m));
    FieldReader r(m, path);
    auto role = r.string("role", 64);
    if (!r.ok()) return r.error();
    if (!role) return bad_field(path + ".role", "'" + path + ".role' is required");
    if (*role == "developer") role = "system";
    if (*role != "system" && *role != "user" && *role != "assistant" && *role != "tool") {
      return bad_field(path + ".role", "'" + path + ".role' must be one of system, developer, user, assistant, tool; got '" +
                                           *role + "'");
    }
    std::string content;
    auto c = m.find("content");
    if (c != m.end()) {
      if (!allow_parts && !c->is_string() && !c->is_null()) {
        return bad_field(path + ".content", "'" + path + ".content' must be a string, got " + json_type_name(*c));
      }
      if (auto err = flatten_content(*c, path + ".content", content)) return err;
    }
    if (const nlohmann::json* images = r.array("images"); images != nullptr && !images->empty()) {
      return bad_field(path + ".images", "images are not supported by this server");
    }
    auto name = r.string("name", 256);
    auto tool_call_id = r.string("tool_call_id", 256);
    auto tool_name = r.string("tool_name", 256);  // Ollama's name of the tool that answered
    if (!r.ok()) return r.error();
    nlohmann::ordered_json msg = {{"role", *role}, {"content", content}};
    if (name) msg["name"] = *name;
    if (tool_call_id) msg["tool_call_id"] = *tool_call_id;
    if (tool_name) msg["tool_name"] = *tool_name;
    if (auto calls = m.find("tool_calls"); calls != m.end() && !calls->is_null()) {
      if (*role != "assistant") {
        return bad_field(path + ".tool_calls", "'" + path + ".tool_calls' is only allowed on assistant messages");
      }
      nlohmann::ordered_json normalized;
      if (auto err = parse_history_tool_calls(*calls, path + ".tool_calls", normalized)) return err;
      msg["tool_calls"] = std::move(normalized);
    }
    out.push_back(std::move(msg));
  }
  return std::nullopt;
}

void read_common_sampling(FieldReader& r, GenerationSpec& gen) {
  gen.temperature = r.number("temperature", 0.0, 2.0);
  gen.top_p = r.number("top_p", 0.0, 1.0);
  gen.top_k = r.integer("top_k", 0, 1 << 20);
  gen.min_p = r.number("min_p", 0.0, 1.0);
  gen.typical_p = r.number("typical_p", 1e-6, 1.0);
  gen.presence_penalty = r.number("presence_penalty", -2.0, 2.0);
  gen.frequency_penalty = r.number("frequency_penalty", -2.0, 2.0);
  if (auto seed = r.integer("seed", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max())) {
    gen.seed = static_cast<uint64_t>(*seed);
  }
}

void read_stop(FieldReader& r, const RequestLimits& limits, std::string_view key, GenerationSpec& gen) {
  auto stop = r.string_or_array(key, static_cast<size_t>(limits.max_stop), limits.max_stop_bytes);
  if (!stop) return;
  for (auto& s : *stop) {
    if (!s.empty()) gen.stop.push_back(std::move(s));
  }
}

namespace {

// Fields shared by /v1/chat/completions and /v1/completions.
void read_openai_common(FieldReader& r, const RequestLimits& limits, GenerationSpec& gen) {
  gen.model = r.string("model", limits.max_model_name_bytes).value_or("");
  gen.stream = r.boolean("stream").value_or(false);
  if (const nlohmann::json* so = r.object("stream_options")) {
    FieldReader s(*so, "stream_options");
    gen.include_usage = s.boolean("include_usage").value_or(false);
    if (!s.ok()) r.fail(s.error()->param, s.error()->message);
  }
  gen.n = static_cast<int32_t>(r.integer("n", 1, limits.max_n).value_or(1));
  read_common_sampling(r, gen);
  gen.repeat_penalty = r.number("repetition_penalty", 1e-6, 10.0);
  if (!gen.repeat_penalty) gen.repeat_penalty = r.number("repeat_penalty", 1e-6, 10.0);
  gen.repeat_last_n = r.integer("repeat_last_n", 0, 1 << 20);
  read_stop(r, limits, "stop", gen);
  gen.user = r.string("user", kMaxUserBytes).value_or("");
}

}  // namespace

std::optional<ApiError> parse_openai_chat(const nlohmann::json& body, const RequestLimits& limits, ChatRequest& out,
                                          const nlohmann::ordered_json* ordered) {
  FieldReader r(body, "");
  read_openai_common(r, limits, out.gen);
  // max_completion_tokens is the newer name; either is accepted, the newer one wins.
  auto max_tokens = r.integer("max_tokens", 1, limits.max_tokens_cap);
  auto max_completion = r.integer("max_completion_tokens", 1, limits.max_tokens_cap);
  out.gen.max_tokens = max_completion ? max_completion : max_tokens;
  out.gen.logprobs = r.boolean("logprobs").value_or(false);
  if (auto top = r.integer("top_logprobs", 0, limits.max_top_logprobs)) {
    if (!out.gen.logprobs && *top > 0) r.fail("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
    out.gen.top_logprobs = static_cast<int32_t>(*top);
  }
  r.boolean("parallel_tool_calls");  // accepted; a constrained call is always a single call
  const nlohmann::json* bias = r.object("logit_bias");
  if (!r.ok()) return r.error();
  if (bias != nullptr) {
    if (auto err = parse_logit_bias(*bias, "logit_bias", limits, out.gen)) return err;
  }
  if (auto err = parse_tools(body, limits, out, ordered)) return err;
  if (auto err = parse_tool_choice(body, out)) return err;
  if (auto err = parse_response_format(body, out.gen, ordered)) return err;
  return parse_messages(body, limits, /*allow_parts=*/true, out.messages);
}

std::optional<ApiError> parse_openai_completion(const nlohmann::json& body, const RequestLimits& limits,
                                                CompletionRequest& out, const nlohmann::ordered_json* ordered) {
  FieldReader r(body, "");
  read_openai_common(r, limits, out.gen);
  out.gen.max_tokens = r.integer("max_tokens", 1, limits.max_tokens_cap);
  out.echo = r.boolean("echo").value_or(false);
  if (auto lp = r.integer("logprobs", 0, 5)) {
    out.gen.logprobs = true;
    out.gen.top_logprobs = static_cast<int32_t>(*lp);
  }
  if (auto best_of = r.integer("best_of", 1, limits.max_n); best_of && *best_of != out.gen.n) {
    r.fail("best_of", "'best_of' different from 'n' is not supported");
  }
  if (auto suffix = r.string("suffix", 1 << 20); suffix && !suffix->empty()) {
    r.fail("suffix", "'suffix' is not supported");
  }
  const nlohmann::json* bias = r.object("logit_bias");
  if (!r.ok()) return r.error();
  if (bias != nullptr) {
    if (auto err = parse_logit_bias(*bias, "logit_bias", limits, out.gen)) return err;
  }
  if (auto err = parse_response_format(body, out.gen, ordered)) return err;
  auto p = body.find("prompt");
  if (p == body.end() || p->is_null()) return bad_field("prompt", "'prompt' is required");
  if (p->is_string()) {
    out.prompt = p->get<std::string>();
  } else if (p->is_array() && p->size() == 1 && (*p)[0].is_string()) {
    out.prompt = (*p)[0].get<std::string>();
  } else {
    return bad_field("prompt", "'prompt' must be a string (or an array holding one string)");
  }
  return std::nullopt;
}

std::optional<ApiError> parse_tokenize(const nlohmann::json& body, const RequestLimits& limits, TokenizeRequest& out) {
  FieldReader r(body, "");
  out.model = r.string("model", limits.max_model_name_bytes).value_or("");
  auto content = r.string("content", std::numeric_limits<size_t>::max());
  out.add_special = r.boolean("add_special").value_or(true);
  out.with_pieces = r.boolean("with_pieces").value_or(false);
  if (!r.ok()) return r.error();
  if (!content) return bad_field("content", "'content' is required");
  out.content = std::move(*content);
  return std::nullopt;
}

std::optional<ApiError> parse_detokenize(const nlohmann::json& body, const RequestLimits& limits,
                                         DetokenizeRequest& out) {
  FieldReader r(body, "");
  out.model = r.string("model", limits.max_model_name_bytes).value_or("");
  const nlohmann::json* tokens = r.array("tokens");
  if (!r.ok()) return r.error();
  if (tokens == nullptr) return bad_field("tokens", "'tokens' is required");
  out.tokens.reserve(tokens->size());
  for (size_t i = 0; i < tokens->size(); ++i) {
    const auto& t = (*tokens)[i];
    const std::string path = "tokens[" + std::to_string(i) + "]";
    // Range against the vocabulary is checked by the route, which knows the model.
    if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      return bad_field(path, "'" + path + "' must be a non-negative token id");
    }
    out.tokens.push_back(static_cast<int32_t>(t.get<int64_t>()));
  }
  return std::nullopt;
}

}  // namespace plexus::server

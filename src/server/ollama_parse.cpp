// Parsing and validation of Ollama request bodies (/api/chat, /api/generate).
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "server/json_body.h"
#include "server/request_parse_util.h"
#include "server/request_types.h"

namespace plexus::server {
namespace {

// options{...}: the sampling subset this server implements. Other Ollama options (num_thread,
// mirostat, ...) are accepted and ignored, as Ollama itself ignores unknown ones.
std::optional<ApiError> read_options(const nlohmann::json& body, const RequestLimits& limits, GenerationSpec& gen) {
  FieldReader top(body, "");
  const nlohmann::json* options = top.object("options");
  if (!top.ok()) return top.error();
  if (options == nullptr) return std::nullopt;
  FieldReader r(*options, "options");
  read_common_sampling(r, gen);
  gen.repeat_penalty = r.number("repeat_penalty", 1e-6, 10.0);
  gen.repeat_last_n = r.integer("repeat_last_n", -1, 1 << 20);
  if (gen.repeat_last_n && *gen.repeat_last_n < 0) gen.repeat_last_n.reset();  // -1: Ollama's "num_ctx"
  // num_predict: -1 = no limit, -2 = fill the context; both mean "until the context is full" here.
  if (auto np = r.integer("num_predict", -2, limits.max_tokens_cap); np && *np > 0) gen.max_tokens = np;
  gen.num_ctx = r.integer("num_ctx", 1, 1 << 24);
  read_stop(r, limits, "stop", gen);
  if (!r.ok()) return r.error();
  return std::nullopt;
}

// model (required), stream (default true), format (unsupported unless empty), keep_alive.
std::optional<ApiError> read_ollama_common(const nlohmann::json& body, const RequestLimits& limits,
                                           GenerationSpec& gen, const nlohmann::ordered_json* ordered) {
  FieldReader r(body, "");
  auto model = r.string("model", limits.max_model_name_bytes);
  gen.stream = r.boolean("stream").value_or(true);
  if (!r.ok()) return r.error();
  if (!model || model->empty()) return bad_field("model", "'model' is required");
  gen.model = *model;
  if (auto err = parse_ollama_format(body, gen, ordered)) return err;
  if (auto k = body.find("keep_alive"); k != body.end() && !k->is_null()) {
    std::string error;
    gen.keep_alive_seconds = parse_keep_alive(*k, error);
    if (!gen.keep_alive_seconds) return bad_field("keep_alive", "'keep_alive' " + error);
  }
  return read_options(body, limits, gen);
}

}  // namespace

std::optional<double> parse_keep_alive(const nlohmann::json& value, std::string& error) {
  if (value.is_number()) {
    const double d = value.get<double>();
    if (!std::isfinite(d)) {
      error = "must be a finite number of seconds";
      return std::nullopt;
    }
    return d;
  }
  if (!value.is_string()) {
    error = std::string("must be a number of seconds or a duration string, got ") + json_type_name(value);
    return std::nullopt;
  }
  const std::string s = value.get<std::string>();
  if (s.empty() || s.size() > 64) {
    error = "must be a duration such as \"5m\", \"1h30m\", \"10s\" or \"-1\"";
    return std::nullopt;
  }
  // Go time.ParseDuration subset: [-]{number unit}+ with units h, m, s, ms; a bare number is seconds.
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    i = 1;
  }
  double total = 0;
  bool any = false;
  bool bad = false;
  while (i < s.size() && !bad) {
    const size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    const std::string number = s.substr(start, i - start);
    char* end = nullptr;
    const double v = number.empty() ? 0 : std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size()) {
      bad = true;
      break;
    }
    double unit = 1;
    if (i == s.size()) {
      bad = any;  // "5m3" is malformed; a lone "30" means seconds
    } else if (s.compare(i, 2, "ms") == 0) {
      unit = 0.001;
      i += 2;
    } else if (s[i] == 'h' || s[i] == 'm' || s[i] == 's') {
      unit = s[i] == 'h' ? 3600 : s[i] == 'm' ? 60 : 1;
      ++i;
    } else {
      bad = true;
      break;
    }
    total += v * unit;
    any = true;
  }
  if (bad || !any || i != s.size() || !std::isfinite(total)) {
    error = "must be a duration such as \"5m\", \"1h30m\", \"10s\" or \"-1\", got \"" + s + "\"";
    return std::nullopt;
  }
  return negative ? -total : total;
}

std::optional<ApiError> parse_ollama_chat(const nlohmann::json& body, const RequestLimits& limits, ChatRequest& out,
                                          const nlohmann::ordered_json* ordered) {
  if (auto err = read_ollama_common(body, limits, out.gen, ordered)) return err;
  if (auto err = parse_tools(body, limits, out, ordered)) return err;
  if (auto t = body.find("think"); t != body.end() && !t->is_null()) {
    // A boolean, or a level ("high", "medium", "low") for models that take one: thinking on.
    if (t->is_boolean()) {
      out.think = t->get<bool>();
    } else if (t->is_string() && (*t == "high" || *t == "medium" || *t == "low")) {
      out.think = true;
    } else {
      return bad_field("think", "'think' must be a boolean or one of \"high\", \"medium\", \"low\"");
    }
  }
  // No messages (or an empty list) only loads / unloads the model, as in Ollama.
  auto it = body.find("messages");
  if (it == body.end() || it->is_null() || (it->is_array() && it->empty())) {
    out.messages = nlohmann::ordered_json::array();
    return std::nullopt;
  }
  return parse_messages(body, limits, /*allow_parts=*/false, out.messages);
}

std::optional<ApiError> parse_ollama_generate(const nlohmann::json& body, const RequestLimits& limits,
                                              CompletionRequest& out, const nlohmann::ordered_json* ordered) {
  if (auto err = read_ollama_common(body, limits, out.gen, ordered)) return err;
  FieldReader r(body, "");
  out.prompt = r.string("prompt", std::numeric_limits<size_t>::max()).value_or("");
  out.system = r.string("system", std::numeric_limits<size_t>::max()).value_or("");
  out.raw = r.boolean("raw").value_or(false);
  if (auto suffix = r.string("suffix", 1 << 20); suffix && !suffix->empty()) {
    r.fail("suffix", "'suffix' is not supported by this server");
  }
  if (auto tmpl = r.string("template", 1 << 20); tmpl && !tmpl->empty()) {
    r.fail("template", "a per-request 'template' is not supported by this server");
  }
  if (const nlohmann::json* images = r.array("images"); images != nullptr && !images->empty()) {
    r.fail("images", "images are not supported by this server");
  }
  r.array("context");  // accepted for compatibility (type-checked), not used
  if (!r.ok()) return r.error();
  return std::nullopt;
}

}  // namespace plexus::server

// Parsing of the structured-output request fields: tools, tool_choice, response_format, Ollama's
// format, logit_bias. Schemas are compiled here (no model needed) so that a bad one is a 400
// naming the field, with the compiler's message.
#include <cmath>
#include <initializer_list>
#include <cstdlib>
#include <limits>
#include <set>

#include "sampling/grammar/json_schema.h"
#include "server/json_body.h"
#include "server/request_parse_util.h"
#include "server/request_types.h"

namespace plexus::server {
namespace {

namespace grammar = sampling::grammar;

constexpr size_t kMaxToolNameBytes = 64;
constexpr size_t kMaxDescriptionBytes = 64 * 1024;

bool valid_tool_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxToolNameBytes) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// The ordered twin of body.k1.k2... (null when absent or of another shape: with duplicate keys the
// two parses may disagree, so nothing is assumed).
const nlohmann::ordered_json* ordered_path(const nlohmann::ordered_json* j, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (j == nullptr || !j->is_object()) return nullptr;
    auto it = j->find(key);
    if (it == j->end()) return nullptr;
    j = &*it;
  }
  return j;
}

// `ordered_tool`: the same tool with its key order kept (null: use `tool`).
std::optional<ApiError> parse_one_tool(const nlohmann::json& tool, const nlohmann::ordered_json* ordered_tool,
                                       const std::string& path, nlohmann::ordered_json& out, std::string& name_out) {
  if (!tool.is_object()) return bad_field(path, "'" + path + "' must be an object, got " + json_type_name(tool));
  FieldReader r(tool, path);
  auto type = r.string("type", 64);
  const nlohmann::json* function = r.object("function");
  if (!r.ok()) return r.error();
  if (type && *type != "function") {
    return bad_field(path + ".type", "'" + path + ".type' must be 'function', got '" + *type + "'");
  }
  if (function == nullptr) return bad_field(path + ".function", "'" + path + ".function' is required");
  const std::string fpath = path + ".function";
  FieldReader f(*function, fpath);
  auto name = f.string("name", kMaxToolNameBytes);
  auto description = f.string("description", kMaxDescriptionBytes);
  const nlohmann::json* parameters = f.object("parameters");
  f.boolean("strict");
  if (!f.ok()) return f.error();
  if (!name) return bad_field(fpath + ".name", "'" + fpath + ".name' is required");
  if (!valid_tool_name(*name)) {
    return bad_field(fpath + ".name", "'" + fpath + ".name' must be 1-64 characters of a-z, A-Z, 0-9, _, - or .");
  }
  nlohmann::ordered_json params = nlohmann::ordered_json{{"type", "object"}, {"properties", nlohmann::ordered_json::object()}};
  if (parameters != nullptr) {
    const nlohmann::ordered_json* p = ordered_path(ordered_tool, {"function", "parameters"});
    params = p != nullptr && p->is_object() ? *p : nlohmann::ordered_json(*parameters);
  }
  std::shared_ptr<const grammar::Grammar> compiled;
  if (auto err = compile_schema(params.dump(), fpath + ".parameters", compiled)) return err;
  nlohmann::ordered_json fn = {{"name", *name}};
  if (description) fn["description"] = *description;
  fn["parameters"] = std::move(params);
  out = {{"type", "function"}, {"function", std::move(fn)}};
  name_out = *name;
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> compile_schema(const std::string& schema_text, const std::string& param,
                                       std::shared_ptr<const grammar::Grammar>& out) {
  auto compiled = grammar::json_schema_to_gbnf(schema_text);
  if (!compiled.ok()) {
    return bad_field(param, "'" + param + "' cannot be used: " + compiled.status().message());
  }
  out = compiled->grammar;
  return std::nullopt;
}

std::optional<ApiError> parse_tools(const nlohmann::json& body, const RequestLimits& limits, ChatRequest& out,
                                    const nlohmann::ordered_json* ordered) {
  FieldReader r(body, "");
  const nlohmann::json* tools = r.array("tools");
  if (!r.ok()) return r.error();
  if (tools == nullptr || tools->empty()) return std::nullopt;
  if (tools->size() > limits.max_tools) {
    return bad_field("tools", "'tools' has " + std::to_string(tools->size()) + " entries, more than the limit of " +
                                  std::to_string(limits.max_tools));
  }
  const nlohmann::ordered_json* ordered_tools = ordered_path(ordered, {"tools"});
  if (ordered_tools != nullptr && (!ordered_tools->is_array() || ordered_tools->size() != tools->size())) {
    ordered_tools = nullptr;
  }
  out.tools = nlohmann::ordered_json::array();
  std::set<std::string> seen;
  for (size_t i = 0; i < tools->size(); ++i) {
    const std::string path = "tools[" + std::to_string(i) + "]";
    nlohmann::ordered_json tool;
    std::string name;
    if (auto err = parse_one_tool((*tools)[i], ordered_tools != nullptr ? &(*ordered_tools)[i] : nullptr, path, tool,
                                  name)) {
      return err;
    }
    if (!seen.insert(name).second) {
      return bad_field(path + ".function.name", "tool name '" + name + "' appears more than once in 'tools'");
    }
    out.tools.push_back(std::move(tool));
    out.tool_names.push_back(std::move(name));
  }
  return std::nullopt;
}

std::optional<ApiError> parse_tool_choice(const nlohmann::json& body, ChatRequest& out) {
  auto it = body.find("tool_choice");
  if (it == body.end() || it->is_null()) {
    out.tool_choice = ToolChoice::auto_choice;
    return std::nullopt;
  }
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    if (s == "none") {
      out.tool_choice = ToolChoice::none;
    } else if (s == "auto") {
      out.tool_choice = ToolChoice::auto_choice;
    } else if (s == "required") {
      out.tool_choice = ToolChoice::required;
    } else {
      return bad_field("tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or a function object");
    }
  } else if (it->is_object()) {
    FieldReader r(*it, "tool_choice");
    auto type = r.string("type", 64);
    const nlohmann::json* function = r.object("function");
    if (!r.ok()) return r.error();
    if (!type || *type != "function") {
      return bad_field("tool_choice.type", "'tool_choice.type' must be 'function'");
    }
    if (function == nullptr) return bad_field("tool_choice.function", "'tool_choice.function' is required");
    FieldReader f(*function, "tool_choice.function");
    auto name = f.string("name", kMaxToolNameBytes);
    if (!f.ok()) return f.error();
    if (!name) return bad_field("tool_choice.function.name", "'tool_choice.function.name' is required");
    out.tool_choice = ToolChoice::named;
    out.tool_choice_name = *name;
  } else {
    return bad_field("tool_choice", std::string("'tool_choice' must be a string or an object, got ") +
                                        json_type_name(*it));
  }
  if ((out.tool_choice == ToolChoice::required || out.tool_choice == ToolChoice::named) && out.tool_names.empty()) {
    return bad_field("tool_choice", "'tool_choice' requires a tool but 'tools' is empty");
  }
  if (out.tool_choice == ToolChoice::named) {
    bool found = false;
    for (const auto& n : out.tool_names) found = found || n == out.tool_choice_name;
    if (!found) {
      return bad_field("tool_choice.function.name", "'tool_choice.function.name' is '" + out.tool_choice_name +
                                                        "', which is not one of 'tools'");
    }
  }
  return std::nullopt;
}

std::optional<ApiError> parse_response_format(const nlohmann::json& body, GenerationSpec& gen,
                                              const nlohmann::ordered_json* ordered) {
  FieldReader top(body, "");
  const nlohmann::json* fmt = top.object("response_format");
  if (!top.ok()) return top.error();
  if (fmt == nullptr) return std::nullopt;
  FieldReader r(*fmt, "response_format");
  auto type = r.string("type", 64);
  if (!r.ok()) return r.error();
  if (!type) return bad_field("response_format.type", "'response_format.type' is required");
  if (*type == "text") return std::nullopt;
  if (*type == "json_object") {
    auto parsed = grammar::Grammar::parse(grammar::json_object_gbnf());
    if (!parsed.ok()) return internal("the JSON grammar does not parse: " + parsed.status().message());
    gen.grammar = std::move(parsed).value();
    return std::nullopt;
  }
  if (*type != "json_schema") {
    return bad_field("response_format.type", "'response_format.type' must be 'text', 'json_object' or 'json_schema', got '" +
                                                 *type + "'");
  }
  const nlohmann::json* js = r.object("json_schema");
  if (!r.ok()) return r.error();
  if (js == nullptr) return bad_field("response_format.json_schema", "'response_format.json_schema' is required");
  FieldReader s(*js, "response_format.json_schema");
  s.string("name", 256);
  s.string("description", kMaxDescriptionBytes);
  s.boolean("strict");  // accepted: every keyword the compiler supports is always enforced
  if (!s.ok()) return s.error();
  auto schema = js->find("schema");
  if (schema == js->end() || schema->is_null()) {
    return bad_field("response_format.json_schema.schema", "'response_format.json_schema.schema' is required");
  }
  if (!schema->is_object() && !schema->is_boolean()) {
    return bad_field("response_format.json_schema.schema",
                     std::string("'response_format.json_schema.schema' must be an object, got ") + json_type_name(*schema));
  }
  const nlohmann::ordered_json* s_o = ordered_path(ordered, {"response_format", "json_schema", "schema"});
  const std::string text = s_o != nullptr && s_o->type() == schema->type() ? s_o->dump() : schema->dump();
  return compile_schema(text, "response_format.json_schema.schema", gen.grammar);
}

std::optional<ApiError> parse_ollama_format(const nlohmann::json& body, GenerationSpec& gen,
                                            const nlohmann::ordered_json* ordered) {
  auto f = body.find("format");
  if (f == body.end() || f->is_null()) return std::nullopt;
  if (f->is_string()) {
    const std::string& s = f->get_ref<const std::string&>();
    if (s.empty()) return std::nullopt;
    if (s != "json") return bad_field("format", "'format' must be \"json\" or a JSON schema object, got \"" + s.substr(0, 64) + "\"");
    auto parsed = grammar::Grammar::parse(grammar::json_object_gbnf());
    if (!parsed.ok()) return internal("the JSON grammar does not parse: " + parsed.status().message());
    gen.grammar = std::move(parsed).value();
    return std::nullopt;
  }
  if (!f->is_object()) {
    return bad_field("format", std::string("'format' must be \"json\" or a JSON schema object, got ") + json_type_name(*f));
  }
  const nlohmann::ordered_json* f_o = ordered_path(ordered, {"format"});
  return compile_schema(f_o != nullptr && f_o->is_object() ? f_o->dump() : f->dump(), "format", gen.grammar);
}

std::optional<ApiError> parse_logit_bias(const nlohmann::json& object, const std::string& param,
                                         const RequestLimits& limits, GenerationSpec& gen) {
  if (object.size() > limits.max_logit_bias) {
    return bad_field(param, "'" + param + "' has " + std::to_string(object.size()) + " entries, more than the limit of " +
                                std::to_string(limits.max_logit_bias));
  }
  for (const auto& [key, value] : object.items()) {
    // A decimal token id: digits only, at most 10 of them, within int32.
    bool digits = !key.empty() && key.size() <= 10;
    for (char c : key) digits = digits && c >= '0' && c <= '9';
    const long long id = digits ? std::strtoll(key.c_str(), nullptr, 10) : -1;
    if (!digits || id > std::numeric_limits<int32_t>::max()) {
      return bad_field(param, "'" + param + "' keys must be token ids (non-negative integers), got '" + key.substr(0, 32) + "'");
    }
    if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < -100 ||
        value.get<double>() > 100) {
      return bad_field(param, "'" + param + "[" + key + "]' must be a number in [-100, 100]");
    }
    gen.logit_bias.emplace_back(static_cast<int32_t>(id), static_cast<float>(value.get<double>()));
  }
  return std::nullopt;
}

}  // namespace plexus::server

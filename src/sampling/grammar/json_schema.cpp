// JSON Schema -> GBNF: driver, primitives, scalar types, enum/const, anyOf/oneOf/allOf.
// Objects, arrays and $ref are in schema_object.cpp.
#include "sampling/grammar/json_schema.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "sampling/grammar/schema_compiler.h"
#include "sampling/grammar/schema_internal.h"

namespace plexus::sampling::grammar {
namespace schema {
namespace {

// Keywords that never restrict values.
const std::set<std::string>& annotation_keywords() {
  static const std::set<std::string> k = {"$schema", "$id", "id", "title", "description", "default", "examples",
                                          "$comment", "deprecated", "readOnly", "writeOnly", "contentEncoding",
                                          "contentMediaType", "$anchor", "$defs", "definitions", "$vocabulary"};
  return k;
}

const std::set<std::string>& handled_keywords() {
  static const std::set<std::string> k = {
      "type", "properties", "required", "additionalProperties", "enum", "const", "items", "prefixItems",
      "additionalItems", "minItems", "maxItems", "anyOf", "oneOf", "allOf", "$ref", "format", "pattern",
      "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"};
  return k;
}

const std::set<std::string>& known_formats() {
  static const std::set<std::string> k = {"date", "time", "date-time", "uuid", "email"};
  return k;
}

struct Primitive {
  const char* body;
  std::vector<std::string> deps;  // primitives the body names
};

const std::map<std::string, Primitive>& primitives() {
  static const std::map<std::string, Primitive> k = {
      {"char",
       {R"([^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" ([0-9a-cA-Ce-fE-F] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2})))",
        {}}},
      {"string", {R"("\"" char* "\"" ws)", {"char", "ws"}}},
      {"integral", {R"("0" | [1-9] [0-9]{0,15})", {}}},
      {"number", {R"("-"? integral ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})? ws)", {"integral", "ws"}}},
      {"integer", {R"("-"? integral ws)", {"integral", "ws"}}},
      {"boolean", {R"(("true" | "false") ws)", {"ws"}}},
      {"null", {R"("null" ws)", {"ws"}}},
      {"value", {"object | array | string | number | boolean | null",
                 {"object", "array", "string", "number", "boolean", "null"}}},
      {"object", {R"("{" ws (string ":" ws value ("," ws string ":" ws value)*)? "}" ws)", {"string", "value", "ws"}}},
      {"array", {R"("[" ws (value ("," ws value)*)? "]" ws)", {"value", "ws"}}},
      {"hex", {"[0-9a-fA-F]", {}}},
      {"date", {R"([0-9]{4} "-" ("0" [1-9] | "1" [0-2]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]))", {}}},
      {"time",
       {R"(([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ("." [0-9]{1,6})? ("Z" | [+-] ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9]))",
        {}}},
      {"date-time", {R"(date "T" time)", {"date", "time"}}},
      {"uuid", {R"(hex{8} "-" hex{4} "-" hex{4} "-" hex{4} "-" hex{12})", {"hex"}}},
      {"email",
       {R"([a-zA-Z0-9_+-] [a-zA-Z0-9._+-]{0,63} "@" [a-zA-Z0-9] [a-zA-Z0-9-]{0,62} ("." [a-zA-Z0-9] [a-zA-Z0-9-]{0,62}){0,8} "." [a-zA-Z]{2,24})",
        {}}},
  };
  return k;
}

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    out.push_back(ok ? c : '-');
  }
  if (out.size() > 40) out.resize(40);
  return out.empty() ? "x" : out;
}

std::optional<double> number_of(const json& s, const char* key) {
  auto it = s.find(key);
  if (it == s.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// Lower/upper bounds with exclusivity, from draft-4 (boolean exclusive*) or draft-6+ (numeric).
struct Bounds {
  std::optional<double> lo, hi;
  bool lo_excl = false, hi_excl = false;
};

Bounds bounds_of(const json& s) {
  Bounds b;
  b.lo = number_of(s, "minimum");
  b.hi = number_of(s, "maximum");
  if (auto it = s.find("exclusiveMinimum"); it != s.end()) {
    if (it->is_boolean()) {
      b.lo_excl = it->get<bool>();
    } else if (it->is_number()) {
      const double v = it->get<double>();
      if (!b.lo || v >= *b.lo) {
        b.lo = v;
        b.lo_excl = true;
      }
    }
  }
  if (auto it = s.find("exclusiveMaximum"); it != s.end()) {
    if (it->is_boolean()) {
      b.hi_excl = it->get<bool>();
    } else if (it->is_number()) {
      const double v = it->get<double>();
      if (!b.hi || v <= *b.hi) {
        b.hi = v;
        b.hi_excl = true;
      }
    }
  }
  return b;
}

// Clamp to what our integers can spell; beyond that a bound does not restrict anything.
std::optional<int64_t> clamp_bound(std::optional<double> v) {
  if (!v || std::isnan(*v)) return std::nullopt;
  const auto m = static_cast<double>(kMaxIntegerMagnitude);
  if (*v >= m || *v <= -m) return std::nullopt;
  return static_cast<int64_t>(*v);
}

}  // namespace

bool json_has_type(const json& v, const std::string& type) {
  if (type == "null") return v.is_null();
  if (type == "boolean") return v.is_boolean();
  if (type == "string") return v.is_string();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  if (type == "number") return v.is_number();
  if (type == "integer") {
    if (v.is_number_integer()) return true;
    if (!v.is_number_float()) return false;
    const double d = v.get<double>();
    return std::isfinite(d) && d == std::floor(d);
  }
  return false;
}

SchemaCompiler::SchemaCompiler(const json& root, const JsonSchemaOptions& options) : root_(root), opt_(options) {
  for (const auto& [name, p] : primitives()) names_.insert(name);
  names_.insert("ws");
  names_.insert("root");
}

std::string SchemaCompiler::primitive(const std::string& name) {
  for (const auto& r : rules_) {
    if (r.first == name) return name;
  }
  if (name == "ws") {
    rules_.push_back({"ws", opt_.whitespace == json_whitespace::limited ? R"("" | " " | "\n" [ \t]{0,20})" : "\"\""});
    return name;
  }
  const Primitive& p = primitives().at(name);
  rules_.push_back({name, p.body});  // before its dependencies, so that value/object/array recursion ends
  bytes_ += name.size() + std::string_view(p.body).size() + 6;
  for (const std::string& dep : p.deps) primitive(dep);
  return name;
}

std::string SchemaCompiler::unique_name(const std::string& hint) {
  std::string base = sanitize(hint);
  if (names_.insert(base).second) return base;
  int& next = next_suffix_[base];  // resumes where the last collision left off: linear overall
  for (;;) {
    std::string n = base + "-" + std::to_string(++next);
    if (names_.insert(n).second) return n;
  }
}

Status SchemaCompiler::define(const std::string& name, const std::string& body) {
  bytes_ += name.size() + body.size() + 6;
  if (bytes_ > opt_.max_grammar_bytes) {
    return out_of_range("json schema: the grammar would exceed " + std::to_string(opt_.max_grammar_bytes) + " bytes");
  }
  if (rules_.size() >= opt_.max_rules) {
    return out_of_range("json schema: the grammar would need more than " + std::to_string(opt_.max_rules) + " rules");
  }
  rules_.push_back({name, body});
  return {};
}

Result<std::string> SchemaCompiler::add_rule(const std::string& name_hint, const std::string& body) {
  if (auto it = by_body_.find(body); it != by_body_.end()) return it->second;
  std::string name = unique_name(name_hint);
  PLEXUS_RETURN_IF_ERROR(define(name, body));
  by_body_.emplace(body, name);
  return name;
}

Status SchemaCompiler::note_ignored(const std::string& path, const std::string& keyword) {
  if (opt_.strict) {
    return unsupported("json schema: " + (path.empty() ? std::string("#") : path) + ": keyword '" + keyword +
                       "' is not supported");
  }
  ignored_.push_back((path.empty() ? std::string("#") : path) + ": " + keyword);
  return {};
}

Status SchemaCompiler::check_keywords(const json& s, const std::string& path) {
  for (const auto& [key, value] : s.items()) {
    if (handled_keywords().count(key) == 0 && annotation_keywords().count(key) == 0) {
      PLEXUS_RETURN_IF_ERROR(note_ignored(path, key));
    }
  }
  return {};
}

Result<std::string> SchemaCompiler::visit(const json& s, const std::string& name, const std::string& path,
                                          uint32_t depth) {
  if (depth > opt_.max_schema_depth) {
    return out_of_range("json schema: " + path + ": subschemas nested deeper than " +
                        std::to_string(opt_.max_schema_depth));
  }
  if (s.is_boolean()) {
    if (s.get<bool>()) return primitive("value");
    return invalid_argument("json schema: " + path + ": the schema 'false' accepts no value");
  }
  if (!s.is_object()) return invalid_argument("json schema: " + path + ": a schema must be an object or a boolean");
  PLEXUS_RETURN_IF_ERROR(check_keywords(s, path));

  if (auto it = s.find("$ref"); it != s.end()) {
    if (!it->is_string()) return invalid_argument("json schema: " + path + ": $ref must be a string");
    for (const auto& [key, value] : s.items()) {
      if (key != "$ref" && handled_keywords().count(key) != 0) PLEXUS_RETURN_IF_ERROR(note_ignored(path, key + " (beside $ref)"));
    }
    return visit_ref(it->get<std::string>(), path, depth);
  }
  if (s.contains("allOf")) {
    PLEXUS_ASSIGN_OR_RETURN(json merged, merge_all_of(s, path));
    return visit(merged, name, path, depth + 1);
  }
  if (s.contains("anyOf")) return visit_alternatives(s, "anyOf", name, path, depth);
  if (s.contains("oneOf")) return visit_alternatives(s, "oneOf", name, path, depth);
  if (s.contains("const") || s.contains("enum")) return visit_literals(s, name, path);

  std::vector<std::string> types;
  if (auto it = s.find("type"); it != s.end()) {
    if (it->is_string()) {
      types.push_back(it->get<std::string>());
    } else if (it->is_array() && !it->empty()) {
      for (const json& t : *it) {
        if (!t.is_string()) return invalid_argument("json schema: " + path + "/type: entries must be strings");
        types.push_back(t.get<std::string>());
      }
    } else {
      return invalid_argument("json schema: " + path + "/type must be a string or a non-empty array");
    }
  } else if (s.contains("properties") || s.contains("additionalProperties") || s.contains("required")) {
    types.push_back("object");
  } else if (s.contains("items") || s.contains("prefixItems") || s.contains("minItems") || s.contains("maxItems")) {
    types.push_back("array");
  } else if (s.contains("pattern") || s.contains("format") || s.contains("minLength") || s.contains("maxLength")) {
    types.push_back("string");
  } else if (s.contains("minimum") || s.contains("maximum") || s.contains("exclusiveMinimum") ||
             s.contains("exclusiveMaximum")) {
    types.push_back("number");
  } else {
    return primitive("value");
  }
  if (types.size() == 1) return visit_typed(s, types[0], name, path, depth);
  std::string body;
  for (const std::string& t : types) {
    PLEXUS_ASSIGN_OR_RETURN(std::string r, visit_typed(s, t, name + "-" + t, path, depth));
    body += (body.empty() ? "" : " | ") + r;
  }
  return add_rule(name, body);
}

Result<std::string> SchemaCompiler::visit_typed(const json& s, const std::string& type, const std::string& name,
                                                const std::string& path, uint32_t depth) {
  if (type == "null" || type == "boolean") return primitive(type);
  if (type == "integer") return visit_integer(s, name, path);
  if (type == "number") return visit_number(s, name, path);
  if (type == "string") return visit_string(s, name, path);
  if (type == "array") return visit_array(s, name, path, depth);
  if (type == "object") return visit_object(s, name, path, depth);
  return invalid_argument("json schema: " + path + ": unknown type '" + type + "'");
}

Result<std::string> SchemaCompiler::visit_literals(const json& s, const std::string& name, const std::string& path) {
  std::vector<std::string> types;
  if (auto it = s.find("type"); it != s.end()) {
    if (it->is_string()) types.push_back(it->get<std::string>());
    if (it->is_array()) {
      for (const json& t : *it) {
        if (t.is_string()) types.push_back(t.get<std::string>());
      }
    }
  }
  auto type_ok = [&types](const json& v) {
    if (types.empty()) return true;
    for (const std::string& t : types) {
      if (json_has_type(v, t)) return true;
    }
    return false;
  };
  std::vector<json> values;
  if (auto it = s.find("const"); it != s.end()) {
    values.push_back(*it);
    if (s.contains("enum")) PLEXUS_RETURN_IF_ERROR(note_ignored(path, "enum (beside const)"));
  } else {
    const json& e = s.at("enum");
    if (!e.is_array()) return invalid_argument("json schema: " + path + "/enum must be an array");
    values.assign(e.begin(), e.end());
  }
  std::string body;
  for (const json& v : values) {
    if (!type_ok(v)) continue;
    body += (body.empty() ? "" : " | ") + gbnf_literal(v.dump(-1, ' ', false, json::error_handler_t::strict));
  }
  if (body.empty()) return invalid_argument("json schema: " + path + ": no enum/const value has the schema's type");
  return add_rule(name, "(" + body + ") " + primitive("ws"));
}

Result<std::string> SchemaCompiler::visit_alternatives(const json& s, const char* keyword, const std::string& name,
                                                       const std::string& path, uint32_t depth) {
  const json& alts = s.at(keyword);
  if (!alts.is_array() || alts.empty()) {
    return invalid_argument("json schema: " + path + "/" + keyword + " must be a non-empty array");
  }
  // Keywords beside anyOf/oneOf apply to every alternative: each alternative is their conjunction.
  json siblings = s;
  siblings.erase(keyword);
  bool has_siblings = false;
  for (const auto& [key, value] : siblings.items()) {
    if (annotation_keywords().count(key) == 0) has_siblings = true;
  }
  std::string body;
  for (size_t i = 0; i < alts.size(); ++i) {
    const std::string sub_path = path + "/" + keyword + "/" + std::to_string(i);
    const json* alt = &alts[i];
    json merged;
    if (has_siblings) {
      PLEXUS_ASSIGN_OR_RETURN(merged, merge_schemas({&siblings, alt}, sub_path));
      alt = &merged;
    }
    PLEXUS_ASSIGN_OR_RETURN(std::string r, visit(*alt, name + "-" + std::to_string(i), sub_path, depth + 1));
    body += (body.empty() ? "" : " | ") + r;
  }
  return add_rule(name, body);
}

// Conjunction of object-like schemas (allOf, or keywords beside anyOf/oneOf): properties and
// required are united, any other keyword must agree. additionalProperties in one part must not
// exclude a property another part declares (the merged schema would generate it).
Result<json> SchemaCompiler::merge_schemas(const std::vector<const json*>& parts, const std::string& path) {
  json out = json::object();
  std::vector<const json*> closed;  // parts with additionalProperties other than true
  for (size_t i = 0; i < parts.size(); ++i) {
    const json* part = parts[i];
    for (int hops = 0; part->is_object() && part->contains("$ref"); ++hops) {
      if (hops > 32 || !(*part)["$ref"].is_string()) return invalid_argument("json schema: " + path + ": bad $ref");
      PLEXUS_ASSIGN_OR_RETURN(part, resolve((*part)["$ref"].get<std::string>()));
    }
    if (part->is_boolean() && part->get<bool>()) continue;
    if (!part->is_object()) return unsupported("json schema: " + path + ": cannot combine a non-object schema");
    if (part->contains("allOf") || (i > 0 && (part->contains("anyOf") || part->contains("oneOf")))) {
      return unsupported("json schema: " + path + ": nested combinators inside allOf or beside anyOf/oneOf");
    }
    if (auto ap = part->find("additionalProperties"); ap != part->end() && *ap != json(true)) closed.push_back(part);
    for (const auto& [key, value] : part->items()) {
      if (key == "properties") {
        if (!value.is_object()) return invalid_argument("json schema: " + path + ": properties must be an object");
        json& props = out["properties"];
        if (!props.is_object()) props = json::object();
        for (const auto& [prop, sub] : value.items()) {
          if (props.contains(prop) && props[prop] != sub) {
            return unsupported("json schema: " + path + ": property '" + prop + "' defined differently twice");
          }
          props[prop] = sub;
        }
      } else if (key == "required") {
        if (!value.is_array()) return invalid_argument("json schema: " + path + ": required must be an array");
        json& req = out["required"];
        if (!req.is_array()) req = json::array();
        for (const json& r : value) {
          if (std::find(req.begin(), req.end(), r) == req.end()) req.push_back(r);
        }
      } else if (key == "$ref" || annotation_keywords().count(key) != 0) {
        continue;
      } else if (!out.contains(key)) {
        out[key] = value;
      } else if (out[key] != value) {
        return unsupported("json schema: " + path + ": keyword '" + key + "' given different values to combine");
      }
    }
  }
  for (const json* part : closed) {
    if (!out.contains("properties")) break;
    for (const auto& [prop, sub] : out["properties"].items()) {
      const auto own = part->find("properties");
      if (own == part->end() || !own->contains(prop)) {
        return unsupported("json schema: " + path + ": additionalProperties of one combined schema excludes '" +
                           prop + "' declared by another");
      }
    }
  }
  return out;
}

Result<json> SchemaCompiler::merge_all_of(const json& s, const std::string& path) {
  const json& parts = s.at("allOf");
  if (!parts.is_array() || parts.empty()) return invalid_argument("json schema: " + path + "/allOf must be a non-empty array");
  json siblings = s;
  siblings.erase("allOf");
  std::vector<const json*> all = {&siblings};
  for (const json& p : parts) all.push_back(&p);
  return merge_schemas(all, path + "/allOf");
}

Result<std::string> SchemaCompiler::visit_integer(const json& s, const std::string& name, const std::string& path) {
  const Bounds b = bounds_of(s);
  if (!b.lo && !b.hi) return primitive("integer");
  std::optional<double> lo, hi;
  if (b.lo) lo = b.lo_excl ? std::floor(*b.lo) + 1 : std::ceil(*b.lo);
  if (b.hi) hi = b.hi_excl ? std::ceil(*b.hi) - 1 : std::floor(*b.hi);
  if (lo && hi && *lo > *hi) return invalid_argument("json schema: " + path + ": no integer lies within the bounds");
  const std::string expr = int_range_expr(clamp_bound(lo), clamp_bound(hi));
  if (expr.empty()) return invalid_argument("json schema: " + path + ": no integer lies within the bounds");
  return add_rule(name, expr + " " + primitive("ws"));
}

// Bounded numbers are spelled without exponent: an integer n in range, or n.ddd whose value lies
// in [n, n+1) (or (-(n+1), -n] for "-n.ddd"), with n chosen so that the whole interval fits.
Result<std::string> SchemaCompiler::visit_number(const json& s, const std::string& name, const std::string& path) {
  const Bounds b = bounds_of(s);
  if (!b.lo && !b.hi) return primitive("number");
  const double big = static_cast<double>(kMaxIntegerMagnitude);
  const double lo = b.lo.value_or(-big), hi = b.hi.value_or(big);
  const double int_lo = b.lo_excl ? std::floor(lo) + 1 : std::ceil(lo);
  const double int_hi = b.hi_excl ? std::ceil(hi) - 1 : std::floor(hi);
  std::vector<std::string> alts;
  if (int_lo <= int_hi) {
    alts.push_back(int_range_expr(clamp_bound(b.lo ? std::optional<double>(int_lo) : std::nullopt),
                                  clamp_bound(b.hi ? std::optional<double>(int_hi) : std::nullopt)));
  }
  const std::string frac = " \".\" [0-9]{1,15}";
  const double pos_lo = std::max(0.0, int_lo), pos_hi = std::min(std::floor(hi) - 1, big - 1);
  if (pos_lo <= pos_hi) {
    alts.push_back(nonneg_range_expr(static_cast<uint64_t>(pos_lo), static_cast<uint64_t>(pos_hi)) + frac);
  }
  const double neg_lo = std::max(0.0, b.hi_excl ? std::floor(-hi) + 1 : std::ceil(-hi));
  const double neg_hi = std::min(std::floor(-lo) - 1, big - 1);
  if (neg_lo <= neg_hi) {
    alts.push_back("\"-\" " + nonneg_range_expr(static_cast<uint64_t>(neg_lo), static_cast<uint64_t>(neg_hi)) + frac);
  }
  alts.erase(std::remove(alts.begin(), alts.end(), std::string()), alts.end());
  if (alts.empty()) return invalid_argument("json schema: " + path + ": no number lies within the bounds");
  std::string body = "(";
  for (size_t i = 0; i < alts.size(); ++i) body += (i ? " | " : "") + alts[i];
  return add_rule(name, body + ") " + primitive("ws"));
}

Result<std::string> SchemaCompiler::visit_string(const json& s, const std::string& name, const std::string& path) {
  const bool has_lengths = s.contains("minLength") || s.contains("maxLength");
  if (auto it = s.find("format"); it != s.end() && it->is_string() && known_formats().count(it->get<std::string>())) {
    if (has_lengths) PLEXUS_RETURN_IF_ERROR(note_ignored(path, "minLength/maxLength (beside format)"));
    if (s.contains("pattern")) PLEXUS_RETURN_IF_ERROR(note_ignored(path, "pattern (beside format)"));
    return add_rule(name, "\"\\\"\" " + primitive(it->get<std::string>()) + " \"\\\"\" " + primitive("ws"));
  } else if (it != s.end()) {
    PLEXUS_RETURN_IF_ERROR(note_ignored(path, "format '" + (it->is_string() ? it->get<std::string>() : "?") + "'"));
  }
  if (auto it = s.find("pattern"); it != s.end()) {
    if (!it->is_string()) return invalid_argument("json schema: " + path + "/pattern must be a string");
    if (has_lengths) PLEXUS_RETURN_IF_ERROR(note_ignored(path, "minLength/maxLength (beside pattern)"));
    PLEXUS_ASSIGN_OR_RETURN(std::string expr, regex_to_gbnf(it->get<std::string>(), primitive("char"), opt_.max_repetition));
    return add_rule(name, "\"\\\"\" (" + expr + ") \"\\\"\" " + primitive("ws"));
  }
  if (!has_lengths) return primitive("string");
  auto length = [&](const char* key, uint64_t fallback) -> Result<uint64_t> {
    auto it = s.find(key);
    if (it == s.end()) return fallback;
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
      return invalid_argument("json schema: " + path + "/" + key + " must be a non-negative integer");
    }
    return it->get<uint64_t>();
  };
  PLEXUS_ASSIGN_OR_RETURN(uint64_t min, length("minLength", 0));
  PLEXUS_ASSIGN_OR_RETURN(uint64_t max, length("maxLength", UINT64_MAX));
  if (min > max) return invalid_argument("json schema: " + path + ": minLength > maxLength");
  if (min > opt_.max_repetition) {
    return out_of_range("json schema: " + path + ": minLength " + std::to_string(min) + " above the limit " +
                        std::to_string(opt_.max_repetition));
  }
  std::string rep = "{" + std::to_string(min) + ",";
  if (max != UINT64_MAX) rep += std::to_string(std::min<uint64_t>(max, opt_.max_repetition));
  rep += "}";
  return add_rule(name, "\"\\\"\" " + primitive("char") + rep + " \"\\\"\" " + primitive("ws"));
}

Result<SchemaGrammar> SchemaCompiler::compile() {
  PLEXUS_ASSIGN_OR_RETURN(std::string top, visit(root_, "root-value", "#", 0));
  SchemaGrammar out;
  out.gbnf = "root ::= " + top + "\n";
  for (const auto& [name, body] : rules_) out.gbnf += name + " ::= " + body + "\n";
  out.ignored = std::move(ignored_);
  return out;
}

std::string SchemaCompiler::primitive_grammar(const std::string& start) {
  const std::string top = primitive(start);
  std::string out = "root ::= " + top + "\n";
  for (const auto& [name, body] : rules_) out += name + " ::= " + body + "\n";
  return out;
}

}  // namespace schema

namespace {

// Bracket depth and members per object/array of JSON text, counted outside strings, so that
// hostile nesting is refused before the parser recurses and hostile width before ordered
// objects (linear key lookup) make parsing quadratic.
Status check_shape(std::string_view text, const JsonSchemaOptions& options) {
  std::vector<uint32_t> members;  // per open bracket: commas seen
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      members.push_back(0);
      if (members.size() > options.max_json_depth) {
        return out_of_range("json schema: nested deeper than " + std::to_string(options.max_json_depth) + " levels");
      }
    } else if ((c == ']' || c == '}') && !members.empty()) {
      members.pop_back();
    } else if (c == ',' && !members.empty() && ++members.back() >= options.max_json_members) {
      return out_of_range("json schema: an object or array with more than " + std::to_string(options.max_json_members) +
                          " members");
    }
  }
  return {};
}

}  // namespace

Result<SchemaGrammar> json_schema_to_gbnf(std::string_view schema_json, const JsonSchemaOptions& options) {
  if (schema_json.size() > options.max_schema_bytes) {
    return out_of_range("json schema: " + std::to_string(schema_json.size()) + " bytes, above the limit of " +
                        std::to_string(options.max_schema_bytes));
  }
  PLEXUS_RETURN_IF_ERROR(check_shape(schema_json, options));
  schema::json root = schema::json::parse(schema_json, nullptr, false);
  if (root.is_discarded()) return invalid_argument("json schema: not valid JSON");
  Result<SchemaGrammar> out = invalid_argument("json schema: not compiled");
  try {
    schema::SchemaCompiler compiler(root, options);
    out = compiler.compile();
  } catch (const nlohmann::json::exception& e) {  // a shape the checks above missed
    return invalid_argument(std::string("json schema: ") + e.what());
  }
  if (!out.ok()) return out;
  GrammarLimits limits;
  limits.max_text_bytes = std::max(limits.max_text_bytes, options.max_grammar_bytes + 4096);
  limits.max_repetition = std::max(limits.max_repetition, options.max_repetition);
  auto grammar = Grammar::parse(out->gbnf, limits);
  if (!grammar.ok()) {
    return Status(grammar.status().code(), "json schema: the generated grammar is unusable: " + grammar.status().message());
  }
  out->grammar = *grammar;
  return out;
}

std::string json_value_gbnf(json_whitespace ws) {
  const schema::json none;
  JsonSchemaOptions options;
  options.whitespace = ws;
  return schema::SchemaCompiler(none, options).primitive_grammar("value");
}

std::string json_object_gbnf(json_whitespace ws) {
  const schema::json none;
  JsonSchemaOptions options;
  options.whitespace = ws;
  return schema::SchemaCompiler(none, options).primitive_grammar("object");
}

}  // namespace plexus::sampling::grammar

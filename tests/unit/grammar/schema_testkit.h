// Test kit for the JSON Schema property tests: a seeded generator of random schemas in the
// supported subset, a validator for that subset (independent of the grammar engine), and a
// generator of valid instances spelled the way the grammar lays them out.
#pragma once

#include <cmath>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace plexus::sampling::grammar::testing {

using ojson = nlohmann::ordered_json;

// Random schemas from a seed. Not thread-safe: owns its RNG.
class SchemaGen {
 public:
  explicit SchemaGen(uint32_t seed) : rng_(seed) {}

  ojson schema() {
    defs_ = ojson::object();
    ojson s = gen(0);
    if (!defs_.empty()) s["$defs"] = defs_;
    return s;
  }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  bool coin(int percent = 50) { return pick(100) < percent; }

  ojson leaf() {
    switch (pick(9)) {
      case 0: return {{"type", "string"}};
      case 1: {
        const int min = pick(4);
        ojson s = {{"type", "string"}, {"minLength", min}};
        if (coin(70)) s["maxLength"] = min + pick(6);
        return s;
      }
      case 2: {
        static const char* formats[] = {"date", "time", "date-time", "uuid", "email"};
        return {{"type", "string"}, {"format", formats[pick(5)]}};
      }
      case 3: {
        static const char* patterns[] = {"^[a-z]{2,5}$", "^(ab|cd)+x?$", "[0-9]{3}", "^a.c$", "^\\d{2}-\\d{2}$",
                                         "^[A-Z][a-z]*( [A-Z][a-z]*)*$", "ab", "^(?:x|yz){1,3}$", "^[^a-c]{1,3}$",
                                         "^\\w+$", "^(\"|\\\\)?q$", "^.{0,2}$"};
        return {{"type", "string"}, {"pattern", patterns[pick(12)]}};
      }
      case 4: {
        ojson s = {{"type", "integer"}};
        const int lo = pick(200) - 100;
        switch (pick(5)) {
          case 0: s["minimum"] = lo; break;
          case 1: s["maximum"] = lo; break;
          case 2: s["minimum"] = lo, s["maximum"] = lo + pick(300); break;
          case 3: s["exclusiveMinimum"] = lo - 0.5, s["exclusiveMaximum"] = lo + 1 + pick(50); break;
          default: break;
        }
        return s;
      }
      case 5: {
        ojson s = {{"type", "number"}};
        const double lo = (pick(400) - 200) / 4.0;
        switch (pick(4)) {
          case 0: s["minimum"] = lo; break;
          case 1: s["maximum"] = lo; break;
          case 2: s["minimum"] = lo, s["exclusiveMaximum"] = lo + 1 + pick(20); break;
          default: break;
        }
        return s;
      }
      case 6: return {{"type", coin() ? "boolean" : "null"}};
      case 7: {
        ojson e = ojson::array();
        static const ojson pool = ojson::parse(R"(["red", "gr\"een", 1, 2.5, null, true, {"k": [1]}, [], "\u00e9"])");
        for (int i = 0, n = 1 + pick(4); i < n; ++i) e.push_back(pool[static_cast<size_t>(pick(9))]);
        return {{"enum", e}};
      }
      default: {
        static const ojson pool = ojson::parse(R"(["fixed", 42, false, {"a": null}])");
        return {{"const", pool[static_cast<size_t>(pick(4))]}};
      }
    }
  }

  std::string prop_name() {
    static const char* names[] = {"a", "b", "id", "name", "nm", "x_y", "\xC3\xA9", "k\"q", "", "items2"};
    return names[pick(10)];
  }

  ojson object(int depth, bool allow_additional) {
    ojson s = {{"type", "object"}, {"properties", ojson::object()}};
    ojson required = ojson::array();
    for (int i = 0, n = pick(5); i < n; ++i) {
      const std::string name = prop_name();
      if (s["properties"].contains(name)) continue;
      s["properties"][name] = gen(depth + 1);
      if (coin(40)) required.push_back(name);
    }
    if (!required.empty()) s["required"] = required;
    if (allow_additional) {
      switch (pick(4)) {
        case 0: s["additionalProperties"] = false; break;
        case 1: s["additionalProperties"] = true; break;
        case 2: s["additionalProperties"] = leaf(); break;
        default: break;
      }
    }
    return s;
  }

  ojson gen(int depth) {
    if (depth >= 4) return leaf();
    switch (pick(16)) {
      case 0: case 1: case 2: case 3: return leaf();
      case 4: case 5: return object(depth, true);
      case 6: {
        ojson s = {{"type", "array"}, {"items", gen(depth + 1)}};
        const int min = pick(3);
        if (min > 0) s["minItems"] = min;
        if (coin()) s["maxItems"] = min + pick(4);
        return s;
      }
      case 7: {
        ojson s = {{"type", "array"}, {"prefixItems", ojson::array()}};
        const int k = 1 + pick(3);
        for (int i = 0; i < k; ++i) s["prefixItems"].push_back(gen(depth + 1));
        if (coin(30)) s["items"] = leaf();
        if (coin(30)) s["items"] = false;
        if (coin()) s["minItems"] = pick(k + 1);
        return s;
      }
      case 8: {
        ojson alts = ojson::array();
        for (int i = 0, n = 2 + pick(2); i < n; ++i) alts.push_back(gen(depth + 1));
        return {{"anyOf", alts}};
      }
      case 9: {  // alternatives of distinct types, so that exactly one matches
        static const char* types[] = {"string", "integer", "boolean", "null", "array", "object"};
        std::vector<int> order = {0, 1, 2, 3, 4, 5};
        std::shuffle(order.begin(), order.end(), rng_);
        ojson alts = ojson::array();
        for (int i = 0, n = 2 + pick(3); i < n; ++i) {
          const std::string t = types[order[static_cast<size_t>(i)]];
          if (t == "object") {
            alts.push_back(object(depth + 1, false));
          } else if (t == "array") {
            alts.push_back({{"type", "array"}, {"items", leaf()}, {"maxItems", 2}});
          } else {
            alts.push_back({{"type", t}});
          }
        }
        return {{"oneOf", alts}};
      }
      case 10: {
        ojson a = object(depth, false), b = object(depth, false);
        for (const auto& [k, v] : a["properties"].items()) b["properties"].erase(k);
        if (b.contains("required")) {
          ojson keep = ojson::array();
          for (const ojson& r : b["required"]) {
            if (b["properties"].contains(r.get<std::string>())) keep.push_back(r);
          }
          b["required"] = keep;
        }
        return {{"allOf", {a, b}}};
      }
      case 11: {
        if (coin(30)) {
          defs_["tree"] = ojson::parse(R"({"type":"object","properties":{"v":{"type":"integer"},
              "kids":{"type":"array","items":{"$ref":"#/$defs/tree"},"maxItems":2}},"required":["v"]})");
          return {{"$ref", "#/$defs/tree"}};
        }
        const std::string name = "d" + std::to_string(defs_.size());
        defs_[name] = ojson::object();  // reserve the name before generating the body
        defs_[name] = gen(depth + 1);
        return {{"$ref", "#/$defs/" + name}};
      }
      case 12: return {{"type", coin() ? ojson::array({"string", "null"}) : ojson::array({"integer", "boolean"})}};
      case 13: return ojson::object();
      default: return object(depth, true);
    }
  }

  std::mt19937 rng_;
  ojson defs_;
};

// UTF-8 -> code points (input is valid: it came out of a JSON parser).
inline std::wstring to_wide(const std::string& s) {
  std::wstring out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int k = 1; k < len && i + static_cast<size_t>(k) < s.size(); ++k) cp = (cp << 6) | (s[i + static_cast<size_t>(k)] & 0x3F);
    out.push_back(static_cast<wchar_t>(cp));
    i += static_cast<size_t>(len);
  }
  return out;
}

inline bool has_type(const ojson& v, const std::string& t) {
  if (t == "integer") return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  if (t == "number") return v.is_number();
  if (t == "string") return v.is_string();
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  if (t == "array") return v.is_array();
  if (t == "object") return v.is_object();
  return false;
}

inline const ojson& resolve_ref(const ojson& root, const std::string& ref) {
  const std::string prefix = ref.rfind("#/$defs/", 0) == 0 ? "#/$defs/" : "#/definitions/";
  return root[prefix == "#/$defs/" ? "$defs" : "definitions"][ref.substr(prefix.size())];
}

// JSON Schema validation for the subset SchemaGen produces. On failure `why` says what failed.
inline bool validate(const ojson& s, const ojson& v, const ojson& root, std::string* why) {
  auto fail = [&](const std::string& msg) {
    *why = msg + " | schema " + s.dump() + " | value " + v.dump();
    return false;
  };
  if (s.is_boolean()) return s.get<bool>() || fail("false schema");
  if (s.contains("$ref")) return validate(resolve_ref(root, s["$ref"].get<std::string>()), v, root, why);
  if (s.contains("allOf")) {
    for (const ojson& p : s["allOf"]) {
      if (!validate(p, v, root, why)) return false;
    }
  }
  if (s.contains("anyOf")) {
    bool any = false;
    std::string ignored;
    for (const ojson& p : s["anyOf"]) any = any || validate(p, v, root, &ignored);
    if (!any) return fail("anyOf: none matches");
  }
  if (s.contains("oneOf")) {
    int n = 0;
    std::string ignored;
    for (const ojson& p : s["oneOf"]) n += validate(p, v, root, &ignored) ? 1 : 0;
    if (n != 1) return fail("oneOf: " + std::to_string(n) + " match");
  }
  if (s.contains("const") && s["const"] != v) return fail("const");
  if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end()) return fail("enum");
  if (s.contains("type")) {
    bool ok = false;
    if (s["type"].is_string()) ok = has_type(v, s["type"].get<std::string>());
    for (const ojson& t : s["type"].is_array() ? s["type"] : ojson::array()) ok = ok || has_type(v, t.get<std::string>());
    if (!ok) return fail("type");
  }
  if (v.is_string()) {
    const std::wstring w = to_wide(v.get<std::string>());
    if (s.contains("minLength") && w.size() < s["minLength"].get<size_t>()) return fail("minLength");
    if (s.contains("maxLength") && w.size() > s["maxLength"].get<size_t>()) return fail("maxLength");
    if (s.contains("pattern")) {
      const std::wregex re(to_wide(s["pattern"].get<std::string>()), std::regex::ECMAScript);
      if (!std::regex_search(w, re)) return fail("pattern");
    }
    if (s.contains("format")) {
      static const std::string date = R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))";
      static const std::string time = R"(([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d))";
      const std::string f = s["format"].get<std::string>();
      std::string re = f == "date" ? date : f == "time" ? time : f == "date-time" ? date + "T" + time
                     : f == "uuid" ? "[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
                                   : R"([A-Za-z0-9_+-][A-Za-z0-9._+-]*@[A-Za-z0-9][A-Za-z0-9-]*(\.[A-Za-z0-9][A-Za-z0-9-]*)*\.[A-Za-z]{2,})";
      if (!std::regex_match(v.get<std::string>(), std::regex(re))) return fail("format " + f);
    }
  }
  if (v.is_number()) {
    const double x = v.get<double>();
    if (s.contains("minimum") && x < s["minimum"].get<double>()) return fail("minimum");
    if (s.contains("maximum") && x > s["maximum"].get<double>()) return fail("maximum");
    if (s.contains("exclusiveMinimum") && x <= s["exclusiveMinimum"].get<double>()) return fail("exclusiveMinimum");
    if (s.contains("exclusiveMaximum") && x >= s["exclusiveMaximum"].get<double>()) return fail("exclusiveMaximum");
  }
  if (v.is_array()) {
    size_t first_rest = 0;
    if (s.contains("prefixItems")) {
      const ojson& p = s["prefixItems"];
      for (size_t i = 0; i < p.size() && i < v.size(); ++i) {
        if (!validate(p[i], v[i], root, why)) return false;
      }
      first_rest = p.size();
    }
    if (s.contains("items")) {
      for (size_t i = first_rest; i < v.size(); ++i) {
        if (!validate(s["items"], v[i], root, why)) return false;
      }
    }
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) return fail("minItems");
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) return fail("maxItems");
  }
  if (v.is_object()) {
    const ojson props = s.value("properties", ojson::object());
    for (const auto& [k, sub] : props.items()) {
      if (v.contains(k) && !validate(sub, v[k], root, why)) return false;
    }
    for (const ojson& r : s.value("required", ojson::array())) {
      if (!v.contains(r.get<std::string>())) return fail("required " + r.dump());
    }
    if (s.contains("additionalProperties")) {
      for (const auto& [k, sub] : v.items()) {
        if (props.contains(k)) continue;
        if (!validate(s["additionalProperties"], sub, root, why)) return false;
      }
    }
  }
  return true;
}

// Valid instances of a schema, serialized compactly in the order the grammar lays objects out
// (required properties in schema order, then optional ones in schema order, then additional
// ones). nullopt where the kit cannot make one (patterns).
// Not thread-safe: owns its RNG.
class InstanceGen {
 public:
  InstanceGen(const ojson& root, uint32_t seed) : root_(root), rng_(seed) {}

  std::optional<ojson> gen(const ojson& s, int depth = 0) {
    if (depth > 40) return std::nullopt;
    if (s.is_boolean()) return ojson(1);
    if (s.contains("$ref")) return gen(resolve_ref(root_, s["$ref"].get<std::string>()), depth + 1);
    if (s.contains("allOf")) {
      ojson merged = {{"properties", ojson::object()}, {"required", ojson::array()}};
      for (const ojson& p : s["allOf"]) {
        const ojson part_props = p.value("properties", ojson::object());
        for (const auto& [k, v] : part_props.items()) merged["properties"][k] = v;
        for (const ojson& r : p.value("required", ojson::array())) merged["required"].push_back(r);
      }
      return gen(merged, depth + 1);
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      if (s.contains(key)) return gen(s[key][static_cast<size_t>(pick(static_cast<int>(s[key].size())))], depth + 1);
    }
    if (s.contains("const")) return s["const"];
    if (s.contains("enum")) return s["enum"][static_cast<size_t>(pick(static_cast<int>(s["enum"].size())))];
    std::string type;
    if (s.contains("type")) {
      type = s["type"].is_string() ? s["type"].get<std::string>()
                                   : s["type"][static_cast<size_t>(pick(static_cast<int>(s["type"].size())))].get<std::string>();
    } else if (s.contains("properties")) {
      type = "object";
    } else {
      return ojson(pick(3) == 0 ? ojson("x") : pick(2) ? ojson(nullptr) : ojson(7));
    }
    if (type == "null") return ojson(nullptr);
    if (type == "boolean") return ojson(pick(2) == 0);
    if (type == "integer" || type == "number") return number(s, type == "integer");
    if (type == "string") return string(s);
    if (type == "array") return array(s, depth);
    return object(s, depth);
  }

 private:
  int pick(int n) { return n <= 0 ? 0 : static_cast<int>(rng_() % static_cast<uint32_t>(n)); }

  std::optional<ojson> number(const ojson& s, bool integer) {
    double lo = -1000, hi = 1000;
    if (s.contains("minimum")) lo = std::ceil(s["minimum"].get<double>());
    if (s.contains("exclusiveMinimum")) lo = std::floor(s["exclusiveMinimum"].get<double>()) + 1;
    if (s.contains("maximum")) hi = std::floor(s["maximum"].get<double>());
    if (s.contains("exclusiveMaximum")) hi = std::ceil(s["exclusiveMaximum"].get<double>()) - 1;
    const bool bounded = s.contains("minimum") || s.contains("maximum") || s.contains("exclusiveMinimum") ||
                         s.contains("exclusiveMaximum");
    if (!integer && !bounded && pick(2) == 0) return ojson(pick(2) ? 2.5 : -0.25);
    lo = std::max(lo, hi - 1000);
    return ojson(static_cast<int64_t>(lo) + pick(static_cast<int>(hi - lo) + 1));
  }

  std::optional<ojson> string(const ojson& s) {
    if (s.contains("format")) {
      const std::string f = s["format"].get<std::string>();
      if (f == "date") return ojson("2024-05-17");
      if (f == "time") return ojson("12:34:56.789+02:00");
      if (f == "date-time") return ojson("2024-05-17T12:34:56Z");
      if (f == "uuid") return ojson("123e4567-e89b-12d3-a456-426614174000");
      return ojson("first.last+tag@mail.example.org");
    }
    if (s.contains("pattern")) return std::nullopt;
    static const char* pieces[] = {"a", "Z", "7", " ", "\"", "\\", "\n", "\x01", "\xC3\xA9", "\xE4\xB8\xAD",
                                   "\xF0\x9F\x98\x80", "/"};
    const size_t min = s.value("minLength", size_t{0});
    const size_t max = std::min(s.value("maxLength", min + 4), min + 4);
    std::string out;
    for (size_t i = 0, n = min + static_cast<size_t>(pick(static_cast<int>(max - min) + 1)); i < n; ++i) out += pieces[pick(12)];
    return ojson(out);
  }

  std::optional<ojson> array(const ojson& s, int depth) {
    ojson out = ojson::array();
    const size_t min = s.value("minItems", size_t{0});
    const size_t max = s.value("maxItems", min + 3);
    if (s.contains("prefixItems")) {
      const ojson& p = s["prefixItems"];
      const size_t n = std::max(min, std::min(p.size(), min + static_cast<size_t>(pick(static_cast<int>(p.size()) + 1))));
      for (size_t i = 0; i < std::min(n, p.size()); ++i) {
        auto v = gen(p[i], depth + 1);
        if (!v) return std::nullopt;
        out.push_back(*v);
      }
      return out;  // no rest items: min <= p.size() in generated schemas
    }
    const size_t n = min + static_cast<size_t>(pick(static_cast<int>(std::min(max, min + 3) - min) + 1));
    for (size_t i = 0; i < n; ++i) {
      auto v = s.contains("items") ? gen(s["items"], depth + 1) : std::optional<ojson>(ojson(1));
      if (!v) return std::nullopt;
      out.push_back(*v);
    }
    return out;
  }

  std::optional<ojson> object(const ojson& s, int depth) {
    const ojson props = s.value("properties", ojson::object());
    const ojson required = s.value("required", ojson::array());
    auto is_required = [&](const std::string& k) {
      return std::find(required.begin(), required.end(), ojson(k)) != required.end();
    };
    ojson out = ojson::object();
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& [k, sub] : props.items()) {
        if (is_required(k) != (pass == 0)) continue;
        if (pass == 1 && (depth > 8 || pick(2) == 0)) continue;
        auto v = gen(sub, depth + 1);
        if (!v) return std::nullopt;
        out[k] = *v;
      }
    }
    const ojson* additional = nullptr;
    static const ojson kTrue = true;
    if (s.contains("additionalProperties")) {
      if (s["additionalProperties"] != ojson(false)) additional = &s["additionalProperties"];
    } else if (!s.contains("properties")) {
      additional = &kTrue;
    }
    for (int i = 0, n = additional ? pick(3) : 0; i < n; ++i) {
      auto v = gen(*additional, depth + 1);
      if (!v) return std::nullopt;
      out["zz" + std::to_string(i)] = *v;
    }
    return out;
  }

  const ojson& root_;
  std::mt19937 rng_;
};

}  // namespace plexus::sampling::grammar::testing

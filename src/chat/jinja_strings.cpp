#include "chat/jinja_strings.h"

#include <algorithm>

#include "chat/jinja_unicode.h"
#include "chat/jinja_value.h"
#include "core/utf8.h"

namespace plexus::chat::jinja {

namespace {

bool in_chars(char32_t cp, std::string_view chars) {
  size_t pos = 0;
  while (pos < chars.size()) {
    if (utf8_next(chars, pos) == cp) return true;
  }
  return false;
}

bool strip_match(char32_t cp, const std::optional<std::string_view>& chars) {
  return chars ? in_chars(cp, *chars) : py_isspace(cp);
}

size_t cp_offset_clamped(std::string_view s, int64_t index) { return utf8_offset(s, static_cast<size_t>(std::max<int64_t>(index, 0))); }

}  // namespace

std::string_view py_strip(std::string_view s, std::optional<std::string_view> chars, strip_side side) {
  size_t begin = 0;
  size_t end = s.size();
  if (side != strip_side::right) {
    while (begin < end) {
      size_t p = begin;
      if (!strip_match(utf8_next(s, p), chars)) break;
      begin = p;
    }
  }
  if (side != strip_side::left) {
    while (end > begin) {
      size_t p = end;
      if (!strip_match(utf8_prev(s, p), chars)) break;
      end = p;
    }
  }
  return s.substr(begin, end - begin);
}

bool py_replace(std::string& out, std::string_view s, std::string_view old_text, std::string_view new_text, int64_t count,
                uint64_t max_bytes) {
  if (count < 0) count = INT64_MAX;
  if (old_text.empty()) {
    // Inserts new_text before every code point and at the end, up to `count` times.
    size_t pos = 0;
    int64_t done = 0;
    while (true) {
      if (done < count) {
        out += new_text;
        ++done;
      }
      if (out.size() > max_bytes) return false;
      if (pos >= s.size()) break;
      const size_t start = pos;
      utf8_next(s, pos);
      out.append(s, start, pos - start);
    }
    return true;
  }
  size_t pos = 0;
  int64_t done = 0;
  while (done < count) {
    const size_t hit = s.find(old_text, pos);
    if (hit == std::string_view::npos) break;
    out.append(s, pos, hit - pos);
    out += new_text;
    if (out.size() > max_bytes) return false;
    pos = hit + old_text.size();
    ++done;
  }
  out.append(s, pos, std::string_view::npos);
  return out.size() <= max_bytes;
}

std::vector<std::string_view> py_split(std::string_view s, std::optional<std::string_view> sep, int64_t maxsplit,
                                       bool from_right) {
  std::vector<std::string_view> parts;
  if (maxsplit < 0) maxsplit = INT64_MAX;
  if (sep) {
    if (sep->empty()) fail(error_kind::value_error, "empty separator");
    if (!from_right) {
      size_t pos = 0;
      while (static_cast<int64_t>(parts.size()) < maxsplit) {
        const size_t hit = s.find(*sep, pos);
        if (hit == std::string_view::npos) break;
        parts.push_back(s.substr(pos, hit - pos));
        pos = hit + sep->size();
      }
      parts.push_back(s.substr(pos));
      return parts;
    }
    size_t end = s.size();
    while (static_cast<int64_t>(parts.size()) < maxsplit && end >= sep->size()) {
      const size_t hit = s.rfind(*sep, end - sep->size());
      if (hit == std::string_view::npos) break;
      parts.push_back(s.substr(hit + sep->size(), end - hit - sep->size()));
      end = hit;
    }
    parts.push_back(s.substr(0, end));
    std::reverse(parts.begin(), parts.end());
    return parts;
  }
  // Whitespace split: runs of whitespace separate, leading/trailing ignored.
  auto is_ws_at = [&](size_t pos, size_t& next) {
    next = pos;
    return py_isspace(utf8_next(s, next));
  };
  if (!from_right) {
    size_t pos = 0;
    size_t next;
    while (true) {
      while (pos < s.size() && is_ws_at(pos, next)) pos = next;
      if (pos >= s.size()) break;
      if (static_cast<int64_t>(parts.size()) >= maxsplit) {
        parts.push_back(s.substr(pos));
        break;
      }
      size_t end = pos;
      while (end < s.size() && !is_ws_at(end, next)) end = next;
      parts.push_back(s.substr(pos, end - pos));
      pos = end;
    }
    return parts;
  }
  size_t end = s.size();
  while (true) {
    while (end > 0) {
      size_t p = end;
      if (!py_isspace(utf8_prev(s, p))) break;
      end = p;
    }
    if (end == 0) break;
    if (static_cast<int64_t>(parts.size()) >= maxsplit) {
      parts.push_back(s.substr(0, end));
      break;
    }
    size_t begin = end;
    while (begin > 0) {
      size_t p = begin;
      if (py_isspace(utf8_prev(s, p))) break;
      begin = p;
    }
    parts.push_back(s.substr(begin, end - begin));
    end = begin;
  }
  std::reverse(parts.begin(), parts.end());
  return parts;
}

std::vector<std::string_view> py_splitlines(std::string_view s, bool keepends) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t at = pos;
    const char32_t cp = utf8_next(s, pos);
    const bool brk = cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || cp == 0x1C || cp == 0x1D || cp == 0x1E ||
                     cp == 0x85 || cp == 0x2028 || cp == 0x2029;
    if (!brk) continue;
    if (cp == '\r' && pos < s.size() && s[pos] == '\n') ++pos;
    lines.push_back(s.substr(start, (keepends ? pos : at) - start));
    start = pos;
  }
  if (start < s.size()) lines.push_back(s.substr(start));
  return lines;
}

std::string py_pad(std::string_view s, int64_t width, std::string_view fill, int align) {
  const auto len = static_cast<int64_t>(utf8_length(s));
  if (width <= len) return std::string(s);
  const int64_t marg = width - len;
  int64_t left = 0;
  if (align == 0) {
    left = marg / 2 + (marg & width & 1);
  } else if (align > 0) {
    left = marg;
  }
  const int64_t right = marg - left;
  std::string out;
  for (int64_t i = 0; i < left; ++i) out += fill;
  out += s;
  for (int64_t i = 0; i < right; ++i) out += fill;
  return out;
}

void py_adjust_bounds(int64_t length, int64_t& start, int64_t& end) {
  if (end > length) end = length;
  if (end < 0) {
    end += length;
    if (end < 0) end = 0;
  }
  if (start < 0) {
    start += length;
    if (start < 0) start = 0;
  }
}

int64_t py_find(std::string_view s, std::string_view sub, int64_t start, int64_t end, bool from_right) {
  const auto length = static_cast<int64_t>(utf8_length(s));
  py_adjust_bounds(length, start, end);
  if (start > length || end - start < static_cast<int64_t>(utf8_length(sub))) {
    if (!(sub.empty() && start <= length && start <= end)) return -1;
  }
  const size_t b = cp_offset_clamped(s, start);
  const size_t e = cp_offset_clamped(s, end);
  const std::string_view window = s.substr(b, e - b);
  const size_t hit = from_right ? window.rfind(sub) : window.find(sub);
  if (hit == std::string_view::npos) return -1;
  return start + static_cast<int64_t>(utf8_length(window.substr(0, hit)));
}

int64_t py_count(std::string_view s, std::string_view sub, int64_t start, int64_t end) {
  const auto length = static_cast<int64_t>(utf8_length(s));
  py_adjust_bounds(length, start, end);
  if (start > length || start > end) return 0;
  const size_t b = cp_offset_clamped(s, start);
  const size_t e = cp_offset_clamped(s, end);
  const std::string_view window = s.substr(b, e - b);
  if (sub.empty()) return static_cast<int64_t>(utf8_length(window)) + 1;
  int64_t n = 0;
  size_t pos = 0;
  while ((pos = window.find(sub, pos)) != std::string_view::npos) {
    ++n;
    pos += sub.size();
  }
  return n;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string html_unescape(std::string_view s) {
  static constexpr std::pair<std::string_view, char32_t> named[] = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", 0xA0},
  };
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '&') {
      out.push_back(s[i++]);
      continue;
    }
    const size_t semi = s.find(';', i);
    if (semi != std::string_view::npos && semi - i <= 10) {
      const std::string_view ent = s.substr(i + 1, semi - i - 1);
      char32_t cp = 0;
      bool ok = false;
      if (!ent.empty() && ent[0] == '#') {
        const bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
        const std::string_view digits = ent.substr(hex ? 2 : 1);
        ok = !digits.empty();
        for (char c : digits) {
          const int d = (c >= '0' && c <= '9') ? c - '0'
                        : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
          if (d < 0 || cp > 0x10FFFF) {
            ok = false;
            break;
          }
          cp = cp * (hex ? 16 : 10) + static_cast<char32_t>(d);
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0) ok = false;
      } else {
        for (const auto& [name, c] : named) {
          if (ent == name) {
            cp = c;
            ok = true;
          }
        }
      }
      if (ok) {
        utf8::append(out, cp);
        i = semi + 1;
        continue;
      }
    }
    out.push_back(s[i++]);
  }
  return out;
}

}  // namespace plexus::chat::jinja

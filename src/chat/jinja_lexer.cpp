#include "chat/jinja_lexer.h"

#include <cmath>
#include <cstdlib>

#include "chat/jinja_unicode.h"
#include "core/utf8.h"

namespace plexus::chat::jinja {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

// Length of the Python whitespace code point at `pos`, or 0.
size_t ws_len(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  const auto c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) return py_isspace(c) ? 1 : 0;
  size_t p = pos;
  const char32_t cp = utf8_next(s, p);
  return py_isspace(cp) ? p - pos : 0;
}

size_t skip_ws(std::string_view s, size_t pos) {
  while (size_t n = ws_len(s, pos)) pos += n;
  return pos;
}

std::string_view rstrip_ws(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t p = end;
    const char32_t cp = utf8_prev(s, p);
    if (!py_isspace(cp)) break;
    end = p;
  }
  return s.substr(0, end);
}

bool all_ws(std::string_view s) {
  if (s.empty()) return false;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t n = ws_len(s, pos);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

// jinja2's OptionalLStrip: whitespace control applied to the data before a tag.
std::string_view strip_before_tag(std::string_view text, char sign, bool is_variable, bool line_starting,
                                  const lexer_options& opt) {
  if (sign == '-') return rstrip_ws(text);
  if (sign != '+' && opt.lstrip_blocks && !is_variable) {
    const size_t nl = text.rfind('\n');
    const size_t l_pos = nl == std::string_view::npos ? 0 : nl + 1;
    if ((l_pos > 0 || line_starting) && all_ws(text.substr(l_pos))) return text.substr(0, l_pos);
  }
  return text;
}

// (\d+_)*\d+ : returns the end, or npos when no digit at `pos`.
size_t match_digits(std::string_view s, size_t pos) {
  if (pos >= s.size() || !is_digit(s[pos])) return std::string_view::npos;
  while (pos < s.size() && is_digit(s[pos])) ++pos;
  while (pos + 1 < s.size() && s[pos] == '_' && is_digit(s[pos + 1])) {
    ++pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
  }
  return pos;
}

std::string without_underscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out.push_back(c);
  }
  return out;
}

void append_backslashreplace(std::string& out, char32_t cp) {
  char buf[16];
  if (cp <= 0xFF) {
    std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(cp));
  } else if (cp <= 0xFFFF) {
    std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
  } else {
    std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(cp));
  }
  out += buf;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class lexer {
 public:
  lexer(std::string_view source, const lexer_options& options) : src_(source), opt_(options) {}

  std::vector<token> run() {
    const size_t n = src_.size();
    while (pos_ < n) {
      const size_t m = find_tag(pos_);
      if (m == std::string_view::npos) {
        emit_text(src_.substr(pos_));
        advance(n);
        break;
      }
      const char kind = src_[m + 1];
      size_t after = m + 2;
      char sign = 0;
      if (after < n && (src_[after] == '-' || src_[after] == '+')) sign = src_[after++];
      size_t raw_end = kind == '%' ? match_raw_begin(after) : std::string_view::npos;
      emit_text(strip_before_tag(src_.substr(pos_, m - pos_), sign, kind == '{', line_starting_, opt_));
      advance(m);
      if (raw_end != std::string_view::npos) {
        line_starting_ = src_[raw_end - 1] == '\n';
        advance(raw_end);
        lex_raw();
      } else if (kind == '#') {
        lex_comment(after);
      } else {
        lex_tag(kind == '%', after);
      }
    }
    out_.push_back(token{token_type::eof, line_, "", 0, 0.0});
    return std::move(out_);
  }

 private:
  [[noreturn]] void error(const std::string& message) const { throw syntax_error(line_, message); }

  void advance(size_t to) {
    for (size_t i = pos_; i < to; ++i) line_ += src_[i] == '\n';
    pos_ = to;
  }

  size_t find_tag(size_t from) const {
    size_t p = from;
    while (true) {
      p = src_.find('{', p);
      if (p == std::string_view::npos || p + 1 >= src_.size()) return std::string_view::npos;
      const char c = src_[p + 1];
      if (c == '{' || c == '%' || c == '#') return p;
      ++p;
    }
  }

  void emit_text(std::string_view text) {
    if (!text.empty()) out_.push_back(token{token_type::text, line_, std::string(text), 0, 0.0});
  }

  void push(token_type type, std::string text) { out_.push_back(token{type, line_, std::move(text), 0, 0.0}); }

  // `\s*raw\s*(?:-%}\s*|%})` after "{%" + sign; returns the end or npos.
  size_t match_raw_begin(size_t p) const {
    p = skip_ws(src_, p);
    if (src_.substr(p, 3) != "raw") return std::string_view::npos;
    p = skip_ws(src_, p + 3);
    if (src_.substr(p, 3) == "-%}") return skip_ws(src_, p + 3);
    if (src_.substr(p, 2) == "%}") return p + 2;
    return std::string_view::npos;
  }

  // Block end after a tag body: `+%}` | `-%}\s*` | `%}\n?` (trim_blocks); npos when absent.
  size_t match_block_end(size_t p) const {
    if (src_.substr(p, 3) == "+%}") return p + 3;
    if (src_.substr(p, 3) == "-%}") return skip_ws(src_, p + 3);
    if (src_.substr(p, 2) == "%}") {
      p += 2;
      if (opt_.trim_blocks && p < src_.size() && src_[p] == '\n') ++p;
      return p;
    }
    return std::string_view::npos;
  }

  void lex_raw() {
    size_t p = pos_;
    while (true) {
      p = src_.find("{%", p);
      if (p == std::string_view::npos) error("Missing end of raw directive");
      size_t q = p + 2;
      char sign = 0;
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) sign = src_[q++];
      q = skip_ws(src_, q);
      if (src_.substr(q, 6) == "endraw") {
        const size_t end = match_block_end(skip_ws(src_, q + 6));
        if (end != std::string_view::npos) {
          emit_text(strip_before_tag(src_.substr(pos_, p - pos_), sign, false, line_starting_, opt_));
          line_starting_ = src_[end - 1] == '\n';
          advance(end);
          return;
        }
      }
      p += 2;
    }
  }

  void lex_comment(size_t body) {
    const size_t close = src_.find("#}", body);
    if (close == std::string_view::npos) error("Missing end of comment tag");
    size_t end = close + 2;
    const char before = close > body ? src_[close - 1] : 0;
    if (before == '-') {
      end = skip_ws(src_, end);
    } else if (before != '+' && opt_.trim_blocks && end < src_.size() && src_[end] == '\n') {
      ++end;
    }
    line_starting_ = src_[end - 1] == '\n';
    advance(end);
  }

  void lex_tag(bool is_block, size_t body) {
    push(is_block ? token_type::block_begin : token_type::var_begin, is_block ? "{%" : "{{");
    advance(body);
    std::vector<char> balance;
    const size_t n = src_.size();
    while (true) {
      if (pos_ >= n) error(is_block ? "unexpected end of template, missing '%}'" : "unexpected end of template, missing '}}'");
      if (balance.empty()) {
        size_t end = std::string_view::npos;
        if (is_block) {
          end = match_block_end(pos_);
        } else if (src_.substr(pos_, 3) == "-}}") {
          end = skip_ws(src_, pos_ + 3);
        } else if (src_.substr(pos_, 2) == "}}") {
          end = pos_ + 2;
        }
        if (end != std::string_view::npos) {
          push(is_block ? token_type::block_end : token_type::var_end, is_block ? "%}" : "}}");
          line_starting_ = src_[end - 1] == '\n';
          advance(end);
          return;
        }
      }
      if (const size_t w = ws_len(src_, pos_)) {
        advance(pos_ + w);
        continue;
      }
      const char c = src_[pos_];
      if (is_digit(c)) {
        lex_number();
      } else if (is_name_start(c)) {
        size_t e = pos_ + 1;
        while (e < n && is_name_char(src_[e])) ++e;
        push(token_type::name, std::string(src_.substr(pos_, e - pos_)));
        advance(e);
      } else if (c == '\'' || c == '"') {
        lex_string();
      } else {
        lex_operator(balance);
      }
    }
  }

  void lex_number() {
    const size_t start = pos_;
    // Float: (?<!\.)(\d+_)*\d+((\.(\d+_)*\d+)?e[+-]?(\d+_)*\d+|\.(\d+_)*\d+)
    if (start == 0 || src_[start - 1] != '.') {
      const size_t int_end = match_digits(src_, start);
      size_t p = int_end;
      bool has_fraction = false;
      if (p < src_.size() && src_[p] == '.') {
        const size_t f = match_digits(src_, p + 1);
        if (f != std::string_view::npos) {
          p = f;
          has_fraction = true;
        }
      }
      size_t float_end = has_fraction ? p : std::string_view::npos;
      if (p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
        size_t q = p + 1;
        if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
        const size_t x = match_digits(src_, q);
        if (x != std::string_view::npos) float_end = x;
      }
      if (float_end != std::string_view::npos) {
        const std::string text = without_underscores(src_.substr(start, float_end - start));
        token t{token_type::floating, line_, text, 0, std::strtod(text.c_str(), nullptr)};
        out_.push_back(std::move(t));
        advance(float_end);
        return;
      }
    }
    // Integer: 0b.. 0o.. 0x.. [1-9](_?\d)* 0(_?0)*
    int base = 10;
    size_t p = start;
    auto digit_ok = [&](char ch) {
      const int v = hex_value(ch);
      return v >= 0 && v < base;
    };
    if (src_[p] == '0' && p + 1 < src_.size() && std::string_view("bBoOxX").find(src_[p + 1]) != std::string_view::npos) {
      const char b = src_[p + 1];
      base = (b == 'b' || b == 'B') ? 2 : (b == 'o' || b == 'O') ? 8 : 16;
      size_t q = p + 2;
      size_t end = std::string_view::npos;
      while (true) {
        size_t r = q;
        if (r < src_.size() && src_[r] == '_') ++r;
        if (r < src_.size() && digit_ok(src_[r])) {
          q = r + 1;
          end = q;
        } else {
          break;
        }
      }
      if (end != std::string_view::npos) {
        push_int(src_.substr(p + 2, end - p - 2), base);
        advance(end);
        return;
      }
      base = 10;
    }
    size_t end = p + 1;
    const bool zero = src_[p] == '0';
    while (true) {
      size_t r = end;
      if (r < src_.size() && src_[r] == '_') ++r;
      if (r < src_.size() && (zero ? src_[r] == '0' : is_digit(src_[r]))) {
        end = r + 1;
      } else {
        break;
      }
    }
    push_int(src_.substr(p, end - p), 10);
    advance(end);
  }

  void push_int(std::string_view digits, int base) {
    uint64_t v = 0;
    for (char c : digits) {
      if (c == '_') continue;
      const auto d = static_cast<uint64_t>(hex_value(c));
      if (v > (static_cast<uint64_t>(INT64_MAX) - d) / static_cast<uint64_t>(base)) error("integer literal too large");
      v = v * static_cast<uint64_t>(base) + d;
    }
    token t{token_type::integer, line_, std::string(digits), static_cast<int64_t>(v), 0.0};
    out_.push_back(std::move(t));
  }

  void lex_string() {
    const char quote = src_[pos_];
    size_t p = pos_ + 1;
    while (p < src_.size() && src_[p] != quote) p += src_[p] == '\\' ? 2 : 1;
    if (p >= src_.size()) error("unexpected end of string");
    push(token_type::string, decode_escapes(src_.substr(pos_ + 1, p - pos_ - 1)));
    advance(p + 1);
  }

  // Python's unicode-escape decoding of the literal (after jinja2's backslashreplace step).
  std::string decode_escapes(std::string_view s) const {
    std::string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
      if (s[i] != '\\' || i + 1 >= s.size()) {
        out.push_back(s[i++]);
        continue;
      }
      const char c = s[i + 1];
      i += 2;
      switch (c) {
        case '\n': break;
        case '\\': out.push_back('\\'); break;
        case '\'': out.push_back('\''); break;
        case '"': out.push_back('"'); break;
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case 'x':
        case 'u':
        case 'U': {
          const size_t count = c == 'x' ? 2 : c == 'u' ? 4 : 8;
          uint32_t cp = 0;
          for (size_t k = 0; k < count; ++k) {
            const int h = i + k < s.size() ? hex_value(s[i + k]) : -1;
            if (h < 0) error(std::string("truncated \\") + c + " escape in string literal");
            cp = cp * 16 + static_cast<uint32_t>(h);
          }
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) error("invalid code point escape in string literal");
          utf8::append(out, cp);
          i += count;
          break;
        }
        case 'N': error("\\N{...} escapes are not supported");
        default:
          if (c >= '0' && c <= '7') {
            uint32_t cp = static_cast<uint32_t>(c - '0');
            for (int k = 0; k < 2 && i < s.size() && s[i] >= '0' && s[i] <= '7'; ++k) cp = cp * 8 + static_cast<uint32_t>(s[i++] - '0');
            utf8::append(out, cp);
          } else if (static_cast<unsigned char>(c) >= 0x80) {
            // backslash + non-ASCII: the backslashreplace form survives as literal text.
            size_t p = i - 1;
            const char32_t cp = utf8_next(s, p);
            out.push_back('\\');
            append_backslashreplace(out, cp);
            i = p;
          } else {
            out.push_back('\\');
            out.push_back(c);
          }
      }
    }
    return out;
  }

  void lex_operator(std::vector<char>& balance) {
    static constexpr std::string_view two[] = {"//", "**", "==", "!=", ">=", "<="};
    for (std::string_view op : two) {
      if (src_.substr(pos_, 2) == op) {
        push(token_type::op, std::string(op));
        advance(pos_ + 2);
        return;
      }
    }
    const char c = src_[pos_];
    if (std::string_view("+-/*%~[](){}><=.:|,;").find(c) == std::string_view::npos) {
      size_t p = pos_;
      std::string shown;
      utf8::append(shown, utf8_next(src_, p));
      error("unexpected char '" + shown + "'");
    }
    if (c == '(' || c == '[' || c == '{') {
      balance.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    } else if (c == ')' || c == ']' || c == '}') {
      if (balance.empty()) error(std::string("unexpected '") + c + "'");
      if (balance.back() != c) error(std::string("unexpected '") + c + "', expected '" + balance.back() + "'");
      balance.pop_back();
    }
    push(token_type::op, std::string(1, c));
    advance(pos_ + 1);
  }

  std::string_view src_;
  const lexer_options& opt_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  bool line_starting_ = true;
  std::vector<token> out_;
};

}  // namespace

std::vector<token> tokenize(std::string_view source, const lexer_options& options) {
  // jinja2 splits the source on \r\n, \r and \n and joins with \n, dropping one final empty line.
  std::string normalized;
  normalized.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      normalized.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      normalized.push_back(source[i]);
    }
  }
  if (!options.keep_trailing_newline && !normalized.empty() && normalized.back() == '\n') normalized.pop_back();
  lexer lx(normalized, options);
  return lx.run();
}

}  // namespace plexus::chat::jinja

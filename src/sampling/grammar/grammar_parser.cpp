// GBNF text -> GrammarBuilder. Recursive descent whose recursion depth is bounded by
// GrammarLimits::max_nesting (one level per open parenthesis).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/utf8.h"
#include "sampling/grammar/grammar.h"
#include "sampling/grammar/grammar_builder.h"

namespace plexus::sampling::grammar {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One parse of one text into a builder.
// Not thread-safe: used by one Grammar::parse call.
class Parser {
 public:
  Parser(std::string_view text, GrammarBuilder& builder, const GrammarLimits& limits)
      : s_(text), b_(builder), limits_(limits) {}

  Status parse_all() {
    skip_space(true);
    while (pos_ < s_.size()) {
      PLEXUS_RETURN_IF_ERROR(parse_rule());
      skip_space(true);
    }
    std::string name;
    size_t offset = 0;
    if (b_.first_undefined(&name, &offset)) return error("undefined rule '" + name + "'", offset);
    return {};
  }

 private:
  std::string where(size_t at) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        col = 1;
      } else if ((static_cast<uint8_t>(s_[i]) & 0xC0) != 0x80) {
        ++col;
      }
    }
    return "line " + std::to_string(line) + ":" + std::to_string(col);
  }

  Status error(const std::string& what, size_t at) const {
    return invalid_argument("grammar: " + where(at) + ": " + what);
  }

  std::string describe_here() const {
    if (pos_ >= s_.size()) return "end of input";
    const char c = s_[pos_];
    if (c == '\n') return "end of line";
    if (static_cast<uint8_t>(c) < 0x20 || static_cast<uint8_t>(c) >= 0x7F) return "a non-printable or non-ASCII byte";
    return std::string("'") + c + "'";
  }

  // Skips blanks and comments; newlines only when `newline_ok` (inside parentheses, after
  // '::=' and '|').
  void skip_space(bool newline_ok) {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == ' ' || c == '\t') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n' && s_[pos_] != '\r') ++pos_;
      } else if ((c == '\n' || c == '\r') && newline_ok) {
        ++pos_;
      } else {
        break;
      }
    }
  }

  std::string_view parse_name() {
    const size_t start = pos_;
    while (pos_ < s_.size() && is_name_char(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  Status parse_rule() {
    const size_t start = pos_;
    const std::string_view name = parse_name();
    if (name.empty()) return error("expected a rule name, found " + describe_here(), start);
    PLEXUS_ASSIGN_OR_RETURN(uint32_t id, b_.rule_id(name, start));
    if (b_.is_defined(id)) return error("rule '" + std::string(name) + "' is defined twice", start);
    skip_space(false);
    if (s_.substr(pos_, 3) != "::=") {
      return error("expected '::=' after rule name '" + std::string(name) + "', found " + describe_here(), pos_);
    }
    pos_ += 3;
    skip_space(true);
    std::vector<Element> body;
    PLEXUS_RETURN_IF_ERROR(parse_alternates(id, body, false));
    PLEXUS_RETURN_IF_ERROR(b_.define(id, std::move(body)));
    skip_space(false);
    if (pos_ < s_.size() && s_[pos_] != '\n' && s_[pos_] != '\r') {
      return error("unexpected " + describe_here() + " in rule '" + std::string(name) + "'", pos_);
    }
    return {};
  }

  Status parse_alternates(uint32_t owner, std::vector<Element>& body, bool nested) {
    PLEXUS_RETURN_IF_ERROR(parse_sequence(owner, body, nested));
    body.push_back({elem_kind::end, 0});
    while (pos_ < s_.size() && s_[pos_] == '|') {
      ++pos_;
      skip_space(true);
      PLEXUS_RETURN_IF_ERROR(parse_sequence(owner, body, nested));
      body.push_back({elem_kind::end, 0});
    }
    return {};
  }

  // One code point of a literal or class, with escapes. `pos_` is at it.
  Status parse_char(uint32_t* cp) {
    const size_t start = pos_;
    if (s_[pos_] != '\\') {
      if (!utf8::decode(s_, pos_, *cp)) return error("invalid UTF-8", pos_);  // validated up front
      return {};
    }
    if (++pos_ >= s_.size()) return error("unterminated escape", start);
    const char e = s_[pos_++];
    int digits = 0;
    switch (e) {
      case 'n': *cp = '\n'; return {};
      case 't': *cp = '\t'; return {};
      case 'r': *cp = '\r'; return {};
      case '\\': case '"': case '[': case ']': case '-': case '^': case '/': case '\'':
        *cp = static_cast<uint8_t>(e);
        return {};
      case 'x': digits = 2; break;
      case 'u': digits = 4; break;
      case 'U': digits = 8; break;
      default:
        return error(std::string("unknown escape '\\") + (static_cast<uint8_t>(e) < 0x80 ? std::string(1, e) : "?") + "'",
                     start);
    }
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      const int h = pos_ < s_.size() ? hex_value(s_[pos_]) : -1;
      if (h < 0) return error("escape '\\" + std::string(1, e) + "' needs " + std::to_string(digits) + " hex digits", start);
      v = (v << 4) | static_cast<uint32_t>(h);
      ++pos_;
    }
    if (v > utf8::kMaxCodePoint) return error("escape names a code point above U+10FFFF", start);
    if (utf8::is_surrogate(v)) return error("escape names a UTF-16 surrogate, which valid UTF-8 never contains", start);
    *cp = v;
    return {};
  }

  Status parse_literal(std::vector<Element>& out) {
    const size_t start = pos_++;
    std::vector<Element> chars;
    while (true) {
      if (pos_ >= s_.size()) return error("unterminated string literal", start);
      if (s_[pos_] == '"') break;
      uint32_t cp = 0;
      PLEXUS_RETURN_IF_ERROR(parse_char(&cp));
      PLEXUS_ASSIGN_OR_RETURN(Element e, b_.single_char(cp));
      chars.push_back(e);
      PLEXUS_RETURN_IF_ERROR(b_.check_budget(out.size() + chars.size()));
    }
    ++pos_;
    out.insert(out.end(), chars.begin(), chars.end());
    return {};
  }

  Status parse_class(std::vector<Element>& out) {
    const size_t start = pos_++;
    bool negated = false;
    if (pos_ < s_.size() && s_[pos_] == '^') {
      negated = true;
      ++pos_;
    }
    std::vector<CodeRange> ranges;
    while (true) {
      if (pos_ >= s_.size()) return error("unterminated character class", start);
      if (s_[pos_] == ']') break;
      const size_t item = pos_;
      uint32_t lo = 0;
      PLEXUS_RETURN_IF_ERROR(parse_char(&lo));
      uint32_t hi = lo;
      if (pos_ + 1 < s_.size() && s_[pos_] == '-' && s_[pos_ + 1] != ']') {
        ++pos_;
        PLEXUS_RETURN_IF_ERROR(parse_char(&hi));
        if (hi < lo) return error("character range is reversed", item);
      }
      ranges.push_back({lo, hi});
    }
    ++pos_;
    if (ranges.empty()) return error("empty character class", start);
    PLEXUS_ASSIGN_OR_RETURN(Element e, b_.chars(std::move(ranges), negated));
    out.push_back(e);
    return {};
  }

  Status parse_number(uint32_t* v) {
    const size_t start = pos_;
    uint64_t n = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      n = n * 10 + static_cast<uint64_t>(s_[pos_] - '0');
      if (n > UINT32_MAX - 1) {
        return out_of_range("grammar: " + where(start) + ": repetition bound exceeds the limit " +
                            std::to_string(limits_.max_repetition));
      }
      ++pos_;
    }
    if (pos_ == start) return error("expected a number in '{m,n}', found " + describe_here(), pos_);
    *v = static_cast<uint32_t>(n);
    return {};
  }

  // {m}, {m,}, {m,n}, {,n}
  Status parse_braces(uint32_t* min, uint32_t* max) {
    const size_t start = pos_++;
    skip_space(false);
    *min = 0;
    if (pos_ < s_.size() && s_[pos_] != ',') PLEXUS_RETURN_IF_ERROR(parse_number(min));
    skip_space(false);
    if (pos_ < s_.size() && s_[pos_] == ',') {
      ++pos_;
      skip_space(false);
      if (pos_ < s_.size() && s_[pos_] == '}') {
        *max = kUnbounded;
      } else {
        PLEXUS_RETURN_IF_ERROR(parse_number(max));
      }
      skip_space(false);
    } else {
      *max = *min;
    }
    if (pos_ >= s_.size() || s_[pos_] != '}') return error("expected '}' to close '{m,n}'", start);
    ++pos_;
    if (*max < *min) return error("repetition {m,n} with n < m", start);
    return {};
  }

  Status parse_sequence(uint32_t owner, std::vector<Element>& out, bool nested) {
    size_t last_sym = std::string_view::npos;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      const size_t at = pos_;
      if (c == '"') {
        last_sym = out.size();
        PLEXUS_RETURN_IF_ERROR(parse_literal(out));
        if (out.size() == last_sym) last_sym = std::string_view::npos;  // "" repeats nothing
      } else if (c == '[') {
        last_sym = out.size();
        PLEXUS_RETURN_IF_ERROR(parse_class(out));
      } else if (c == '.') {
        ++pos_;
        last_sym = out.size();
        PLEXUS_ASSIGN_OR_RETURN(Element any, b_.chars({{0, utf8::kMaxCodePoint}}, false));
        out.push_back(any);
      } else if (is_name_char(c)) {
        const std::string_view name = parse_name();
        PLEXUS_ASSIGN_OR_RETURN(uint32_t ref, b_.rule_id(name, at));
        last_sym = out.size();
        out.push_back({elem_kind::rule_ref, ref});
      } else if (c == '(') {
        if (depth_ >= limits_.max_nesting) {
          return out_of_range("grammar: " + where(at) + ": parentheses nested deeper than " +
                              std::to_string(limits_.max_nesting));
        }
        ++pos_;
        skip_space(true);
        PLEXUS_ASSIGN_OR_RETURN(uint32_t sub, b_.synth_rule(owner));
        std::vector<Element> body;
        ++depth_;
        PLEXUS_RETURN_IF_ERROR(parse_alternates(owner, body, true));
        --depth_;
        if (pos_ >= s_.size() || s_[pos_] != ')') {
          return error("expected ')' to close the '(' at " + where(at) + ", found " + describe_here(), pos_);
        }
        ++pos_;
        PLEXUS_RETURN_IF_ERROR(b_.define(sub, std::move(body)));
        last_sym = out.size();
        out.push_back({elem_kind::rule_ref, sub});
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        if (last_sym == std::string_view::npos) {
          return error(std::string("'") + c + "' does not follow an element it could repeat", at);
        }
        uint32_t min = 0, max = kUnbounded;
        if (c == '{') {
          PLEXUS_RETURN_IF_ERROR(parse_braces(&min, &max));
        } else {
          ++pos_;
          min = c == '+' ? 1 : 0;
          max = c == '?' ? 1 : kUnbounded;
        }
        PLEXUS_RETURN_IF_ERROR(b_.repeat(owner, out, last_sym, min, max));
        last_sym = std::string_view::npos;
      } else if (c == '|' || c == ')' || c == '\n' || c == '\r') {
        break;
      } else {
        return error("unexpected " + describe_here(), at);
      }
      PLEXUS_RETURN_IF_ERROR(b_.check_budget(out.size()));
      skip_space(nested);
    }
    return {};
  }

  std::string_view s_;
  size_t pos_ = 0;
  GrammarBuilder& b_;
  const GrammarLimits& limits_;
  uint32_t depth_ = 0;
};

}  // namespace

Result<std::shared_ptr<const Grammar>> Grammar::parse(std::string_view text, const GrammarLimits& limits,
                                                      std::string_view start_rule) {
  if (text.size() > limits.max_text_bytes) {
    return out_of_range("grammar: text is " + std::to_string(text.size()) + " bytes, above the limit of " +
                        std::to_string(limits.max_text_bytes));
  }
  if (const size_t bad = utf8::first_invalid(text); bad != std::string_view::npos) {
    return invalid_argument("grammar: invalid UTF-8 at byte offset " + std::to_string(bad));
  }
  GrammarBuilder builder(limits);
  Parser parser(text, builder, limits);
  PLEXUS_RETURN_IF_ERROR(parser.parse_all());
  return builder.finish(start_rule);
}

}  // namespace plexus::sampling::grammar

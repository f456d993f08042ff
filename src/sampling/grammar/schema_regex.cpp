// JSON Schema `pattern` (an ECMAScript regular expression, subset) -> GBNF for the JSON-encoded
// string content. Semantics follow JSON Schema: the pattern is searched, not anchored, so a top-
// level alternative without '^' may be preceded by any characters and one without '$' followed
// by any.
#include <string>
#include <vector>

#include "core/utf8.h"
#include "sampling/grammar/schema_internal.h"

namespace plexus::sampling::grammar::schema {
namespace {

constexpr uint32_t kMaxRegexNesting = 64;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ECMAScript \s: WhiteSpace and LineTerminator.
std::vector<CodeRange> space_set() {
  return normalize_ranges({{0x09, 0x0D}, {0x20, 0x20}, {0xA0, 0xA0}, {0x1680, 0x1680}, {0x2000, 0x200A},
                           {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}},
                          false);
}

// One translation of one pattern.
// Not thread-safe: used by one regex_to_gbnf call.
class RegexTranslator {
 public:
  RegexTranslator(std::string_view pattern, std::string_view any_char, uint32_t max_repetition)
      : s_(pattern), any_(any_char), max_rep_(max_repetition) {}

  Result<std::string> run() {
    std::vector<std::string> alts;
    while (true) {
      const bool start_anchor = consume('^');
      PLEXUS_ASSIGN_OR_RETURN(std::string seq, parse_sequence(0, true));
      bool end_anchor = false;
      if (peek('$')) {
        ++pos_;
        end_anchor = true;
        if (pos_ < s_.size() && s_[pos_] != '|') return unsupported_here("'$' is only supported at the end of the pattern");
      }
      std::string alt;
      if (!start_anchor) {
        alt += any_;
        alt += "* ";
      }
      alt += seq.empty() ? "\"\"" : seq;
      if (!end_anchor) {
        alt += " ";
        alt += any_;
        alt += "*";
      }
      alts.push_back(std::move(alt));
      if (!consume('|')) break;
    }
    if (pos_ < s_.size()) return error("unbalanced ')'");
    if (alts.size() == 1) return alts[0];
    std::string out = "(";
    for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
    return out + ")";
  }

 private:
  Status error(const std::string& what) const {
    return invalid_argument("json schema: pattern '" + std::string(s_) + "': " + what + " at offset " + std::to_string(pos_));
  }
  Status unsupported_here(const std::string& what) const {
    return unsupported("json schema: pattern '" + std::string(s_) + "': " + what + " (offset " + std::to_string(pos_) + ")");
  }
  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool consume(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }

  Result<std::string> parse_alternation(uint32_t depth) {
    std::string out;
    bool first = true;
    do {
      PLEXUS_ASSIGN_OR_RETURN(std::string seq, parse_sequence(depth, false));
      out += (first ? "" : " | ") + (seq.empty() ? std::string("\"\"") : seq);
      first = false;
    } while (consume('|'));
    return out;
  }

  Result<std::string> parse_sequence(uint32_t depth, bool top) {
    std::string out;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '|' || c == ')' || (top && c == '$')) break;
      PLEXUS_ASSIGN_OR_RETURN(std::string atom, parse_atom(depth));
      PLEXUS_ASSIGN_OR_RETURN(std::string quant, parse_quantifier());
      if (!out.empty()) out.push_back(' ');
      out += quant.empty() ? atom : "(" + atom + ")" + quant;
    }
    return out;
  }

  // Parses {m}, {m,}, {m,n} at pos_ into min/max; false (pos_ unchanged) if it is not one.
  bool parse_braces(uint64_t* min, uint64_t* max, bool* unbounded) {
    size_t p = pos_ + 1;
    auto number = [&](uint64_t* v) {
      const size_t start = p;
      *v = 0;
      while (p < s_.size() && s_[p] >= '0' && s_[p] <= '9') {
        *v = std::min<uint64_t>(*v * 10 + static_cast<uint64_t>(s_[p] - '0'), uint64_t{1} << 40);
        ++p;
      }
      return p > start;
    };
    if (!number(min)) return false;
    *unbounded = false;
    *max = *min;
    if (p < s_.size() && s_[p] == ',') {
      ++p;
      if (!number(max)) *unbounded = true;
    }
    if (p >= s_.size() || s_[p] != '}') return false;
    pos_ = p + 1;
    return true;
  }

  Result<std::string> parse_quantifier() {
    if (pos_ >= s_.size()) return std::string();
    std::string q;
    const char c = s_[pos_];
    if (c == '*' || c == '+' || c == '?') {
      ++pos_;
      q = std::string(1, c);
    } else if (c == '{') {
      uint64_t min = 0, max = 0;
      bool unbounded = false;
      if (!parse_braces(&min, &max, &unbounded)) return std::string();  // a literal '{'
      if (!unbounded && max < min) return error("quantifier {m,n} with n < m");
      if (min > max_rep_ || (!unbounded && max > max_rep_)) {
        return out_of_range("json schema: pattern '" + std::string(s_) + "': repetition bound above the limit " +
                            std::to_string(max_rep_));
      }
      q = "{";  // appended piecewise: g++ 12 warns (-Wrestrict) on "lit" + std::string
      q += std::to_string(min);
      if (unbounded) {
        q += ",";
      } else if (max != min) {
        q += ",";
        q += std::to_string(max);
      }
      q += "}";
    } else {
      return std::string();
    }
    consume('?');  // lazy: same language
    if (pos_ < s_.size() && (s_[pos_] == '*' || s_[pos_] == '+' || s_[pos_] == '?' || s_[pos_] == '{')) {
      uint64_t a, b;
      bool u;
      const size_t save = pos_;
      if (s_[pos_] != '{' || parse_braces(&a, &b, &u)) {
        pos_ = save;
        return error("nothing to repeat");
      }
    }
    return q;
  }

  // One escaped code point after '\' (pos_ past the backslash); sets for class escapes.
  Status parse_escape(std::vector<CodeRange>* set, bool in_class) {
    if (pos_ >= s_.size()) return error("pattern ends with '\\'");
    const char e = s_[pos_++];
    auto single = [&](uint32_t cp) {
      set->push_back({cp, cp});
      return Status{};
    };
    switch (e) {
      case 'd': set->push_back({'0', '9'}); return {};
      case 'D': for (const CodeRange& r : normalize_ranges({{'0', '9'}}, true)) set->push_back(r); return {};
      case 'w': case 'W': {
        std::vector<CodeRange> w = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
        if (e == 'W') w = normalize_ranges(w, true);
        set->insert(set->end(), w.begin(), w.end());
        return {};
      }
      case 's': case 'S': {
        std::vector<CodeRange> sp = normalize_ranges(space_set(), e == 'S');
        set->insert(set->end(), sp.begin(), sp.end());
        return {};
      }
      case 'n': return single('\n');
      case 'r': return single('\r');
      case 't': return single('\t');
      case 'f': return single('\f');
      case 'v': return single('\v');
      case '0': return single(0);
      case 'b':
        if (in_class) return single('\b');
        return unsupported_here("word boundaries (\\b) are not supported");
      case 'B': return unsupported_here("word boundaries (\\B) are not supported");
      case 'x': case 'u': {
        const int digits = e == 'x' ? 2 : 4;
        uint32_t v = 0;
        for (int i = 0; i < digits; ++i) {
          const int h = pos_ < s_.size() ? hex_digit(s_[pos_]) : -1;
          if (h < 0) return error(std::string("\\") + e + " needs " + std::to_string(digits) + " hex digits");
          v = (v << 4) | static_cast<uint32_t>(h);
          ++pos_;
        }
        if (utf8::is_surrogate(v)) return unsupported_here("UTF-16 surrogate escapes are not supported");
        return single(v);
      }
      default:
        break;
    }
    if (e >= '1' && e <= '9') return unsupported_here("backreferences are not supported");
    if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
      return unsupported_here(std::string("escape \\") + e + " is not supported");
    }
    --pos_;
    uint32_t cp = 0;
    if (!utf8::decode(s_, pos_, cp)) return error("invalid UTF-8");
    return single(cp);
  }

  Result<std::string> parse_class() {
    ++pos_;  // '['
    const bool negate = consume('^');
    std::vector<CodeRange> set;
    while (true) {
      if (pos_ >= s_.size()) return error("unterminated character class");
      if (s_[pos_] == ']') break;
      std::vector<CodeRange> lo;
      if (consume('\\')) {
        PLEXUS_RETURN_IF_ERROR(parse_escape(&lo, true));
      } else {
        uint32_t cp = 0;
        if (!utf8::decode(s_, pos_, cp)) return error("invalid UTF-8");
        lo.push_back({cp, cp});
      }
      const bool single = lo.size() == 1 && lo[0].lo == lo[0].hi;
      if (single && pos_ + 1 < s_.size() && s_[pos_] == '-' && s_[pos_ + 1] != ']') {
        ++pos_;
        std::vector<CodeRange> hi;
        if (consume('\\')) {
          PLEXUS_RETURN_IF_ERROR(parse_escape(&hi, true));
        } else {
          uint32_t cp = 0;
          if (!utf8::decode(s_, pos_, cp)) return error("invalid UTF-8");
          hi.push_back({cp, cp});
        }
        if (hi.size() != 1 || hi[0].lo != hi[0].hi) return error("class escape as a range bound");
        if (hi[0].lo < lo[0].lo) return error("character range out of order");
        set.push_back({lo[0].lo, hi[0].lo});
      } else {
        set.insert(set.end(), lo.begin(), lo.end());
      }
    }
    ++pos_;  // ']'
    std::string expr = json_char_expr(normalize_ranges(std::move(set), negate));
    if (expr.empty()) return unsupported_here("a character class that matches nothing");
    return expr;
  }

  Result<std::string> parse_atom(uint32_t depth) {
    const char c = s_[pos_];
    switch (c) {
      case '(': {
        if (depth + 1 > kMaxRegexNesting) {
          return out_of_range("json schema: pattern nested deeper than " + std::to_string(kMaxRegexNesting));
        }
        ++pos_;
        if (consume('?')) {
          if (consume(':')) {
          } else if (peek('<') && pos_ + 1 < s_.size() && s_[pos_ + 1] != '=' && s_[pos_ + 1] != '!') {
            while (pos_ < s_.size() && s_[pos_] != '>') ++pos_;  // named group
            if (!consume('>')) return error("unterminated group name");
          } else {
            return unsupported_here("lookaround assertions are not supported");
          }
        }
        PLEXUS_ASSIGN_OR_RETURN(std::string inner, parse_alternation(depth + 1));
        if (!consume(')')) return error("missing ')'");
        return "(" + inner + ")";
      }
      case '[':
        return parse_class();
      case '.':
        ++pos_;
        return json_char_expr(normalize_ranges({{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}}, true));
      case '\\': {
        ++pos_;
        std::vector<CodeRange> set;
        PLEXUS_RETURN_IF_ERROR(parse_escape(&set, false));
        return json_char_expr(normalize_ranges(std::move(set), false));
      }
      case '^': case '$':
        return unsupported_here("anchors are only supported at the start and end of the pattern");
      case '*': case '+': case '?':
        return error("nothing to repeat");
      case '{': {
        uint64_t a, b;
        bool u;
        const size_t save = pos_;
        if (parse_braces(&a, &b, &u)) {
          pos_ = save;
          return error("nothing to repeat");
        }
        break;
      }
      default:
        break;
    }
    uint32_t cp = 0;
    if (!utf8::decode(s_, pos_, cp)) return error("invalid UTF-8");
    return json_char_expr({{cp, cp}});
  }

  std::string_view s_;
  std::string_view any_;
  uint32_t max_rep_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::string> regex_to_gbnf(std::string_view pattern, std::string_view any_char_rule, uint32_t max_repetition) {
  if (utf8::first_invalid(pattern) != std::string_view::npos) {
    return invalid_argument("json schema: pattern is not valid UTF-8");
  }
  RegexTranslator t(pattern, any_char_rule, max_repetition);
  return t.run();
}

}  // namespace plexus::sampling::grammar::schema

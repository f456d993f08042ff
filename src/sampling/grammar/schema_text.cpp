#include <algorithm>
#include <cstdio>

#include "core/utf8.h"
#include "sampling/grammar/schema_internal.h"

namespace plexus::sampling::grammar::schema {
namespace {

void append_escape(std::string& out, uint32_t cp) {
  char buf[16];
  if (cp < 0x100) {
    std::snprintf(buf, sizeof buf, "\\x%02X", cp);
  } else if (cp < 0x10000) {
    std::snprintf(buf, sizeof buf, "\\u%04X", cp);
  } else {
    std::snprintf(buf, sizeof buf, "\\U%08X", cp);
  }
  out += buf;
}

bool is_alnum(uint32_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Code points that JSON strings must escape.
bool json_special(uint32_t c) { return c < 0x20 || c == '"' || c == '\\'; }

std::string json_escape_literal(uint32_t c) {
  switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      return buf;
    }
  }
}

}  // namespace

std::string gbnf_literal(std::string_view bytes) {
  std::string out = "\"";
  for (char ch : bytes) {
    const auto c = static_cast<uint8_t>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20 || c == 0x7F) {
      append_escape(out, c);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
  return out;
}

std::vector<CodeRange> normalize_ranges(std::vector<CodeRange> ranges, bool negate) {
  std::sort(ranges.begin(), ranges.end(), [](const CodeRange& a, const CodeRange& b) { return a.lo < b.lo; });
  std::vector<CodeRange> merged;
  for (const CodeRange& r : ranges) {
    if (!merged.empty() && r.lo <= merged.back().hi + 1) {
      merged.back().hi = std::max(merged.back().hi, r.hi);
    } else {
      merged.push_back(r);
    }
  }
  if (!negate) return merged;
  std::vector<CodeRange> inv;
  uint32_t next = 0;
  for (const CodeRange& r : merged) {
    if (r.lo > next) inv.push_back({next, r.lo - 1});
    next = r.hi + 1;
  }
  if (next <= utf8::kMaxCodePoint) inv.push_back({next, utf8::kMaxCodePoint});
  return inv;
}

std::string gbnf_class(const std::vector<CodeRange>& ranges) {
  std::string out = "[";
  bool any = false;
  for (const CodeRange& r : ranges) {
    const uint32_t lo = utf8::is_surrogate(r.lo) ? 0xE000 : r.lo;
    const uint32_t hi = utf8::is_surrogate(r.hi) ? 0xD7FF : r.hi;
    if (lo > hi) continue;
    any = true;
    auto put = [&out](uint32_t c) {
      if (is_alnum(c)) {
        out.push_back(static_cast<char>(c));
      } else {
        append_escape(out, c);
      }
    };
    put(lo);
    if (hi != lo) {
      out.push_back('-');
      put(hi);
    }
  }
  if (!any) return "";
  out.push_back(']');
  return out;
}

std::string json_char_expr(const std::vector<CodeRange>& set) {
  std::vector<CodeRange> plain;
  std::vector<std::string> alts;
  for (const CodeRange& r : set) {
    // Split off the code points JSON must escape (all below 0x5D).
    uint32_t c = r.lo;
    while (c <= r.hi && c < 0x5D) {
      if (json_special(c)) {
        alts.push_back(gbnf_literal(json_escape_literal(c)));
        ++c;
      } else {
        uint32_t end = c;
        while (end + 1 <= r.hi && end + 1 < 0x5D && !json_special(end + 1)) ++end;
        plain.push_back({c, end});
        c = end + 1;
      }
    }
    if (c <= r.hi) plain.push_back({c, r.hi});
  }
  const std::string cls = gbnf_class(normalize_ranges(plain, false));
  if (!cls.empty()) alts.insert(alts.begin(), cls);
  if (alts.empty()) return "";
  if (alts.size() == 1) return alts[0];
  std::string out = "(";
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
  return out + ")";
}

namespace {

// Equal-length digit strings lo <= hi.
std::string same_length_range(const std::string& lo, const std::string& hi) {
  const size_t n = lo.size();
  if (n == 0) return "";
  if (lo == hi) return gbnf_literal(lo);
  if (lo[0] == hi[0]) return gbnf_literal(lo.substr(0, 1)) + " " + same_length_range(lo.substr(1), hi.substr(1));
  const size_t rest = n - 1;
  const bool lo_tail_zero = lo.find_first_not_of('0', 1) == std::string::npos;
  const bool hi_tail_nine = hi.find_first_not_of('9', 1) == std::string::npos;
  char first = lo[0], last = hi[0];
  std::vector<std::string> alts;
  if (!lo_tail_zero) {
    alts.push_back(gbnf_literal(lo.substr(0, 1)) + " " + same_length_range(lo.substr(1), std::string(rest, '9')));
    ++first;
  }
  std::string high_alt;
  if (!hi_tail_nine) {
    high_alt = gbnf_literal(hi.substr(0, 1)) + " " + same_length_range(std::string(rest, '0'), hi.substr(1));
    --last;
  }
  if (first <= last) {
    std::string mid;
    if (first == last) {
      mid = gbnf_literal(std::string(1, first));
    } else {
      mid = {'[', first, '-', last, ']'};
    }
    if (rest > 0) {
      mid += " [0-9]";
      if (rest > 1) {
        mid += "{";
        mid += std::to_string(rest);
        mid += "}";
      }
    }
    alts.push_back(mid);
  }
  if (!high_alt.empty()) alts.push_back(high_alt);
  if (alts.size() == 1) return alts[0];
  std::string out = "(";
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
  return out + ")";
}

uint64_t pow10(size_t d) {
  uint64_t p = 1;
  for (size_t i = 0; i < d; ++i) p *= 10;
  return p;
}

}  // namespace

std::string nonneg_range_expr(uint64_t a, uint64_t b) {
  std::vector<std::string> alts;
  const size_t da = std::to_string(a).size(), db = std::to_string(b).size();
  for (size_t d = da; d <= db; ++d) {
    const uint64_t lo = std::max<uint64_t>(a, d == 1 ? 0 : pow10(d - 1));
    const uint64_t hi = std::min<uint64_t>(b, pow10(d) - 1);
    if (lo > hi) continue;
    alts.push_back(same_length_range(std::to_string(lo), std::to_string(hi)));
  }
  if (alts.size() == 1) return alts[0];
  std::string out = "(";
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
  return out + ")";
}

std::string int_range_expr(std::optional<int64_t> lo_opt, std::optional<int64_t> hi_opt) {
  const int64_t lo = std::max(lo_opt.value_or(-kMaxIntegerMagnitude), -kMaxIntegerMagnitude);
  const int64_t hi = std::min(hi_opt.value_or(kMaxIntegerMagnitude), kMaxIntegerMagnitude);
  std::vector<std::string> alts;
  if (lo < 0) {  // negatives: "-" then |n| in [max(1, -hi), -lo]
    const int64_t mag_lo = std::max<int64_t>(1, hi < 0 ? -hi : 1);
    if (mag_lo <= -lo) {
      alts.push_back("\"-\" " + nonneg_range_expr(static_cast<uint64_t>(mag_lo), static_cast<uint64_t>(-lo)));
    }
  }
  if (hi >= 0) alts.push_back(nonneg_range_expr(static_cast<uint64_t>(std::max<int64_t>(lo, 0)), static_cast<uint64_t>(hi)));
  if (alts.empty()) return "";
  if (alts.size() == 1) return alts[0];
  return "(" + alts[0] + " | " + alts[1] + ")";
}

}  // namespace plexus::sampling::grammar::schema

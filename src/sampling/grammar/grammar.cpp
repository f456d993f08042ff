#include "sampling/grammar/grammar.h"

#include <algorithm>
#include <cstdio>

#include "core/utf8.h"

namespace plexus::sampling::grammar {

bool Grammar::set_contains(uint32_t set, uint32_t cp) const {
  const CharSet& cs = charsets_[set];
  if (cp < 128) return (cs.ascii[cp >> 6] >> (cp & 63)) & 1;
  const CodeRange* begin = ranges_.data() + cs.first;
  const CodeRange* end = begin + cs.count;
  // First range whose hi >= cp.
  const CodeRange* it = std::lower_bound(begin, end, cp, [](const CodeRange& r, uint32_t v) { return r.hi < v; });
  return it != end && it->lo <= cp;
}

bool Grammar::set_intersects(uint32_t set, uint32_t lo, uint32_t hi) const {
  const CharSet& cs = charsets_[set];
  const CodeRange* begin = ranges_.data() + cs.first;
  const CodeRange* end = begin + cs.count;
  const CodeRange* it = std::lower_bound(begin, end, lo, [](const CodeRange& r, uint32_t v) { return r.hi < v; });
  return it != end && it->lo <= hi;
}

bool Grammar::set_covers(uint32_t set, uint32_t lo, uint32_t hi) const {
  // Ranges are disjoint and non-adjacent, so a covered interval lies inside a single range.
  const CharSet& cs = charsets_[set];
  const CodeRange* begin = ranges_.data() + cs.first;
  const CodeRange* end = begin + cs.count;
  const CodeRange* it = std::lower_bound(begin, end, lo, [](const CodeRange& r, uint32_t v) { return r.hi < v; });
  return it != end && it->lo <= lo && it->hi >= hi;
}

namespace {

void append_escaped(std::string& out, uint32_t cp, bool in_class) {
  char buf[16];
  switch (cp) {
    case '\n': out += "\\n"; return;
    case '\t': out += "\\t"; return;
    case '\r': out += "\\r"; return;
    case '\\': out += "\\\\"; return;
    case '"': out += "\\\""; return;
    default: break;
  }
  if (in_class && (cp == ']' || cp == '[' || cp == '-' || cp == '^')) {
    out.push_back('\\');
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x20 || cp == 0x7F) {
    std::snprintf(buf, sizeof buf, "\\x%02X", cp);
    out += buf;
  } else {
    utf8::append(out, cp);
  }
}

}  // namespace

std::string Grammar::to_gbnf() const {
  std::string out;
  for (const Rule& rule : rules_) {
    out += rule.name;
    out += " ::=";
    for (uint32_t a = 0; a < rule.n_alts; ++a) {
      if (a > 0) out += " |";
      // An empty alternative is spelled "" (a trailing '|' would continue on the next line).
      if (elements_[alt_starts_[rule.first_alt + a]].kind == elem_kind::end) out += " \"\"";
      for (uint32_t i = alt_starts_[rule.first_alt + a]; elements_[i].kind != elem_kind::end; ++i) {
        const Element& e = elements_[i];
        out.push_back(' ');
        if (e.kind == elem_kind::rule_ref) {
          out += rules_[e.value].name;
          continue;
        }
        const CharSet& cs = charsets_[e.value];
        const CodeRange* r = ranges_.data() + cs.first;
        if (cs.count == 1 && r->lo == r->hi) {
          out.push_back('"');
          append_escaped(out, r->lo, false);
          out.push_back('"');
          continue;
        }
        if (cs.count == 1 && r->lo == 0 && r->hi == utf8::kMaxCodePoint) {
          out.push_back('.');
          continue;
        }
        out.push_back('[');
        for (uint32_t k = 0; k < cs.count; ++k) {
          // Surrogates never match valid UTF-8 and cannot be written as escapes: trim them.
          const uint32_t lo = utf8::is_surrogate(r[k].lo) ? 0xE000 : r[k].lo;
          const uint32_t hi = utf8::is_surrogate(r[k].hi) ? 0xD7FF : r[k].hi;
          if (lo > hi) continue;
          append_escaped(out, lo, true);
          if (hi != lo) {
            out.push_back('-');
            append_escaped(out, hi, true);
          }
        }
        out.push_back(']');
      }
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace plexus::sampling::grammar

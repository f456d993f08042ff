// A compiled GBNF grammar (llama.cpp's dialect, see docs/GRAMMAR.md) in a compact flat form
// that the matcher walks with parse stacks.
//
// Layout: every rule is a list of alternatives; every alternative is a run of elements in
// `elements()` terminated by an `end` element. An element is either a character set (one code
// point from a set of ranges) or a reference to another rule. Groups `( )` and repetitions
// `* + ? {m,n}` are lowered into synthesized rules at parse time, so the matcher only knows
// "match one code point" and "call a rule". Character sets are normalized: negations are
// resolved, ranges are sorted, merged and disjoint.
//
// Invariants established by parse(): every referenced rule is defined; no rule can reach itself
// without consuming a code point (no left recursion, direct or indirect, also through nullable
// prefixes); element/rule counts are within GrammarLimits.
// Thread-safe: immutable after parse(); share one instance (shared_ptr<const Grammar>) between
// any number of matchers and threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace plexus::sampling::grammar {

// Caps that bound the work and memory of parsing untrusted grammar text. Exceeding one gives
// out_of_range naming the cap; malformed text gives invalid_argument with line:column.
struct GrammarLimits {
  size_t max_text_bytes = 1u << 20;   // GBNF source size
  uint32_t max_rules = 1u << 17;      // including rules synthesized for groups and repetitions
  uint32_t max_elements = 1u << 22;   // total elements after lowering repetitions
  uint32_t max_nesting = 256;         // depth of nested parentheses
  uint32_t max_repetition = 10000;    // largest m or n in x{m}, x{m,}, x{m,n}
};

enum class elem_kind : uint8_t {
  end,       // end of an alternative
  chars,     // value: index into charsets()
  rule_ref,  // value: rule id
};

struct Element {
  elem_kind kind = elem_kind::end;
  uint32_t value = 0;
};

struct CodeRange {
  uint32_t lo = 0;  // inclusive
  uint32_t hi = 0;  // inclusive
};

// A set of code points: ranges()[first, first + count), sorted, disjoint, non-adjacent.
struct CharSet {
  uint32_t first = 0;
  uint32_t count = 0;
  uint64_t ascii[2] = {0, 0};  // membership bitmap of code points 0..127 (fast path)
};

struct Rule {
  std::string name;        // as written, or "<owner>_<n>" for synthesized rules
  uint32_t first_alt = 0;  // alternatives: alt_starts()[first_alt, first_alt + n_alts)
  uint32_t n_alts = 0;
};

class Grammar {
 public:
  // Parses GBNF text; the start rule is `root` (or `start_rule`).
  static Result<std::shared_ptr<const Grammar>> parse(std::string_view text, const GrammarLimits& limits = {},
                                                      std::string_view start_rule = "root");

  uint32_t root() const { return root_; }
  std::span<const Rule> rules() const { return rules_; }
  std::span<const Element> elements() const { return elements_; }
  std::span<const uint32_t> alt_starts() const { return alt_starts_; }  // element index of each alternative
  std::span<const CharSet> charsets() const { return charsets_; }
  std::span<const CodeRange> ranges() const { return ranges_; }

  // Does charset `set` contain `cp`?
  bool set_contains(uint32_t set, uint32_t cp) const;
  // Does the set contain any code point in [lo, hi]? (used for partial UTF-8 sequences)
  bool set_intersects(uint32_t set, uint32_t lo, uint32_t hi) const;
  // Does the set contain every code point in [lo, hi]?
  bool set_covers(uint32_t set, uint32_t lo, uint32_t hi) const;

  // GBNF text equivalent to the compiled form (synthesized rules spelled out); for debugging.
  std::string to_gbnf() const;

 private:
  friend class GrammarBuilder;
  Grammar() = default;

  uint32_t root_ = 0;
  std::vector<Rule> rules_;
  std::vector<Element> elements_;
  std::vector<uint32_t> alt_starts_;
  std::vector<CharSet> charsets_;
  std::vector<CodeRange> ranges_;
};

}  // namespace plexus::sampling::grammar

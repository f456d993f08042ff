// Assembles a Grammar: rule table, interned character sets, lowering of repetitions into
// synthesized rules, and the load-time checks (undefined rules, left recursion, limits).
// Used by the GBNF parser; internal to the grammar engine.
// Not thread-safe: one builder per parse.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "sampling/grammar/grammar.h"

namespace plexus::sampling::grammar {

inline constexpr uint32_t kUnbounded = UINT32_MAX;

class GrammarBuilder {
 public:
  explicit GrammarBuilder(const GrammarLimits& limits) : limits_(limits) {}

  // Id of the rule named `name`, created undefined on first mention at byte `use_offset` of
  // the text (for the undefined-rule error).
  Result<uint32_t> rule_id(std::string_view name, size_t use_offset);
  // The first rule referenced but never defined: {name, offset of its first use}.
  bool first_undefined(std::string* name, size_t* use_offset) const;
  // A fresh rule for a group or repetition inside rule `owner`, named "<owner>_<n>".
  Result<uint32_t> synth_rule(uint32_t owner);
  bool is_defined(uint32_t rule) const { return rules_[rule].defined; }
  const std::string& name(uint32_t rule) const { return rules_[rule].name; }
  // Sets a rule's body: alternatives, each terminated by an end element.
  Status define(uint32_t rule, std::vector<Element> body);

  // Interned set of code points; `negated` complements it within [0, U+10FFFF].
  // Ranges may be unsorted and overlapping; each must have lo <= hi.
  Result<Element> chars(std::vector<CodeRange> ranges, bool negated);
  Result<Element> single_char(uint32_t cp) { return chars({{cp, cp}}, false); }

  // Fails when `pending` more elements would pass max_elements.
  Status check_budget(size_t pending) const;

  // Replaces seq[sym_start..] (the repeated symbol X) with X{min,max}; max == kUnbounded
  // means no upper bound. Lowering: min copies of X, then `r ::= X r |` for an unbounded tail,
  // or a chain of (max - min) nested optional rules `o_k ::= X o_(k-1) |` for a bounded one.
  Status repeat(uint32_t owner, std::vector<Element>& seq, size_t sym_start, uint32_t min, uint32_t max);

  // Checks and flattens into the immutable form.
  Result<std::shared_ptr<const Grammar>> finish(std::string_view start_rule);

 private:
  struct PendingRule {
    std::string name;
    std::vector<Element> body;
    bool defined = false;
    uint32_t owner = 0;       // the user-written rule this one was synthesized for (itself if user-written)
    uint32_t n_synth = 0;     // synthesized children so far (for naming)
    size_t first_use = 0;     // byte offset of the first reference
  };

  Status check_left_recursion(const std::vector<bool>& nullable) const;
  std::vector<bool> compute_nullable() const;

  GrammarLimits limits_;
  std::vector<PendingRule> rules_;
  std::unordered_map<std::string, uint32_t> by_name_;
  size_t n_elements_ = 0;  // in defined bodies
  std::vector<CharSet> charsets_;
  std::vector<CodeRange> ranges_;
  std::map<std::vector<uint64_t>, uint32_t> charset_index_;  // packed ranges -> charset id
};

}  // namespace plexus::sampling::grammar

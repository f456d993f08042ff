// Pieces of GBNF text used by the JSON Schema compiler (internal to the grammar engine).
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sampling/grammar/grammar.h"

namespace plexus::sampling::grammar::schema {

// Largest magnitude an unbounded integer may reach: 16 digits (exact in int64 and in double
// up to 2^53 for the 15-digit part that matters to most clients).
inline constexpr int64_t kMaxIntegerMagnitude = 9999999999999999;

// `bytes` (valid UTF-8) as a GBNF literal: "...", escaping '"', '\' and control characters.
std::string gbnf_literal(std::string_view bytes);

// A GBNF class [..] for `ranges` (sorted, disjoint); every non-alphanumeric code point is
// escaped, surrogates are trimmed. Empty ranges give "" (matches nothing useful: callers avoid it).
std::string gbnf_class(const std::vector<CodeRange>& ranges);

// Sorts and merges ranges; `negate` complements within [0, U+10FFFF].
std::vector<CodeRange> normalize_ranges(std::vector<CodeRange> ranges, bool negate);

// GBNF expression matching the JSON string encoding of one code point from `set` (sorted,
// disjoint): plain characters as themselves, '"' and '\' as \" and \\, control characters as
// \n-style or \u00XX escapes. Empty when the set is empty.
std::string json_char_expr(const std::vector<CodeRange>& set);

// GBNF expression for decimal integers n with lo <= n <= hi (absent bound = up to 16 digits),
// no leading zeros, no "-0". Requires lo <= hi when both are present.
std::string int_range_expr(std::optional<int64_t> lo, std::optional<int64_t> hi);

// GBNF expression for non-negative integers in [a, b] (a <= b).
std::string nonneg_range_expr(uint64_t a, uint64_t b);

// A JSON Schema `pattern` (ECMAScript subset, see docs/GRAMMAR.md) as a GBNF expression for
// the *JSON-encoded* content of a matching string (without the quotes). `any_char_rule` names a
// rule for one JSON string character, used for unanchored starts/ends. unsupported for
// constructs outside the subset (lookaround, backreferences, \b, flags), out_of_range past
// `max_repetition` or 64 levels of nesting.
Result<std::string> regex_to_gbnf(std::string_view pattern, std::string_view any_char_rule, uint32_t max_repetition);

}  // namespace plexus::sampling::grammar::schema

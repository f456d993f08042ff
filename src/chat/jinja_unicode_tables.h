// Unicode property tables generated from CPython's unicodedata (see gen_jinja_unicode.py).
// Thread-safe: constant data.
#pragma once

#include <cstddef>
#include <cstdint>

namespace plexus::chat::jinja::unicode_tables {

struct code_range {
  uint32_t first;
  uint32_t last;  // inclusive
};

// Code points first, first+stride, ..., last map to cp + delta.
struct case_run {
  uint32_t first;
  uint32_t last;
  int32_t delta;
  uint32_t stride;
};

// A mapping to several code points (e.g. U+00DF -> "SS"); unused slots are 0.
struct case_special {
  uint32_t cp;
  uint32_t to[3];
};

extern const code_range printable[];
extern const size_t printable_size;
extern const code_range alpha[];
extern const size_t alpha_size;
extern const code_range decimal[];
extern const size_t decimal_size;
extern const code_range digit[];
extern const size_t digit_size;
extern const code_range numeric[];
extern const size_t numeric_size;
extern const code_range lower_char[];
extern const size_t lower_char_size;
extern const code_range upper_char[];
extern const size_t upper_char_size;
extern const code_range title_char[];
extern const size_t title_char_size;
extern const code_range case_ignorable[];
extern const size_t case_ignorable_size;

extern const case_run upper_runs[];
extern const size_t upper_runs_size;
extern const case_special upper_special[];
extern const size_t upper_special_size;
extern const case_run lower_runs[];
extern const size_t lower_runs_size;
extern const case_special lower_special[];
extern const size_t lower_special_size;
extern const case_run title_runs[];
extern const size_t title_runs_size;
extern const case_special title_special[];
extern const size_t title_special_size;

}  // namespace plexus::chat::jinja::unicode_tables

// Helpers shared by the builtin filters, tests, methods and globals.
// Thread-safe: stateless functions.
#pragma once

#include <string>
#include <string_view>

#include "chat/jinja_evaluator.h"

namespace plexus::chat::jinja {

// Python str(v) bounded by max_value_bytes (undefined -> "").
std::string text_of(evaluator& ev, const value& v);
// `v` lowercased when it is a string (jinja2's ignore_case postprocessor).
value ignore_case(evaluator& ev, const value& v);
// An int (or bool) argument; throws type_error naming `what` otherwise.
int64_t int_arg(const value& v, const char* what);
// Optional int argument: `fallback` when absent or none.
int64_t int_arg_or(const arg_reader& r, size_t i, int64_t fallback, const char* what);
// Raises the sandbox's SecurityError for a mutating method.
[[noreturn]] void unsafe_method(const value& self, std::string_view name);

filter_fn find_sequence_filter(std::string_view name);

}  // namespace plexus::chat::jinja

// Jinja parser: token stream -> template_ast, following jinja2's grammar and operator
// precedence (filters bind tighter than arithmetic, `not` looser than comparisons, `**` left
// associative, unary minus tighter than `**`).
// Thread-safe: pure function.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "chat/jinja_ast.h"
#include "chat/jinja_lexer.h"

namespace plexus::chat::jinja {

struct parse_options {
  // Deepest nesting of blocks, brackets and operator chains; bounds the parser's recursion and
  // the depth of the tree (<= 2x this) so that hostile templates fail cleanly.
  uint32_t max_nesting_depth = 256;
};

// Throws syntax_error.
std::unique_ptr<template_ast> parse_template(std::string_view source, const parse_options& options = {});

}  // namespace plexus::chat::jinja

// The parser's class, shared by jinja_parser.cpp (statements) and jinja_parser_expr.cpp
// (expressions). Internal to src/chat.
// Not thread-safe: one parser per parse_template call.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "chat/jinja_parser.h"

namespace plexus::chat::jinja {

const char* describe(token_type t);

// Recursive-descent parser over the token stream; see jinja_parser.h for the grammar notes.
class parser {
 public:
  parser(std::vector<token> tokens, const parse_options& options) : toks_(std::move(tokens)), opt_(options) {}

  std::unique_ptr<template_ast> run() {
    auto ast = std::make_unique<template_ast>();
    ast->body = subparse({});
    if (cur().type != token_type::eof) fail("unexpected '" + cur().text + "'");
    return ast;
  }

 private:
  // RAII nesting counter.
  class nest {
   public:
    explicit nest(parser& p, uint32_t amount = 1) : p_(p), amount_(amount) { p_.enter(amount_); }
    ~nest() { p_.depth_ -= amount_; }
    nest(const nest&) = delete;
    nest& operator=(const nest&) = delete;

   private:
    parser& p_;
    uint32_t amount_;
  };

  // Scope-creating statements being parsed; a macro or call block marks them all, since its
  // closure keeps their scopes alive.
  class closure_region {
   public:
    closure_region(parser& p, bool* flag) : p_(p) { p_.regions_.push_back(flag); }
    ~closure_region() { p_.regions_.pop_back(); }
    closure_region(const closure_region&) = delete;
    closure_region& operator=(const closure_region&) = delete;

   private:
    parser& p_;
  };
  void mark_closure() {
    for (bool* flag : regions_) *flag = true;
  }

  void enter(uint32_t amount) {
    depth_ += amount;
    if (depth_ > opt_.max_nesting_depth) {
      fail("template nesting deeper than " + std::to_string(opt_.max_nesting_depth) + " levels (max_nesting_depth)");
    }
  }

  // ---- token helpers
  const token& cur() const { return toks_[pos_]; }
  const token& look() const { return toks_[pos_ + 1 < toks_.size() ? pos_ + 1 : pos_]; }
  void next() {
    if (pos_ + 1 < toks_.size()) ++pos_;
  }
  bool is_op(std::string_view op) const { return cur().type == token_type::op && cur().text == op; }
  bool is_name(std::string_view n) const { return cur().type == token_type::name && cur().text == n; }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(std::string_view n) {
    if (!is_name(n)) return false;
    next();
    return true;
  }
  [[noreturn]] void fail(const std::string& message) const { throw syntax_error(cur().line, message); }
  std::string shown(const token& t) const {
    if (t.type == token_type::name || t.type == token_type::op || t.type == token_type::integer ||
        t.type == token_type::floating) {
      return "'" + t.text + "'";
    }
    return describe(t.type);
  }
  void expect_op(std::string_view op) {
    if (!skip_op(op)) fail("expected token '" + std::string(op) + "', got " + shown(cur()));
  }
  void expect_name(std::string_view n) {
    if (!skip_name(n)) fail("expected token '" + std::string(n) + "', got " + shown(cur()));
  }
  std::string expect_identifier() {
    if (cur().type != token_type::name) fail("expected token 'name', got " + shown(cur()));
    std::string n = cur().text;
    next();
    return n;
  }
  void expect_block_end() {
    if (cur().type != token_type::block_end) fail("expected token 'end of statement block', got " + shown(cur()));
    next();
  }

  // ---- statements

  // Parses until a {% name %} with name in `end_names`; stops with cur() at that name.
  node_list subparse(std::initializer_list<std::string_view> end_names);

  // After subparse stopped at `name`: consumes it and the block end.
  void end_block(std::string_view name) {
    expect_name(name);
    expect_block_end();
  }

  node_ptr parse_statement();
  node_ptr parse_if(uint32_t line);
  node_ptr parse_for(uint32_t line);
  node_ptr parse_set(uint32_t line);
  void parse_signature(macro_def& def);
  void parse_macro_body(macro_def& def, std::string_view end);
  node_ptr parse_macro(uint32_t line);
  node_ptr parse_call_block(uint32_t line);
  node_ptr parse_filter_block(uint32_t line);
  node_ptr parse_with(uint32_t line);

  // name | ns.attr (with_namespace) | name, name, ... | (name, name)
  assign_target parse_assign_target(bool with_namespace, std::initializer_list<std::string_view> extra_end);

  // ---- expressions

  bool is_tuple_end(std::initializer_list<std::string_view> extra_end) const;

  // jinja2's parse_tuple: an expression, or a tuple when commas follow.
  node_ptr parse_tuple(bool simplified, bool with_condexpr, std::initializer_list<std::string_view> extra_end,
                       bool explicit_parentheses);
  node_ptr parse_expression(bool with_condexpr);
  node_ptr parse_condexpr();

  template <typename Sub, typename Match, typename Build>
  node_ptr parse_left_chain(Sub sub, Match match, Build build) {
    node_ptr left = (this->*sub)();
    uint32_t chain = 0;
    while (true) {
      const int op = match();
      if (op < 0) break;
      enter(1);
      ++chain;
      const uint32_t line = cur().line;
      next();
      node_ptr right = (this->*sub)();
      left = build(line, op, std::move(left), std::move(right));
    }
    depth_ -= chain;
    return left;
  }

  static node_ptr make_binary(uint32_t line, int op, node_ptr a, node_ptr b);
  node_ptr parse_or();
  node_ptr parse_and();
  node_ptr parse_not();
  node_ptr parse_compare();
  node_ptr parse_math1();
  node_ptr parse_concat();
  node_ptr parse_math2();
  node_ptr parse_pow();

  node_ptr parse_unary_filtered() { return parse_unary(true); }

  node_ptr parse_unary(bool with_filter);
  node_ptr parse_primary();
  node_ptr parse_list();
  node_ptr parse_dict();
  node_ptr parse_postfix(node_ptr n, uint32_t& chain);
  node_ptr parse_filter_expr(node_ptr n, uint32_t& chain);
  node_ptr parse_subscript(node_ptr n);
  node_ptr parse_subscribed();
  void parse_call_args(call_arguments& out);
  node_ptr parse_call(node_ptr callee);
  std::string parse_dotted_name();

  // `|name(args)|name2 ...`; start_inline: the first filter has no leading '|'.
  node_ptr parse_filter(node_ptr n, bool start_inline);
  node_ptr parse_test(node_ptr n);

  std::vector<token> toks_;
  const parse_options& opt_;
  size_t pos_ = 0;
  uint32_t depth_ = 0;
  int loop_depth_ = 0;
  std::vector<macro_def*> macro_stack_;
  std::vector<bool*> regions_;
};

}  // namespace plexus::chat::jinja

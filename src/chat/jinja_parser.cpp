#include "chat/jinja_parser.h"
#include "chat/jinja_parser_impl.h"

#include <initializer_list>
#include <string>

namespace plexus::chat::jinja {

const char* describe(token_type t) {
  switch (t) {
    case token_type::text: return "template data";
    case token_type::var_begin: return "begin of print statement";
    case token_type::var_end: return "end of print statement";
    case token_type::block_begin: return "begin of statement block";
    case token_type::block_end: return "end of statement block";
    case token_type::name: return "name";
    case token_type::string: return "string";
    case token_type::integer: return "integer";
    case token_type::floating: return "float";
    case token_type::op: return "operator";
    case token_type::eof: return "end of template";
  }
  return "token";
}

node_list parser::subparse(std::initializer_list<std::string_view> end_names) {
  node_list body;
  while (true) {
    const token& t = cur();
    switch (t.type) {
      case token_type::eof:
        if (end_names.size() != 0) {
          fail("Unexpected end of template. Jinja was looking for the following tags: '" + std::string(*end_names.begin()) +
               "'.");
        }
        return body;
      case token_type::text:
        body.push_back(std::make_unique<text_node>(t.line, t.text));
        next();
        break;
      case token_type::var_begin: {
        const uint32_t line = t.line;
        next();
        node_ptr e = parse_tuple(false, true, {}, false);
        if (cur().type != token_type::var_end) fail("expected token 'end of print statement', got " + shown(cur()));
        next();
        body.push_back(std::make_unique<output_node>(line, std::move(e)));
        break;
      }
      case token_type::block_begin: {
        next();
        if (cur().type == token_type::name) {
          for (std::string_view end : end_names) {
            if (cur().text == end) return body;
          }
        }
        body.push_back(parse_statement());
        break;
      }
      default: fail("unexpected " + shown(t));
    }
  }
}

node_ptr parser::parse_statement() {
  nest guard(*this);
  if (cur().type != token_type::name) fail("tag name expected");
  const std::string tag = cur().text;
  const uint32_t line = cur().line;
  next();
  if (tag == "if") return parse_if(line);
  if (tag == "for") return parse_for(line);
  if (tag == "set") return parse_set(line);
  if (tag == "macro") return parse_macro(line);
  if (tag == "call") return parse_call_block(line);
  if (tag == "filter") return parse_filter_block(line);
  if (tag == "with") return parse_with(line);
  if (tag == "print") {
    node_ptr e = parse_tuple(false, true, {}, false);
    expect_block_end();
    return std::make_unique<output_node>(line, std::move(e));
  }
  if (tag == "break" || tag == "continue") {
    if (loop_depth_ == 0) fail("'" + tag + "' outside of a loop");
    expect_block_end();
    return std::make_unique<simple_node>(tag == "break" ? node_kind::break_stmt : node_kind::continue_stmt, line);
  }
  if (tag == "block" || tag == "generation") {
    auto n = std::make_unique<scope_node>(line);
    if (tag == "block") {
      expect_identifier();
      while (skip_name("scoped") || skip_name("required")) {
      }
    }
    expect_block_end();
    const std::string end = "end" + tag;
    const int saved_loop = loop_depth_;
    loop_depth_ = 0;  // blocks and generation bodies are functions in jinja2
    closure_region region(*this, &n->has_closures);
    n->body = subparse({end});
    loop_depth_ = saved_loop;
    expect_name(end);
    if (tag == "block" && cur().type == token_type::name) next();
    expect_block_end();
    return n;
  }
  if (tag == "extends" || tag == "include" || tag == "import" || tag == "from" || tag == "autoescape") {
    fail("unsupported tag '" + tag + "' (templates are rendered standalone)");
  }
  fail("Encountered unknown tag '" + tag + "'.");
}

node_ptr parser::parse_if(uint32_t line) {
  auto n = std::make_unique<if_node>(line);
  node_ptr test = parse_tuple(false, false, {}, false);
  expect_block_end();
  while (true) {
    node_list body = subparse({"elif", "else", "endif"});
    n->branches.emplace_back(std::move(test), std::move(body));
    if (skip_name("elif")) {
      test = parse_tuple(false, false, {}, false);
      expect_block_end();
      continue;
    }
    if (skip_name("else")) {
      expect_block_end();
      n->else_body = subparse({"endif"});
    }
    end_block("endif");
    return n;
  }
}

node_ptr parser::parse_for(uint32_t line) {
  auto n = std::make_unique<for_node>(line);
  n->target = parse_assign_target(false, {"in"});
  expect_name("in");
  n->iter = parse_tuple(false, false, {"recursive"}, false);
  if (skip_name("if")) n->filter = parse_expression(true);
  n->recursive = skip_name("recursive");
  expect_block_end();
  closure_region region(*this, &n->has_closures);
  ++loop_depth_;
  n->body = subparse({"endfor", "else"});
  --loop_depth_;
  if (skip_name("else")) {
    expect_block_end();
    n->else_body = subparse({"endfor"});
  }
  end_block("endfor");
  return n;
}

node_ptr parser::parse_set(uint32_t line) {
  assign_target target = parse_assign_target(true, {});
  if (skip_op("=")) {
    auto n = std::make_unique<set_node>(line);
    n->target = std::move(target);
    n->expr = parse_tuple(false, true, {}, false);
    expect_block_end();
    return n;
  }
  auto n = std::make_unique<set_block_node>(line);
  n->target = std::move(target);
  if (is_op("|")) n->filter = parse_filter(nullptr, false);
  expect_block_end();
  closure_region region(*this, &n->has_closures);
  n->body = subparse({"endset"});
  end_block("endset");
  return n;
}

void parser::parse_signature(macro_def& def) {
  expect_op("(");
  while (!is_op(")")) {
    if (!def.params.empty()) expect_op(",");
    def.params.emplace_back(expect_identifier());
    if (skip_op("=")) {
      def.defaults.push_back(parse_expression(true));
    } else if (!def.defaults.empty()) {
      fail("non-default argument follows default argument");
    }
  }
  expect_op(")");
}

void parser::parse_macro_body(macro_def& def, std::string_view end) {
  mark_closure();
  closure_region region(*this, &def.has_closures);
  macro_stack_.push_back(&def);
  const int saved_loop = loop_depth_;
  loop_depth_ = 0;
  def.body = subparse({end});
  loop_depth_ = saved_loop;
  macro_stack_.pop_back();
  end_block(end);
}

node_ptr parser::parse_macro(uint32_t line) {
  auto n = std::make_unique<macro_node>(line);
  n->def.name = expect_identifier();
  parse_signature(n->def);
  expect_block_end();
  parse_macro_body(n->def, "endmacro");
  return n;
}

node_ptr parser::parse_call_block(uint32_t line) {
  auto n = std::make_unique<call_block_node>(line);
  n->caller.name = "caller";
  if (is_op("(")) parse_signature(n->caller);
  n->call = parse_expression(true);
  if (n->call->kind != node_kind::call) fail("expected call");
  expect_block_end();
  parse_macro_body(n->caller, "endcall");
  return n;
}

node_ptr parser::parse_filter_block(uint32_t line) {
  auto n = std::make_unique<filter_block_node>(line);
  n->filter = parse_filter(nullptr, true);
  expect_block_end();
  closure_region region(*this, &n->has_closures);
  n->body = subparse({"endfilter"});
  end_block("endfilter");
  return n;
}

node_ptr parser::parse_with(uint32_t line) {
  auto n = std::make_unique<with_node>(line);
  while (cur().type != token_type::block_end) {
    if (!n->assignments.empty()) expect_op(",");
    assign_target target = parse_assign_target(false, {});
    expect_op("=");
    n->assignments.emplace_back(std::move(target), parse_expression(true));
  }
  expect_block_end();
  closure_region region(*this, &n->has_closures);
  n->body = subparse({"endwith"});
  end_block("endwith");
  return n;
}

assign_target parser::parse_assign_target(bool with_namespace, std::initializer_list<std::string_view> extra_end) {
  assign_target target;
  if (with_namespace && cur().type == token_type::name && look().type == token_type::op && look().text == ".") {
    target.names.emplace_back(expect_identifier());
    next();
    target.attr = expect_identifier();
    return target;
  }
  const bool paren = skip_op("(");
  while (true) {
    if (!target.names.empty()) {
      if (!skip_op(",")) break;
      target.is_tuple = true;
      if (paren ? is_op(")") : is_tuple_end(extra_end)) break;
    }
    if (cur().type != token_type::name) fail("can't assign to " + shown(cur()));
    target.names.emplace_back(expect_identifier());
  }
  if (paren) {
    expect_op(")");
    target.is_tuple = true;
  }
  return target;
}

std::unique_ptr<template_ast> parse_template(std::string_view source, const parse_options& options) {
  parser p(tokenize(source), options);
  return p.run();
}

}  // namespace plexus::chat::jinja

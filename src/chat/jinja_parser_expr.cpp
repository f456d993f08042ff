// Expression parsing: jinja2's precedence climbing from conditional expressions down to
// primaries, postfix subscripts/calls, filters and tests.
#include "chat/jinja_parser_impl.h"

namespace plexus::chat::jinja {

node_ptr parser::parse_tuple(bool simplified, bool with_condexpr, std::initializer_list<std::string_view> extra_end,
                             bool explicit_parentheses) {
  const uint32_t line = cur().line;
  node_list items;
  bool is_tuple = false;
  while (true) {
    if (!items.empty()) expect_op(",");
    if (is_tuple_end(extra_end)) break;
    items.push_back(simplified ? parse_primary() : parse_expression(with_condexpr));
    if (is_op(",")) {
      is_tuple = true;
    } else {
      break;
    }
  }
  if (!is_tuple) {
    if (!items.empty()) return std::move(items[0]);
    if (!explicit_parentheses) fail("Expected an expression, got " + shown(cur()));
  }
  auto n = std::make_unique<list_node>(node_kind::tuple, line);
  n->items = std::move(items);
  return n;
}

bool parser::is_tuple_end(std::initializer_list<std::string_view> extra_end) const {
  const token& t = cur();
  if (t.type == token_type::var_end || t.type == token_type::block_end || t.type == token_type::eof) return true;
  if (t.type == token_type::op && t.text == ")") return true;
  if (t.type == token_type::name) {
    for (std::string_view e : extra_end) {
      if (t.text == e) return true;
    }
  }
  return false;
}

node_ptr parser::parse_expression(bool with_condexpr) {
  nest guard(*this);
  return with_condexpr ? parse_condexpr() : parse_or();
}

node_ptr parser::parse_condexpr() {
  const uint32_t line = cur().line;
  node_ptr expr1 = parse_or();
  uint32_t chain = 0;
  while (skip_name("if")) {
    enter(1);
    ++chain;
    node_ptr expr2 = parse_or();
    node_ptr expr3;
    if (skip_name("else")) expr3 = parse_condexpr();
    expr1 = std::make_unique<cond_node>(line, std::move(expr2), std::move(expr1), std::move(expr3));
  }
  depth_ -= chain;
  return expr1;
}

node_ptr parser::make_binary(uint32_t line, int op, node_ptr a, node_ptr b) {
  return std::make_unique<binary_node>(line, static_cast<binary_op>(op), std::move(a), std::move(b));
}

node_ptr parser::parse_or() {
  return parse_left_chain(&parser::parse_and, [this] { return is_name("or") ? int(binary_op::logical_or) : -1; }, make_binary);
}

node_ptr parser::parse_and() {
  return parse_left_chain(&parser::parse_not, [this] { return is_name("and") ? int(binary_op::logical_and) : -1; },
                          make_binary);
}

node_ptr parser::parse_not() {
  if (is_name("not")) {
    nest guard(*this);
    const uint32_t line = cur().line;
    next();
    return std::make_unique<unary_node>(line, unary_op::logical_not, parse_not());
  }
  return parse_compare();
}

node_ptr parser::parse_compare() {
  const uint32_t line = cur().line;
  node_ptr first = parse_math1();
  std::unique_ptr<compare_node> cmp;
  uint32_t chain = 0;
  while (true) {
    compare_op op;
    const token& t = cur();
    if (t.type == token_type::op && (t.text == "==" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" ||
                                     t.text == ">=")) {
      op = t.text == "==" ? compare_op::eq : t.text == "!=" ? compare_op::ne : t.text == "<" ? compare_op::lt
           : t.text == "<=" ? compare_op::le : t.text == ">" ? compare_op::gt : compare_op::ge;
      next();
    } else if (is_name("in")) {
      op = compare_op::in;
      next();
    } else if (is_name("not") && look().type == token_type::name && look().text == "in") {
      op = compare_op::not_in;
      next();
      next();
    } else {
      break;
    }
    enter(1);
    ++chain;
    if (!cmp) cmp = std::make_unique<compare_node>(line, std::move(first));
    cmp->rest.emplace_back(op, parse_math1());
  }
  depth_ -= chain;
  if (cmp) return cmp;
  return first;
}

node_ptr parser::parse_math1() {
  return parse_left_chain(
      &parser::parse_concat,
      [this] { return is_op("+") ? int(binary_op::add) : is_op("-") ? int(binary_op::sub) : -1; }, make_binary);
}

node_ptr parser::parse_concat() {
  const uint32_t line = cur().line;
  node_ptr first = parse_math2();
  if (!is_op("~")) return first;
  auto n = std::make_unique<concat_node>(line);
  n->parts.push_back(std::move(first));
  uint32_t chain = 0;
  while (skip_op("~")) {
    enter(1);
    ++chain;
    n->parts.push_back(parse_math2());
  }
  depth_ -= chain;
  return n;
}

node_ptr parser::parse_math2() {
  return parse_left_chain(
      &parser::parse_pow,
      [this] {
        return is_op("*") ? int(binary_op::mul) : is_op("/") ? int(binary_op::div)
               : is_op("//") ? int(binary_op::floordiv) : is_op("%") ? int(binary_op::mod) : -1;
      },
      make_binary);
}

node_ptr parser::parse_pow() {
  return parse_left_chain(&parser::parse_unary_filtered, [this] { return is_op("**") ? int(binary_op::pow) : -1; },
                          make_binary);
}

node_ptr parser::parse_unary(bool with_filter) {
  nest guard(*this);
  const uint32_t line = cur().line;
  node_ptr n;
  if (is_op("-")) {
    next();
    n = std::make_unique<unary_node>(line, unary_op::neg, parse_unary(false));
  } else if (is_op("+")) {
    next();
    n = std::make_unique<unary_node>(line, unary_op::pos, parse_unary(false));
  } else {
    n = parse_primary();
  }
  uint32_t chain = 0;
  n = parse_postfix(std::move(n), chain);
  if (with_filter) n = parse_filter_expr(std::move(n), chain);
  depth_ -= chain;
  return n;
}

node_ptr parser::parse_primary() {
  const token& t = cur();
  const uint32_t line = t.line;
  switch (t.type) {
    case token_type::name: {
      node_ptr n;
      if (t.text == "true" || t.text == "True") {
        n = std::make_unique<literal_node>(line, value::boolean(true));
      } else if (t.text == "false" || t.text == "False") {
        n = std::make_unique<literal_node>(line, value::boolean(false));
      } else if (t.text == "none" || t.text == "None") {
        n = std::make_unique<literal_node>(line, value::none());
      } else {
        if (t.text == "caller" || t.text == "varargs" || t.text == "kwargs") {
          for (macro_def* def : macro_stack_) {
            (t.text == "caller" ? def->uses_caller : t.text == "varargs" ? def->uses_varargs : def->uses_kwargs) = true;
          }
        }
        n = std::make_unique<name_node>(line, t.text);
      }
      next();
      return n;
    }
    case token_type::string: {
      std::string s = t.text;
      next();
      while (cur().type == token_type::string) {
        s += cur().text;
        next();
      }
      return std::make_unique<literal_node>(line, std::move(s));
    }
    case token_type::integer: {
      auto n = std::make_unique<literal_node>(line, value::integer(t.int_value));
      next();
      return n;
    }
    case token_type::floating: {
      auto n = std::make_unique<literal_node>(line, value::floating(t.float_value));
      next();
      return n;
    }
    case token_type::op:
      if (t.text == "(") {
        next();
        node_ptr n = parse_tuple(false, true, {}, true);
        expect_op(")");
        return n;
      }
      if (t.text == "[") return parse_list();
      if (t.text == "{") return parse_dict();
      break;
    default: break;
  }
  fail("unexpected " + shown(t));
}

node_ptr parser::parse_list() {
  auto n = std::make_unique<list_node>(node_kind::list, cur().line);
  expect_op("[");
  while (!is_op("]")) {
    if (!n->items.empty()) expect_op(",");
    if (is_op("]")) break;
    n->items.push_back(parse_expression(true));
  }
  expect_op("]");
  return n;
}

node_ptr parser::parse_dict() {
  auto n = std::make_unique<dict_node>(cur().line);
  expect_op("{");
  while (!is_op("}")) {
    if (!n->items.empty()) expect_op(",");
    if (is_op("}")) break;
    node_ptr key = parse_expression(true);
    expect_op(":");
    n->items.emplace_back(std::move(key), parse_expression(true));
  }
  expect_op("}");
  return n;
}

node_ptr parser::parse_postfix(node_ptr n, uint32_t& chain) {
  while (true) {
    if (is_op(".") || is_op("[")) {
      n = parse_subscript(std::move(n));
    } else if (is_op("(")) {
      n = parse_call(std::move(n));
    } else {
      return n;
    }
    enter(1);
    ++chain;
  }
}

node_ptr parser::parse_filter_expr(node_ptr n, uint32_t& chain) {
  while (true) {
    if (is_op("|")) {
      n = parse_filter(std::move(n), false);
    } else if (is_name("is")) {
      n = parse_test(std::move(n));
    } else if (is_op("(")) {
      n = parse_call(std::move(n));
    } else {
      return n;
    }
    enter(1);
    ++chain;
  }
}

node_ptr parser::parse_subscript(node_ptr n) {
  const uint32_t line = cur().line;
  if (skip_op(".")) {
    if (cur().type == token_type::name) {
      std::string attr = cur().text;
      next();
      return std::make_unique<getattr_node>(line, std::move(n), std::move(attr));
    }
    if (cur().type == token_type::integer) {
      auto idx = std::make_unique<literal_node>(line, value::integer(cur().int_value));
      next();
      return std::make_unique<getitem_node>(line, std::move(n), std::move(idx));
    }
    fail("expected name or number");
  }
  expect_op("[");
  node_list args;
  while (!is_op("]")) {
    if (!args.empty()) {
      expect_op(",");
      if (is_op("]")) break;
    }
    args.push_back(parse_subscribed());
  }
  expect_op("]");
  if (args.empty()) fail("expected subscript expression");
  node_ptr index;
  if (args.size() == 1) {
    index = std::move(args[0]);
  } else {
    auto t = std::make_unique<list_node>(node_kind::tuple, line);
    t->items = std::move(args);
    index = std::move(t);
  }
  return std::make_unique<getitem_node>(line, std::move(n), std::move(index));
}

node_ptr parser::parse_subscribed() {
  const uint32_t line = cur().line;
  auto s = std::make_unique<slice_node>(line);
  if (!is_op(":")) {
    node_ptr e = parse_expression(true);
    if (!is_op(":")) return e;
    s->start = std::move(e);
  }
  next();  // ':'
  if (!is_op(":") && !is_op("]") && !is_op(",")) s->stop = parse_expression(true);
  if (skip_op(":")) {
    if (!is_op("]") && !is_op(",")) s->step = parse_expression(true);
  }
  return s;
}

void parser::parse_call_args(call_arguments& out) {
  expect_op("(");
  bool require_comma = false;
  while (!is_op(")")) {
    if (require_comma) {
      expect_op(",");
      if (is_op(")")) break;
    }
    if (skip_op("*")) {
      out.dyn_args = parse_expression(true);
    } else if (skip_op("**")) {
      out.dyn_kwargs = parse_expression(true);
    } else if (cur().type == token_type::name && look().type == token_type::op && look().text == "=") {
      std::string key = cur().text;
      next();
      next();
      out.kwargs.emplace_back(std::move(key), parse_expression(true));
    } else {
      if (!out.kwargs.empty() || out.dyn_args || out.dyn_kwargs) fail("positional argument follows keyword argument");
      out.args.push_back(parse_expression(true));
    }
    require_comma = true;
  }
  expect_op(")");
}

node_ptr parser::parse_call(node_ptr callee) {
  auto n = std::make_unique<call_node>(cur().line, std::move(callee));
  parse_call_args(n->args);
  return n;
}

std::string parser::parse_dotted_name() {
  std::string name = expect_identifier();
  while (skip_op(".")) name += "." + expect_identifier();
  return name;
}

node_ptr parser::parse_filter(node_ptr n, bool start_inline) {
  uint32_t chain = 0;
  while (is_op("|") || start_inline) {
    if (!start_inline) next();
    start_inline = false;
    const uint32_t line = cur().line;
    auto f = std::make_unique<filter_node>(line, std::move(n), parse_dotted_name());
    if (is_op("(")) parse_call_args(f->args);
    n = std::move(f);
    enter(1);
    ++chain;
  }
  depth_ -= chain;
  return n;
}

node_ptr parser::parse_test(node_ptr n) {
  const uint32_t line = cur().line;
  expect_name("is");
  const bool negated = skip_name("not");
  auto t = std::make_unique<test_node>(line, std::move(n), parse_dotted_name());
  const token& c = cur();
  if (is_op("(")) {
    parse_call_args(t->args);
  } else if ((c.type == token_type::name || c.type == token_type::string || c.type == token_type::integer ||
              c.type == token_type::floating || is_op("[") || is_op("{")) &&
             !is_name("else") && !is_name("or") && !is_name("and")) {
    if (is_name("is")) fail("You cannot chain multiple tests with is");
    uint32_t chain = 0;
    node_ptr arg = parse_postfix(parse_primary(), chain);
    depth_ -= chain;
    t->args.args.push_back(std::move(arg));
  }
  if (negated) return std::make_unique<unary_node>(line, unary_op::logical_not, std::move(t));
  return t;
}

}  // namespace plexus::chat::jinja

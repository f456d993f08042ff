#include "chat/jinja_parser.h"

#include <initializer_list>
#include <string>

namespace plexus::chat::jinja {

namespace {

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
  node_list subparse(std::initializer_list<std::string_view> end_names) {
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

  // After subparse stopped at `name`: consumes it and the block end.
  void end_block(std::string_view name) {
    expect_name(name);
    expect_block_end();
  }

  node_ptr parse_statement() {
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

  node_ptr parse_if(uint32_t line) {
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

  node_ptr parse_for(uint32_t line) {
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

  node_ptr parse_set(uint32_t line) {
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

  void parse_signature(macro_def& def) {
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

  void parse_macro_body(macro_def& def, std::string_view end) {
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

  node_ptr parse_macro(uint32_t line) {
    auto n = std::make_unique<macro_node>(line);
    n->def.name = expect_identifier();
    parse_signature(n->def);
    expect_block_end();
    parse_macro_body(n->def, "endmacro");
    return n;
  }

  node_ptr parse_call_block(uint32_t line) {
    auto n = std::make_unique<call_block_node>(line);
    n->caller.name = "caller";
    if (is_op("(")) parse_signature(n->caller);
    n->call = parse_expression(true);
    if (n->call->kind != node_kind::call) fail("expected call");
    expect_block_end();
    parse_macro_body(n->caller, "endcall");
    return n;
  }

  node_ptr parse_filter_block(uint32_t line) {
    auto n = std::make_unique<filter_block_node>(line);
    n->filter = parse_filter(nullptr, true);
    expect_block_end();
    closure_region region(*this, &n->has_closures);
    n->body = subparse({"endfilter"});
    end_block("endfilter");
    return n;
  }

  node_ptr parse_with(uint32_t line) {
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

  // name | ns.attr (with_namespace) | name, name, ... | (name, name)
  assign_target parse_assign_target(bool with_namespace, std::initializer_list<std::string_view> extra_end) {
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

  // ---- expressions

  bool is_tuple_end(std::initializer_list<std::string_view> extra_end) const {
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

  node_ptr parse_tuple(bool simplified, bool with_condexpr, std::initializer_list<std::string_view> extra_end,
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

  node_ptr parse_expression(bool with_condexpr) {
    nest guard(*this);
    return with_condexpr ? parse_condexpr() : parse_or();
  }

  node_ptr parse_condexpr() {
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

  static node_ptr make_binary(uint32_t line, int op, node_ptr a, node_ptr b) {
    return std::make_unique<binary_node>(line, static_cast<binary_op>(op), std::move(a), std::move(b));
  }

  node_ptr parse_or() {
    return parse_left_chain(&parser::parse_and, [this] { return is_name("or") ? int(binary_op::logical_or) : -1; }, make_binary);
  }
  node_ptr parse_and() {
    return parse_left_chain(&parser::parse_not, [this] { return is_name("and") ? int(binary_op::logical_and) : -1; },
                            make_binary);
  }

  node_ptr parse_not() {
    if (is_name("not")) {
      nest guard(*this);
      const uint32_t line = cur().line;
      next();
      return std::make_unique<unary_node>(line, unary_op::logical_not, parse_not());
    }
    return parse_compare();
  }

  node_ptr parse_compare() {
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

  node_ptr parse_math1() {
    return parse_left_chain(
        &parser::parse_concat,
        [this] { return is_op("+") ? int(binary_op::add) : is_op("-") ? int(binary_op::sub) : -1; }, make_binary);
  }

  node_ptr parse_concat() {
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

  node_ptr parse_math2() {
    return parse_left_chain(
        &parser::parse_pow,
        [this] {
          return is_op("*") ? int(binary_op::mul) : is_op("/") ? int(binary_op::div)
                 : is_op("//") ? int(binary_op::floordiv) : is_op("%") ? int(binary_op::mod) : -1;
        },
        make_binary);
  }

  node_ptr parse_pow() {
    return parse_left_chain(&parser::parse_unary_filtered, [this] { return is_op("**") ? int(binary_op::pow) : -1; },
                            make_binary);
  }

  node_ptr parse_unary_filtered() { return parse_unary(true); }

  node_ptr parse_unary(bool with_filter) {
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

  node_ptr parse_primary() {
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

  node_ptr parse_list() {
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

  node_ptr parse_dict() {
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

  node_ptr parse_postfix(node_ptr n, uint32_t& chain) {
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

  node_ptr parse_filter_expr(node_ptr n, uint32_t& chain) {
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

  node_ptr parse_subscript(node_ptr n) {
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

  node_ptr parse_subscribed() {
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

  void parse_call_args(call_arguments& out) {
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

  node_ptr parse_call(node_ptr callee) {
    auto n = std::make_unique<call_node>(cur().line, std::move(callee));
    parse_call_args(n->args);
    return n;
  }

  std::string parse_dotted_name() {
    std::string name = expect_identifier();
    while (skip_op(".")) name += "." + expect_identifier();
    return name;
  }

  // `|name(args)|name2 ...`; start_inline: the first filter has no leading '|'.
  node_ptr parse_filter(node_ptr n, bool start_inline) {
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

  node_ptr parse_test(node_ptr n) {
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

  std::vector<token> toks_;
  const parse_options& opt_;
  size_t pos_ = 0;
  uint32_t depth_ = 0;
  int loop_depth_ = 0;
  std::vector<macro_def*> macro_stack_;
  std::vector<bool*> regions_;
};

}  // namespace

std::unique_ptr<template_ast> parse_template(std::string_view source, const parse_options& options) {
  parser p(tokenize(source), options);
  return p.run();
}

}  // namespace plexus::chat::jinja

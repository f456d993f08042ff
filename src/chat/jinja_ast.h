// Syntax tree of a parsed Jinja template. Built once by the parser, then only read: renders on
// several threads may walk the same tree at once. String constants are stored as str_obj so
// that values can point at them without copying.
// Thread-safe: immutable after parsing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja_value.h"

namespace plexus::chat::jinja {

enum class node_kind : uint8_t {
  // expressions
  literal,
  name,
  list,
  tuple,
  dict,
  getattr,
  getitem,
  slice,
  unary,
  binary,
  compare,
  concat,
  cond,
  call,
  filter,
  test,
  // statements
  text,
  output,
  if_stmt,
  for_stmt,
  set_stmt,
  set_block,
  macro_stmt,
  call_block,
  filter_block,
  break_stmt,
  continue_stmt,
  with_stmt,
  scope_stmt,  // {% block %} / {% generation %}: body rendered in a nested scope
};

struct node {
  node(node_kind k, uint32_t l) : kind(k), line(l) {}
  virtual ~node() = default;
  node_kind kind;
  uint32_t line;
};
using node_ptr = std::unique_ptr<node>;
using node_list = std::vector<node_ptr>;

template <typename T>
const T& as(const node& n) {
  return static_cast<const T&>(n);
}

// ------------------------------------------------------------------ expressions

struct literal_node final : node {
  literal_node(uint32_t l, value v) : node(node_kind::literal, l), val(v) {}
  literal_node(uint32_t l, std::string s) : node(node_kind::literal, l), text(std::make_unique<str_obj>(std::move(s))) {
    val = value::string(text.get());
  }
  std::unique_ptr<str_obj> text;  // owner of val's string, if any; declared first so it outlives val
  value val;
};

struct name_node final : node {
  name_node(uint32_t l, std::string n) : node(node_kind::name, l), name(std::move(n)) {}
  str_obj name;
};

// list and tuple literals
struct list_node final : node {
  list_node(node_kind k, uint32_t l) : node(k, l) {}
  node_list items;
};

struct dict_node final : node {
  explicit dict_node(uint32_t l) : node(node_kind::dict, l) {}
  std::vector<std::pair<node_ptr, node_ptr>> items;
};

struct getattr_node final : node {
  getattr_node(uint32_t l, node_ptr o, std::string a) : node(node_kind::getattr, l), object(std::move(o)), attr(std::move(a)) {}
  node_ptr object;
  str_obj attr;
};

// object[index]; index may be a slice_node.
struct getitem_node final : node {
  getitem_node(uint32_t l, node_ptr o, node_ptr i) : node(node_kind::getitem, l), object(std::move(o)), index(std::move(i)) {}
  node_ptr object;
  node_ptr index;
};

struct slice_node final : node {
  explicit slice_node(uint32_t l) : node(node_kind::slice, l) {}
  node_ptr start, stop, step;  // each may be null
};

enum class unary_op : uint8_t { neg, pos, logical_not };

struct unary_node final : node {
  unary_node(uint32_t l, unary_op o, node_ptr x) : node(node_kind::unary, l), op(o), operand(std::move(x)) {}
  unary_op op;
  node_ptr operand;
};

enum class binary_op : uint8_t { add, sub, mul, div, floordiv, mod, pow, logical_and, logical_or };

struct binary_node final : node {
  binary_node(uint32_t l, binary_op o, node_ptr a, node_ptr b)
      : node(node_kind::binary, l), op(o), left(std::move(a)), right(std::move(b)) {}
  binary_op op;
  node_ptr left, right;
};

enum class compare_op : uint8_t { eq, ne, lt, le, gt, ge, in, not_in };

// Python comparison chain: a < b <= c.
struct compare_node final : node {
  compare_node(uint32_t l, node_ptr f) : node(node_kind::compare, l), first(std::move(f)) {}
  node_ptr first;
  std::vector<std::pair<compare_op, node_ptr>> rest;
};

struct concat_node final : node {
  explicit concat_node(uint32_t l) : node(node_kind::concat, l) {}
  node_list parts;
};

// `then if test else otherwise`; otherwise may be null (-> undefined).
struct cond_node final : node {
  cond_node(uint32_t l, node_ptr t, node_ptr a, node_ptr b)
      : node(node_kind::cond, l), test(std::move(t)), then(std::move(a)), otherwise(std::move(b)) {}
  node_ptr test, then, otherwise;
};

struct call_arguments {
  node_list args;
  std::vector<std::pair<std::string, node_ptr>> kwargs;
  node_ptr dyn_args;    // *expr
  node_ptr dyn_kwargs;  // **expr
};

struct call_node final : node {
  call_node(uint32_t l, node_ptr c) : node(node_kind::call, l), callee(std::move(c)) {}
  node_ptr callee;
  call_arguments args;
};

// input|name(args). input is null for the innermost filter of a {% filter %} block or
// {% set x | f %}, where the block's output is the input.
struct filter_node final : node {
  filter_node(uint32_t l, node_ptr in, std::string n) : node(node_kind::filter, l), input(std::move(in)), name(std::move(n)) {}
  node_ptr input;
  std::string name;
  call_arguments args;
};

struct test_node final : node {
  test_node(uint32_t l, node_ptr in, std::string n) : node(node_kind::test, l), input(std::move(in)), name(std::move(n)) {}
  node_ptr input;
  std::string name;
  call_arguments args;
};

// ------------------------------------------------------------------ statements

struct text_node final : node {
  text_node(uint32_t l, std::string t) : node(node_kind::text, l), text(std::move(t)) {}
  std::string text;
};

struct output_node final : node {
  output_node(uint32_t l, node_ptr e) : node(node_kind::output, l), expr(std::move(e)) {}
  node_ptr expr;
};

struct if_node final : node {
  explicit if_node(uint32_t l) : node(node_kind::if_stmt, l) {}
  std::vector<std::pair<node_ptr, node_list>> branches;  // if + elifs
  node_list else_body;
};

// An assignment target: a name, a namespace attribute (ns.attr) or a tuple of names.
struct assign_target {
  std::vector<str_obj> names;  // one name, or the names of a tuple target
  bool is_tuple = false;
  std::string attr;  // non-empty for ns.attr (names[0] is the namespace)
};

struct for_node final : node {
  explicit for_node(uint32_t l) : node(node_kind::for_stmt, l) {}
  assign_target target;
  node_ptr iter;
  node_ptr filter;  // `if` condition, may be null
  node_list body;
  node_list else_body;
  bool recursive = false;
  bool has_closures = false;  // a macro / call block inside: its scopes must outlive the statement
};

struct set_node final : node {
  explicit set_node(uint32_t l) : node(node_kind::set_stmt, l) {}
  assign_target target;
  node_ptr expr;
};

struct set_block_node final : node {
  explicit set_block_node(uint32_t l) : node(node_kind::set_block, l) {}
  assign_target target;
  node_ptr filter;  // filter chain with a null innermost input, or null
  node_list body;
  bool has_closures = false;
};

// A macro or the body of a {% call %} block (the `caller`).
struct macro_def {
  std::string name;
  std::vector<str_obj> params;
  node_list defaults;  // defaults for the last defaults.size() params
  node_list body;
  bool uses_caller = false;
  bool uses_varargs = false;
  bool uses_kwargs = false;
  bool has_closures = false;
};

struct macro_node final : node {
  explicit macro_node(uint32_t l) : node(node_kind::macro_stmt, l) {}
  macro_def def;
};

struct call_block_node final : node {
  explicit call_block_node(uint32_t l) : node(node_kind::call_block, l) {}
  node_ptr call;  // a call_node
  macro_def caller;
};

struct filter_block_node final : node {
  explicit filter_block_node(uint32_t l) : node(node_kind::filter_block, l) {}
  node_ptr filter;
  node_list body;
  bool has_closures = false;
};

struct with_node final : node {
  explicit with_node(uint32_t l) : node(node_kind::with_stmt, l) {}
  std::vector<std::pair<assign_target, node_ptr>> assignments;
  node_list body;
  bool has_closures = false;
};

struct scope_node final : node {
  explicit scope_node(uint32_t l) : node(node_kind::scope_stmt, l) {}
  node_list body;
  bool has_closures = false;
};

struct simple_node final : node {  // break / continue
  simple_node(node_kind k, uint32_t l) : node(k, l) {}
};

struct template_ast {
  node_list body;
};

}  // namespace plexus::chat::jinja

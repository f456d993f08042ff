// The `is` tests (jinja2's builtin tests).
#include <cmath>

#include "chat/jinja_builtins.h"
#include "chat/jinja_unicode.h"

namespace plexus::chat::jinja {

namespace {

const value& one_arg(const call_args& args, const char* name) {
  if (args.pos.size() + args.kw.size() != 1) type_error(std::string(name) + "() takes exactly one argument");
  return args.pos.empty() ? args.kw[0].second : args.pos[0];
}

void no_args(const call_args& args, const char* name) {
  if (!args.pos.empty() || !args.kw.empty()) type_error(std::string(name) + "() takes no arguments");
}

#define PLEXUS_SIMPLE_TEST(fn, name, expr)                       \
  bool fn(evaluator&, const value& v, const call_args& args) { \
    no_args(args, name);                                       \
    return (expr);                                             \
  }

PLEXUS_SIMPLE_TEST(t_defined, "defined", !v.is_undefined())
PLEXUS_SIMPLE_TEST(t_undefined, "undefined", v.is_undefined())
PLEXUS_SIMPLE_TEST(t_none, "none", v.is_none())
PLEXUS_SIMPLE_TEST(t_boolean, "boolean", v.is_bool())
PLEXUS_SIMPLE_TEST(t_true, "true", v.is_bool() && v.as_bool())
PLEXUS_SIMPLE_TEST(t_false, "false", v.is_bool() && !v.as_bool())
PLEXUS_SIMPLE_TEST(t_integer, "integer", v.is_int())
PLEXUS_SIMPLE_TEST(t_float, "float", v.is_float())
PLEXUS_SIMPLE_TEST(t_number, "number", v.is_number())
PLEXUS_SIMPLE_TEST(t_string, "string", v.is_string())
PLEXUS_SIMPLE_TEST(t_mapping, "mapping", v.is_dict())
PLEXUS_SIMPLE_TEST(t_escaped, "escaped", false)
PLEXUS_SIMPLE_TEST(t_iterable, "iterable",
                   v.is_string() || v.is_sequence_like() || v.is_dict() || v.is_undefined() ||
                       v.kind() == value_kind::generator || v.kind() == value_kind::loop)
PLEXUS_SIMPLE_TEST(t_sequence, "sequence",
                   v.is_string() || (v.is_sequence_like() && !v.list().is_view()) || v.is_dict() || v.is_undefined())
PLEXUS_SIMPLE_TEST(t_callable, "callable",
                   v.kind() == value_kind::callable || v.is_undefined() || v.kind() == value_kind::loop)

#undef PLEXUS_SIMPLE_TEST

bool t_lower(evaluator& ev, const value& v, const call_args& args) {
  no_args(args, "lower");
  return py_str_islower(text_of(ev, v));
}

bool t_upper(evaluator& ev, const value& v, const call_args& args) {
  no_args(args, "upper");
  return py_str_isupper(text_of(ev, v));
}

bool t_divisibleby(evaluator& ev, const value& v, const call_args& args) {
  const value& n = one_arg(args, "divisibleby");
  const value r = binary_arith(ev, binary_op::mod, v, n);
  return r.is_number() && r.as_float() == 0.0;
}

bool t_even(evaluator& ev, const value& v, const call_args& args) {
  no_args(args, "even");
  const value r = binary_arith(ev, binary_op::mod, v, value::integer(2));
  return r.as_float() == 0.0;
}

bool t_odd(evaluator& ev, const value& v, const call_args& args) {
  no_args(args, "odd");
  const value r = binary_arith(ev, binary_op::mod, v, value::integer(2));
  return r.as_float() == 1.0;
}

bool t_eq(evaluator&, const value& v, const call_args& args) { return py_equal(v, one_arg(args, "eq")); }
bool t_ne(evaluator&, const value& v, const call_args& args) { return !py_equal(v, one_arg(args, "ne")); }

int ordered(evaluator& ev, const value& a, const value& b) {
  if (a.is_undefined()) ev.undefined_error(a);
  if (b.is_undefined()) ev.undefined_error(b);
  return py_compare(a, b);
}

bool t_lt(evaluator& ev, const value& v, const call_args& args) { return ordered(ev, v, one_arg(args, "lt")) == -1; }
bool t_le(evaluator& ev, const value& v, const call_args& args) {
  const int c = ordered(ev, v, one_arg(args, "le"));
  return c == -1 || c == 0;
}
bool t_gt(evaluator& ev, const value& v, const call_args& args) { return ordered(ev, v, one_arg(args, "gt")) == 1; }
bool t_ge(evaluator& ev, const value& v, const call_args& args) {
  const int c = ordered(ev, v, one_arg(args, "ge"));
  return c == 1 || c == 0;
}

bool t_in(evaluator& ev, const value& v, const call_args& args) { return ev.contains(one_arg(args, "in"), v); }

bool t_sameas(evaluator&, const value& v, const call_args& args) {
  const value& o = one_arg(args, "sameas");
  if (v.kind() != o.kind()) return false;
  switch (v.kind()) {
    case value_kind::undefined:
    case value_kind::none: return true;
    case value_kind::boolean:
    case value_kind::integer: return v.as_int() == o.as_int();
    case value_kind::floating: return v.as_float() == o.as_float();
    default: return v.ptr() == o.ptr();
  }
}

bool t_filter(evaluator& ev, const value& v, const call_args& args) {
  no_args(args, "filter");
  return v.is_string() && ev.has_filter(v.sv());
}

bool t_test(evaluator& ev, const value& v, const call_args& args) {
  no_args(args, "test");
  return v.is_string() && ev.has_test(v.sv());
}

struct entry {
  std::string_view name;
  test_fn fn;
};

const entry tests[] = {
    {"boolean", t_boolean},     {"callable", t_callable}, {"defined", t_defined},   {"divisibleby", t_divisibleby},
    {"eq", t_eq},               {"equalto", t_eq},        {"==", t_eq},             {"escaped", t_escaped},
    {"even", t_even},           {"false", t_false},       {"filter", t_filter},     {"float", t_float},
    {"ge", t_ge},               {">=", t_ge},             {"gt", t_gt},             {"greaterthan", t_gt},
    {">", t_gt},                {"in", t_in},             {"integer", t_integer},   {"iterable", t_iterable},
    {"le", t_le},               {"<=", t_le},             {"lower", t_lower},       {"lt", t_lt},
    {"lessthan", t_lt},         {"<", t_lt},              {"mapping", t_mapping},   {"ne", t_ne},
    {"!=", t_ne},               {"none", t_none},         {"number", t_number},     {"odd", t_odd},
    {"sameas", t_sameas},       {"sequence", t_sequence}, {"string", t_string},     {"test", t_test},
    {"true", t_true},           {"undefined", t_undefined}, {"upper", t_upper},
};

}  // namespace

test_fn find_test(std::string_view name) {
  for (const entry& e : tests) {
    if (e.name == name) return e.fn;
  }
  return nullptr;
}

}  // namespace plexus::chat::jinja

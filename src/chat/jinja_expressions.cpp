// Expression evaluation, name lookup, and the sandbox's attribute / item access rules.
#include <array>

#include "chat/jinja_evaluator.h"
#include "chat/jinja_unicode.h"

namespace plexus::chat::jinja {

namespace {

struct ascii_table {
  std::array<str_obj, 128> chars;
  str_obj empty;
  ascii_table() {
    for (size_t i = 0; i < chars.size(); ++i) {
      chars[i].text = std::string(1, static_cast<char>(i));
      chars[i].length = 1;
    }
  }
};

const ascii_table& ascii() {
  static const ascii_table table;
  return table;
}

bool is_unhashable(const value& v) {
  return (v.is_list() && v.list().flavor != list_flavor::range) || v.is_dict() || v.is_ns();
}

void check_hashable(const value& v) {
  if (is_unhashable(v)) type_error(std::string("unhashable type: '") + type_name(v) + "'");
}

}  // namespace

const str_obj* empty_str() { return &ascii().empty; }

namespace {
const str_obj* static_message(int which) {
  static const str_obj no_previous(std::string("there is no previous item"));
  static const str_obj no_next(std::string("there is no next item"));
  return which == 0 ? &no_previous : &no_next;
}
}  // namespace

value char_value(heap& h, std::string_view s, size_t pos, size_t len) {
  if (len == 1 && static_cast<unsigned char>(s[pos]) < 0x80) {
    return value::string(&ascii().chars[static_cast<unsigned char>(s[pos])]);
  }
  return h.str(s.substr(pos, len));
}

// ---------------------------------------------------------------- lookup

value evaluator::lookup(const str_obj& name) {
  for (scope* s = cur_; s != nullptr; s = s->parent) {
    if (value* v = s->find(name.text)) return *v;
  }
  if (const value* v = context_->find(name.text)) return *v;
  if (builtin_fn g = find_global(name.text)) return make_callable(name.text, g, value());
  return value::undefined(&name);
}

void evaluator::undefined_error(const value& undef) {
  const str_obj* hint = undef.undefined_hint();
  switch (undef.undefined_hint_kind()) {
    case value::hint_kind::name: fail(error_kind::undefined_error, "'" + hint->text + "' is undefined");
    case value::hint_kind::attribute:
      fail(error_kind::undefined_error, "'" + hint->text + "' is undefined (no such attribute or key)");
    case value::hint_kind::message: fail(error_kind::undefined_error, hint->text);
    case value::hint_kind::none: break;
  }
  fail(error_kind::undefined_error, "undefined value used");
}

// ---------------------------------------------------------------- attribute and item access

value evaluator::loop_attribute(const value& loop, std::string_view name) {
  const auto& lp = loop.obj<loop_obj>();
  const auto& items = *lp.items;
  const auto len = static_cast<int64_t>(items.size());
  const auto i = static_cast<int64_t>(lp.index0);
  if (name == "index") return value::integer(i + 1);
  if (name == "index0") return value::integer(i);
  if (name == "first") return value::boolean(i == 0);
  if (name == "last") return value::boolean(i + 1 == len);
  if (name == "length") return value::integer(len);
  if (name == "revindex") return value::integer(len - i);
  if (name == "revindex0") return value::integer(len - i - 1);
  if (name == "depth") return value::integer(lp.depth0 + 1);
  if (name == "depth0") return value::integer(lp.depth0);
  if (name == "previtem") {
    if (i > 0) return items[static_cast<size_t>(i - 1)];
    return value::undefined(static_message(0), value::hint_kind::message);
  }
  if (name == "nextitem") {
    if (i + 1 < len) return items[static_cast<size_t>(i + 1)];
    return value::undefined(static_message(1), value::hint_kind::message);
  }
  if (name == "cycle") {
    return make_callable("cycle", [](evaluator&, const value& self, const call_args& args) -> value {
      if (args.pos.empty()) type_error("no items for cycling given");
      const auto& l = self.obj<loop_obj>();
      return args.pos[l.index0 % args.pos.size()];
    }, loop);
  }
  if (name == "changed") {
    return make_callable("changed", [](evaluator& ev, const value& self, const call_args& args) -> value {
      auto& l = self.obj<loop_obj>();
      const value now = ev.mem().tuple(args.pos);
      if (l.changed_called && py_equal(l.last_changed, now)) return value::boolean(false);
      l.changed_called = true;
      l.last_changed = now;
      return value::boolean(true);
    }, loop);
  }
  return heap_.undefined_with(std::string(name), value::hint_kind::attribute);
}

value evaluator::getattr(const value& obj, std::string_view name) { return getattr_impl(obj, name, nullptr); }

value evaluator::getattr_impl(const value& obj, std::string_view name, const str_obj* hint) {
  switch (obj.kind()) {
    case value_kind::undefined: undefined_error(obj);
    case value_kind::loop: return loop_attribute(obj, name);
    case value_kind::ns:
      if (const value* v = obj.dict().find(name)) return *v;
      break;
    case value_kind::string:
    case value_kind::list:
    case value_kind::tuple:
    case value_kind::dict: {
      bool unsafe = false;
      if (builtin_fn m = find_method(obj, name, unsafe)) {
        if (unsafe) {
          return heap_.undefined_with(
              "access to attribute '" + std::string(name) + "' of '" + type_name(obj) + "' object is unsafe.",
              value::hint_kind::message);
        }
        return make_callable(name, m, obj);
      }
      if (obj.is_dict()) {
        if (const value* v = obj.dict().find(name)) return *v;
      }
      break;
    }
    case value_kind::cycler: {
      auto& c = obj.obj<cycler_obj>();
      if (name == "current") return c.items.empty() ? value::undefined() : c.items[c.pos];
      if (name == "next") {
        return make_callable("next", [](evaluator&, const value& self, const call_args&) -> value {
          auto& cy = self.obj<cycler_obj>();
          if (cy.items.empty()) return value::undefined();
          const value v = cy.items[cy.pos];
          cy.pos = (cy.pos + 1) % cy.items.size();
          return v;
        }, obj);
      }
      if (name == "reset") {
        return make_callable("reset", [](evaluator&, const value& self, const call_args&) -> value {
          self.obj<cycler_obj>().pos = 0;
          return value::none();
        }, obj);
      }
      break;
    }
    case value_kind::callable: {
      const auto& c = obj.obj<callable_obj>();
      if (name == "name" || name == "__name__") return heap_.str(c.name);
      break;
    }
    default: break;
  }
  if (hint == nullptr) return heap_.undefined_with(std::string(name), value::hint_kind::attribute);
  return value::undefined(hint, value::hint_kind::attribute);
}

value evaluator::getattr(const value& obj, const str_obj& name) {
  // Fast path for the common dict-key case; keeps the AST string as the undefined hint.
  if (obj.is_dict()) {
    bool unsafe = false;
    if (find_method(obj, name.text, unsafe) == nullptr) {
      if (const value* v = obj.dict().find(name.text)) return *v;
      return value::undefined(&name, value::hint_kind::attribute);
    }
  } else if (obj.is_ns()) {
    if (const value* v = obj.dict().find(name.text)) return *v;
    return value::undefined(&name, value::hint_kind::attribute);
  }
  return getattr_impl(obj, name.text, &name);
}

value evaluator::getitem(const value& obj, const value& key) {
  switch (obj.kind()) {
    case value_kind::undefined: undefined_error(obj);
    case value_kind::dict: {
      check_hashable(key);
      if (const value* v = obj.dict().find(key)) return *v;
      break;
    }
    case value_kind::list:
    case value_kind::tuple:
    case value_kind::string: {
      if ((key.is_int() || key.is_bool()) && !(obj.is_list() && obj.list().is_view())) {
        int64_t i = key.as_int();
        if (obj.is_string()) {
          const str_obj& s = obj.str();
          const auto len = static_cast<int64_t>(s.length);
          if (i < 0) i += len;
          if (i < 0 || i >= len) return value::undefined();
          const size_t start = s.ascii() ? static_cast<size_t>(i) : utf8_offset(s.text, static_cast<size_t>(i));
          size_t end = start;
          utf8_next(s.text, end);
          if (s.markup) return heap_.markup(s.text.substr(start, end - start));
          return char_value(heap_, s.text, start, end - start);
        }
        const auto& items = obj.list().items;
        const auto len = static_cast<int64_t>(items.size());
        if (i < 0) i += len;
        if (i < 0 || i >= len) return value::undefined();
        return items[static_cast<size_t>(i)];
      }
      break;
    }
    default: break;
  }
  if (key.is_string()) return getattr(obj, key.str());
  return value::undefined();
}

value evaluator::attribute_path(const value& obj, const value& path) {
  if (!path.is_string()) return getitem(obj, path);
  std::string_view p = path.sv();
  if (p.find('.') == std::string_view::npos && !py_str_all<py_isdigit>(p)) return getitem(obj, path);
  value cur = obj;
  size_t start = 0;
  while (true) {
    const size_t dot = p.find('.', start);
    const std::string_view part = p.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    bool digits = !part.empty();
    int64_t n = 0;
    for (char c : part) {
      if (c < '0' || c > '9' || n > (INT64_MAX - 9) / 10) {
        digits = false;
        break;
      }
      n = n * 10 + (c - '0');
    }
    cur = digits ? getitem(cur, value::integer(n)) : getitem(cur, heap_.str(part));
    if (dot == std::string_view::npos) return cur;
    start = dot + 1;
  }
}

bool evaluator::contains(const value& container, const value& item) {
  switch (container.kind()) {
    case value_kind::undefined: return false;
    case value_kind::string:
      if (item.is_undefined()) undefined_error(item);
      if (!item.is_string()) {
        type_error(std::string("'in <string>' requires string as left operand, not ") + type_name(item));
      }
      return container.sv().find(item.sv()) != std::string_view::npos;
    case value_kind::list:
    case value_kind::tuple:
      for (const value& v : container.list().items) {
        if (py_equal(v, item)) return true;
      }
      return false;
    case value_kind::dict: check_hashable(item); return container.dict().find(item) != nullptr;
    case value_kind::generator: {
      auto& g = container.obj<generator_obj>();
      while (g.pos < g.items.size()) {
        if (py_equal(g.items[g.pos++], item)) return true;
      }
      return false;
    }
    default: type_error(std::string("argument of type '") + type_name(container) + "' is not iterable");
  }
}

const std::vector<value>& evaluator::iterate_ref(const value& v, std::vector<value>& storage) {
  switch (v.kind()) {
    case value_kind::list:
    case value_kind::tuple: return v.list().items;
    case value_kind::undefined: return storage;
    case value_kind::dict:
      storage.reserve(v.dict().size());
      for (const auto& entry : v.dict().entries) storage.push_back(entry.first);
      return storage;
    case value_kind::string: {
      const str_obj& s = v.str();
      heap_.budget().charge(s.length * sizeof(value));
      storage.reserve(s.length);
      size_t pos = 0;
      while (pos < s.text.size()) {
        const size_t start = pos;
        utf8_next(s.text, pos);
        storage.push_back(char_value(heap_, s.text, start, pos - start));
      }
      return storage;
    }
    case value_kind::generator: {
      auto& g = v.obj<generator_obj>();
      storage.assign(g.items.begin() + static_cast<std::ptrdiff_t>(g.pos), g.items.end());
      g.pos = g.items.size();
      return storage;
    }
    default: type_error(std::string("'") + type_name(v) + "' object is not iterable");
  }
}

std::vector<value> evaluator::iterate(const value& v) {
  std::vector<value> storage;
  const std::vector<value>& items = iterate_ref(v, storage);
  if (&items == &storage) return storage;
  return items;
}

// ---------------------------------------------------------------- filters and tests

bool evaluator::has_filter(std::string_view name) const { return find_filter(name) != nullptr; }
bool evaluator::has_test(std::string_view name) const { return find_test(name) != nullptr; }

value evaluator::apply_filter(std::string_view name, const value& input, const call_args& args) {
  filter_fn f = find_filter(name);
  if (f == nullptr) fail(error_kind::type_error, "No filter named '" + std::string(name) + "'.");
  return f(*this, input, args);
}

bool evaluator::apply_test(std::string_view name, const value& input, const call_args& args) {
  test_fn t = find_test(name);
  if (t == nullptr) fail(error_kind::type_error, "No test named '" + std::string(name) + "'.");
  return t(*this, input, args);
}

value evaluator::apply_chain(const node& chain, const value& input) {
  const auto& f = as<filter_node>(chain);
  const value in = f.input ? apply_chain(*f.input, input) : input;
  call_args args;
  eval_args(f.args, args);
  return apply_filter(f.name, in, args);
}

// ---------------------------------------------------------------- expressions

void evaluator::eval_args(const call_arguments& src, call_args& out) {
  out.pos.reserve(src.args.size());
  for (const node_ptr& a : src.args) out.pos.push_back(eval(*a));
  if (src.dyn_args) {
    for (const value& v : iterate(eval(*src.dyn_args))) out.pos.push_back(v);
  }
  for (const auto& [key, expr] : src.kwargs) out.kw.emplace_back(key, eval(*expr));
  if (src.dyn_kwargs) {
    const value d = eval(*src.dyn_kwargs);
    if (!d.is_dict()) type_error("argument after ** must be a mapping");
    for (const auto& [k, v] : d.dict().entries) {
      if (!k.is_string()) type_error("keywords must be strings");
      out.kw.emplace_back(k.sv(), v);
    }
  }
}

value evaluator::eval_call(const call_node& n) {
  value fn;
  if (n.callee->kind == node_kind::getattr) {
    const auto& ga = as<getattr_node>(*n.callee);
    const value obj = eval(*ga.object);
    if (obj.is_string() || obj.is_dict() || obj.is_list() || obj.is_tuple()) {
      bool unsafe = false;
      if (builtin_fn m = find_method(obj, ga.attr.text, unsafe)) {
        if (unsafe) {
          fail(error_kind::security_error,
               "access to attribute '" + ga.attr.text + "' of '" + type_name(obj) + "' object is unsafe.");
        }
        call_args args;
        eval_args(n.args, args);
        const value result = m(*this, obj, args);
        // Markup's str methods return Markup.
        if (obj.is_string() && obj.str().markup && result.is_string() && !result.str().markup) {
          return heap_.markup(std::string(result.sv()));
        }
        return result;
      }
    }
    fn = getattr(obj, ga.attr);
  } else {
    fn = eval(*n.callee);
  }
  call_args args;
  eval_args(n.args, args);
  return call(fn, args);
}

value evaluator::eval_getitem(const getitem_node& n) {
  const value obj = eval(*n.object);
  if (n.index->kind == node_kind::slice) {
    const auto& s = as<slice_node>(*n.index);
    const value start = s.start ? eval(*s.start) : value::none();
    const value stop = s.stop ? eval(*s.stop) : value::none();
    const value step = s.step ? eval(*s.step) : value::none();
    return slice_value(*this, obj, start, stop, step);
  }
  return getitem(obj, eval(*n.index));
}

value evaluator::eval_binary(const binary_node& n) {
  if (n.op == binary_op::logical_and) {
    value left = eval(*n.left);
    return truthy(left) ? eval(*n.right) : left;
  }
  if (n.op == binary_op::logical_or) {
    value left = eval(*n.left);
    return truthy(left) ? left : eval(*n.right);
  }
  const value left = eval(*n.left);
  const value right = eval(*n.right);
  return binary_arith(*this, n.op, left, right);
}

value evaluator::eval_compare(const compare_node& n) {
  value left = eval(*n.first);
  for (const auto& [op, expr] : n.rest) {
    const value right = eval(*expr);
    bool result;
    switch (op) {
      case compare_op::eq: result = py_equal(left, right); break;
      case compare_op::ne: result = !py_equal(left, right); break;
      case compare_op::in: result = contains(right, left); break;
      case compare_op::not_in: result = !contains(right, left); break;
      default: {
        if (left.is_undefined()) undefined_error(left);
        if (right.is_undefined()) undefined_error(right);
        const int c = py_compare(left, right);
        result = op == compare_op::lt ? c == -1 : op == compare_op::le ? (c == -1 || c == 0)
                 : op == compare_op::gt ? c == 1 : (c == 1 || c == 0);
      }
    }
    if (!result) return value::boolean(false);
    left = right;
  }
  return value::boolean(true);
}

value evaluator::eval(const node& n) {
  depth_guard guard(*this);
  switch (n.kind) {
    case node_kind::literal: return as<literal_node>(n).val;
    case node_kind::name: return lookup(as<name_node>(n).name);
    case node_kind::list:
    case node_kind::tuple: {
      const auto& l = as<list_node>(n);
      std::vector<value> items;
      items.reserve(l.items.size());
      for (const node_ptr& item : l.items) items.push_back(eval(*item));
      return n.kind == node_kind::list ? heap_.list(std::move(items)) : heap_.tuple(std::move(items));
    }
    case node_kind::dict: {
      const auto& d = as<dict_node>(n);
      value result = heap_.dict();
      for (const auto& [k, v] : d.items) {
        const value key = eval(*k);
        check_hashable(key);
        heap_.set_item(result, key, eval(*v));
      }
      return result;
    }
    case node_kind::getattr: {
      const auto& g = as<getattr_node>(n);
      return getattr(eval(*g.object), g.attr);
    }
    case node_kind::getitem: return eval_getitem(as<getitem_node>(n));
    case node_kind::unary: {
      const auto& u = as<unary_node>(n);
      const value v = eval(*u.operand);
      if (u.op == unary_op::logical_not) return value::boolean(!truthy(v));
      return unary_arith(*this, u.op, v);
    }
    case node_kind::binary: return eval_binary(as<binary_node>(n));
    case node_kind::compare: return eval_compare(as<compare_node>(n));
    case node_kind::concat: {
      const auto& parts = as<concat_node>(n).parts;
      std::vector<value> values;
      values.reserve(parts.size());
      size_t total = 0;
      for (const node_ptr& part : parts) {
        values.push_back(eval(*part));
        if (values.back().is_string()) total += values.back().sv().size();
      }
      heap_.budget().check_value_size(total, "string");
      std::string out;
      out.reserve(total);
      for (const value& v : values) append_str(out, v, opt_.max_value_bytes);
      return heap_.str(std::move(out));
    }
    case node_kind::cond: {
      const auto& c = as<cond_node>(n);
      if (truthy(eval(*c.test))) return eval(*c.then);
      return c.otherwise ? eval(*c.otherwise) : value::undefined();
    }
    case node_kind::call: return eval_call(as<call_node>(n));
    case node_kind::filter: {
      const auto& f = as<filter_node>(n);
      const value input = f.input ? eval(*f.input) : value::undefined();
      call_args args;
      eval_args(f.args, args);
      return apply_filter(f.name, input, args);
    }
    case node_kind::test: {
      const auto& t = as<test_node>(n);
      const value input = eval(*t.input);
      call_args args;
      eval_args(t.args, args);
      return value::boolean(apply_test(t.name, input, args));
    }
    case node_kind::slice: type_error("slice outside of a subscript");
    default: type_error("internal error: statement node used as an expression");
  }
}

}  // namespace plexus::chat::jinja

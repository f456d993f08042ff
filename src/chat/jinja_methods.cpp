// Python methods callable on values (str, dict, list, tuple) and the template globals
// (range, namespace, dict, cycler, joiner, raise_exception, strftime_now).
#include <algorithm>

#include "chat/jinja_builtins.h"
#include "chat/jinja_strings.h"
#include "chat/jinja_unicode.h"
#include "core/checked_math.h"

namespace plexus::chat::jinja {

namespace {

std::string_view str_arg(const value& v, const char* what) {
  if (!v.is_string()) type_error(std::string(what) + " must be str, not " + type_name(v));
  return v.sv();
}

std::optional<std::string_view> chars_arg(const arg_reader& r, size_t i, const char* fn) {
  if (!r.has(i) || r.get(i).is_none()) return std::nullopt;
  if (!r.get(i).is_string()) type_error(std::string(fn) + " arg must be None or str");
  return r.get(i).sv();
}

// Optional start/end code-point bounds.
void bounds(const arg_reader& r, size_t i, int64_t& start, int64_t& end) {
  start = int_arg_or(r, i, 0, "start");
  end = int_arg_or(r, i + 1, INT64_MAX, "end");
}

value strip_impl(evaluator& ev, const value& self, const call_args& args, strip_side side, const char* name) {
  const arg_reader r(name, args, {"chars"});
  const std::string_view s = py_strip(self.sv(), chars_arg(r, 0, name), side);
  if (s.size() == self.sv().size()) return self;
  return ev.str(s);
}

value m_strip(evaluator& ev, const value& self, const call_args& a) { return strip_impl(ev, self, a, strip_side::both, "strip"); }
value m_lstrip(evaluator& ev, const value& self, const call_args& a) { return strip_impl(ev, self, a, strip_side::left, "lstrip"); }
value m_rstrip(evaluator& ev, const value& self, const call_args& a) { return strip_impl(ev, self, a, strip_side::right, "rstrip"); }

value split_impl(evaluator& ev, const value& self, const call_args& args, bool from_right) {
  const arg_reader r(from_right ? "rsplit" : "split", args, {"sep", "maxsplit"});
  std::optional<std::string_view> sep;
  if (r.has(0) && !r.get(0).is_none()) sep = str_arg(r.get(0), "sep");
  const int64_t maxsplit = int_arg_or(r, 1, -1, "maxsplit");
  std::vector<value> out;
  for (std::string_view part : py_split(self.sv(), sep, maxsplit, from_right)) out.push_back(ev.str(part));
  return ev.mem().list(std::move(out));
}

value m_split(evaluator& ev, const value& self, const call_args& a) { return split_impl(ev, self, a, false); }
value m_rsplit(evaluator& ev, const value& self, const call_args& a) { return split_impl(ev, self, a, true); }

value m_splitlines(evaluator& ev, const value& self, const call_args& args) {
  const arg_reader r("splitlines", args, {"keepends"});
  std::vector<value> out;
  for (std::string_view line : py_splitlines(self.sv(), r.has(0) && truthy(r.get(0)))) out.push_back(ev.str(line));
  return ev.mem().list(std::move(out));
}

value affix_impl(evaluator&, const value& self, const call_args& args, bool prefix) {
  const char* name = prefix ? "startswith" : "endswith";
  const arg_reader r(name, args, {"prefix", "start", "end"});
  if (!r.has(0)) type_error(std::string(name) + "() takes at least 1 argument (0 given)");
  int64_t start, end;
  bounds(r, 1, start, end);
  const std::string_view s = self.sv();
  const auto length = static_cast<int64_t>(self.str().length);
  py_adjust_bounds(length, start, end);
  if (start > length) return value::boolean(false);
  const size_t b = utf8_offset(s, static_cast<size_t>(start));
  const size_t e = end < start ? b : utf8_offset(s, static_cast<size_t>(end));
  const std::string_view window = s.substr(b, e - b);
  auto check = [&](const value& v) {
    if (!v.is_string()) {
      type_error(std::string(name) + " first arg must be str or a tuple of str, not " + type_name(v));
    }
    const std::string_view a = v.sv();
    if (a.size() > window.size()) return false;
    return prefix ? window.substr(0, a.size()) == a : window.substr(window.size() - a.size()) == a;
  };
  const value& what = r.get(0);
  if (what.is_tuple()) {
    for (const value& v : what.list().items) {
      if (check(v)) return value::boolean(true);
    }
    return value::boolean(false);
  }
  return value::boolean(check(what));
}

value m_startswith(evaluator& ev, const value& self, const call_args& a) { return affix_impl(ev, self, a, true); }
value m_endswith(evaluator& ev, const value& self, const call_args& a) { return affix_impl(ev, self, a, false); }

value m_replace(evaluator& ev, const value& self, const call_args& args) {
  const arg_reader r("replace", args, {"old", "new", "count"});
  if (!r.has(0) || !r.has(1)) type_error("replace expected at least 2 arguments");
  std::string out;
  if (!py_replace(out, self.sv(), str_arg(r.get(0), "replace() argument 1"), str_arg(r.get(1), "replace() argument 2"),
                  int_arg_or(r, 2, -1, "count"), ev.options().max_value_bytes)) {
    ev.mem().budget().check_value_size(out.size(), "string");
  }
  return ev.str(std::move(out));
}

#define PLEXUS_STR_TRANSFORM(fn, expr)                                      \
  value fn(evaluator& ev, const value& self, const call_args& args) {      \
    if (!args.pos.empty() || !args.kw.empty()) type_error("takes no arguments"); \
    return ev.str(expr(self.sv()));                                         \
  }
PLEXUS_STR_TRANSFORM(m_upper, py_upper)
PLEXUS_STR_TRANSFORM(m_lower, py_lower)
PLEXUS_STR_TRANSFORM(m_title, py_title)
PLEXUS_STR_TRANSFORM(m_capitalize, py_capitalize)
PLEXUS_STR_TRANSFORM(m_swapcase, py_swapcase)
#undef PLEXUS_STR_TRANSFORM

#define PLEXUS_STR_PREDICATE(fn, expr)                                      \
  value fn(evaluator&, const value& self, const call_args& args) {         \
    if (!args.pos.empty() || !args.kw.empty()) type_error("takes no arguments"); \
    return value::boolean(expr(self.sv()));                                 \
  }
PLEXUS_STR_PREDICATE(m_isdigit, py_str_all<py_isdigit>)
PLEXUS_STR_PREDICATE(m_isdecimal, py_str_all<py_isdecimal>)
PLEXUS_STR_PREDICATE(m_isnumeric, py_str_all<py_isnumeric>)
PLEXUS_STR_PREDICATE(m_isalpha, py_str_all<py_isalpha>)
PLEXUS_STR_PREDICATE(m_isalnum, py_str_all<py_isalnum>)
PLEXUS_STR_PREDICATE(m_isspace, py_str_all<py_isspace>)
PLEXUS_STR_PREDICATE(m_islower, py_str_islower)
PLEXUS_STR_PREDICATE(m_isupper, py_str_isupper)
PLEXUS_STR_PREDICATE(m_istitle, py_str_istitle)
#undef PLEXUS_STR_PREDICATE

value m_isascii(evaluator&, const value& self, const call_args&) { return value::boolean(self.str().ascii()); }

value find_impl(const value& self, const call_args& args, const char* name, bool from_right, bool raise) {
  const arg_reader r(name, args, {"sub", "start", "end"});
  if (!r.has(0)) type_error(std::string(name) + "() takes at least 1 argument (0 given)");
  int64_t start, end;
  bounds(r, 1, start, end);
  const int64_t at = py_find(self.sv(), str_arg(r.get(0), "must be"), start, end, from_right);
  if (at < 0 && raise) fail(error_kind::value_error, "substring not found");
  return value::integer(at);
}

value m_find(evaluator&, const value& self, const call_args& a) { return find_impl(self, a, "find", false, false); }
value m_rfind(evaluator&, const value& self, const call_args& a) { return find_impl(self, a, "rfind", true, false); }
value m_index(evaluator&, const value& self, const call_args& a) { return find_impl(self, a, "index", false, true); }
value m_rindex(evaluator&, const value& self, const call_args& a) { return find_impl(self, a, "rindex", true, true); }

value m_count(evaluator&, const value& self, const call_args& args) {
  const arg_reader r("count", args, {"sub", "start", "end"});
  if (!r.has(0)) type_error("count() takes at least 1 argument (0 given)");
  int64_t start, end;
  bounds(r, 1, start, end);
  return value::integer(py_count(self.sv(), str_arg(r.get(0), "must be"), start, end));
}

value m_join(evaluator& ev, const value& self, const call_args& args) {
  const arg_reader r("join", args, {"iterable"});
  if (!r.has(0)) type_error("join() takes exactly one argument (0 given)");
  std::vector<value> storage;
  const std::vector<value>& items = ev.iterate_ref(r.get(0), storage);
  const uint64_t limit = ev.options().max_value_bytes;
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      type_error("sequence item " + std::to_string(i) + ": expected str instance, " + type_name(items[i]) + " found");
    }
    if (i > 0) out += self.sv();
    out += items[i].sv();
    if (out.size() > limit) fail_output_size(limit);
  }
  return ev.str(std::move(out));
}

value pad_impl(evaluator& ev, const value& self, const call_args& args, int align, const char* name) {
  const arg_reader r(name, args, {"width", "fillchar"});
  if (!r.has(0)) type_error(std::string(name) + "() takes at least 1 argument (0 given)");
  const int64_t width = int_arg(r.get(0), "width");
  std::string_view fill = " ";
  if (r.has(1)) {
    fill = str_arg(r.get(1), "The fill character");
    if (utf8_length(fill) != 1) type_error("The fill character must be exactly one character long");
  }
  ev.mem().budget().check_value_size(static_cast<uint64_t>(std::max<int64_t>(width, 0)) * fill.size(), "string");
  return ev.str(py_pad(self.sv(), width, fill, align));
}

value m_center(evaluator& ev, const value& self, const call_args& a) { return pad_impl(ev, self, a, 0, "center"); }
value m_ljust(evaluator& ev, const value& self, const call_args& a) { return pad_impl(ev, self, a, -1, "ljust"); }
value m_rjust(evaluator& ev, const value& self, const call_args& a) { return pad_impl(ev, self, a, 1, "rjust"); }

value m_zfill(evaluator& ev, const value& self, const call_args& args) {
  const arg_reader r("zfill", args, {"width"});
  if (!r.has(0)) type_error("zfill() takes exactly one argument (0 given)");
  const int64_t width = int_arg(r.get(0), "width");
  ev.mem().budget().check_value_size(static_cast<uint64_t>(std::max<int64_t>(width, 0)), "string");
  std::string_view s = self.sv();
  const auto len = static_cast<int64_t>(self.str().length);
  if (width <= len) return self;
  std::string sign;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = std::string(1, s[0]);
    s.remove_prefix(1);
  }
  return ev.str(sign + std::string(static_cast<size_t>(width - len), '0') + std::string(s));
}

value partition_impl(evaluator& ev, const value& self, const call_args& args, bool from_right) {
  const arg_reader r(from_right ? "rpartition" : "partition", args, {"sep"});
  if (!r.has(0)) type_error("partition() takes exactly one argument (0 given)");
  const std::string_view sep = str_arg(r.get(0), "sep");
  if (sep.empty()) fail(error_kind::value_error, "empty separator");
  const std::string_view s = self.sv();
  const size_t at = from_right ? s.rfind(sep) : s.find(sep);
  const value empty = value::string(empty_str());
  if (at == std::string_view::npos) {
    return from_right ? ev.mem().tuple({empty, empty, self}) : ev.mem().tuple({self, empty, empty});
  }
  return ev.mem().tuple({ev.str(s.substr(0, at)), r.get(0), ev.str(s.substr(at + sep.size()))});
}

value m_partition(evaluator& ev, const value& self, const call_args& a) { return partition_impl(ev, self, a, false); }
value m_rpartition(evaluator& ev, const value& self, const call_args& a) { return partition_impl(ev, self, a, true); }

value m_removeprefix(evaluator& ev, const value& self, const call_args& args) {
  const arg_reader r("removeprefix", args, {"prefix"});
  if (!r.has(0)) type_error("removeprefix() takes exactly one argument (0 given)");
  const std::string_view p = str_arg(r.get(0), "removeprefix() argument");
  const std::string_view s = self.sv();
  return s.substr(0, p.size()) == p && !p.empty() ? ev.str(s.substr(p.size())) : self;
}

value m_removesuffix(evaluator& ev, const value& self, const call_args& args) {
  const arg_reader r("removesuffix", args, {"suffix"});
  if (!r.has(0)) type_error("removesuffix() takes exactly one argument (0 given)");
  const std::string_view p = str_arg(r.get(0), "removesuffix() argument");
  const std::string_view s = self.sv();
  return s.size() >= p.size() && !p.empty() && s.substr(s.size() - p.size()) == p ? ev.str(s.substr(0, s.size() - p.size()))
                                                                                     : self;
}

value m_format(evaluator& ev, const value& self, const call_args& args) { return ev.str(str_format(ev, self.sv(), args)); }

value m_expandtabs(evaluator& ev, const value& self, const call_args& args) {
  const arg_reader r("expandtabs", args, {"tabsize"});
  const int64_t tab = int_arg_or(r, 0, 8, "tabsize");
  std::string out;
  int64_t column = 0;
  const std::string_view s = self.sv();
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    const char32_t cp = utf8_next(s, pos);
    if (cp == '\t') {
      if (tab > 0) {
        const int64_t spaces = tab - column % tab;
        ev.mem().budget().check_value_size(out.size() + static_cast<uint64_t>(spaces), "string");
        out.append(static_cast<size_t>(spaces), ' ');
        column += spaces;
      }
    } else {
      out.append(s, start, pos - start);
      column = (cp == '\n' || cp == '\r') ? 0 : column + 1;
    }
  }
  return ev.str(std::move(out));
}

// ---------------------------------------------------------------- dict, list, tuple

value m_items(evaluator& ev, const value& self, const call_args&) {
  std::vector<value> out;
  out.reserve(self.dict().size());
  for (const auto& [k, v] : self.dict().entries) out.push_back(ev.mem().tuple({k, v}));
  return ev.mem().flavored_list(std::move(out), list_flavor::dict_items);
}

value m_keys(evaluator& ev, const value& self, const call_args&) {
  std::vector<value> out;
  for (const auto& entry : self.dict().entries) out.push_back(entry.first);
  return ev.mem().flavored_list(std::move(out), list_flavor::dict_keys);
}

value m_values(evaluator& ev, const value& self, const call_args&) {
  std::vector<value> out;
  for (const auto& entry : self.dict().entries) out.push_back(entry.second);
  return ev.mem().flavored_list(std::move(out), list_flavor::dict_values);
}

value m_get(evaluator&, const value& self, const call_args& args) {
  const arg_reader r("get", args, {"key", "default"});
  if (!r.has(0)) type_error("get expected at least 1 argument, got 0");
  const value& key = r.get(0);
  if (key.is_list() || key.is_dict() || key.is_ns()) type_error(std::string("unhashable type: '") + type_name(key) + "'");
  if (const value* v = self.dict().find(key)) return *v;
  return r.get_or(1, value::none());
}

value m_dict_copy(evaluator& ev, const value& self, const call_args&) {
  value d = ev.mem().dict();
  for (const auto& [k, v] : self.dict().entries) ev.mem().set_item(d, k, v);
  return d;
}

value m_list_copy(evaluator& ev, const value& self, const call_args&) { return ev.mem().list(self.list().items); }

value m_list_count(evaluator&, const value& self, const call_args& args) {
  if (args.pos.size() != 1) type_error("count() takes exactly one argument");
  int64_t n = 0;
  for (const value& v : self.list().items) n += py_equal(v, args.pos[0]) ? 1 : 0;
  return value::integer(n);
}

value m_list_index(evaluator&, const value& self, const call_args& args) {
  if (args.pos.empty()) type_error("index expected at least 1 argument, got 0");
  const auto& items = self.list().items;
  for (size_t i = 0; i < items.size(); ++i) {
    if (py_equal(items[i], args.pos[0])) return value::integer(static_cast<int64_t>(i));
  }
  fail(error_kind::value_error, "value is not in list");
}

value m_unsafe(evaluator&, const value&, const call_args&) { return value::none(); }

struct entry {
  std::string_view name;
  builtin_fn fn;
};

const entry string_methods[] = {
    {"capitalize", m_capitalize}, {"casefold", m_lower},       {"center", m_center},       {"count", m_count},
    {"endswith", m_endswith},     {"expandtabs", m_expandtabs}, {"find", m_find},          {"format", m_format},
    {"index", m_index},           {"isalnum", m_isalnum},     {"isalpha", m_isalpha},     {"isascii", m_isascii},
    {"isdecimal", m_isdecimal},   {"isdigit", m_isdigit},     {"islower", m_islower},     {"isnumeric", m_isnumeric},
    {"isspace", m_isspace},       {"istitle", m_istitle},     {"isupper", m_isupper},     {"join", m_join},
    {"ljust", m_ljust},           {"lower", m_lower},         {"lstrip", m_lstrip},       {"partition", m_partition},
    {"removeprefix", m_removeprefix}, {"removesuffix", m_removesuffix}, {"replace", m_replace}, {"rfind", m_rfind},
    {"rindex", m_rindex},         {"rjust", m_rjust},         {"rpartition", m_rpartition}, {"rsplit", m_rsplit},
    {"rstrip", m_rstrip},         {"split", m_split},         {"splitlines", m_splitlines}, {"startswith", m_startswith},
    {"strip", m_strip},           {"swapcase", m_swapcase},   {"title", m_title},         {"upper", m_upper},
    {"zfill", m_zfill},
};

const entry dict_methods[] = {
    {"items", m_items}, {"keys", m_keys}, {"values", m_values}, {"get", m_get}, {"copy", m_dict_copy},
};
const std::string_view dict_unsafe[] = {"pop", "popitem", "setdefault", "update", "clear"};

const entry list_methods[] = {{"count", m_list_count}, {"index", m_list_index}, {"copy", m_list_copy}};
const std::string_view list_unsafe[] = {"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"};

template <size_t N>
builtin_fn lookup(const entry (&table)[N], std::string_view name) {
  for (const entry& e : table) {
    if (e.name == name) return e.fn;
  }
  return nullptr;
}

template <size_t N>
bool listed(const std::string_view (&table)[N], std::string_view name) {
  return std::find(std::begin(table), std::end(table), name) != std::end(table);
}

}  // namespace

builtin_fn find_method(const value& self, std::string_view name, bool& unsafe) {
  unsafe = false;
  switch (self.kind()) {
    case value_kind::string: return lookup(string_methods, name);
    case value_kind::dict:
      if (listed(dict_unsafe, name)) {
        unsafe = true;
        return m_unsafe;
      }
      return lookup(dict_methods, name);
    case value_kind::list: {
      const list_flavor flavor = self.list().flavor;
      if (flavor == list_flavor::plain) {
        if (listed(list_unsafe, name)) {
          unsafe = true;
          return m_unsafe;
        }
        return lookup(list_methods, name);
      }
      if (flavor == list_flavor::range && name != "copy") return lookup(list_methods, name);
      return nullptr;
    }
    case value_kind::tuple:
      if (name == "copy") return nullptr;
      return lookup(list_methods, name);
    default: return nullptr;
  }
}

}  // namespace plexus::chat::jinja

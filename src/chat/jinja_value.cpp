#include "chat/jinja_value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "chat/jinja_unicode.h"
#include "core/checked_math.h"
#include "core/utf8.h"

namespace plexus::chat::jinja {

void fail(error_kind kind, std::string message) { throw jinja_error(kind, std::move(message)); }

void check_depth(int depth) {
  if (depth > max_value_depth) {
    fail(error_kind::limit, "value nested deeper than " + std::to_string(max_value_depth) + " levels");
  }
}

str_obj::str_obj(std::string s) : text(std::move(s)), length(utf8_length(text)) {}

// ---------------------------------------------------------------- dict

namespace {
constexpr size_t dict_index_threshold = 8;
}

const value* dict_obj::find(std::string_view key) const {
  if (!index_.empty()) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &entries[it->second].second;
  }
  for (const auto& [k, v] : entries) {
    if (k.is_string() && k.sv() == key) return &v;
  }
  return nullptr;
}

const value* dict_obj::find(const value& key) const {
  if (key.is_string()) return find(key.sv());
  for (const auto& [k, v] : entries) {
    if (!k.is_string() && py_equal(k, key)) return &v;
  }
  return nullptr;
}

void dict_obj::index_entry(size_t i) {
  if (entries[i].first.is_string()) index_.emplace(entries[i].first.sv(), i);
}

void dict_obj::set(const value& key, const value& v) {
  if (const value* existing = find(key)) {
    const_cast<value&>(*existing) = v;
    return;
  }
  entries.emplace_back(key, v);
  if (!index_.empty()) {
    index_entry(entries.size() - 1);
  } else if (entries.size() > dict_index_threshold) {
    for (size_t i = 0; i < entries.size(); ++i) index_entry(i);
  }
}

// ---------------------------------------------------------------- budget and heap

void render_budget::charge(uint64_t bytes) {
  work_bytes += bytes;
  if (work_bytes > max_work_bytes) {
    fail(error_kind::limit, "template created more than " + std::to_string(max_work_bytes) +
                                " bytes of data in total (max_work_bytes)");
  }
}

void render_budget::check_value_size(uint64_t bytes, const char* what) const {
  if (bytes > max_value_bytes) {
    fail(error_kind::limit, std::string(what) + " of " + std::to_string(bytes) + " bytes exceeds the limit of " +
                                std::to_string(max_value_bytes) + " bytes (max_value_bytes)");
  }
}

value heap::str(std::string s) {
  budget_.check_value_size(s.size(), "string");
  budget_.charge(s.size() + sizeof(str_obj));
  auto* obj = new str_obj(std::move(s));
  obj->counted = true;
  return value::string(obj);
}

value heap::undefined_with(std::string text, value::hint_kind how) {
  const value hint = str(std::move(text));
  return value::undefined(&hint.str(), how);  // retains the hint beyond `hint`
}

value heap::markup(std::string s) {
  value v = str(std::move(s));
  const_cast<str_obj&>(v.str()).markup = true;
  return v;
}

value heap::str_like(const value& like, std::string s) {
  return like.is_string() && like.str().markup ? markup(std::move(s)) : str(std::move(s));
}

value heap::list(std::vector<value> items) {
  const uint64_t bytes = items.size() * sizeof(value);
  budget_.check_value_size(bytes, "list");
  // Weighted x2: copying values costs about twice a memcpy of the same bytes.
  budget_.charge(2 * bytes + sizeof(list_obj));
  auto* l = make<list_obj>();
  l->items = std::move(items);
  return value::object(value_kind::list, l);
}

value heap::tuple(std::vector<value> items) {
  value v = list(std::move(items));
  return value::object(value_kind::tuple, &v.list());
}

value heap::flavored_list(std::vector<value> items, list_flavor flavor) {
  value v = list(std::move(items));
  v.list().flavor = flavor;
  return v;
}

value heap::range(int64_t start, int64_t stop, int64_t step, std::vector<value> items) {
  value v = flavored_list(std::move(items), list_flavor::range);
  v.list().range_start = start;
  v.list().range_stop = stop;
  v.list().range_step = step;
  return v;
}

value heap::dict() {
  budget_.charge(sizeof(dict_obj));
  return value::object(value_kind::dict, make<dict_obj>());
}

value heap::ns() {
  budget_.charge(sizeof(dict_obj));
  return value::object(value_kind::ns, make<dict_obj>());
}

void heap::set_item(const value& dict, const value& key, const value& v) {
  dict_obj& d = dict.dict();
  budget_.check_value_size((d.size() + 1) * 2 * sizeof(value), "dict");
  budget_.charge(2 * sizeof(value));
  d.set(key, v);
}

value heap::generator(std::vector<value> items, const char* origin) {
  budget_.charge(items.size() * sizeof(value) + sizeof(generator_obj));
  auto* g = make<generator_obj>();
  g->items = std::move(items);
  g->origin = origin;
  return value::object(value_kind::generator, g);
}

// ---------------------------------------------------------------- truthiness, equality, order

bool truthy(const value& v) {
  switch (v.kind()) {
    case value_kind::undefined:
    case value_kind::none: return false;
    case value_kind::boolean:
    case value_kind::integer: return v.as_int() != 0;
    case value_kind::floating: return v.as_float() != 0.0;
    case value_kind::string: return !v.str().text.empty();
    case value_kind::list:
    case value_kind::tuple: return !v.list().items.empty();
    case value_kind::dict: return v.dict().size() != 0;
    default: return true;
  }
}

namespace {

bool is_intlike(const value& v) { return v.is_int() || v.is_bool(); }

int compare_numbers(const value& a, const value& b) {
  if (is_intlike(a) && is_intlike(b)) {
    return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
  }
  const double x = a.as_float();
  const double y = b.as_float();
  if (std::isnan(x) || std::isnan(y)) return 2;  // unordered: every comparison false
  return x < y ? -1 : x > y ? 1 : 0;
}

}  // namespace

bool py_equal(const value& a, const value& b, int depth) {
  check_depth(depth);
  if (a.is_number() && b.is_number()) return compare_numbers(a, b) == 0;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case value_kind::undefined:
    case value_kind::none: return true;
    case value_kind::string: return a.ptr() == b.ptr() || a.sv() == b.sv();
    case value_kind::list:
    case value_kind::tuple: {
      const list_obj& la = a.list();
      const list_obj& lb = b.list();
      if (la.flavor != lb.flavor) return false;
      if (la.flavor == list_flavor::dict_values) return &la == &lb;  // no value equality in Python
      const auto& x = la.items;
      const auto& y = lb.items;
      if (x.size() != y.size()) return false;
      if (la.flavor == list_flavor::dict_keys || la.flavor == list_flavor::dict_items) {
        for (const value& item : x) {  // set-like views: order does not matter
          bool found = false;
          for (const value& other : y) {
            if (py_equal(item, other, depth + 1)) {
              found = true;
              break;
            }
          }
          if (!found) return false;
        }
        return true;
      }
      for (size_t i = 0; i < x.size(); ++i) {
        if (!py_equal(x[i], y[i], depth + 1)) return false;
      }
      return true;
    }
    case value_kind::dict: {
      const dict_obj& x = a.dict();
      const dict_obj& y = b.dict();
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x.entries) {
        const value* other = y.find(k);
        if (other == nullptr || !py_equal(v, *other, depth + 1)) return false;
      }
      return true;
    }
    default: return a.ptr() == b.ptr();
  }
}

int py_compare(const value& a, const value& b, int depth) {
  check_depth(depth);
  if (a.is_number() && b.is_number()) return compare_numbers(a, b);
  if (a.is_string() && b.is_string()) {
    const int c = a.sv().compare(b.sv());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if ((a.is_list() && b.is_list() && a.list().plain() && b.list().plain()) || (a.is_tuple() && b.is_tuple())) {
    const auto& x = a.list().items;
    const auto& y = b.list().items;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!py_equal(x[i], y[i], depth + 1)) return py_compare(x[i], y[i], depth + 1);
    }
    return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
  }
  type_error(std::string("'<' not supported between instances of '") + type_name(a) + "' and '" + type_name(b) + "'");
}

// ---------------------------------------------------------------- str and repr

void append_float_repr(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "nan";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-inf" : "inf";
    return;
  }
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  if (!sci.empty() && sci[0] == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  std::string_view exp_text = sci.substr(e + 1);
  if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  const int decpt = exponent + 1;  // value = 0.DIGITS * 10^decpt
  const int ndigits = static_cast<int>(digits.size());
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-decpt), '0');
      out += digits;
    } else if (decpt >= ndigits) {
      out += digits;
      out.append(static_cast<size_t>(decpt - ndigits), '0');
      out += ".0";
    } else {
      out.append(digits, 0, static_cast<size_t>(decpt));
      out.push_back('.');
      out.append(digits, static_cast<size_t>(decpt), std::string::npos);
    }
    return;
  }
  out.push_back(digits[0]);
  if (ndigits > 1) {
    out.push_back('.');
    out.append(digits, 1, std::string::npos);
  }
  const int x = decpt - 1;
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
  out += exp_buf;
}

void append_string_repr(std::string& out, std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  out.push_back(quote);
  size_t pos = 0;
  char buf[16];
  while (pos < s.size()) {
    const char32_t cp = utf8_next(s, pos);
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp < 0x20 || cp == 0x7F) {
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(cp));
      out += buf;
    } else if (cp < 0x7F || py_isprintable(cp)) {
      utf8::append(out, cp);
    } else if (cp <= 0xFF) {
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(cp));
      out += buf;
    } else if (cp <= 0xFFFF) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(cp));
      out += buf;
    }
  }
  out.push_back(quote);
}

void fail_output_size(size_t limit) {
  fail(error_kind::limit, "string representation larger than " + std::to_string(limit) + " bytes");
}

void append_repr(std::string& out, const value& v, size_t limit, int depth) {
  check_depth(depth);
  if (out.size() > limit) fail_output_size(limit);
  switch (v.kind()) {
    case value_kind::undefined: out += "Undefined"; return;
    case value_kind::string:
      if (out.size() + v.sv().size() > limit) fail_output_size(limit);
      if (v.str().markup) out += "Markup(";
      append_string_repr(out, v.sv());
      if (v.str().markup) out += ")";
      return;
    case value_kind::list:
    case value_kind::tuple: {
      const list_obj& l = v.list();
      if (l.flavor == list_flavor::range) {
        out += "range(" + std::to_string(l.range_start) + ", " + std::to_string(l.range_stop);
        if (l.range_step != 1) out += ", " + std::to_string(l.range_step);
        out += ")";
        return;
      }
      if (l.is_view()) {
        out += type_name(v);
        out.push_back('(');
      }
      const auto& items = l.items;
      out.push_back(v.is_list() ? '[' : '(');
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ", ";
        append_repr(out, items[i], limit, depth + 1);
      }
      if (v.is_tuple() && items.size() == 1) out.push_back(',');
      out.push_back(v.is_list() ? ']' : ')');
      if (l.is_view()) out.push_back(')');
      return;
    }
    case value_kind::dict:
    case value_kind::ns: {
      if (v.is_ns()) out += "<Namespace ";
      out.push_back('{');
      bool first = true;
      for (const auto& [k, item] : v.dict().entries) {
        if (!first) out += ", ";
        first = false;
        append_repr(out, k, limit, depth + 1);
        out += ": ";
        append_repr(out, item, limit, depth + 1);
      }
      out.push_back('}');
      if (v.is_ns()) out.push_back('>');
      return;
    }
    case value_kind::generator:
      out += "<generator object ";
      out += v.obj<generator_obj>().origin;
      out += ">";
      return;
    case value_kind::callable:
    case value_kind::loop:
    case value_kind::cycler: v.obj<special_object>().append_repr(out); return;
    default: append_str(out, v, limit, depth); return;
  }
}

void append_str(std::string& out, const value& v, size_t limit, int depth) {
  switch (v.kind()) {
    case value_kind::undefined: return;
    case value_kind::none: out += "None"; return;
    case value_kind::boolean: out += v.as_bool() ? "True" : "False"; return;
    case value_kind::integer: {
      char buf[32];
      const auto res = std::to_chars(buf, buf + sizeof(buf), v.as_int());
      out.append(buf, res.ptr);
      return;
    }
    case value_kind::floating: append_float_repr(out, v.as_float()); return;
    case value_kind::string:
      if (out.size() + v.sv().size() > limit) fail_output_size(limit);
      out += v.sv();
      return;
    default:
      append_repr(out, v, limit, depth);
      if (out.size() > limit) fail_output_size(limit);
      return;
  }
}

std::string to_str(const value& v, size_t limit) {
  std::string out;
  append_str(out, v, limit);
  return out;
}

const char* type_name(const value& v) {
  switch (v.kind()) {
    case value_kind::undefined: return "Undefined";
    case value_kind::none: return "NoneType";
    case value_kind::boolean: return "bool";
    case value_kind::integer: return "int";
    case value_kind::floating: return "float";
    case value_kind::string: return "str";
    case value_kind::list:
      switch (v.list().flavor) {
        case list_flavor::plain: return "list";
        case list_flavor::range: return "range";
        case list_flavor::dict_items: return "dict_items";
        case list_flavor::dict_keys: return "dict_keys";
        case list_flavor::dict_values: return "dict_values";
      }
      return "list";
    case value_kind::tuple: return "tuple";
    case value_kind::dict: return "dict";
    case value_kind::ns: return "Namespace";
    case value_kind::generator: return "generator";
    case value_kind::callable:
    case value_kind::loop:
    case value_kind::cycler: return v.obj<special_object>().type_name();
  }
  return "object";
}

}  // namespace plexus::chat::jinja

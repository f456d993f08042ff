// JSON -> value conversion of the render context, and tojson (Python json.dumps semantics).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "chat/jinja_evaluator.h"
#include "chat/jinja_unicode.h"
#include "core/utf8.h"

namespace plexus::chat::jinja {

value from_json(heap& h, const nlohmann::ordered_json& j, int depth) {
  check_depth(depth);
  using t = nlohmann::ordered_json::value_t;
  switch (j.type()) {
    case t::null: return value::none();
    case t::boolean: return value::boolean(j.get<bool>());
    case t::number_integer: return value::integer(j.get<int64_t>());
    case t::number_unsigned: {
      const auto u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return value::integer(static_cast<int64_t>(u));
      return value::floating(static_cast<double>(u));
    }
    case t::number_float: return value::floating(j.get<double>());
    case t::string: {
      const auto& s = j.get_ref<const std::string&>();
      if (!utf8::valid(s)) fail(error_kind::value_error, "context string is not valid UTF-8");
      return h.input_str(s);
    }
    case t::array: {
      std::vector<value> items;
      items.reserve(j.size());
      for (const auto& item : j) items.push_back(from_json(h, item, depth + 1));
      return h.input_list(std::move(items));
    }
    case t::object: {
      auto* d = h.make<dict_obj>();
      for (const auto& [k, v] : j.items()) {
        if (!utf8::valid(k)) fail(error_kind::value_error, "context key is not valid UTF-8");
        d->set(h.input_str(k), from_json(h, v, depth + 1));
      }
      return value::object(value_kind::dict, d);
    }
    default: type_error("unsupported JSON value in the render context");
  }
}

namespace {

void dump_string(std::string& out, std::string_view s, bool ensure_ascii) {
  out.push_back('"');
  size_t pos = 0;
  char buf[16];
  while (pos < s.size()) {
    const auto c = static_cast<unsigned char>(s[pos]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
      ++pos;
      continue;
    }
    const size_t start = pos;
    const char32_t cp = utf8_next(s, pos);
    switch (cp) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      default: break;
    }
    if (cp < 0x20 || (ensure_ascii && cp >= 0x7F)) {
      if (cp > 0xFFFF) {
        const char32_t v = cp - 0x10000;
        std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 | (v >> 10)),
                      static_cast<unsigned>(0xDC00 | (v & 0x3FF)));
      } else {
        std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
      }
      out += buf;
    } else {
      out.append(s, start, pos - start);
    }
  }
  out.push_back('"');
}

void dump_float(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
  } else if (std::isinf(d)) {
    out += d < 0 ? "-Infinity" : "Infinity";
  } else {
    append_float_repr(out, d);
  }
}

void newline_indent(std::string& out, const json_dump_options& opt, int level) {
  out.push_back('\n');
  for (int i = 0; i < level; ++i) out += opt.indent;
}

std::string key_text(const value& k) {
  switch (k.kind()) {
    case value_kind::string: return std::string(k.sv());
    case value_kind::boolean: return k.as_bool() ? "true" : "false";
    case value_kind::none: return "null";
    case value_kind::integer: return to_str(k);
    case value_kind::floating: {
      std::string s;
      dump_float(s, k.as_float());
      return s;
    }
    default: type_error(std::string("keys must be str, int, float, bool or None, not ") + type_name(k));
  }
}

void dump(std::string& out, const value& v, const json_dump_options& opt, int level, int depth) {
  check_depth(depth);
  if (out.size() > opt.max_bytes) fail_output_size(opt.max_bytes);
  switch (v.kind()) {
    case value_kind::none: out += "null"; return;
    case value_kind::boolean: out += v.as_bool() ? "true" : "false"; return;
    case value_kind::integer: append_str(out, v); return;
    case value_kind::floating: dump_float(out, v.as_float()); return;
    case value_kind::string:
      if (out.size() + v.sv().size() > opt.max_bytes) fail_output_size(opt.max_bytes);
      dump_string(out, v.sv(), opt.ensure_ascii);
      return;
    case value_kind::list:
    case value_kind::tuple: {
      if (!v.list().plain()) type_error(std::string("Object of type ") + type_name(v) + " is not JSON serializable");
      const auto& items = v.list().items;
      if (items.empty()) {
        out += "[]";
        return;
      }
      out.push_back('[');
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += opt.item_separator;
        if (opt.has_indent) newline_indent(out, opt, level + 1);
        dump(out, items[i], opt, level + 1, depth + 1);
      }
      if (opt.has_indent) newline_indent(out, opt, level);
      out.push_back(']');
      return;
    }
    case value_kind::dict: {
      const auto& entries = v.dict().entries;
      if (entries.empty()) {
        out += "{}";
        return;
      }
      std::vector<const std::pair<value, value>*> order;
      order.reserve(entries.size());
      for (const auto& e : entries) order.push_back(&e);
      if (opt.sort_keys) {
        std::stable_sort(order.begin(), order.end(),
                         [](const auto* a, const auto* b) { return py_compare(a->first, b->first) < 0; });
      }
      out.push_back('{');
      for (size_t i = 0; i < order.size(); ++i) {
        if (i > 0) out += opt.item_separator;
        if (opt.has_indent) newline_indent(out, opt, level + 1);
        dump_string(out, key_text(order[i]->first), opt.ensure_ascii);
        out += opt.key_separator;
        dump(out, order[i]->second, opt, level + 1, depth + 1);
      }
      if (opt.has_indent) newline_indent(out, opt, level);
      out.push_back('}');
      return;
    }
    default: type_error(std::string("Object of type ") + type_name(v) + " is not JSON serializable");
  }
}

}  // namespace

void dump_json(std::string& out, const value& v, const json_dump_options& opt, int depth) { dump(out, v, opt, 0, depth); }

// HF's tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False).
value tojson_filter(evaluator& ev, const value& input, const call_args& args) {
  const arg_reader r("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"});
  json_dump_options opt;
  opt.max_bytes = ev.options().max_value_bytes;
  opt.ensure_ascii = truthy(r.get_or(0, value::boolean(false)));
  const value indent = r.get_or(1, value::none());
  if (!indent.is_none()) {
    opt.has_indent = true;
    if (indent.is_int() || indent.is_bool()) {
      const int64_t n = indent.as_int();
      if (n > 0) {
        ev.mem().budget().check_value_size(static_cast<uint64_t>(n), "indent");
        opt.indent.assign(static_cast<size_t>(n), ' ');
      }
    } else if (indent.is_string()) {
      opt.indent = std::string(indent.sv());
    } else {
      type_error(std::string("can't multiply sequence by non-int of type '") + type_name(indent) + "'");
    }
    opt.item_separator = ",";
  }
  const value seps = r.get_or(2, value::none());
  if (!seps.is_none()) {
    if (!seps.is_sequence_like() || seps.list().items.size() != 2 || !seps.list().items[0].is_string() ||
        !seps.list().items[1].is_string()) {
      type_error("separators must be a pair of strings");
    }
    opt.item_separator = std::string(seps.list().items[0].sv());
    opt.key_separator = std::string(seps.list().items[1].sv());
  }
  opt.sort_keys = truthy(r.get_or(3, value::boolean(false)));
  std::string out;
  dump_json(out, input, opt);
  return ev.str(std::move(out));
}

}  // namespace plexus::chat::jinja

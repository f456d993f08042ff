// Text and scalar filters, and the filter table. Sequence filters: jinja_filters_seq.cpp.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "chat/jinja_builtins.h"
#include "chat/jinja_strings.h"
#include "chat/jinja_unicode.h"
#include "core/checked_math.h"

namespace plexus::chat::jinja {

std::string text_of(evaluator& ev, const value& v) { return to_str(v, ev.options().max_value_bytes); }

value ignore_case(evaluator& ev, const value& v) {
  if (!v.is_string()) return v;
  return ev.str(py_lower(v.sv()));
}

int64_t int_arg(const value& v, const char* what) {
  if (v.is_int() || v.is_bool()) return v.as_int();
  type_error(std::string("'") + type_name(v) + "' object cannot be interpreted as an integer (" + what + ")");
}

int64_t int_arg_or(const arg_reader& r, size_t i, int64_t fallback, const char* what) {
  if (!r.has(i) || r.get(i).is_none()) return fallback;
  return int_arg(r.get(i), what);
}

void unsafe_method(const value& self, std::string_view name) {
  fail(error_kind::security_error,
       "access to attribute '" + std::string(name) + "' of '" + type_name(self) + "' object is unsafe.");
}

namespace {

value f_string(evaluator& ev, const value& v, const call_args&) {
  if (v.is_string()) return v;
  return ev.str(text_of(ev, v));
}

// soft_str(x).method(): Markup input stays Markup.
value f_upper(evaluator& ev, const value& v, const call_args&) { return ev.mem().str_like(v, py_upper(text_of(ev, v))); }
value f_lower(evaluator& ev, const value& v, const call_args&) { return ev.mem().str_like(v, py_lower(text_of(ev, v))); }
value f_capitalize(evaluator& ev, const value& v, const call_args&) {
  return ev.mem().str_like(v, py_capitalize(text_of(ev, v)));
}

// jinja2's title: the string is split on runs of [-\s({\[<]; every piece becomes
// piece[0].upper() + piece[1:].lower() (so Final_Sigma applies per piece).
value f_title(evaluator& ev, const value& v, const call_args&) {
  const std::string s = text_of(ev, v);
  auto is_sep = [](char32_t cp) { return cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || py_isspace(cp); };
  std::string out;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    size_t next = pos;
    const bool sep = is_sep(utf8_next(s, next));
    while (pos < s.size()) {
      size_t p = pos;
      if (is_sep(utf8_next(s, p)) != sep) break;
      pos = p;
    }
    if (sep) {
      out.append(s, start, pos - start);
    } else {
      size_t p = start;
      append_upper_char(out, utf8_next(s, p));
      out += py_lower(std::string_view(s).substr(p, pos - p));
    }
  }
  return ev.str(std::move(out));
}

value f_trim(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("trim", args, {"chars"});
  const std::string s = text_of(ev, v);
  std::optional<std::string_view> chars;
  std::string chars_text;
  if (r.has(0) && !r.get(0).is_none()) {
    chars_text = text_of(ev, r.get(0));
    chars = chars_text;
  }
  return ev.mem().str_like(v, std::string(py_strip(s, chars, strip_side::both)));
}

value f_replace(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("replace", args, {"old", "new", "count"});
  if (!r.has(0) || !r.has(1)) type_error("replace() missing required arguments 'old' and 'new'");
  const std::string s = text_of(ev, v);
  const std::string old_text = text_of(ev, r.get(0));
  const std::string new_text = text_of(ev, r.get(1));
  const int64_t count = int_arg_or(r, 2, -1, "count");
  std::string out;
  if (!py_replace(out, s, old_text, new_text, count, ev.options().max_value_bytes)) {
    ev.mem().budget().check_value_size(out.size(), "string");
  }
  return ev.str(std::move(out));
}

value f_center(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("center", args, {"width"});
  const int64_t width = int_arg_or(r, 0, 80, "width");
  ev.mem().budget().check_value_size(static_cast<uint64_t>(std::max<int64_t>(width, 0)), "string");
  return ev.mem().str_like(v, py_pad(text_of(ev, v), width, " ", 0));
}

value f_default(evaluator&, const value& v, const call_args& args) {
  const arg_reader r("default", args, {"default_value", "boolean"});
  const bool boolean = r.has(1) && truthy(r.get(1));
  if (v.is_undefined() || (boolean && !truthy(v))) return r.has(0) ? r.get(0) : value::string(empty_str());
  return v;
}

value f_escape(evaluator& ev, const value& v, const call_args&) {
  if (v.is_string() && v.str().markup) return v;
  return ev.mem().markup(html_escape(text_of(ev, v)));
}
value f_forceescape(evaluator& ev, const value& v, const call_args&) { return ev.mem().markup(html_escape(text_of(ev, v))); }
value f_safe(evaluator& ev, const value& v, const call_args&) {
  if (v.is_string() && v.str().markup) return v;
  return ev.mem().markup(text_of(ev, v));
}

value f_indent(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("indent", args, {"width", "first", "blank"});
  std::string indention;
  const value width = r.get_or(0, value::integer(4));
  if (width.is_string()) {
    indention = std::string(width.sv());
  } else {
    const int64_t n = int_arg(width, "width");
    ev.mem().budget().check_value_size(static_cast<uint64_t>(std::max<int64_t>(n, 0)), "indent");
    indention.assign(static_cast<size_t>(std::max<int64_t>(n, 0)), ' ');
  }
  const bool first = r.has(1) && truthy(r.get(1));
  const bool blank = r.has(2) && truthy(r.get(2));
  // jinja2 appends "\n" to the value itself: only strings work.
  if (v.is_undefined()) ev.undefined_error(v);
  if (!v.is_string()) type_error(std::string("unsupported operand type(s) for +=: '") + type_name(v) + "' and 'str'");
  const std::string s = std::string(v.sv()) + "\n";
  const std::vector<std::string_view> lines = py_splitlines(s, false);
  const uint64_t limit = ev.options().max_value_bytes;
  std::string out;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i > 0) out += "\n" + indention;
      out += lines[i];
      if (out.size() > limit) fail_output_size(limit);
    }
  } else {
    out = lines.empty() ? std::string() : std::string(lines[0]);
    for (size_t i = 1; i < lines.size(); ++i) {
      out += "\n";
      if (!lines[i].empty()) out += indention;
      out += lines[i];
      if (out.size() > limit) fail_output_size(limit);
    }
  }
  if (first) out = indention + out;
  return ev.mem().str_like(v, std::move(out));
}

value f_truncate(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("truncate", args, {"length", "killwords", "end", "leeway"});
  // jinja2 does not stringify: a short list or dict comes back unchanged.
  if (!v.is_string()) {
    const value len = ev.apply_filter("length", v, {});
    const int64_t limit = int_arg_or(r, 0, 255, "length") + int_arg_or(r, 3, 5, "leeway");
    if (v.is_undefined() || len.as_int() <= limit) return v;
    type_error(std::string("'") + type_name(v) + "' object has no attribute 'rsplit'");
  }
  const std::string s(v.sv());
  const int64_t length = int_arg_or(r, 0, 255, "length");
  const bool killwords = r.has(1) && truthy(r.get(1));
  const std::string end = r.has(2) ? text_of(ev, r.get(2)) : "...";
  const int64_t leeway = int_arg_or(r, 3, 5, "leeway");
  const auto end_len = static_cast<int64_t>(utf8_length(end));
  if (length < end_len) fail(error_kind::value_error, "expected length >= " + std::to_string(end_len) + ", got " + std::to_string(length));
  if (leeway < 0) fail(error_kind::value_error, "expected leeway >= 0, got " + std::to_string(leeway));
  if (static_cast<int64_t>(utf8_length(s)) <= length + leeway) return v;
  const std::string head = s.substr(0, utf8_offset(s, static_cast<size_t>(length - end_len)));
  if (killwords) return ev.str(head + end);
  const size_t space = head.rfind(' ');
  return ev.str((space == std::string::npos ? head : head.substr(0, space)) + end);
}

value f_wordcount(evaluator& ev, const value& v, const call_args&) {
  const std::string s = text_of(ev, v);
  int64_t words = 0;
  bool in_word = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = utf8_next(s, pos);
    const bool w = cp == '_' || py_isalnum(cp);
    if (w && !in_word) ++words;
    in_word = w;
  }
  return value::integer(words);
}

value f_striptags(evaluator& ev, const value& v, const call_args&) {
  std::string s = text_of(ev, v);
  std::string no_comments;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 4, "<!--") == 0) {
      const size_t end = s.find("-->", i + 4);
      if (end != std::string::npos) {
        i = end + 3;
        continue;
      }
    }
    no_comments.push_back(s[i++]);
  }
  std::string no_tags;
  for (size_t i = 0; i < no_comments.size();) {
    if (no_comments[i] == '<') {
      const size_t end = no_comments.find('>', i + 1);
      if (end != std::string::npos) {
        i = end + 1;
        continue;
      }
    }
    no_tags.push_back(no_comments[i++]);
  }
  std::string joined;
  for (std::string_view word : py_split(no_tags, std::nullopt, -1, false)) {
    if (!joined.empty()) joined.push_back(' ');
    joined += word;
  }
  return ev.str(html_unescape(joined));
}

value f_urlencode(evaluator& ev, const value& v, const call_args&) {
  auto quote = [&](const value& x, bool for_qs) {
    const std::string s = text_of(ev, x);
    std::string out;
    char buf[4];
    for (unsigned char c : s) {
      const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                        c == '-' || c == '~' || (!for_qs && c == '/');
      if (safe) {
        out.push_back(static_cast<char>(c));
      } else if (for_qs && c == ' ') {
        out.push_back('+');
      } else {
        std::snprintf(buf, sizeof(buf), "%%%02X", c);
        out += buf;
      }
    }
    return out;
  };
  const bool iterable = v.is_string() || v.is_sequence_like() || v.is_dict() || v.is_undefined() ||
                        v.kind() == value_kind::generator;
  if (v.is_string() || !iterable) return ev.str(quote(v, false));
  std::vector<std::pair<value, value>> pairs;
  if (v.is_dict()) {
    pairs = v.dict().entries;
  } else {
    for (const value& item : ev.iterate(v)) {
      const std::vector<value> kv = ev.iterate(item);
      if (kv.size() != 2) fail(error_kind::value_error, "urlencode expects pairs");
      pairs.emplace_back(kv[0], kv[1]);
    }
  }
  std::string out;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) out.push_back('&');
    out += quote(pairs[i].first, true) + "=" + quote(pairs[i].second, true);
  }
  return ev.str(std::move(out));
}

// Python float(str): whitespace, sign, digits with single underscores, inf/nan.
bool parse_py_float(std::string_view text, double& out) {
  const std::string_view s = py_strip(text, std::nullopt, strip_side::both);
  if (s.empty()) return false;
  std::string clean;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      const bool ok = i > 0 && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
                      std::isdigit(static_cast<unsigned char>(s[i + 1]));
      if (!ok) return false;
      continue;
    }
    clean.push_back(c);
  }
  std::string lower = py_lower(clean);
  std::string_view body = lower;
  const bool neg = !body.empty() && body[0] == '-';
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.remove_prefix(1);
  if (body == "inf" || body == "infinity") {
    out = neg ? -INFINITY : INFINITY;
    return true;
  }
  if (body == "nan") {
    out = NAN;
    return true;
  }
  bool digits = false;
  for (char c : body) {
    if (std::isdigit(static_cast<unsigned char>(c))) digits = true;
    else if (c != '.' && c != 'e' && c != '+' && c != '-') return false;
  }
  if (!digits) return false;
  char* end = nullptr;
  out = std::strtod(clean.c_str(), &end);
  return end == clean.c_str() + clean.size();
}

// Python int(str, base).
bool parse_py_int(std::string_view text, int64_t base, int64_t& out) {
  std::string_view s = py_strip(text, std::nullopt, strip_side::both);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.size() > 2 && s[0] == '0') {
    const char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[1])));
    const int64_t prefixed = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (prefixed != 0 && (base == prefixed || base == 0)) {
      base = prefixed;
      s.remove_prefix(2);
      if (!s.empty() && s[0] == '_') s.remove_prefix(1);
    }
  }
  if (base == 0) base = 10;
  if (base < 2 || base > 36 || s.empty()) return false;
  uint64_t v = 0;
  bool prev_digit = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      if (!prev_digit || i + 1 >= s.size()) return false;
      prev_digit = false;
      continue;
    }
    const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                  : std::isalpha(static_cast<unsigned char>(c)) ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10 : 99;
    if (d >= base) return false;
    const auto scaled = checked_mul(v, static_cast<uint64_t>(base));
    const auto next = scaled ? checked_add(*scaled, static_cast<uint64_t>(d)) : std::nullopt;
    if (!next || *next > static_cast<uint64_t>(INT64_MAX)) fail(error_kind::value_error, "integer does not fit in 64 bits");
    v = *next;
    prev_digit = true;
  }
  out = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

value f_int(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("int", args, {"default", "base"});
  const value fallback = r.get_or(0, value::integer(0));
  const int64_t base = int_arg_or(r, 1, 10, "base");
  if (v.is_int() || v.is_bool()) return value::integer(v.as_int());
  double d;
  if (v.is_string()) {
    int64_t n;
    if (parse_py_int(v.sv(), base, n)) return value::integer(n);
    if (!parse_py_float(v.sv(), d)) return fallback;
  } else if (v.is_float()) {
    d = v.as_float();
  } else {
    return fallback;
  }
  // jinja2 3.1.2: int(nan) is a ValueError (-> default), int(inf) an uncaught OverflowError.
  if (std::isnan(d)) return fallback;
  if (std::isinf(d)) fail(error_kind::value_error, "cannot convert float infinity to integer");
  if (std::fabs(d) >= 9.2233720368547758e18) fail(error_kind::value_error, "integer does not fit in 64 bits");
  (void)ev;
  return value::integer(static_cast<int64_t>(d));
}

value f_float(evaluator&, const value& v, const call_args& args) {
  const arg_reader r("float", args, {"default"});
  if (v.is_number()) return value::floating(v.as_float());
  double d;
  if (v.is_string() && parse_py_float(v.sv(), d)) return value::floating(d);
  return r.get_or(0, value::floating(0.0));
}

value f_abs(evaluator&, const value& v, const call_args&) {
  if (v.is_int() || v.is_bool()) {
    if (v.as_int() == INT64_MIN) fail(error_kind::value_error, "integer result does not fit in 64 bits");
    return value::integer(v.as_int() < 0 ? -v.as_int() : v.as_int());
  }
  if (v.is_float()) return value::floating(std::fabs(v.as_float()));
  type_error(std::string("bad operand type for abs(): '") + type_name(v) + "'");
}

// Python round(x, ndigits) for floats: correctly rounded, ties to even on the exact binary value.
double round_float(double x, int64_t ndigits) {
  if (!std::isfinite(x) || ndigits > 323) return x;
  if (ndigits < -308) return std::copysign(0.0, x);
  if (ndigits >= 0) {
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(ndigits), x);
    return std::strtod(buf, nullptr);
  }
  const double pow10 = std::pow(10.0, static_cast<double>(-ndigits));
  return std::nearbyint(x / pow10) * pow10;
}

value f_round(evaluator&, const value& v, const call_args& args) {
  const arg_reader r("round", args, {"precision", "method"});
  const int64_t precision = int_arg_or(r, 0, 0, "precision");
  const std::string method = r.has(1) ? to_str(r.get(1)) : "common";
  if (method != "common" && method != "ceil" && method != "floor") {
    fail(error_kind::value_error, "method must be common, ceil or floor");
  }
  if (!v.is_number()) type_error(std::string("type ") + type_name(v) + " doesn't define __round__ method");
  if (method == "common") {
    if (v.is_int() || v.is_bool()) {
      if (precision >= 0) return value::integer(v.as_int());
      if (precision < -18) return value::integer(0);
      int64_t p = 1;
      for (int64_t i = 0; i < -precision; ++i) p *= 10;
      const int64_t x = v.as_int();
      int64_t q = x / p;
      int64_t rem = x % p;
      if (rem < 0) {
        rem += p;
        --q;
      }
      if (rem * 2 > p || (rem * 2 == p && (q & 1))) ++q;
      return value::integer(q * p);
    }
    return value::floating(round_float(v.as_float(), precision));
  }
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = v.as_float() * scale;
  return value::floating((method == "ceil" ? std::ceil(x) : std::floor(x)) / scale);
}

value f_format(evaluator& ev, const value& v, const call_args& args) {
  if (!args.pos.empty() && !args.kw.empty()) {
    fail(error_kind::type_error, "can't handle positional and keyword arguments at the same time");
  }
  const std::string fmt = text_of(ev, v);
  if (!args.kw.empty()) {
    value d = ev.mem().dict();
    for (const auto& [k, kv] : args.kw) ev.mem().set_item(d, ev.str(k), kv);
    return ev.str(percent_format(ev, fmt, d));
  }
  return ev.str(percent_format(ev, fmt, ev.mem().tuple(args.pos)));
}

value f_filesizeformat(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("filesizeformat", args, {"binary"});
  const bool binary = r.has(0) && truthy(r.get(0));
  double bytes;
  if (v.is_number()) {
    bytes = v.as_float();
  } else if (!(v.is_string() && parse_py_float(v.sv(), bytes))) {
    type_error("float() argument must be a string or a real number");
  }
  const double base = binary ? 1024 : 1000;
  static const char* const decimal[] = {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  static const char* const binary_names[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  if (bytes == 1) return ev.str(std::string("1 Byte"));
  char buf[64];
  if (bytes < base) {
    std::snprintf(buf, sizeof(buf), "%lld Bytes", static_cast<long long>(bytes));
    return ev.str(std::string(buf));
  }
  double unit = base;
  for (int i = 0; i < 8; ++i) {
    unit *= base;
    if (bytes < unit || i == 7) {
      std::snprintf(buf, sizeof(buf), "%.1f %s", base * bytes / unit, binary ? binary_names[i] : decimal[i]);
      return ev.str(std::string(buf));
    }
  }
  return ev.str(std::string(buf));
}

value f_attr(evaluator& ev, const value& v, const call_args& args) {
  const arg_reader r("attr", args, {"name"});
  if (!r.has(0)) type_error("attr() missing required argument 'name'");
  const std::string name = text_of(ev, r.get(0));
  if (v.is_dict()) {
    bool unsafe = false;
    if (find_method(v, name, unsafe) == nullptr) return ev.mem().undefined_with(name, value::hint_kind::attribute);
  }
  return ev.getattr(v, name);
}

// pprint.pformat without line wrapping: repr with dict keys sorted.
void pprint_repr(std::string& out, const value& v, size_t limit, int depth) {
  check_depth(depth);
  if (out.size() > limit) fail_output_size(limit);
  if (v.is_dict()) {
    std::vector<const std::pair<value, value>*> items;
    for (const auto& e : v.dict().entries) items.push_back(&e);
    std::stable_sort(items.begin(), items.end(), [](const auto* a, const auto* b) {
      const bool comparable = (a->first.is_number() && b->first.is_number()) || (a->first.is_string() && b->first.is_string());
      if (!comparable) return std::string_view(type_name(a->first)) < std::string_view(type_name(b->first));
      return py_compare(a->first, b->first) == -1;
    });
    out.push_back('{');
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += ", ";
      pprint_repr(out, items[i]->first, limit, depth + 1);
      out += ": ";
      pprint_repr(out, items[i]->second, limit, depth + 1);
    }
    out.push_back('}');
    return;
  }
  if ((v.is_list() && v.list().plain()) || v.is_tuple()) {
    const auto& items = v.list().items;
    out.push_back(v.is_list() ? '[' : '(');
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += ", ";
      pprint_repr(out, items[i], limit, depth + 1);
    }
    if (v.is_tuple() && items.size() == 1) out.push_back(',');
    out.push_back(v.is_list() ? ']' : ')');
    return;
  }
  append_repr(out, v, limit, depth);
}

value f_pprint(evaluator& ev, const value& v, const call_args&) {
  std::string out;
  pprint_repr(out, v, ev.options().max_value_bytes, 0);
  return ev.str(std::move(out));
}

const std::unordered_map<std::string_view, filter_fn>& text_filters() {
  static const std::unordered_map<std::string_view, filter_fn> table = {
      {"abs", f_abs},
      {"attr", f_attr},
      {"capitalize", f_capitalize},
      {"center", f_center},
      {"d", f_default},
      {"default", f_default},
      {"e", f_escape},
      {"escape", f_escape},
      {"filesizeformat", f_filesizeformat},
      {"float", f_float},
      {"forceescape", f_forceescape},
      {"format", f_format},
      {"indent", f_indent},
      {"int", f_int},
      {"lower", f_lower},
      {"pprint", f_pprint},
      {"replace", f_replace},
      {"round", f_round},
      {"safe", f_safe},
      {"string", f_string},
      {"striptags", f_striptags},
      {"title", f_title},
      {"tojson", tojson_filter},
      {"trim", f_trim},
      {"truncate", f_truncate},
      {"upper", f_upper},
      {"urlencode", f_urlencode},
      {"wordcount", f_wordcount},
  };
  return table;
}

}  // namespace

filter_fn find_filter(std::string_view name) {
  const auto& table = text_filters();
  const auto it = table.find(name);
  if (it != table.end()) return it->second;
  return find_sequence_filter(name);
}

}  // namespace plexus::chat::jinja

// Python semantics of + - * / // % ** and unary -, and of slicing.
#include <cmath>

#include "chat/jinja_evaluator.h"
#include "chat/jinja_strings.h"
#include "chat/jinja_unicode.h"
#include "core/checked_math.h"

namespace plexus::chat::jinja {

namespace {

const char* op_symbol(binary_op op) {
  switch (op) {
    case binary_op::add: return "+";
    case binary_op::sub: return "-";
    case binary_op::mul: return "*";
    case binary_op::div: return "/";
    case binary_op::floordiv: return "//";
    case binary_op::mod: return "%";
    case binary_op::pow: return "** or pow()";
    default: return "?";
  }
}

[[noreturn]] void unsupported(binary_op op, const value& a, const value& b) {
  type_error(std::string("unsupported operand type(s) for ") + op_symbol(op) + ": '" + type_name(a) + "' and '" +
             type_name(b) + "'");
}

[[noreturn]] void overflow() { fail(error_kind::value_error, "integer result does not fit in 64 bits"); }

bool intlike(const value& v) { return v.is_int() || v.is_bool(); }

// Python's float floor division and modulo (sign of the divisor).
void float_divmod(double a, double b, double& div, double& mod) {
  mod = std::fmod(a, b);
  double d = (a - mod) / b;
  if (mod != 0.0) {
    if ((b < 0) != (mod < 0)) {
      mod += b;
      d -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, b);
  }
  if (d != 0.0) {
    div = std::floor(d);
    if (d - div > 0.5) div += 1.0;
  } else {
    div = std::copysign(0.0, a / b);
  }
}

value repeat_sequence(evaluator& ev, const value& seq, int64_t n) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    const std::string_view s = seq.sv();
    const auto total = checked_mul(s.size(), static_cast<uint64_t>(n));
    if (!total) fail(error_kind::limit, "string repetition overflows");
    ev.mem().budget().check_value_size(*total, "string");
    std::string out;
    out.reserve(*total);
    for (int64_t i = 0; i < n; ++i) out += s;
    return ev.mem().str_like(seq, std::move(out));
  }
  const auto& items = seq.list().items;
  const auto total = checked_mul(items.size(), static_cast<uint64_t>(n));
  if (!total || *total > (uint64_t{1} << 40)) fail(error_kind::limit, "list repetition overflows");
  ev.mem().budget().check_value_size(*total * sizeof(value), "list");
  std::vector<value> out;
  out.reserve(*total);
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return seq.is_list() ? ev.mem().list(std::move(out)) : ev.mem().tuple(std::move(out));
}

value int_pow(int64_t base, int64_t exp) {
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1) {
      if (__builtin_mul_overflow(result, base, &result)) overflow();
    }
    exp >>= 1;
    if (exp > 0 && __builtin_mul_overflow(base, base, &base)) overflow();
  }
  return value::integer(result);
}

}  // namespace

value binary_arith(evaluator& ev, binary_op op, const value& a, const value& b) {
  // str.__mod__ runs before the right operand is consulted: '%s' % undefined is ''.
  if (op == binary_op::mod && a.is_string()) return ev.mem().str_like(a, percent_format(ev, a.sv(), b));
  if (a.is_undefined()) ev.undefined_error(a);
  if (b.is_undefined()) ev.undefined_error(b);
  const bool both_int = intlike(a) && intlike(b);
  const bool both_num = a.is_number() && b.is_number();
  switch (op) {
    case binary_op::add: {
      if (both_int) {
        int64_t r;
        if (__builtin_add_overflow(a.as_int(), b.as_int(), &r)) overflow();
        return value::integer(r);
      }
      if (both_num) return value::floating(a.as_float() + b.as_float());
      if (a.is_string() && b.is_string()) {
        const bool ma = a.str().markup;
        const bool mb = b.str().markup;
        if (ma != mb) {
          // Markup + str escapes the plain operand (markupsafe).
          std::string out = ma ? std::string(a.sv()) + html_escape(b.sv()) : html_escape(a.sv()) + std::string(b.sv());
          return ev.mem().markup(std::move(out));
        }
        ev.mem().budget().check_value_size(a.sv().size() + b.sv().size(), "string");
        std::string out;
        out.reserve(a.sv().size() + b.sv().size());
        out += a.sv();
        out += b.sv();
        return ma ? ev.mem().markup(std::move(out)) : ev.str(std::move(out));
      }
      if ((a.is_list() && b.is_list() && a.list().plain() && b.list().plain()) || (a.is_tuple() && b.is_tuple())) {
        std::vector<value> out;
        ev.mem().budget().check_value_size((a.list().items.size() + b.list().items.size()) * sizeof(value), "list");
        out.reserve(a.list().items.size() + b.list().items.size());
        out.insert(out.end(), a.list().items.begin(), a.list().items.end());
        out.insert(out.end(), b.list().items.begin(), b.list().items.end());
        return a.is_list() ? ev.mem().list(std::move(out)) : ev.mem().tuple(std::move(out));
      }
      if (a.is_string()) type_error(std::string("can only concatenate str (not \"") + type_name(b) + "\") to str");
      if (a.is_list() && a.list().plain()) {
        type_error(std::string("can only concatenate list (not \"") + type_name(b) + "\") to list");
      }
      if (a.is_tuple()) type_error(std::string("can only concatenate tuple (not \"") + type_name(b) + "\") to tuple");
      unsupported(op, a, b);
    }
    case binary_op::sub: {
      if (both_int) {
        int64_t r;
        if (__builtin_sub_overflow(a.as_int(), b.as_int(), &r)) overflow();
        return value::integer(r);
      }
      if (both_num) return value::floating(a.as_float() - b.as_float());
      unsupported(op, a, b);
    }
    case binary_op::mul: {
      if (both_int) {
        int64_t r;
        if (__builtin_mul_overflow(a.as_int(), b.as_int(), &r)) overflow();
        return value::integer(r);
      }
      if (both_num) return value::floating(a.as_float() * b.as_float());
      const bool a_seq = a.is_string() || (a.is_list() && a.list().plain()) || a.is_tuple();
      const bool b_seq = b.is_string() || (b.is_list() && b.list().plain()) || b.is_tuple();
      if (a_seq && intlike(b)) return repeat_sequence(ev, a, b.as_int());
      if (b_seq && intlike(a)) return repeat_sequence(ev, b, a.as_int());
      if (a_seq || b_seq) {
        type_error(std::string("can't multiply sequence by non-int of type '") + type_name(a_seq ? b : a) + "'");
      }
      unsupported(op, a, b);
    }
    case binary_op::div: {
      if (!both_num) unsupported(op, a, b);
      if (b.as_float() == 0.0) fail(error_kind::value_error, "division by zero");
      return value::floating(a.as_float() / b.as_float());
    }
    case binary_op::floordiv:
    case binary_op::mod: {
      if (!both_num) unsupported(op, a, b);
      if (both_int) {
        const int64_t x = a.as_int();
        const int64_t y = b.as_int();
        if (y == 0) fail(error_kind::value_error, op == binary_op::mod ? "integer modulo by zero" : "integer division or modulo by zero");
        if (x == INT64_MIN && y == -1) {
          if (op == binary_op::mod) return value::integer(0);
          overflow();
        }
        int64_t q = x / y;
        int64_t r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) {
          r += y;
          q -= 1;
        }
        return value::integer(op == binary_op::mod ? r : q);
      }
      const double y = b.as_float();
      if (y == 0.0) fail(error_kind::value_error, op == binary_op::mod ? "float modulo" : "float floor division by zero");
      double div, mod;
      float_divmod(a.as_float(), y, div, mod);
      return value::floating(op == binary_op::mod ? mod : div);
    }
    case binary_op::pow: {
      if (!both_num) unsupported(op, a, b);
      if (both_int && b.as_int() >= 0) return int_pow(a.as_int(), b.as_int());
      const double x = a.as_float();
      const double y = b.as_float();
      if (x == 0.0 && y < 0) fail(error_kind::value_error, "0.0 cannot be raised to a negative power");
      if (x < 0 && y != std::floor(y)) fail(error_kind::value_error, "negative number cannot be raised to a fractional power");
      const double r = std::pow(x, y);
      if (std::isinf(r) && !std::isinf(x) && !std::isinf(y)) fail(error_kind::value_error, "(34, 'Numerical result out of range')");
      return value::floating(r);
    }
    default: unsupported(op, a, b);
  }
}

value unary_arith(evaluator& ev, unary_op op, const value& a) {
  if (a.is_undefined()) ev.undefined_error(a);
  if (intlike(a)) {
    if (op == unary_op::pos) return value::integer(a.as_int());
    if (a.as_int() == INT64_MIN) overflow();
    return value::integer(-a.as_int());
  }
  if (a.is_float()) return value::floating(op == unary_op::pos ? a.as_float() : -a.as_float());
  type_error(std::string("bad operand type for unary ") + (op == unary_op::pos ? "+" : "-") + ": '" + type_name(a) + "'");
}

value slice_value(evaluator& ev, const value& obj, const value& start_v, const value& stop_v, const value& step_v) {
  // jinja2 compiles slices to a plain Python subscript, which fails on non-sequences; its
  // constant folding however turns slices of literals into undefined. Undefined is the
  // superset: it renders where Python renders.
  if (obj.is_undefined()) ev.undefined_error(obj);
  if ((!obj.is_string() && !obj.is_list() && !obj.is_tuple()) || (obj.is_list() && obj.list().is_view())) {
    return value::undefined();
  }
  auto index_of = [](const value& v, bool& given) -> int64_t {
    given = !v.is_none();
    if (!given) return 0;
    if (!intlike(v)) type_error("slice indices must be integers or None or have an __index__ method");
    return v.as_int();
  };
  bool has_start, has_stop;
  int64_t start = index_of(start_v, has_start);
  int64_t stop = index_of(stop_v, has_stop);
  int64_t step = 1;
  if (!step_v.is_none()) {
    bool given;
    step = index_of(step_v, given);
  }
  if (step == 0) fail(error_kind::value_error, "slice step cannot be zero");
  if (step == INT64_MIN) step = -INT64_MAX;
  const auto length = static_cast<int64_t>(obj.is_string() ? obj.str().length : obj.list().items.size());
  auto adjust = [&](int64_t& i, bool given, int64_t dflt) {
    if (!given) {
      i = dflt;
      return;
    }
    if (i < 0) {
      i += length;
      if (i < 0) i = step < 0 ? -1 : 0;
    } else if (i >= length) {
      i = step < 0 ? length - 1 : length;
    }
  };
  adjust(start, has_start, step < 0 ? length - 1 : 0);
  adjust(stop, has_stop, step < 0 ? -1 : length);
  int64_t count = 0;
  if (step < 0) {
    if (stop < start) count = (start - stop - 1) / (-step) + 1;
  } else if (start < stop) {
    count = (stop - start - 1) / step + 1;
  }
  if (obj.is_string()) {
    const str_obj& s = obj.str();
    if (step == 1) {
      if (count <= 0) return value::string(empty_str());
      if (s.ascii()) return ev.mem().str_like(obj, s.text.substr(static_cast<size_t>(start), static_cast<size_t>(count)));
      const size_t b = utf8_offset(s.text, static_cast<size_t>(start));
      const size_t e = utf8_offset(std::string_view(s.text).substr(b), static_cast<size_t>(count)) + b;
      return ev.mem().str_like(obj, s.text.substr(b, e - b));
    }
    std::vector<size_t> offsets;
    if (!s.ascii()) {
      offsets.reserve(s.length + 1);
      size_t pos = 0;
      while (pos < s.text.size()) {
        offsets.push_back(pos);
        utf8_next(s.text, pos);
      }
      offsets.push_back(pos);
    }
    std::string out;
    for (int64_t k = 0, i = start; k < count; ++k, i += step) {
      const auto u = static_cast<size_t>(i);
      if (s.ascii()) {
        out.push_back(s.text[u]);
      } else {
        out.append(s.text, offsets[u], offsets[u + 1] - offsets[u]);
      }
    }
    return ev.mem().str_like(obj, std::move(out));
  }
  const auto& items = obj.list().items;
  std::vector<value> out;
  out.reserve(static_cast<size_t>(count));
  for (int64_t k = 0, i = start; k < count; ++k, i += step) out.push_back(items[static_cast<size_t>(i)]);
  if (obj.is_list() && obj.list().flavor == list_flavor::range) {
    // range(a, b, s)[i:j:k] == range(a + i*s, a + j*s, s*k); bounds stay within the range.
    const list_obj& r = obj.list();
    return ev.mem().range(r.range_start + start * r.range_step, r.range_start + stop * r.range_step, r.range_step * step,
                          std::move(out));
  }
  return obj.is_list() ? ev.mem().list(std::move(out)) : ev.mem().tuple(std::move(out));
}

}  // namespace plexus::chat::jinja

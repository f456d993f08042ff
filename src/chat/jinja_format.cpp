// Python string formatting: printf-style `%`, str.format, and strftime for strftime_now().
#include <cmath>
#include <cstdio>

#include "chat/jinja_evaluator.h"
#include "chat/jinja_strings.h"
#include "chat/jinja_unicode.h"
#include "core/utf8.h"

namespace plexus::chat::jinja {

namespace {

bool intlike(const value& v) { return v.is_int() || v.is_bool(); }

std::string int_digits(uint64_t magnitude, int base, bool upper) {
  if (magnitude == 0) return "0";
  std::string d;
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  while (magnitude > 0) {
    d.push_back(digits[magnitude % static_cast<uint64_t>(base)]);
    magnitude /= static_cast<uint64_t>(base);
  }
  return std::string(d.rbegin(), d.rend());
}

uint64_t magnitude_of(int64_t v) { return v < 0 ? static_cast<uint64_t>(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v); }

// Pads `body` (already including sign/prefix) to `width` code points.
std::string pad(std::string body, int64_t width, bool left_align) {
  const auto len = static_cast<int64_t>(utf8_length(body));
  if (width <= len) return body;
  const std::string fill(static_cast<size_t>(width - len), ' ');
  return left_align ? body + fill : fill + body;
}

std::string c_float(char conv, const std::string& flags, int64_t width, int64_t precision, double v) {
  std::string spec = "%" + flags;
  if (width >= 0) spec += std::to_string(width);
  if (precision >= 0) spec += "." + std::to_string(precision);
  spec.push_back(conv);
  const int n = std::snprintf(nullptr, 0, spec.c_str(), v);
  std::string out(static_cast<size_t>(n > 0 ? n : 0), '\0');
  std::snprintf(out.data(), out.size() + 1, spec.c_str(), v);
  return out;
}

struct percent_spec {
  bool left = false, plus = false, space = false, alt = false, zero = false;
  int64_t width = -1;
  int64_t precision = -1;
  char conv = 's';
};

std::string format_percent_int(const percent_spec& sp, int64_t v, int base, bool upper) {
  std::string head;
  if (v < 0) {
    head.push_back('-');
  } else if (sp.plus) {
    head.push_back('+');
  } else if (sp.space) {
    head.push_back(' ');
  }
  if (sp.alt && base != 10) {
    head.push_back('0');
    head.push_back(base == 8 ? 'o' : upper ? 'X' : 'x');
  }
  std::string digits = int_digits(magnitude_of(v), base, upper);
  if (sp.precision > static_cast<int64_t>(digits.size())) digits.insert(0, static_cast<size_t>(sp.precision) - digits.size(), '0');
  if (sp.zero && !sp.left && sp.width > static_cast<int64_t>(head.size() + digits.size())) {
    digits.insert(0, static_cast<size_t>(sp.width) - head.size() - digits.size(), '0');
  }
  return pad(head + digits, sp.width, sp.left);
}

std::string format_percent(evaluator& ev, const percent_spec& sp, const value& v) {
  const size_t limit = ev.options().max_value_bytes;
  switch (sp.conv) {
    case 's':
    case 'r':
    case 'a': {
      std::string s;
      if (sp.conv == 's') {
        append_str(s, v, limit);
      } else {
        append_repr(s, v, limit);
      }
      if (sp.precision >= 0) s.resize(utf8_offset(s, static_cast<size_t>(sp.precision)));
      return pad(std::move(s), sp.width, sp.left);
    }
    case 'd':
    case 'i':
    case 'u':
    case 'o':
    case 'x':
    case 'X': {
      int64_t n;
      if (intlike(v)) {
        n = v.as_int();
      } else if (v.is_float() && (sp.conv == 'd' || sp.conv == 'i' || sp.conv == 'u')) {
        const double d = v.as_float();
        if (!std::isfinite(d) || std::fabs(d) > 9.2e18) fail(error_kind::value_error, "cannot convert float to integer");
        n = static_cast<int64_t>(d);
      } else {
        type_error(std::string("%") + sp.conv + " format: " +
                   (sp.conv == 'o' || sp.conv == 'x' || sp.conv == 'X' ? "an integer" : "a real number") +
                   " is required, not " + type_name(v));
      }
      const int base = sp.conv == 'o' ? 8 : (sp.conv == 'x' || sp.conv == 'X') ? 16 : 10;
      return format_percent_int(sp, n, base, sp.conv == 'X');
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      if (!v.is_number()) type_error(std::string("must be real number, not ") + type_name(v));
      std::string flags;
      if (sp.left) flags += '-';
      if (sp.plus) flags += '+';
      if (sp.space) flags += ' ';
      if (sp.alt) flags += '#';
      if (sp.zero) flags += '0';
      return c_float(sp.conv, flags, sp.width, sp.precision < 0 ? 6 : sp.precision, v.as_float());
    }
    case 'c': {
      std::string s;
      if (intlike(v)) {
        if (v.as_int() < 0 || v.as_int() > 0x10FFFF) fail(error_kind::value_error, "%c arg not in range(0x110000)");
        utf8::append(s, static_cast<char32_t>(v.as_int()));
      } else if (v.is_string() && v.str().length == 1) {
        s = std::string(v.sv());
      } else {
        type_error("%c requires int or char");
      }
      return pad(std::move(s), sp.width, sp.left);
    }
    default: fail(error_kind::value_error, std::string("unsupported format character '") + sp.conv + "'");
  }
}

}  // namespace

std::string percent_format(evaluator& ev, std::string_view fmt, const value& args) {
  std::vector<value> positional;
  const bool mapping = args.is_dict();
  // Python skips the "not all arguments converted" check for any argument with __getitem__.
  const bool subscriptable = mapping || args.is_list() || args.is_undefined();
  if (args.is_tuple()) {
    positional = args.list().items;
  } else {
    positional.push_back(args);
  }
  size_t next_arg = 0;
  bool used_mapping = false;
  auto take = [&]() -> value {
    if (next_arg >= positional.size()) type_error("not enough arguments for format string");
    return positional[next_arg++];
  };
  std::string out;
  size_t i = 0;
  while (i < fmt.size()) {
    if (fmt[i] != '%') {
      out.push_back(fmt[i++]);
      continue;
    }
    if (++i >= fmt.size()) fail(error_kind::value_error, "incomplete format");
    percent_spec sp;
    value arg;
    bool have_arg = false;
    if (fmt[i] == '(') {
      if (args.is_undefined()) ev.undefined_error(args);
      if (!mapping) type_error("format requires a mapping");
      int depth = 1;
      const size_t start = ++i;
      while (i < fmt.size() && depth > 0) {
        if (fmt[i] == '(') ++depth;
        if (fmt[i] == ')') --depth;
        ++i;
      }
      if (depth != 0) fail(error_kind::value_error, "incomplete format key");
      const value* found = args.dict().find(fmt.substr(start, i - 1 - start));
      if (found == nullptr) fail(error_kind::value_error, "KeyError: '" + std::string(fmt.substr(start, i - 1 - start)) + "'");
      arg = *found;
      have_arg = true;
      used_mapping = true;
    }
    for (; i < fmt.size(); ++i) {
      const char c = fmt[i];
      if (c == '-') sp.left = true;
      else if (c == '+') sp.plus = true;
      else if (c == ' ') sp.space = true;
      else if (c == '#') sp.alt = true;
      else if (c == '0') sp.zero = true;
      else break;
    }
    auto read_number = [&](int64_t& target) {
      if (i < fmt.size() && fmt[i] == '*') {
        const value w = take();
        if (!intlike(w)) type_error("* wants int");
        target = w.as_int();
        ++i;
        return;
      }
      if (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
        target = 0;
        while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
          target = std::min<int64_t>(target * 10 + (fmt[i] - '0'), 1 << 24);
          ++i;
        }
      }
    };
    read_number(sp.width);
    if (sp.width < -1) {
      sp.left = true;
      sp.width = -sp.width;
    }
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      sp.precision = 0;
      read_number(sp.precision);
    }
    while (i < fmt.size() && (fmt[i] == 'h' || fmt[i] == 'l' || fmt[i] == 'L')) ++i;
    if (i >= fmt.size()) fail(error_kind::value_error, "incomplete format");
    sp.conv = fmt[i++];
    if (sp.conv == '%') {
      out.push_back('%');
      continue;
    }
    if (!have_arg) arg = take();
    out += format_percent(ev, sp, arg);
    if (out.size() > ev.options().max_value_bytes) fail_output_size(ev.options().max_value_bytes);
  }
  if (!used_mapping && !subscriptable && next_arg < positional.size()) {
    type_error("not all arguments converted during string formatting");
  }
  return out;
}

// ---------------------------------------------------------------- str.format

namespace {

struct format_spec {
  std::string fill = " ";
  char align = 0;
  char sign = '-';
  bool alt = false;
  bool zero = false;
  int64_t width = -1;
  char grouping = 0;
  int64_t precision = -1;
  char type = 0;
};

format_spec parse_format_spec(std::string_view s) {
  format_spec f;
  size_t i = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (!s.empty()) {
    size_t p = 0;
    utf8_next(s, p);
    if (p < s.size() && is_align(s[p])) {
      f.fill = std::string(s.substr(0, p));
      f.align = s[p];
      i = p + 1;
    } else if (is_align(s[0])) {
      f.align = s[0];
      i = 1;
    }
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) f.sign = s[i++];
  if (i < s.size() && s[i] == '#') {
    f.alt = true;
    ++i;
  }
  if (i < s.size() && s[i] == '0') {
    f.zero = true;
    ++i;
  }
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') f.width = std::min<int64_t>(std::max<int64_t>(f.width, 0) * 10 + (s[i++] - '0'), 1 << 24);
  if (i < s.size() && (s[i] == ',' || s[i] == '_')) f.grouping = s[i++];
  if (i < s.size() && s[i] == '.') {
    ++i;
    f.precision = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') f.precision = std::min<int64_t>(f.precision * 10 + (s[i++] - '0'), 1 << 24);
  }
  if (i < s.size()) f.type = s[i++];
  if (i != s.size()) fail(error_kind::value_error, "Invalid format specifier");
  return f;
}

std::string group_digits(const std::string& digits, char sep) {
  std::string out;
  const size_t n = digits.size();
  for (size_t k = 0; k < n; ++k) {
    if (k > 0 && (n - k) % 3 == 0) out.push_back(sep);
    out.push_back(digits[k]);
  }
  return out;
}

std::string align_field(const std::string& sign, const std::string& body, const format_spec& f, char default_align) {
  char align = f.align ? f.align : (f.zero ? '=' : default_align);
  const std::string fill = f.align ? f.fill : (f.zero ? "0" : " ");
  const auto len = static_cast<int64_t>(utf8_length(sign) + utf8_length(body));
  if (f.width <= len) return sign + body;
  const int64_t marg = f.width - len;
  std::string pad_left, pad_right;
  int64_t left = align == '<' ? 0 : align == '^' ? marg / 2 : marg;
  for (int64_t i = 0; i < left; ++i) pad_left += fill;
  for (int64_t i = 0; i < marg - left; ++i) pad_right += fill;
  if (align == '=') return sign + pad_left + body;
  return pad_left + sign + body + pad_right;
}

std::string apply_format_spec(evaluator& ev, const value& v, std::string_view spec_text) {
  if (spec_text.empty()) return to_str(v, ev.options().max_value_bytes);
  const format_spec f = parse_format_spec(spec_text);
  if (v.is_string()) {
    if (f.type != 0 && f.type != 's') fail(error_kind::value_error, std::string("Unknown format code '") + f.type + "' for object of type 'str'");
    std::string s(v.sv());
    if (f.precision >= 0) s.resize(utf8_offset(s, static_cast<size_t>(f.precision)));
    return align_field("", s, f, '<');
  }
  if (!v.is_number()) type_error(std::string("unsupported format string passed to ") + type_name(v) + ".__format__");
  const bool is_int_value = intlike(v);
  const char t = f.type;
  if (is_int_value && (t == 0 || t == 'd' || t == 'n' || t == 'b' || t == 'o' || t == 'x' || t == 'X' || t == 'c')) {
    const int64_t n = v.as_int();
    if (t == 'c') {
      std::string s;
      utf8::append(s, static_cast<char32_t>(std::clamp<int64_t>(n, 0, 0x10FFFF)));
      return align_field("", s, f, '<');
    }
    const int base = t == 'b' ? 2 : t == 'o' ? 8 : (t == 'x' || t == 'X') ? 16 : 10;
    std::string digits = int_digits(magnitude_of(n), base, t == 'X');
    if (f.grouping) digits = group_digits(digits, f.grouping);
    std::string sign = n < 0 ? "-" : f.sign == '+' ? "+" : f.sign == ' ' ? " " : "";
    if (f.alt && base != 10) sign += base == 2 ? "0b" : base == 8 ? "0o" : t == 'X' ? "0X" : "0x";
    return align_field(sign, digits, f, '>');
  }
  if (!(t == 0 || t == 'e' || t == 'E' || t == 'f' || t == 'F' || t == 'g' || t == 'G' || t == '%' || t == 'n')) {
    fail(error_kind::value_error, std::string("Unknown format code '") + t + "' for object of type '" + type_name(v) + "'");
  }
  double d = v.as_float();
  std::string body;
  const bool negative = std::signbit(d) && !std::isnan(d);
  const double mag = std::fabs(d);
  if (t == 0 && f.precision < 0) {
    body = to_str(value::floating(mag));
    if (is_int_value) body = to_str(value::integer(static_cast<int64_t>(mag)));
  } else if (t == '%') {
    body = c_float('f', "", -1, f.precision < 0 ? 6 : f.precision, mag * 100) + "%";
  } else if (t == 0 || t == 'n') {
    body = c_float('g', "", -1, f.precision < 0 ? 12 : std::max<int64_t>(f.precision, 1), mag);
    if (t == 0 && body.find_first_of(".einIN") == std::string::npos) body += ".0";
  } else {
    body = c_float(t, f.alt ? "#" : "", -1, f.precision < 0 ? 6 : f.precision, mag);
  }
  if (f.grouping && std::isfinite(mag)) {
    const size_t end = body.find_first_not_of("0123456789");
    body = group_digits(body.substr(0, end), f.grouping) + (end == std::string::npos ? "" : body.substr(end));
  }
  const std::string sign = negative ? "-" : f.sign == '+' ? "+" : f.sign == ' ' ? " " : "";
  return align_field(sign, body, f, '>');
}

}  // namespace

std::string str_format(evaluator& ev, std::string_view fmt, const call_args& args) {
  std::string out;
  size_t auto_index = 0;
  bool manual = false;
  bool automatic = false;
  const size_t limit = ev.options().max_value_bytes;
  size_t i = 0;
  while (i < fmt.size()) {
    const char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out.push_back('}');
        i += 2;
        continue;
      }
      fail(error_kind::value_error, "Single '}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out.push_back('{');
      i += 2;
      continue;
    }
    // Find the matching '}' allowing one level of nested fields in the spec.
    int depth = 1;
    size_t j = i + 1;
    while (j < fmt.size() && depth > 0) {
      if (fmt[j] == '{') ++depth;
      if (fmt[j] == '}') --depth;
      if (depth > 0) ++j;
    }
    if (depth != 0) fail(error_kind::value_error, "expected '}' before end of string");
    std::string_view field = fmt.substr(i + 1, j - i - 1);
    i = j + 1;
    std::string_view spec;
    char conversion = 0;
    const size_t colon = field.find(':');
    if (colon != std::string_view::npos) {
      spec = field.substr(colon + 1);
      field = field.substr(0, colon);
    }
    const size_t bang = field.find('!');
    if (bang != std::string_view::npos) {
      if (bang + 2 != field.size()) fail(error_kind::value_error, "expected ':' after conversion specifier");
      conversion = field[bang + 1];
      field = field.substr(0, bang);
    }
    size_t name_end = field.find_first_of(".[");
    const std::string_view head = field.substr(0, name_end);
    value v;
    if (head.empty() || py_str_all<py_isdigit>(head)) {
      size_t index;
      if (head.empty()) {
        if (manual) fail(error_kind::value_error, "cannot switch from manual field specification to automatic field numbering");
        automatic = true;
        index = auto_index++;
      } else {
        if (automatic) fail(error_kind::value_error, "cannot switch from automatic field numbering to manual field specification");
        manual = true;
        index = static_cast<size_t>(std::stoull(std::string(head)));
      }
      if (index >= args.pos.size()) fail(error_kind::value_error, "Replacement index " + std::to_string(index) + " out of range for positional args tuple");
      v = args.pos[index];
    } else {
      bool found = false;
      for (const auto& [k, kv] : args.kw) {
        if (k == head) {
          v = kv;
          found = true;
        }
      }
      if (!found) fail(error_kind::value_error, "KeyError: '" + std::string(head) + "'");
    }
    while (name_end != std::string_view::npos && name_end < field.size()) {
      if (field[name_end] == '.') {
        const size_t next = field.find_first_of(".[", name_end + 1);
        v = ev.getattr(v, field.substr(name_end + 1, next == std::string_view::npos ? std::string_view::npos : next - name_end - 1));
        name_end = next;
      } else {
        const size_t close = field.find(']', name_end);
        if (close == std::string_view::npos) fail(error_kind::value_error, "Missing ']' in format string");
        const std::string_view key = field.substr(name_end + 1, close - name_end - 1);
        v = py_str_all<py_isdigit>(key) ? ev.getitem(v, value::integer(std::stoll(std::string(key)))) : ev.getitem(v, ev.str(key));
        name_end = close + 1 < field.size() ? close + 1 : std::string_view::npos;
      }
    }
    if (conversion == 'r' || conversion == 'a') {
      std::string r;
      append_repr(r, v, limit);
      v = ev.str(std::move(r));
    } else if (conversion == 's') {
      v = ev.str(to_str(v, limit));
    } else if (conversion != 0) {
      fail(error_kind::value_error, std::string("Unknown conversion specifier ") + conversion);
    }
    std::string spec_text(spec);
    if (spec_text.find('{') != std::string::npos) spec_text = str_format(ev, spec_text, args);
    out += apply_format_spec(ev, v, spec_text);
    if (out.size() > limit) fail_output_size(limit);
  }
  return out;
}

// ---------------------------------------------------------------- strftime

namespace {

int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

const char* const weekday_names[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
const char* const month_names[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};

std::string two(int v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%02d", v);
  return buf;
}

}  // namespace

std::string format_time(std::string_view fmt, const civil_time& t) {
  const int64_t days = days_from_civil(t.year, t.month, t.day);
  const int wday = static_cast<int>(((days % 7) + 11) % 7);  // 0 = Sunday; 1970-01-01 was a Thursday
  const int yday = static_cast<int>(days - days_from_civil(t.year, 1, 1));  // 0-based
  const int month_index = std::clamp(t.month, 1, 12) - 1;
  const int hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%' || i + 1 >= fmt.size()) {
      out.push_back(fmt[i]);
      continue;
    }
    const char c = fmt[++i];
    char buf[32];
    switch (c) {
      case 'a': out.append(weekday_names[wday], 3); break;
      case 'A': out += weekday_names[wday]; break;
      case 'b':
      case 'h': out.append(month_names[month_index], 3); break;
      case 'B': out += month_names[month_index]; break;
      case 'c':
        std::snprintf(buf, sizeof(buf), "%.3s %.3s %2d %02d:%02d:%02d %d", weekday_names[wday], month_names[month_index], t.day,
                      t.hour, t.minute, t.second, t.year);
        out += buf;
        break;
      case 'C': out += two(t.year / 100); break;
      case 'd': out += two(t.day); break;
      case 'D': out += two(t.month) + "/" + two(t.day) + "/" + two(t.year % 100); break;
      case 'e': std::snprintf(buf, sizeof(buf), "%2d", t.day); out += buf; break;
      case 'f': out += "000000"; break;
      case 'F': std::snprintf(buf, sizeof(buf), "%d-%02d-%02d", t.year, t.month, t.day); out += buf; break;
      case 'H': out += two(t.hour); break;
      case 'I': out += two(hour12); break;
      case 'j': std::snprintf(buf, sizeof(buf), "%03d", yday + 1); out += buf; break;
      case 'k': std::snprintf(buf, sizeof(buf), "%2d", t.hour); out += buf; break;
      case 'l': std::snprintf(buf, sizeof(buf), "%2d", hour12); out += buf; break;
      case 'm': out += two(t.month); break;
      case 'M': out += two(t.minute); break;
      case 'n': out.push_back('\n'); break;
      case 'p': out += t.hour < 12 ? "AM" : "PM"; break;
      case 'r': out += two(hour12) + ":" + two(t.minute) + ":" + two(t.second) + " " + (t.hour < 12 ? "AM" : "PM"); break;
      case 'R': out += two(t.hour) + ":" + two(t.minute); break;
      case 'S': out += two(t.second); break;
      case 't': out.push_back('\t'); break;
      case 'T':
      case 'X': out += two(t.hour) + ":" + two(t.minute) + ":" + two(t.second); break;
      case 'u': out += std::to_string(wday == 0 ? 7 : wday); break;
      case 'U': out += two((yday + 7 - wday) / 7); break;
      case 'w': out += std::to_string(wday); break;
      case 'W': out += two((yday + 7 - (wday + 6) % 7) / 7); break;
      case 'x': out += two(t.month) + "/" + two(t.day) + "/" + two(t.year % 100); break;
      case 'y': out += two(t.year % 100); break;
      case 'Y': out += std::to_string(t.year); break;
      case 'z':
      case 'Z': break;
      case 'G':
      case 'g':
      case 'V': {
        // ISO 8601 week-based year and week number: the week's Thursday decides the year.
        const int iso_wday = wday == 0 ? 7 : wday;
        int year = t.year;
        int thursday = yday - (iso_wday - 4);
        if (thursday < 0) {
          --year;
          thursday += is_leap(year) ? 366 : 365;
        } else if (thursday >= (is_leap(year) ? 366 : 365)) {
          thursday -= is_leap(year) ? 366 : 365;
          ++year;
        }
        const int week = thursday / 7 + 1;
        if (c == 'V') out += two(week);
        else if (c == 'G') out += std::to_string(year);
        else out += two(year % 100);
        break;
      }
      case '%': out.push_back('%'); break;
      default:
        out.push_back('%');
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace plexus::chat::jinja

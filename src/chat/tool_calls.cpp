#include "chat/tool_calls.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "core/utf8.h"

namespace plexus::chat {
namespace {

using ojson = nlohmann::ordered_json;

constexpr std::string_view kHermesOpen = "<tool_call>";
constexpr std::string_view kHermesClose = "</tool_call>";
constexpr std::string_view kPythonTag = "<|python_tag|>";
constexpr std::string_view kMistralCalls = "[TOOL_CALLS]";
constexpr std::string_view kMistralArgs = "[ARGS]";
constexpr std::string_view kPythonStart = "<|python_start|>";
constexpr std::string_view kPythonEnd = "<|python_end|>";
constexpr std::string_view kPythonicExample = "[func_name1(";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_space(std::string_view s, size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

std::string trim(std::string_view s) {
  size_t b = skip_space(s, 0);
  size_t e = s.size();
  while (e > b && is_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

bool has_non_space(std::string_view s) { return skip_space(s, 0) < s.size(); }

// s[i] is '{' or '['. Index just past the matching bracket, or npos when the value is not closed
// or nests deeper than max_depth. Strings (with escapes) are skipped; the text between brackets is
// not otherwise checked (the JSON parser does that on the extracted span).
size_t json_value_end(std::string_view s, size_t i, uint32_t max_depth) {
  uint32_t depth = 0;
  bool in_string = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return std::string_view::npos;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return std::string_view::npos;
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

// Parses s[i, end_of_value) as JSON; null on any error.
ojson parse_span(std::string_view s, size_t begin, size_t end) {
  return ojson::parse(s.substr(begin, end - begin), nullptr, /*allow_exceptions=*/false);
}

class call_parser {
 public:
  call_parser(std::span<const std::string> known, const tool_call_limits& limits) : known_(known), limits_(limits) {}

  // {"name": ..., "arguments"|"parameters": object or JSON string of an object}.
  bool add_object(const ojson& obj) {
    if (!obj.is_object()) return false;
    auto name = obj.find("name");
    if (name == obj.end() || !name->is_string()) return false;
    auto args = obj.find("arguments");
    if (args == obj.end()) args = obj.find("parameters");
    ojson arguments = ojson::object();
    if (args != obj.end()) {
      if (args->is_object()) {
        arguments = *args;
      } else if (args->is_string()) {
        const std::string& text = args->get_ref<const std::string&>();
        if (text.empty()) return false;
        const size_t end = text[0] == '{' ? json_value_end(text, 0, limits_.max_json_depth) : std::string::npos;
        if (end != text.size()) return false;
        arguments = parse_span(text, 0, end);
        if (!arguments.is_object()) return false;
      } else {
        return false;
      }
    }
    return add(name->get<std::string>(), arguments);
  }

  bool add(std::string name, const ojson& arguments) {
    if (name.empty() || name.size() > limits_.max_name_bytes || calls_.size() >= limits_.max_calls) return false;
    if (!known_.empty() && std::find(known_.begin(), known_.end(), name) == known_.end()) return false;
    tool_call call;
    call.id = make_tool_call_id();
    call.name = std::move(name);
    call.arguments = arguments.dump(-1, ' ', false, ojson::error_handler_t::replace);
    calls_.push_back(std::move(call));
    return true;
  }

  // An object (one call) or an array of call objects at s[i]; advances i past it.
  bool add_value(std::string_view s, size_t& i) {
    if (i >= s.size() || (s[i] != '{' && s[i] != '[')) return false;
    const size_t end = json_value_end(s, i, limits_.max_json_depth);
    if (end == std::string_view::npos) return false;
    ojson v = parse_span(s, i, end);
    i = end;
    if (v.is_object()) return add_object(v);
    if (!v.is_array() || v.empty()) return false;
    for (const auto& item : v) {
      if (!add_object(item)) return false;
    }
    return true;
  }

  std::vector<tool_call> take() { return std::move(calls_); }

 private:
  std::span<const std::string> known_;
  const tool_call_limits& limits_;
  std::vector<tool_call> calls_;
};

bool parse_hermes(std::string_view s, call_parser& p, std::string& content) {
  size_t i = 0;
  bool any = false;
  while (true) {
    const size_t open = s.find(kHermesOpen, i);
    if (open == std::string_view::npos) {
      content.append(s.substr(i));
      break;
    }
    content.append(s.substr(i, open - i));
    size_t j = skip_space(s, open + kHermesOpen.size());
    if (!p.add_value(s, j)) return false;
    any = true;
    j = skip_space(s, j);
    if (s.substr(j, kHermesClose.size()) == kHermesClose) {
      j += kHermesClose.size();
    } else if (j != s.size()) {
      return false;  // neither closed nor the end of the output (a truncated last call is accepted)
    }
    i = j;
  }
  return any;
}

// Where parsing starts: just past the first `marker`, the text before it going to `content`; 0
// when the output has no marker.
size_t after_marker(std::string_view s, std::string_view marker, std::string& content) {
  const size_t at = s.find(marker);
  if (at == std::string_view::npos) return 0;
  content.append(s.substr(0, at));
  return at + marker.size();
}

bool parse_llama3(std::string_view s, call_parser& p, std::string& content) {
  size_t i = after_marker(s, kPythonTag, content);
  i = skip_space(s, i);
  if (i >= s.size() || (s[i] != '{' && s[i] != '[')) return false;
  bool any = false;
  while (i < s.size()) {
    if (!p.add_value(s, i)) return false;
    any = true;
    while (i < s.size() && (is_space(s[i]) || s[i] == ';')) ++i;
  }
  return any;
}

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// After an item of a list closed by `close`: skips a ',' (more may follow) or stops at `close`
// (left for the caller); false on anything else.
bool after_item(std::string_view s, size_t& i, char close) {
  i = skip_space(s, i);
  if (i < s.size() && s[i] == ',') {
    ++i;
    return true;
  }
  return i < s.size() && s[i] == close;
}

// A Python literal, as pythonic calls write argument values, read into JSON: strings in single or
// double quotes (backslash escapes), integers and floats, True/False/None (and JSON's
// true/false/null), lists and tuples (arrays), dicts with string keys (objects). Anything else,
// or nesting past max_depth, fails. Not thread-safe (one per parse).
class python_literal {
 public:
  python_literal(std::string_view s, size_t& i, uint32_t max_depth) : s_(s), i_(i), max_depth_(max_depth) {}

  bool read(ojson& out, uint32_t depth = 0) {
    i_ = skip_space(s_, i_);
    if (i_ >= s_.size() || depth > max_depth_) return false;
    const char c = s_[i_];
    if (c == '\'' || c == '"') {
      std::string text;
      if (!read_string(text)) return false;
      out = std::move(text);
      return true;
    }
    if (c == '[' || c == '(') return read_sequence(out, c == '[' ? ']' : ')', depth);
    if (c == '{') return read_dict(out, depth);
    if (c == '-' || c == '+' || (c >= '0' && c <= '9') || c == '.') return read_number(out);
    for (const auto& [word, value] : kWords) {
      const size_t end = i_ + word.size();
      if (s_.substr(i_, word.size()) == word && !(end < s_.size() && is_identifier_char(s_[end]))) {
        i_ += word.size();
        out = value;
        return true;
      }
    }
    return false;
  }

 private:
  static inline const std::pair<std::string_view, ojson> kWords[] = {
      {"True", true}, {"False", false}, {"None", nullptr}, {"true", true}, {"false", false}, {"null", nullptr}};

  // hex digits s_[at, at + n) -> *cp; false when any is not a hex digit or the input ends.
  bool hex(size_t at, int n, uint32_t& cp) const {
    if (at > s_.size() || s_.size() - at < static_cast<size_t>(n)) return false;
    const auto [end, ec] = std::from_chars(s_.data() + at, s_.data() + at + n, cp, 16);
    return ec == std::errc() && end == s_.data() + at + n;
  }

  bool read_string(std::string& out) {
    const char quote = s_[i_++];
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == quote) return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      uint32_t cp = 0;
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case '0': out += '\0'; break;
        case '\\': case '\'': case '"': out += e; break;
        case 'x': case 'u': case 'U': {
          const int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (!hex(i_, digits, cp) || cp > utf8::kMaxCodePoint || utf8::is_surrogate(cp)) return false;
          i_ += static_cast<size_t>(digits);
          utf8::append(out, cp);
          break;
        }
        default: out += '\\'; out += e; break;  // Python keeps unknown escapes as written
      }
    }
    return false;  // not closed
  }

  bool read_number(ojson& out) {
    const size_t begin = i_;
    if (s_[i_] == '-' || s_[i_] == '+') ++i_;
    bool is_float = false;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      const bool exponent_sign = (c == '-' || c == '+') && (s_[i_ - 1] == 'e' || s_[i_ - 1] == 'E');
      if (c == '.' || c == 'e' || c == 'E') {
        is_float = true;
      } else if (!exponent_sign && (c < '0' || c > '9')) {
        break;
      }
      ++i_;
    }
    const char* first = s_.data() + begin + (s_[begin] == '+' ? 1 : 0);
    const char* last = s_.data() + i_;
    if (!is_float) {
      int64_t v = 0;
      const auto [end, ec] = std::from_chars(first, last, v);
      if (ec == std::errc() && end == last) {
        out = v;
        return true;
      }
    }
    double d = 0;  // a float, or an integer past int64
    const auto [end, ec] = std::from_chars(first, last, d);
    if (ec != std::errc() || end != last || !std::isfinite(d)) return false;
    out = d;
    return true;
  }

  bool read_sequence(ojson& out, char close, uint32_t depth) {
    ++i_;
    out = ojson::array();
    while (true) {
      i_ = skip_space(s_, i_);
      if (i_ < s_.size() && s_[i_] == close) break;
      ojson item;
      if (!read(item, depth + 1)) return false;
      out.push_back(std::move(item));
      if (!after_item(s_, i_, close)) return false;
    }
    ++i_;
    return true;
  }

  bool read_dict(ojson& out, uint32_t depth) {
    ++i_;
    out = ojson::object();
    while (true) {
      i_ = skip_space(s_, i_);
      if (i_ < s_.size() && s_[i_] == '}') break;
      ojson key, value;
      if (!read(key, depth + 1) || !key.is_string()) return false;
      i_ = skip_space(s_, i_);
      if (i_ >= s_.size() || s_[i_] != ':') return false;
      ++i_;
      if (!read(value, depth + 1)) return false;
      out[key.get<std::string>()] = std::move(value);
      if (!after_item(s_, i_, '}')) return false;
    }
    ++i_;
    return true;
  }

  std::string_view s_;
  size_t& i_;
  uint32_t max_depth_;
};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

bool parse_mistral(std::string_view s, call_parser& p, std::string& content, uint32_t max_depth) {
  size_t i = 0;
  const size_t marker = s.find(kMistralCalls);
  if (marker != std::string_view::npos) {
    content.append(s.substr(0, marker));
    i = marker + kMistralCalls.size();
  } else {
    // The control token may have been dropped: a bare JSON array of calls is accepted.
    i = skip_space(s, 0);
    if (i >= s.size() || s[i] != '[') return false;
  }
  bool any = false;
  while (true) {
    i = skip_space(s, i);
    if (i < s.size() && s[i] == '[') {
      if (!p.add_value(s, i)) return false;
    } else {
      // name[ARGS]{...}
      const size_t name_begin = i;
      while (i < s.size() && is_name_char(s[i])) ++i;
      if (i == name_begin || s.substr(i, kMistralArgs.size()) != kMistralArgs) return false;
      const std::string name(s.substr(name_begin, i - name_begin));
      i = skip_space(s, i + kMistralArgs.size());
      if (i >= s.size() || s[i] != '{') return false;
      const size_t end = json_value_end(s, i, max_depth);
      if (end == std::string_view::npos) return false;
      const ojson args = parse_span(s, i, end);
      if (!args.is_object() || !p.add(name, args)) return false;
      i = end;
    }
    any = true;
    i = skip_space(s, i);
    if (s.substr(i, kMistralCalls.size()) == kMistralCalls) {
      i += kMistralCalls.size();
      continue;
    }
    break;
  }
  if (has_non_space(s.substr(i))) content.append(s.substr(i));
  return any;
}

// [f(a=1, b='x'), g()] with Python literal values (Llama 3.2 1B/3B, Llama 4, Gemma tool
// templates), optionally between <|python_start|> and <|python_end|> (text before the marker is
// content). Output that opens JSON instead is read as llama3's (a call forced by tool_choice is
// generated in that form).
bool parse_pythonic(std::string_view s, call_parser& p, std::string& content, uint32_t max_depth) {
  size_t i = skip_space(s, after_marker(s, kPythonStart, content));
  if (i < s.size() && s[i] == '{') return parse_llama3(s.substr(i), p, content);
  if (i >= s.size() || s[i] != '[') return false;
  ++i;
  while (true) {
    i = skip_space(s, i);  // "[]" fails below: no name
    const size_t name_begin = i;
    while (i < s.size() && is_name_char(s[i])) ++i;
    const std::string name(s.substr(name_begin, i - name_begin));
    i = skip_space(s, i);
    if (name.empty() || i >= s.size() || s[i] != '(') return false;
    ++i;
    ojson args = ojson::object();
    while (true) {
      i = skip_space(s, i);
      if (i < s.size() && s[i] == ')') break;
      const size_t key_begin = i;
      while (i < s.size() && is_identifier_char(s[i])) ++i;
      const std::string key(s.substr(key_begin, i - key_begin));
      i = skip_space(s, i);
      if (key.empty() || i >= s.size() || s[i] != '=') return false;
      ++i;
      ojson value;
      if (!python_literal(s, i, max_depth).read(value)) return false;
      args[key] = std::move(value);
      if (!after_item(s, i, ')')) return false;
    }
    ++i;  // ')'
    if (!p.add(name, args)) return false;
    i = skip_space(s, i);
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    if (i >= s.size() || s[i] != ']') return false;
    break;
  }
  i = skip_space(s, i + 1);
  if (s.substr(i, kPythonEnd.size()) == kPythonEnd) i += kPythonEnd.size();
  return !has_non_space(s.substr(i));
}

}  // namespace

const char* tool_call_format_name(tool_call_format format) {
  switch (format) {
    case tool_call_format::hermes: return "hermes";
    case tool_call_format::llama3: return "llama3";
    case tool_call_format::mistral: return "mistral";
    case tool_call_format::mistral_args: return "mistral_args";
    case tool_call_format::pythonic: return "pythonic";
  }
  return "hermes";
}

tool_call_format detect_tool_call_format(std::string_view source) {
  if (source.find(kHermesOpen) != std::string_view::npos) return tool_call_format::hermes;
  if (source.find(kMistralCalls) != std::string_view::npos) {
    return source.find(kMistralArgs) != std::string_view::npos ? tool_call_format::mistral_args
                                                               : tool_call_format::mistral;
  }
  if (source.find(kPythonicExample) != std::string_view::npos) return tool_call_format::pythonic;
  if (source.find(kPythonTag) != std::string_view::npos || source.find("<|start_header_id|>") != std::string_view::npos) {
    return tool_call_format::llama3;
  }
  return tool_call_format::hermes;
}

std::string make_tool_call_id() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id = "call_";
  for (int i = 0; i < 24; ++i) id += kAlphabet[rng() % (sizeof kAlphabet - 1)];
  return id;
}

tool_call_result parse_tool_calls(std::string_view output, tool_call_format format,
                                  std::span<const std::string> known_names, const tool_call_limits& limits) {
  call_parser parser(known_names, limits);
  std::string content;
  bool ok = false;
  switch (format) {
    case tool_call_format::hermes: ok = parse_hermes(output, parser, content); break;
    case tool_call_format::llama3: ok = parse_llama3(output, parser, content); break;
    case tool_call_format::mistral:
    case tool_call_format::mistral_args: ok = parse_mistral(output, parser, content, limits.max_json_depth); break;
    case tool_call_format::pythonic: ok = parse_pythonic(output, parser, content, limits.max_json_depth); break;
  }
  tool_call_result result;
  if (!ok) {
    result.content = std::string(output);
    return result;
  }
  result.calls = parser.take();
  result.content = trim(content);
  return result;
}

size_t partial_marker_suffix(std::string_view text, std::string_view marker) {
  const size_t max = std::min(text.size(), marker.size() - 1);
  for (size_t k = max; k > 0; --k) {
    if (text.substr(text.size() - k) == marker.substr(0, k)) return k;
  }
  return 0;
}

tool_call_stream::tool_call_stream(tool_call_format format, std::vector<std::string> known_names,
                                   const tool_call_limits& limits)
    : format_(format), known_names_(std::move(known_names)), limits_(limits) {}

std::string tool_call_stream::push(std::string_view text) {
  held_.append(text);
  if (capturing_) return "";
  std::string_view marker = kHermesOpen;
  std::string_view bare;  // characters that start a call when they open the output
  switch (format_) {
    case tool_call_format::hermes: break;
    case tool_call_format::llama3: marker = kPythonTag; bare = "{["; break;  // parse_llama3 reads an array of calls too
    case tool_call_format::mistral:  // parse_mistral reads a bare array of calls in both forms
    case tool_call_format::mistral_args: marker = kMistralCalls; bare = "["; break;
    case tool_call_format::pythonic: marker = kPythonStart; bare = "[{"; break;  // '{': the JSON form
  }
  std::string out;
  const size_t at = held_.find(marker);
  if (at != std::string::npos) {
    out = held_.substr(0, at);
    held_.erase(0, at);
    capturing_ = true;
  } else {
    if (!released_any_ && !bare.empty()) {
      const size_t first = skip_space(held_, 0);
      if (first == held_.size()) return "";  // only whitespace so far: it may precede a call
      if (bare.find(held_[first]) != std::string_view::npos) {
        capturing_ = true;
        return "";
      }
    }
    const size_t keep = partial_marker_suffix(held_, marker);
    out = held_.substr(0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
  }
  if (has_non_space(out)) released_any_ = true;
  return out;
}

tool_call_result tool_call_stream::finish() {
  tool_call_result result;
  if (!capturing_) {
    result.content = std::move(held_);
  } else {
    result = parse_tool_calls(held_, format_, known_names_, limits_);
  }
  held_.clear();
  capturing_ = false;
  return result;
}

}  // namespace plexus::chat

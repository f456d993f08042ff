// Jinja lexer: template source -> token stream, with jinja2's whitespace rules as configured by
// Hugging Face (trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False) and the
// `-` / `+` whitespace-control markers on {{ }}, {% %} and {# #}. Raw blocks become text.
// Thread-safe: pure function.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::chat::jinja {

enum class token_type : uint8_t {
  text,         // template data (already whitespace-processed)
  var_begin,    // {{
  var_end,      // }}
  block_begin,  // {%
  block_end,    // %}
  name,
  string,       // escapes decoded
  integer,
  floating,
  op,           // + - * / // % ** ~ [ ] ( ) { } == != < <= > >= = . : | , ;
  eof,
};

struct token {
  token_type type;
  uint32_t line;
  std::string text;  // text / name / decoded string / operator spelling / number spelling
  int64_t int_value = 0;
  double float_value = 0.0;
};

// A template that cannot be tokenized or parsed. Thread-safe: immutable.
class syntax_error : public std::exception {
 public:
  syntax_error(uint32_t line, std::string message) : line_(line), message_(std::move(message)) {}
  uint32_t line() const { return line_; }
  const std::string& message() const { return message_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  uint32_t line_;
  std::string message_;
};

struct lexer_options {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

// Throws syntax_error. `source` must be valid UTF-8. The result ends with an eof token.
std::vector<token> tokenize(std::string_view source, const lexer_options& options = {});

}  // namespace plexus::chat::jinja

// Unit checks of interpreter pieces that the reference table does not pin down: the lexer's
// token stream, Python number/string formatting helpers, UTF-8 and case mapping, syntax and
// runtime errors, generator and sandbox semantics.
#include <gtest/gtest.h>

#include "chat/jinja_lexer.h"
#include "chat/jinja_unicode.h"
#include "chat/jinja_value.h"
#include "core/utf8.h"
#include "test_render.h"

namespace plexus::chat {
namespace {

using testing::is_error;
using testing::render;

std::string float_repr(double d) {
  std::string out;
  jinja::append_float_repr(out, d);
  return out;
}

TEST(jinja_lexer, splits_text_and_tags_with_whitespace_control) {
  const auto toks = jinja::tokenize("a  {%- if x -%}  b {{ 'c' }}\n");
  ASSERT_GE(toks.size(), 8u);
  EXPECT_EQ(toks[0].type, jinja::token_type::text);
  EXPECT_EQ(toks[0].text, "a");
  EXPECT_EQ(toks[1].type, jinja::token_type::block_begin);
  EXPECT_EQ(toks[2].text, "if");
  EXPECT_EQ(toks[4].type, jinja::token_type::block_end);
  EXPECT_EQ(toks[5].text, "b ");  // "-%}" ate the leading spaces
  EXPECT_EQ(toks[7].type, jinja::token_type::string);
  EXPECT_EQ(toks[7].text, "c");
  EXPECT_EQ(toks.back().type, jinja::token_type::eof);
}

TEST(jinja_lexer, numbers_strings_and_operators) {
  const auto toks = jinja::tokenize("{{ 1_000 + 0x10 // 2.5e1 ** 'q\\'' }}");
  EXPECT_EQ(toks[1].type, jinja::token_type::integer);
  EXPECT_EQ(toks[1].int_value, 1000);
  EXPECT_EQ(toks[3].int_value, 16);
  EXPECT_EQ(toks[4].text, "//");
  EXPECT_EQ(toks[5].type, jinja::token_type::floating);
  EXPECT_DOUBLE_EQ(toks[5].float_value, 25.0);
  EXPECT_EQ(toks[6].text, "**");
  EXPECT_EQ(toks[7].text, "q'");
}

TEST(jinja_lexer, tracks_line_numbers) {
  const auto toks = jinja::tokenize("a\nb\n{{ x }}");
  EXPECT_EQ(toks[1].line, 3u);
}

TEST(jinja_values, float_repr_matches_python) {
  EXPECT_EQ(float_repr(1.0), "1.0");
  EXPECT_EQ(float_repr(22.5), "22.5");
  EXPECT_EQ(float_repr(1e-05), "1e-05");
  EXPECT_EQ(float_repr(0.0001), "0.0001");
  EXPECT_EQ(float_repr(1e16), "1e+16");
  EXPECT_EQ(float_repr(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(float_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(float_repr(-0.0), "-0.0");
  EXPECT_EQ(float_repr(1.5e300), "1.5e+300");
  EXPECT_EQ(float_repr(5e-324), "5e-324");
}

TEST(jinja_values, string_repr_quotes_like_python) {
  std::string out;
  jinja::append_string_repr(out, "it's");
  EXPECT_EQ(out, "\"it's\"");
  out.clear();
  jinja::append_string_repr(out, "a'b\"c\\\n\x01\xc2\xa0\xe2\x80\x8b\xc3\xa9");
  EXPECT_EQ(out, "'a\\'b\"c\\\\\\n\\x01\\xa0\\u200bé'");
}

TEST(jinja_unicode, utf8_helpers) {
  EXPECT_TRUE(utf8::valid("h\xc3\xa9llo \xf0\x9f\x98\x80"));
  EXPECT_FALSE(utf8::valid("\xc3"));
  EXPECT_FALSE(utf8::valid("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(utf8::valid("\xc0\xaf"));      // overlong
  EXPECT_EQ(jinja::utf8_length("h\xc3\xa9\xf0\x9f\x98\x80"), 3u);
  EXPECT_EQ(jinja::utf8_offset("h\xc3\xa9x", 2), 3u);
}

TEST(jinja_unicode, case_mapping_and_predicates) {
  EXPECT_EQ(jinja::py_upper("stra\xc3\x9f" "e"), "STRASSE");
  EXPECT_EQ(jinja::py_lower("\xce\x9f\xce\x94\xce\x9f\xce\xa3"), "\xce\xbf\xce\xb4\xce\xbf\xcf\x82");  // final sigma
  EXPECT_EQ(jinja::py_title("hello wORLD"), "Hello World");
  EXPECT_TRUE(jinja::py_isspace(0x3000));
  EXPECT_TRUE(jinja::py_isspace(0xA0));
  EXPECT_FALSE(jinja::py_isprintable(0xA0));
  EXPECT_TRUE(jinja::py_isprintable(0xE9));
  EXPECT_TRUE(jinja::py_isalpha(0x65E5));
  EXPECT_TRUE(jinja::py_isdigit(0xB2));  // superscript two
}

TEST(jinja_syntax, errors_name_the_problem_and_line) {
  EXPECT_EQ(render("{% if x %}"),
            "ERROR(invalid_file): template syntax error at line 1: Unexpected end of template. Jinja was looking for the "
            "following tags: 'elif'.");
  EXPECT_EQ(render("a\n{% frobnicate %}"),
            "ERROR(invalid_file): template syntax error at line 2: Encountered unknown tag 'frobnicate'.");
  EXPECT_TRUE(is_error(render("{{ 1 + }}")));
  EXPECT_TRUE(is_error(render("{{ x ")));
  EXPECT_TRUE(is_error(render("{% break %}")));
  EXPECT_TRUE(is_error(render("{# unterminated")));
  EXPECT_TRUE(is_error(render("{{ 'unterminated }}")));
  EXPECT_TRUE(is_error(render("{{ (1 ] }}")));
  EXPECT_TRUE(is_error(render("{% macro m(a=1, b) %}{% endmacro %}")));
  EXPECT_TRUE(is_error(render("{% include 'x.jinja' %}")));
  EXPECT_TRUE(is_error(render("{{ x is defined is defined }}")));
  EXPECT_EQ(render("{% set x = 1 %}{{ x }}\xff"), "ERROR(invalid_file): template is not valid UTF-8");
}

TEST(jinja_runtime, errors_outside_raise_exception_are_not_template_exceptions) {
  EXPECT_EQ(render("a\n{{ 'x' + 1 }}"),
            "ERROR(invalid_file): template error at line 2: can only concatenate str (not \"int\") to str");
  EXPECT_EQ(render("{{ missing.attr }}"), "ERROR(invalid_file): template error at line 1: 'missing' is undefined");
  EXPECT_EQ(render("{{ 1 // 0 }}"), "ERROR(invalid_file): template error at line 1: integer division or modulo by zero");
  EXPECT_EQ(render("{{ x|nosuchfilter }}"), "ERROR(invalid_file): template error at line 1: No filter named 'nosuchfilter'.");
  EXPECT_EQ(render("{{ x is nosuchtest }}"), "ERROR(invalid_file): template error at line 1: No test named 'nosuchtest'.");
  EXPECT_TRUE(is_error(render("{{ none + 1 }}")));
  EXPECT_TRUE(is_error(render("{{ [1] < 'a' }}")));
  EXPECT_TRUE(is_error(render("{{ missing() }}")));
  EXPECT_TRUE(is_error(render("{{ 'abc'() }}")));
  EXPECT_TRUE(is_error(render("{% for a, b in [[1, 2, 3]] %}{% endfor %}")));
  EXPECT_TRUE(is_error(render("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}")));
  EXPECT_TRUE(is_error(render("{% macro m(a) %}{% endmacro %}{{ m(b=1) }}")));
  EXPECT_TRUE(is_error(render("{% set x = 1 %}{% set x.y = 2 %}")));
  EXPECT_TRUE(is_error(render("{{ {[1]: 2} }}")));
}

TEST(jinja_runtime, sandbox_refuses_mutation) {
  EXPECT_EQ(render("{% set l = [1] %}{{ l.append(2) }}"),
            "ERROR(invalid_file): template error at line 1: access to attribute 'append' of 'list' object is unsafe.");
  EXPECT_TRUE(is_error(render("{% set d = {} %}{{ d.update({'a': 1}) }}")));
  EXPECT_TRUE(is_error(render("{% set d = {'a': 1} %}{{ d.pop('a') }}")));
  EXPECT_EQ(render("{% set l = [1] %}{{ l.append is defined }}"), "False");
}

TEST(jinja_runtime, generators_are_consumed_once) {
  EXPECT_EQ(render("{% set g = [1, 2]|map('string') %}{{ g|join }}|{{ g|join }}|{{ g|list }}"), "12||[]");
  EXPECT_EQ(render("{{ [1, 2]|select('odd')|first }}"), "1");
  EXPECT_TRUE(is_error(render("{{ [1, 2]|select|length }}")));
}

TEST(jinja_runtime, context_key_order_is_preserved) {
  EXPECT_EQ(render("{{ d|tojson }} {% for k, v in d.items() %}{{ k }}{% endfor %} {{ d }}",
                   R"({"d": {"zeta": 1, "alpha": 2, "mid": {"y": 1, "b": 2}}})"),
            "{\"zeta\": 1, \"alpha\": 2, \"mid\": {\"y\": 1, \"b\": 2}} zetaalphamid {'zeta': 1, 'alpha': 2, 'mid': {'y': 1, 'b': 2}}");
}

TEST(jinja_runtime, json_numbers_map_to_python_types) {
  EXPECT_EQ(render("{{ a }} {{ b }} {{ c }} {{ a is integer }} {{ b is float }} {{ d }}",
                   R"({"a": 5, "b": 5.0, "c": 9223372036854775807, "d": 1e300})"),
            "5 5.0 9223372036854775807 True True 1e+300");
}

TEST(jinja_runtime, strftime_now_uses_the_given_date) {
  render_options opt;
  opt.now = template_time{1999, 12, 31, 23, 59, 58};
  EXPECT_EQ(render("{{ strftime_now('%Y-%m-%d %H:%M:%S %a %b %j') }}", "", &opt), "1999-12-31 23:59:58 Fri Dec 365");
  opt.now = template_time{2021, 1, 1, 0, 0, 0};
  EXPECT_EQ(render("{{ strftime_now('%G-W%V-%u %U %W') }}", "", &opt), "2020-W53-5 00 00");
}

TEST(jinja_runtime, generation_and_block_tags_pass_through) {
  EXPECT_EQ(render("a{% generation %}{% set x = 1 %}b{{ x }}{% endgeneration %}{{ x }}c"), "ab1c");
  EXPECT_EQ(render("{% block body %}inside{% endblock %}|{% block b2 scoped %}x{% endblock b2 %}"), "inside|x");
}

TEST(jinja_runtime, markup_escapes_plain_operands) {
  EXPECT_EQ(render("{{ '<a>'|safe + '<b>' }}|{{ ('<a>'|e) ~ '<b>' }}|{{ '<a>'|e|e }}"), "<a>&lt;b&gt;|&lt;a&gt;<b>|&lt;a&gt;");
}

}  // namespace
}  // namespace plexus::chat

// Hostile templates: each must fail with a clear limit or template error, quickly, without
// crashing, hanging or exhausting memory. Renders run with the default limits.
#include <gtest/gtest.h>


#include <string>

#include "cpu_timer.h"
#include "test_render.h"

namespace plexus::chat {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr double kSecondsAllowed = 10.0;  // sanitizer builds run several times slower
#else
constexpr double kSecondsAllowed = 1.0;
#endif

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

using plexus::testing::thread_cpu_seconds;

// Renders and checks that it failed (not via raise_exception) within `allowed` CPU seconds;
// returns the message.
std::string expect_failure(const std::string& source, const std::string& context = "", double allowed = kSecondsAllowed) {
  const double start = thread_cpu_seconds();
  const std::string out = testing::render(source, context);
  const double seconds = thread_cpu_seconds() - start;
  EXPECT_TRUE(testing::is_error(out)) << "rendered instead of failing: " << out.substr(0, 200);
  EXPECT_LT(seconds, allowed) << "took " << seconds << " s: " << out.substr(0, 200);
  return out;
}

bool mentions(const std::string& message, const std::string& what) { return message.find(what) != std::string::npos; }

TEST(jinja_hostile, endless_loops_hit_the_iteration_or_range_limit) {
  EXPECT_TRUE(mentions(expect_failure("{% for i in range(1000000) %}{% for j in range(1000000) %}x{% endfor %}{% endfor %}"),
                       "MAX_RANGE"));
  EXPECT_TRUE(mentions(expect_failure("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"),
                       "max_loop_iterations"));
  EXPECT_TRUE(mentions(expect_failure("{{ range(10 ** 12)|length }}"), "MAX_RANGE"));
}

TEST(jinja_hostile, huge_strings_hit_the_value_limit) {
  EXPECT_TRUE(mentions(expect_failure("{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}{% endfor %}"),
                       "max_value_bytes"));
  expect_failure("{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}");
  expect_failure("{{ 'x' * 1e10 }}");  // TypeError, as in Python
  EXPECT_TRUE(mentions(expect_failure("{{ 'x' * 10000000000 }}"), "max_value_bytes"));
  EXPECT_TRUE(mentions(expect_failure("{{ [1] * 10000000000 }}"), "max_value_bytes"));
  expect_failure("{{ 'x'|center(1000000000) }}");
  expect_failure("{{ 'x'.zfill(10 ** 12) }}");
  expect_failure("{{ 'a\nb'|indent(1000000000) }}");
  expect_failure("{{ '%999999999s' % 'x' }}");
  expect_failure("{{ '{:>999999999}'.format('x') }}");
  expect_failure("{{ [1, 2]|tojson(indent=1000000000) }}");
  expect_failure("{% set s = 'x' * 100000 %}{{ s.replace('x', 'y' * 1000) }}");
  expect_failure("{{ [1]|batch(10 ** 12, 0)|list }}");
  expect_failure("{{ 2 ** 100000 }}");
}

TEST(jinja_hostile, large_structures_cannot_print_to_gigabytes) {
  expect_failure("{% set s = 'x' * 4000000 %}{% set l = [s] * 100000 %}{{ l }}");
  expect_failure("{% set s = 'x' * 4000000 %}{% set l = [s] * 100 %}{{ l|join }}");
  expect_failure("{% set s = 'x' * 4000000 %}{% set l = [s] * 100 %}{{ l|tojson }}");
  EXPECT_TRUE(mentions(expect_failure("{% for i in range(100000) %}{% for j in range(9) %}{{ 'x' * 1000 }}{% endfor %}{% endfor %}"),
                       "max_output_bytes"));
}

TEST(jinja_hostile, churning_memory_hits_the_work_limit) {
  // These copy up to max_work_bytes (512 MiB) before the limit stops them.
  EXPECT_TRUE(mentions(expect_failure("{% set big = 'x' * 8000000 %}{% for i in range(100000) %}{% set y = big ~ 'a' %}{% endfor %}",
                                      "", 2 * kSecondsAllowed),
                       "max_work_bytes"));
  EXPECT_TRUE(mentions(expect_failure("{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = ns.l + [i] %}{% endfor %}",
                                      "", 2 * kSecondsAllowed),
                       "max_work_bytes"));
}

TEST(jinja_hostile, recursion_hits_the_call_depth_limit) {
  EXPECT_TRUE(mentions(expect_failure("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"), "max_call_depth"));
  EXPECT_TRUE(mentions(expect_failure("{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}"),
                       "max_call_depth"));
  expect_failure("{% macro m() %}{{ caller() }}{% endmacro %}{% macro r() %}{% call m() %}{{ r() }}{% endcall %}{% endmacro %}{{ r() }}");
  expect_failure("{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}");
  expect_failure("{% macro f() %}{% filter upper %}{{ f() }}{% endfilter %}{% endmacro %}{{ f() }}");
}

TEST(jinja_hostile, deep_recursion_with_deep_bodies_stays_within_the_stack) {
  // Each macro level nests 120 statements or expressions: the evaluation depth limit stops
  // these before the native stack runs out.
  expect_failure("{% macro f() %}" + repeat("{% for i in [1] %}", 120) + "{{ f() }}" + repeat("{% endfor %}", 120) +
                 "{% endmacro %}{{ f() }}");
  expect_failure("{% macro f() %}" + repeat("{% if true %}", 120) + "{{ f() }}" + repeat("{% endif %}", 120) +
                 "{% endmacro %}{{ f() }}");
  expect_failure("{% macro f() %}{{ " + repeat("(", 100) + "f()" + repeat(")", 100) + " }}{% endmacro %}{{ f() }}");
  expect_failure("{% macro f() %}{{ f()" + repeat("|trim", 120) + " }}{% endmacro %}{{ f() }}");
  expect_failure("{% macro f(x) %}{{ f(" + repeat("[", 100) + "1" + repeat("]", 100) + ") }}{% endmacro %}{{ f(1) }}");
  expect_failure("{% macro f() %}" + repeat("{% set x %}", 120) + "{{ f() }}" + repeat("{% endset %}", 120) +
                 "{% endmacro %}{{ f() }}");
}

TEST(jinja_hostile, deep_syntax_hits_the_nesting_limit) {
  const std::string limit = "max_nesting_depth";
  EXPECT_TRUE(mentions(expect_failure("{{ " + repeat("(", 100000) + "1" + repeat(")", 100000) + " }}"), limit));
  EXPECT_TRUE(mentions(expect_failure("{{ " + repeat("[", 1000) + repeat("]", 1000) + " }}"), limit));
  EXPECT_TRUE(mentions(expect_failure("{{ " + repeat("{'a': ", 1000) + "1" + repeat("}", 1000) + " }}"), limit));
  expect_failure("{{ " + repeat("[", 100000) + " }}");
  EXPECT_TRUE(mentions(expect_failure("{{ " + repeat("not ", 100000) + "1 }}"), limit));
  EXPECT_TRUE(mentions(expect_failure("{{ " + repeat("-", 100000) + "1 }}"), limit));
  EXPECT_TRUE(mentions(expect_failure("{{ 1" + repeat(" + 1", 100000) + " }}"), limit));
  EXPECT_TRUE(mentions(expect_failure("{{ 1" + repeat("|abs", 100000) + " }}"), limit));
  EXPECT_TRUE(mentions(expect_failure("{{ x" + repeat(".a", 100000) + " }}"), limit));
  EXPECT_TRUE(mentions(expect_failure("{{ 'a'" + repeat(" ~ 'a'", 100000) + " }}"), limit));
  EXPECT_TRUE(mentions(expect_failure("{{ 1" + repeat(" if 1 else 1", 50000) + " }}"), limit));
  EXPECT_TRUE(mentions(expect_failure(repeat("{% if true %}", 70000)), limit));
  EXPECT_TRUE(mentions(expect_failure(repeat("{% for x in y %}", 60000)), limit));
  EXPECT_TRUE(mentions(expect_failure(repeat("{% macro m() %}", 60000)), limit));
  EXPECT_TRUE(mentions(expect_failure(repeat("{% if true %}", 100000)), "max_template_bytes"));
}

TEST(jinja_hostile, deep_or_cyclic_data_fails_cleanly) {
  expect_failure("{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}");
  expect_failure("{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l|tojson }}");
  expect_failure(
      "{% set ns = namespace(l=[], m=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% set ns.m = [ns.m] %}"
      "{% endfor %}{{ ns.l == ns.m }}");
  expect_failure("{% set ns = namespace() %}{% set ns.self = ns %}{{ ns }}");
  const std::string deep_context = "{\"x\": " + repeat("[", 5000) + repeat("]", 5000) + "}";
  expect_failure("{{ x }}", deep_context);
}

TEST(jinja_hostile, configured_limits_are_honoured) {
  render_options opt;
  opt.limits.max_loop_iterations = 10;
  EXPECT_TRUE(mentions(testing::render("{% for i in range(20) %}{% endfor %}", "", &opt), "max_loop_iterations"));
  EXPECT_EQ(testing::render("{% for i in range(10) %}{% endfor %}ok", "", &opt), "ok");
  opt = {};
  opt.limits.max_output_bytes = 5;
  EXPECT_TRUE(mentions(testing::render("{{ 'abcdef' }}", "", &opt), "max_output_bytes"));
  EXPECT_EQ(testing::render("{{ 'abcde' }}", "", &opt), "abcde");
  opt = {};
  opt.limits.max_call_depth = 3;
  EXPECT_TRUE(mentions(testing::render("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}", "", &opt),
                       "max_call_depth"));
  EXPECT_EQ(testing::render("{% macro f(n) %}{% if n %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(2) }}", "", &opt), "21");
  template_limits small;
  small.max_template_bytes = 10;
  EXPECT_EQ(chat_template::parse("{{ 'this is too long' }}", small).status().code(), error_code::out_of_range);
}

}  // namespace
}  // namespace plexus::chat

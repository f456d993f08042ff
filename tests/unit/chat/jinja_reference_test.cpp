// Table-driven checks of the Jinja language against outputs recorded from Python jinja2 in the
// Hugging Face environment (see tools/jinja_reference.py): whitespace control, literals,
// operators, attribute/item access, statements, filters, tests, methods, tojson, globals.
#include <gtest/gtest.h>

#include "test_render.h"

namespace plexus::chat {
namespace {

struct render_case {
  const char* source;
  const char* context;
  const char* expected;
};

#include "jinja_reference_cases.inc"

template <size_t N>
void check_all(const render_case (&cases)[N]) {
  for (const render_case& c : cases) {
    EXPECT_EQ(testing::render(c.source, c.context), c.expected) << "template: " << c.source;
  }
}

TEST(jinja_reference, whitespace_control) { check_all(kWhitespaceCases); }
TEST(jinja_reference, literals) { check_all(kLiteralCases); }
TEST(jinja_reference, operators_follow_python) { check_all(kOperatorCases); }
TEST(jinja_reference, attribute_and_item_access) { check_all(kAccessCases); }
TEST(jinja_reference, statements) { check_all(kStatementCases); }
TEST(jinja_reference, filters) { check_all(kFilterCases); }
TEST(jinja_reference, tests) { check_all(kTestCases); }
TEST(jinja_reference, python_methods) { check_all(kMethodCases); }
TEST(jinja_reference, tojson) { check_all(kTojsonCases); }
TEST(jinja_reference, globals) { check_all(kGlobalCases); }

}  // namespace
}  // namespace plexus::chat

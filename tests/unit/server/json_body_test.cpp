// Hostile bodies: depth, UTF-8, types; FieldReader ranges and the field named in the error.
#include <gtest/gtest.h>

#include <string>

#include "server/json_body.h"

namespace plexus::server {
namespace {

using nlohmann::json;

TEST(JsonBody, ParsesAnObject) {
  json j;
  EXPECT_FALSE(parse_json_object(R"({"a": [1, {"b": "c"}]})", j).has_value());
  EXPECT_EQ(j["a"][1]["b"], "c");
}

TEST(JsonBody, RejectsEmptyBrokenAndNonObjectBodies) {
  json j;
  for (const char* body : {"", "{", "{\"a\":}", "nul", "[1,2]", "\"str\"", "42", "{\"a\":1} trailing"}) {
    auto err = parse_json_object(body, j);
    ASSERT_TRUE(err.has_value()) << body;
    EXPECT_EQ(err->status, 400) << body;
    EXPECT_EQ(err->code, "invalid_json") << body;
  }
}

TEST(JsonBody, RejectsDeepNestingWithoutRecursingIntoIt) {
  json j;
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto err = parse_json_object("{\"a\":" + deep + "}", j);
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->message.find("nesting"), std::string::npos);
  // Exactly at the limit is fine: the object itself is level 1.
  const std::string ok = "{\"a\":" + std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']') + "}";
  EXPECT_FALSE(parse_json_object(ok, j).has_value());
}

TEST(JsonBody, BracketsInsideStringsDoNotCount) {
  EXPECT_EQ(json_nesting_depth(R"({"a":"[[[[[[[[\"[[[["})", 64), 1);
  EXPECT_EQ(json_nesting_depth("[[[]]]", 64), 3);
  EXPECT_EQ(json_nesting_depth("[[[[", 2), 3);
}

TEST(JsonBody, RejectsInvalidUtf8InStrings) {
  json j;
  for (const std::string& body : {std::string("{\"a\":\"\xff\"}"), std::string("{\"a\":\"\xc3\"}"),
                                 std::string("{\"a\":\"\xed\xa0\x80\"}"),  // a UTF-16 surrogate
                                 std::string("{\"a\":\"\xc0\xaf\"}")}) {   // overlong '/'
    auto err = parse_json_object(body, j);
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(err->status, 400);
  }
}

TEST(JsonBody, NumbersBeyondDoubleAreA400NotAnException) {
  json j;
  for (const char* body : {R"({"n": 1e400})", R"({"n": -1e400})"}) {
    std::optional<ApiError> err;
    ASSERT_NO_THROW(err = parse_json_object(body, j));
    ASSERT_TRUE(err.has_value()) << body;
    EXPECT_EQ(err->status, 400);
  }
}

TEST(JsonBody, HugeNumbersParseAndAreRejectedByRanges) {
  json j;
  ASSERT_FALSE(parse_json_object(R"({"n": 1e300, "m": 123456789012345678901234567890, "k": -1e308})", j).has_value());
  FieldReader r(j, "");
  EXPECT_FALSE(r.integer("m", 0, 100).has_value());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error()->param, "m");
  FieldReader r2(j, "");
  EXPECT_FALSE(r2.number("n", 0, 2).has_value());
  EXPECT_EQ(r2.error()->param, "n");
  FieldReader r3(j, "");
  EXPECT_FALSE(r3.integer("k", INT64_MIN, INT64_MAX).has_value());
  EXPECT_EQ(r3.error()->param, "k");
}

TEST(FieldReader, ReadsTypedFieldsAndDefaultsWhenAbsentOrNull) {
  json j = {{"s", "text"}, {"i", 5}, {"f", 0.5}, {"b", true}, {"nul", nullptr}, {"integral_float", 3.0}};
  FieldReader r(j, "");
  EXPECT_EQ(r.string("s", 100), "text");
  EXPECT_EQ(r.integer("i", 0, 10), 5);
  EXPECT_EQ(r.integer("integral_float", 0, 10), 3);
  EXPECT_DOUBLE_EQ(*r.number("f", 0, 1), 0.5);
  EXPECT_DOUBLE_EQ(*r.number("i", 0, 10), 5.0);
  EXPECT_EQ(r.boolean("b"), true);
  EXPECT_FALSE(r.string("missing", 10).has_value());
  EXPECT_FALSE(r.integer("nul", 0, 1).has_value());
  EXPECT_TRUE(r.ok());
}

TEST(FieldReader, WrongTypesNameTheField) {
  struct Case {
    json value;
    int kind;  // 0 string, 1 integer, 2 number, 3 boolean
  };
  for (const auto& c : {Case{json(1), 0}, Case{json("5"), 1}, Case{json(1.5), 1}, Case{json("x"), 2},
                        Case{json::array(), 2}, Case{json("true"), 3}, Case{json::object(), 0}}) {
    json j = {{"field", c.value}};
    FieldReader r(j, "options");
    switch (c.kind) {
      case 0: r.string("field", 10); break;
      case 1: r.integer("field", 0, 10); break;
      case 2: r.number("field", 0, 10); break;
      default: r.boolean("field"); break;
    }
    ASSERT_FALSE(r.ok()) << c.value.dump();
    EXPECT_EQ(r.error()->param, "options.field");
    EXPECT_EQ(r.error()->status, 400);
    EXPECT_NE(r.error()->message.find("options.field"), std::string::npos);
  }
}

TEST(FieldReader, RangesAreInclusiveAndEnforced) {
  json j = {{"lo", -1}, {"hi", 11}, {"edge", 10}, {"neg", -0.5}, {"nan_like", 2.0000001}};
  FieldReader r(j, "");
  EXPECT_EQ(r.integer("edge", 0, 10), 10);
  EXPECT_FALSE(r.integer("hi", 0, 10).has_value());
  EXPECT_NE(r.error()->message.find("between 0 and 10"), std::string::npos);
  FieldReader r2(j, "");
  EXPECT_FALSE(r2.integer("lo", 0, 10).has_value());
  FieldReader r3(j, "");
  EXPECT_FALSE(r3.number("nan_like", 0, 2).has_value());
  FieldReader r4(j, "");
  EXPECT_FALSE(r4.number("neg", 0, 2).has_value());
}

TEST(FieldReader, TheFirstErrorSticks) {
  json j = {{"a", "x"}, {"b", "y"}};
  FieldReader r(j, "");
  r.integer("a", 0, 1);
  r.integer("b", 0, 1);
  EXPECT_EQ(r.error()->param, "a");
  EXPECT_FALSE(r.string("a", 10).has_value());  // reads after a failure return nothing
}

TEST(FieldReader, StringLimitsAndStringOrArray) {
  json j = {{"long", std::string(20, 'x')}, {"one", "s"}, {"many", {"a", "", "b"}}, {"bad", {"a", 1}},
            {"too_many", {"1", "2", "3"}}};
  FieldReader r(j, "");
  EXPECT_FALSE(r.string("long", 10).has_value());
  EXPECT_EQ(r.error()->param, "long");
  FieldReader r2(j, "");
  EXPECT_EQ(r2.string_or_array("one", 4, 10), std::vector<std::string>{"s"});
  EXPECT_EQ(r2.string_or_array("many", 4, 10), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_FALSE(r2.string_or_array("bad", 4, 10).has_value());
  EXPECT_EQ(r2.error()->param, "bad[1]");
  FieldReader r3(j, "");
  EXPECT_FALSE(r3.string_or_array("too_many", 2, 10).has_value());
  EXPECT_EQ(r3.error()->param, "too_many");
}

TEST(FieldReader, ObjectAndArrayAccessorsCheckTheType) {
  json j = {{"o", json::object()}, {"a", json::array()}, {"s", "x"}};
  FieldReader r(j, "");
  EXPECT_NE(r.object("o"), nullptr);
  EXPECT_NE(r.array("a"), nullptr);
  EXPECT_EQ(r.object("missing"), nullptr);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.array("s"), nullptr);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace plexus::server

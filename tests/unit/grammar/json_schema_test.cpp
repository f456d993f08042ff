// JSON Schema -> GBNF: what each construct accepts and rejects, integer ranges checked
// exhaustively, and the compiler's errors and limits.
#include "sampling/grammar/json_schema.h"

#include <gtest/gtest.h>

#include <random>

#include "cpu_timer.h"
#include "test_util.h"

namespace plexus::sampling::grammar {
namespace {

using testing::full_match;

std::shared_ptr<const Grammar> compile(const std::string& schema, const JsonSchemaOptions& options = {}) {
  auto r = json_schema_to_gbnf(schema, options);
  EXPECT_TRUE(r.ok()) << r.status().to_string() << "\nschema: " << schema;
  if (!r.ok()) return nullptr;
  return r->grammar;
}

Status compile_error(const std::string& schema, const JsonSchemaOptions& options = {}) {
  auto r = json_schema_to_gbnf(schema, options);
  EXPECT_FALSE(r.ok()) << "compiled unexpectedly: " << schema << "\n" << (r.ok() ? r->gbnf : "");
  return r.ok() ? Status{} : r.status();
}

void expect_accepts(const std::string& schema, std::initializer_list<std::string> yes,
                    std::initializer_list<std::string> no) {
  auto g = compile(schema);
  ASSERT_NE(g, nullptr);
  for (const std::string& s : yes) EXPECT_TRUE(full_match(g, s)) << schema << "  should accept  " << s;
  for (const std::string& s : no) EXPECT_FALSE(full_match(g, s)) << schema << "  should reject  " << s;
}

TEST(JsonSchema, Scalars) {
  expect_accepts(R"({"type":"string"})", {R"("")", R"("a\"b\\c\n\u00e9\uD7FF")", "\"\xC3\xA9\""},
                 {R"("a)", R"("\x")", R"("\uD800")", "\"\x01\"", "1"});
  expect_accepts(R"({"type":"integer"})", {"0", "-12", "1234567890123456"}, {"01", "1.5", "-", "12345678901234567"});
  expect_accepts(R"({"type":"number"})", {"0", "-0.5", "1e10", "2.25E-3"}, {".5", "1.", "1e", "+1"});
  expect_accepts(R"({"type":"boolean"})", {"true", "false"}, {"True", "1"});
  expect_accepts(R"({"type":"null"})", {"null"}, {"nul", "\"null\""});
  expect_accepts(R"({"type":["string","null"]})", {"null", R"("x")"}, {"1"});
}

TEST(JsonSchema, WhitespaceIsLimited) {
  expect_accepts(R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]})",
                 {R"({"a":1})", R"({ "a" : 1 } )", "{\n  \"a\": 1\n}"},
                 {R"({  "a":1})", "{\n\n\"a\":1}", R"({"a":1,})"});
  JsonSchemaOptions compact;
  compact.whitespace = json_whitespace::none;
  auto g = compile(R"({"type":"array","items":{"type":"integer"}})", compact);
  EXPECT_TRUE(full_match(g, "[1,2]"));
  EXPECT_FALSE(full_match(g, "[1, 2]"));
}

TEST(JsonSchema, ObjectPropertiesRequiredFirstThenOptionalInOrder) {
  const std::string schema = R"({"type":"object","properties":{
      "a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"},"d":{"type":"null"}},
      "required":["c","a"]})";
  expect_accepts(schema, {R"({"a":1,"c":true})", R"({"a":1,"c":true,"b":"x"})", R"({"a":1,"c":true,"d":null})",
                          R"({"a":1,"c":true,"b":"x","d":null})"},
                 {R"({"c":true,"a":1})", R"({"a":1})", R"({"a":1,"c":true,"d":null,"b":"x"})",
                  R"({"a":1,"c":true,"e":1})", R"({"a":1,"c":true,"b":"x","b":"y"})"});
  expect_accepts(R"({"properties":{"x":{"type":"integer"},"y":{"type":"integer"}}})",
                 {"{}", R"({"x":1})", R"({"y":2})", R"({"x":1,"y":2})"}, {R"({"y":2,"x":1})", R"({,"y":2})"});
}

TEST(JsonSchema, AdditionalProperties) {
  expect_accepts(R"({"type":"object","properties":{"id":{"type":"integer"}},"required":["id"],
                     "additionalProperties":{"type":"string"}})",
                 {R"({"id":1})", R"({"id":1,"x":"a","idx":"b"})", R"({"id":1,"i":"c","":"d"})"},
                 {R"({"id":1,"id":"a"})", R"({"id":1,"x":2})"});
  expect_accepts(R"({"type":"object","additionalProperties":false})", {"{}"}, {R"({"a":1})"});
  expect_accepts(R"({"type":"object"})", {"{}", R"({"a":[1,{"b":null}]})"}, {"[]"});
  expect_accepts(R"({"type":"object","additionalProperties":{"type":"integer"}})", {"{}", R"({"a":1,"b":2})"},
                 {R"({"a":"x"})"});
}

TEST(JsonSchema, EnumAndConst) {
  expect_accepts(R"({"enum":["red","green",1,null,{"a":[true]}]})",
                 {R"("red")", R"("green")", "1", "null", R"({"a":[true]})"}, {R"("blue")", "2", R"({"a":[false]})"});
  expect_accepts(R"({"type":"string","enum":["x",1]})", {R"("x")"}, {"1"});  // values of other types dropped
  expect_accepts(R"({"const":"a\"b"})", {R"("a\"b")"}, {R"("ab")"});
}

TEST(JsonSchema, Arrays) {
  expect_accepts(R"({"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3})",
                 {"[1,2]", "[1, 2, 3]"}, {"[]", "[1]", "[1,2,3,4]", "[1,\"a\"]"});
  expect_accepts(R"({"type":"array","items":{"type":"integer"}})", {"[]", "[5]", "[1,2,3,4,5,6]"}, {"[,]"});
  expect_accepts(R"({"type":"array","maxItems":0})", {"[]"}, {"[1]"});
  expect_accepts(R"({"type":"array","prefixItems":[{"type":"integer"},{"type":"string"}],"minItems":1})",
                 {"[1]", R"([1,"a"])"}, {"[]", R"([1,"a",2])", R"(["a"])"});
  expect_accepts(R"({"type":"array","prefixItems":[{"type":"integer"}],"items":{"type":"boolean"},"minItems":2})",
                 {"[1,true]", "[1,true,false]"}, {"[1]", "[1,2]"});
  expect_accepts(R"({"type":"array","items":[{"const":1}],"additionalItems":false})", {"[]", "[1]"}, {"[1,1]"});
}

TEST(JsonSchema, CombinatorsAndRefs) {
  expect_accepts(R"({"anyOf":[{"type":"integer"},{"type":"string","maxLength":2}]})", {"1", R"("ab")"},
                 {R"("abc")", "true"});
  expect_accepts(R"({"oneOf":[{"type":"boolean"},{"type":"null"}]})", {"true", "null"}, {"1"});
  expect_accepts(R"({"type":"object","required":["kind"],"anyOf":[
                      {"properties":{"kind":{"const":"a"},"x":{"type":"integer"}},"required":["x"]},
                      {"properties":{"kind":{"const":"b"}}}]})",
                 {R"({"kind":"a","x":1})", R"({"kind":"b"})"}, {R"({"kind":"a"})", R"({"kind":"c"})"});
  expect_accepts(R"({"allOf":[{"properties":{"a":{"type":"integer"}},"required":["a"]},
                              {"properties":{"b":{"type":"string"}},"required":["b"]}]})",
                 {R"({"a":1,"b":"x"})"}, {R"({"a":1})"});
  expect_accepts(R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
                      "kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"]}},
                    "$ref":"#/$defs/node"})",
                 {R"({"v":1})", R"({"v":1,"kids":[{"v":2,"kids":[{"v":3}]},{"v":4}]})"},
                 {R"({"v":1,"kids":[{}]})"});
  expect_accepts(R"({"definitions":{"a~b/c":{"type":"integer"}},"items":{"$ref":"#/definitions/a~0b~1c"}})",
                 {"[1,2]"}, {"[\"x\"]"});
}

TEST(JsonSchema, StringLengthsFormatsAndPatterns) {
  expect_accepts(R"({"type":"string","minLength":2,"maxLength":3})", {R"("ab")", "\"\xE4\xB8\xAD\\n\"", R"("abc")"},
                 {R"("a")", R"("abcd")"});
  expect_accepts(R"({"format":"date"})", {R"("2024-02-29")"}, {R"("2024-13-01")", R"("2024-1-01")"});
  expect_accepts(R"({"type":"string","format":"date-time"})",
                 {R"("2024-02-29T23:59:59Z")", R"("2024-02-29T01:02:03.123+05:30")"}, {R"("2024-02-29 01:02:03Z")"});
  expect_accepts(R"({"type":"string","format":"uuid"})", {R"("123e4567-e89b-12d3-a456-426614174000")"},
                 {R"("123e4567e89b12d3a456426614174000")"});
  expect_accepts(R"({"type":"string","format":"email"})", {R"("a.b+c@ex-ample.co.uk")"}, {R"("a@b")", R"("@b.com")"});
  expect_accepts(R"({"type":"string","pattern":"^[a-z]+@x\\.com$"})", {R"("ab@x.com")"}, {R"("ab@xxcom")", R"("@x.com")"});
  expect_accepts(R"({"type":"string","pattern":"b{2}"})", {R"("bb")", R"("abba")"}, {R"("bab")"});
  expect_accepts(R"({"pattern":"^(\"|\\\\)\\d?$"})", {R"("\"")", R"("\\7")"}, {R"("")", R"("\"77")"});
  expect_accepts(R"({"pattern":"^[^a]$"})", {R"("\n")", R"("\"")", "\"\xC3\xA9\""}, {R"("a")"});
  expect_accepts(R"({"pattern":"^(?:ab|c)*$|^z"})", {R"("")", R"("abcab")", R"("zzz")"}, {R"("abz")"});
}

// Every integer in [-1100, 1100] is accepted exactly when it lies within the bounds.
TEST(JsonSchema, IntegerRangesAreExact) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 12; ++trial) {
    int lo = static_cast<int>(rng() % 2000) - 1000;
    int hi = lo + static_cast<int>(rng() % 1000);
    std::string schema = R"({"type":"integer","minimum":)" + std::to_string(lo) + R"(,"maximum":)" + std::to_string(hi) + "}";
    if (trial == 10) schema = R"({"type":"integer","exclusiveMinimum":-3.5,"maximum":99.9})", lo = -3, hi = 99;
    if (trial == 11) schema = R"({"type":"integer","minimum":7})", lo = 7, hi = 1100;
    auto g = compile(schema);
    ASSERT_NE(g, nullptr);
    for (int n = -1100; n <= 1100; ++n) {
      ASSERT_EQ(full_match(g, std::to_string(n)), n >= lo && n <= hi) << schema << " n=" << n;
    }
    EXPECT_FALSE(full_match(g, "-0"));
  }
}

TEST(JsonSchema, NumberBoundsAreSound) {
  auto g = compile(R"({"type":"number","minimum":-2.5,"exclusiveMaximum":10})");
  for (std::string s : {"-2", "-1.999", "0", "9", "9.999", "-0.5"}) EXPECT_TRUE(full_match(g, s)) << s;
  for (std::string s : {"-3", "10", "10.5", "-2.6", "1e3"}) EXPECT_FALSE(full_match(g, s)) << s;
}

TEST(JsonSchema, JsonModeGrammars) {
  auto value = testing::must_parse(json_value_gbnf());
  for (std::string s : {"1", "\"x\"", "[1,{\"a\":[null,true]}]", "{ }", "-0.5e+12"}) EXPECT_TRUE(full_match(value, s)) << s;
  for (std::string s : {"[1,]", "{'a':1}", "01", "[", ""}) EXPECT_FALSE(full_match(value, s)) << s;
  auto object = testing::must_parse(json_object_gbnf());
  EXPECT_TRUE(full_match(object, R"({"a": {"b": [1, 2.5]}})"));
  EXPECT_FALSE(full_match(object, "[1]"));
}

// A wide enum: every value is a parallel stack at the start, narrowed by each character.
TEST(JsonSchema, LargeEnumIsUsable) {
  std::string schema = R"({"enum":[)";
  for (int i = 0; i < 9000; ++i) schema += std::string(i ? "," : "") + "\"item" + std::to_string(i) + "\"";
  schema += "]}";
  const plexus::testing::CpuTimer timer;
  auto g = compile(schema);
  ASSERT_NE(g, nullptr);
  auto m = testing::make_matcher(g, testing::byte_vocab());
  ASSERT_NE(m, nullptr);
  TokenMask mask;
  ASSERT_TRUE(m->fill_mask(mask).ok());
  EXPECT_EQ(mask.count(), 1);  // only '"'
  ASSERT_TRUE(m->accept_bytes("\"item123").ok());
  ASSERT_TRUE(m->fill_mask(mask).ok());
  EXPECT_TRUE(mask.test('4'));
  EXPECT_TRUE(mask.test('"'));
  ASSERT_TRUE(m->accept_bytes("4\"").ok());
  EXPECT_TRUE(m->is_complete());
  EXPECT_FALSE(testing::full_match(g, "\"item9000\""));
  EXPECT_LT(timer.seconds(), 2.0 * testing::kTimeScale);
}

TEST(JsonSchemaErrors, MalformedAndUnsupported) {
  auto expect = [](const std::string& schema, error_code code, const std::string& needle) {
    Status s = compile_error(schema);
    EXPECT_EQ(s.code(), code) << schema << ": " << s.to_string();
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  };
  expect("{", error_code::invalid_argument, "not valid JSON");
  expect("false", error_code::invalid_argument, "accepts no value");
  expect("3", error_code::invalid_argument, "object or a boolean");
  expect(R"({"type":"strin"})", error_code::invalid_argument, "unknown type 'strin'");
  expect(R"({"$ref":"http://x/y.json"})", error_code::unsupported, "only local references");
  expect(R"({"$ref":"#/$defs/missing"})", error_code::not_found, "missing");
  expect(R"({"$ref":"#"})", error_code::invalid_argument, "left recursion");
  expect(R"({"type":"string","minLength":1000000})", error_code::out_of_range, "minLength");
  expect(R"({"type":"string","minLength":3,"maxLength":2})", error_code::invalid_argument, "minLength > maxLength");
  expect(R"({"pattern":"(?=a)b"})", error_code::unsupported, "lookaround");
  expect(R"({"pattern":"(a)\\1"})", error_code::unsupported, "backreferences");
  expect(R"({"pattern":"a{0,1000000}"})", error_code::out_of_range, "repetition");
  expect(R"({"type":"integer","minimum":5,"maximum":4})", error_code::invalid_argument, "no integer");
  expect(R"({"enum":[1,2],"type":"string"})", error_code::invalid_argument, "no enum/const value");
  expect(R"({"allOf":[{"properties":{"a":{"type":"string"}}},{"properties":{"a":{"type":"integer"}}}]})",
         error_code::unsupported, "defined differently");
  expect(R"({"properties":{"a":{}},"required":["b"],"additionalProperties":false})", error_code::invalid_argument,
         "required property 'b'");
}

TEST(JsonSchemaErrors, HostileSizesFailFast) {
  const plexus::testing::CpuTimer timer;
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += R"({"items":)";
  deep += "{}";
  deep += std::string(100000, '}');
  EXPECT_EQ(compile_error(deep).code(), error_code::out_of_range);
  // Within the JSON depth cap but past the subschema depth cap.
  std::string nested;
  for (int i = 0; i < 100; ++i) nested += R"({"items":)";
  nested += "{}" + std::string(100, '}');
  Status s = compile_error(nested);
  EXPECT_NE(s.message().find("nested deeper than 64"), std::string::npos) << s.to_string();
  EXPECT_EQ(compile_error(std::string(2u << 20, ' ') + "{}").code(), error_code::out_of_range);
  // Many properties: fine below the limits, an error past max_rules.
  std::string wide = R"({"type":"object","properties":{)";
  for (int i = 0; i < 3000; ++i) wide += std::string(i ? "," : "") + "\"p" + std::to_string(i) + "\":{\"type\":\"integer\"}";
  wide += "}}";
  EXPECT_TRUE(json_schema_to_gbnf(wide).ok());
  JsonSchemaOptions small;
  small.max_rules = 500;
  EXPECT_EQ(compile_error(wide, small).code(), error_code::out_of_range);
  // 1 MiB of properties: refused before parsing (ordered objects would make parsing quadratic).
  std::string huge = R"({"properties":{)";
  for (int i = 0; huge.size() < (1u << 20) - 100; ++i) huge += std::string(i ? "," : "") + "\"q" + std::to_string(i) + "\":{}";
  huge += "}}";
  Status h = compile_error(huge);
  EXPECT_NE(h.message().find("more than 10000 members"), std::string::npos) << h.to_string();
  EXPECT_LT(timer.seconds(), 2.0 * testing::kTimeScale);
}

TEST(JsonSchemaErrors, IgnoredKeywordsAreListedOrRefusedWhenStrict) {
  const std::string schema = R"({"type":"array","uniqueItems":true,"items":{"type":"integer","multipleOf":3}})";
  auto r = json_schema_to_gbnf(schema);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ignored, (std::vector<std::string>{"#: uniqueItems", "#/items: multipleOf"}));
  JsonSchemaOptions strict;
  strict.strict = true;
  EXPECT_EQ(compile_error(schema, strict).code(), error_code::unsupported);
  auto annotated = json_schema_to_gbnf(R"({"title":"t","description":"d","$schema":"x","type":"null"})", strict);
  EXPECT_TRUE(annotated.ok());
}

}  // namespace
}  // namespace plexus::sampling::grammar

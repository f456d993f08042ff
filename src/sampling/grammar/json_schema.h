// JSON mode and JSON Schema -> GBNF. The generated grammar accepts only JSON text that is valid
// under the schema (for the supported subset, docs/GRAMMAR.md), in one canonical layout: object
// properties in schema order (required ones first), compact escapes, and at most limited
// optional whitespace after each value and punctuation.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sampling/grammar/grammar.h"

namespace plexus::sampling::grammar {

enum class json_whitespace : uint8_t {
  none,     // compact output only
  limited,  // after values and punctuation: nothing, one space, or a newline and up to 20 spaces/tabs
};

struct JsonSchemaOptions {
  json_whitespace whitespace = json_whitespace::limited;
  size_t max_schema_bytes = 1u << 20;     // schema text
  uint32_t max_json_depth = 512;          // bracket nesting of the schema text
  uint32_t max_json_members = 10000;      // members of one object or array in the schema text
  uint32_t max_schema_depth = 64;         // nesting of subschemas while compiling
  size_t max_grammar_bytes = 4u << 20;    // generated GBNF text
  uint32_t max_rules = 20000;             // generated rules
  uint32_t max_repetition = 10000;        // minLength/minItems above it: error; maxLength/maxItems: clamped
  // Keywords that restrict values but are not enforced (see docs/GRAMMAR.md): false = compile
  // anyway and list them in SchemaGrammar::ignored; true = unsupported error.
  bool strict = false;
};

struct SchemaGrammar {
  std::string gbnf;                         // start rule: root
  std::shared_ptr<const Grammar> grammar;   // gbnf, parsed
  std::vector<std::string> ignored;  // "<json pointer>: <keyword>" for each keyword not enforced
};

// `schema_json`: the schema as JSON text. invalid_argument for malformed JSON or schemas
// (including ones whose grammar would be left-recursive, like {"$ref": "#"}), unsupported for
// constructs outside the subset (and ignored keywords when strict), out_of_range past a limit.
Result<SchemaGrammar> json_schema_to_gbnf(std::string_view schema_json, const JsonSchemaOptions& options = {});

// Any JSON value (root ::= value).
std::string json_value_gbnf(json_whitespace ws = json_whitespace::limited);
// Any JSON object: OpenAI's response_format {"type": "json_object"}.
std::string json_object_gbnf(json_whitespace ws = json_whitespace::limited);

}  // namespace plexus::sampling::grammar

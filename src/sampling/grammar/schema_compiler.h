// The JSON Schema -> GBNF compiler behind json_schema_to_gbnf (internal).
//
// Every visit returns the name of a rule matching one value valid under the subschema,
// including the optional whitespace after it. Rules are deduplicated by body; $ref targets are
// compiled once under a reserved name, which is what lets recursive schemas terminate.
// Not thread-safe: one compiler per call.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "sampling/grammar/json_schema.h"

namespace plexus::sampling::grammar::schema {

using json = nlohmann::ordered_json;

class SchemaCompiler {
 public:
  SchemaCompiler(const json& root, const JsonSchemaOptions& options);

  // The whole grammar, start rule `root`.
  Result<SchemaGrammar> compile();
  // Grammar text for a fixed primitive start (`value` or `object`), no schema involved.
  std::string primitive_grammar(const std::string& start);

 private:
  Result<std::string> visit(const json& schema, const std::string& name, const std::string& path, uint32_t depth);
  Result<std::string> visit_typed(const json& s, const std::string& type, const std::string& name,
                                  const std::string& path, uint32_t depth);
  Result<std::string> visit_ref(const std::string& ref, const std::string& path, uint32_t depth);
  Result<std::string> visit_alternatives(const json& s, const char* keyword, const std::string& name,
                                         const std::string& path, uint32_t depth);
  Result<std::string> visit_literals(const json& s, const std::string& name, const std::string& path);
  Result<std::string> visit_integer(const json& s, const std::string& name, const std::string& path);
  Result<std::string> visit_number(const json& s, const std::string& name, const std::string& path);
  Result<std::string> visit_string(const json& s, const std::string& name, const std::string& path);
  Result<std::string> visit_array(const json& s, const std::string& name, const std::string& path, uint32_t depth);
  Result<std::string> visit_object(const json& s, const std::string& name, const std::string& path, uint32_t depth);
  // Strings that are none of `names`, as rule name for the quoted key (plain characters only).
  Result<std::string> key_not_in(const std::vector<std::string>& names, const std::string& name);
  Result<json> merge_all_of(const json& s, const std::string& path);
  Result<json> merge_schemas(const std::vector<const json*>& parts, const std::string& path);
  Result<const json*> resolve(const std::string& ref) const;

  // Adds `name ::= body` (or returns the existing rule with that body).
  Result<std::string> add_rule(const std::string& name_hint, const std::string& body);
  Status define(const std::string& name, const std::string& body);
  std::string unique_name(const std::string& hint);
  // Ensures a primitive rule (ws, char, string, number, ..., date, uuid) exists; returns its name.
  std::string primitive(const std::string& name);
  Status note_ignored(const std::string& path, const std::string& keyword);
  Status check_keywords(const json& s, const std::string& path);

  const json& root_;
  JsonSchemaOptions opt_;
  std::vector<std::pair<std::string, std::string>> rules_;  // in definition order
  std::unordered_set<std::string> names_;
  std::unordered_map<std::string, int> next_suffix_;  // base name -> last numeric suffix used
  std::unordered_map<std::string, std::string> by_body_;
  std::unordered_map<std::string, std::string> refs_;  // "$ref" value -> rule name
  size_t bytes_ = 0;
  std::vector<std::string> ignored_;
};

// Does JSON value `v` have JSON Schema type `type` ("integer" includes integral floats)?
bool json_has_type(const json& v, const std::string& type);

}  // namespace plexus::sampling::grammar::schema

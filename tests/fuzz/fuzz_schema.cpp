// libFuzzer target for the JSON Schema -> GBNF compiler: any text either fails with a status or
// compiles into GBNF that parses (the compiler's own grammar is present and agrees).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "sampling/grammar/grammar.h"
#include "sampling/grammar/json_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plexus::sampling::grammar;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  JsonSchemaOptions options;
  options.max_grammar_bytes = 1u << 20;  // keeps each run well inside libFuzzer's timeout
  auto compiled = json_schema_to_gbnf(text, options);
  if (!compiled.ok()) return 0;
  if (!compiled->grammar || !Grammar::parse(compiled->gbnf).ok()) {
    std::fprintf(stderr, "fuzz_schema: compiled GBNF does not parse:\n%s\n", compiled->gbnf.c_str());
    std::abort();
  }
  return 0;
}

// libFuzzer target for the GBNF parser: any text either fails with a status or parses into a
// grammar whose GBNF spelling (to_gbnf) parses again into a grammar that spells the same.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "sampling/grammar/grammar.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using plexus::sampling::grammar::Grammar;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto grammar = Grammar::parse(text);
  if (!grammar.ok()) return 0;
  const std::string spelled = (*grammar)->to_gbnf();
  auto again = Grammar::parse(spelled);
  if (!again.ok()) {
    std::fprintf(stderr, "fuzz_grammar: to_gbnf output does not parse: %s\n%s\n", again.status().to_string().c_str(),
                 spelled.c_str());
    std::abort();
  }
  return 0;
}

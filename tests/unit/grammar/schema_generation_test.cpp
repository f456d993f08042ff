// The JSON Schema property through the whole runtime: for 200 random schemas (SchemaGen, seeded),
// a Session over a random-weight model samples at temperature 1 from the model's logits under
// the schema's grammar, and every output must end by end-of-generation (complete), parse as
// JSON and validate against the schema.
//
// Completion: a random model wanders, so the request biases the tokens that close things (the
// quote, ']' and '}' bytes, and end-of-generation, which the grammar allows only once the value is
// complete) the way a caller would with logit_bias. The bias changes which allowed token is
// likely, never which tokens are allowed: validity comes from the grammar alone.
#include <gtest/gtest.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "runtime/session.h"
#include "sampling/grammar/json_schema.h"
#include "schema_testkit.h"
#include "unit/runtime/test_models.h"

namespace plexus::sampling::grammar {
namespace {

using testing::ojson;
using testing::SchemaGen;

TEST(SchemaGeneration, RandomWeightModelOutputValidatesForRandomSchemas) {
  auto model = runtime::testing::random_model();
  ASSERT_TRUE(model);
  const auto& tok = *model->tokenizer;
  // The token that is exactly this one byte (the synthetic vocabulary has all 256).
  auto byte_token = [&](char c) {
    for (int32_t id = 0; id < tok.n_vocab(); ++id) {
      if (tok.token_to_piece(id, false) == std::string(1, c)) return id;
    }
    ADD_FAILURE() << "no token for '" << c << "'";
    return 0;
  };
  const std::vector<std::pair<int32_t, float>> closers = {
      {byte_token('"'), 10.0f}, {byte_token(']'), 10.0f}, {byte_token('}'), 10.0f}, {tok.eos_id(), 20.0f}};

  ThreadPool pool(1);
  runtime::Session session(*model, pool, {.n_ctx = 2048});
  const auto prompt = tok.encode("json:", true, false);
  int64_t tokens = 0;
  int schemas = 0;
  for (uint32_t seed = 1; schemas < 200; ++seed) {
    SchemaGen gen(seed);
    const ojson schema = gen.schema();
    auto compiled = json_schema_to_gbnf(schema.dump());
    ASSERT_TRUE(compiled.ok()) << compiled.status().to_string() << "\nschema: " << schema.dump();
    ++schemas;

    runtime::GenerateOptions o;
    o.max_tokens = 1500;
    o.sampling.temperature = 1.0f;
    o.sampling.top_k = 0;
    o.sampling.top_p = 1.0f;
    o.sampling.min_p = 0.0f;
    o.sampling.seed = seed;
    o.sampling.logit_bias = closers;
    o.grammar = compiled->grammar;
    std::string text;
    runtime::GenerateStats stats;
    Status st = session.generate(prompt, o, [&](const runtime::TokenEvent& ev) {
      text += ev.text;
      return true;
    }, &stats);
    ASSERT_TRUE(st.ok()) << st.to_string() << "\nschema: " << schema.dump();
    tokens += stats.generated;
    ASSERT_EQ(stats.stop_reason, "eog") << "after " << stats.generated << " tokens: " << text.substr(0, 400)
                                        << "\nschema: " << schema.dump();
    const ojson value = ojson::parse(text, nullptr, false);
    ASSERT_FALSE(value.is_discarded()) << "not JSON: " << text << "\nschema: " << schema.dump();
    if (std::getenv("PLEXUS_PRINT_OUTPUTS") != nullptr) std::printf("%s\n", text.c_str());
    std::string why;
    ASSERT_TRUE(testing::validate(schema, value, schema, &why))
        << why << "\ntext: " << text << "\nschema: " << schema.dump() << "\ngrammar:\n" << compiled->gbnf;
  }
  std::printf("[schema generation] %d schemas, %lld tokens generated\n", schemas, static_cast<long long>(tokens));
}

}  // namespace
}  // namespace plexus::sampling::grammar

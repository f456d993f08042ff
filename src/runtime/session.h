// One conversation with a model: its KV cache, the tokens it holds, and the generation loop.
// A new prompt that shares a prefix with the tokens already evaluated reuses their KV entries.
// Not thread-safe: one thread drives a Session; the model and pool it uses may be shared.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "model/kv_cache.h"
#include "runtime/loaded_model.h"
#include "sampling/grammar/grammar.h"
#include "sampling/grammar/grammar_matcher.h"
#include "sampling/sampler.h"

namespace plexus::runtime {

struct SessionOptions {
  int64_t n_ctx = 0;     // 0: min(model's training context, 4096)
  int64_t n_batch = 512; // prompt tokens evaluated per forward pass
};

struct GenerateOptions {
  int64_t max_tokens = -1;  // -1: until the context is full
  sampling::SamplingParams sampling;
  int32_t top_logprobs = 0; // report this many (id, logprob) pairs per generated token
  bool stop_at_eog = true;
  // Constrains the output to this grammar (null = unconstrained). End-of-generation tokens are
  // allowed only where the grammar may end; where the grammar is complete and cannot continue,
  // the only choice is end-of-generation (stop_reason "eog"). A grammar that allows no token at
  // all (the vocabulary cannot spell what it needs) ends the sequence with stop_reason "grammar".
  // Output cut by max_tokens ("limit") is generally not complete under the grammar.
  std::shared_ptr<const sampling::grammar::Grammar> grammar;
};

struct TokenEvent {
  int32_t id = 0;
  std::string text;  // text completed by this token (UTF-8 never split; may be empty)
  float logprob = 0; // log-probability of `id` under the raw model distribution
  std::vector<std::pair<int32_t, float>> top;  // top_logprobs best (id, logprob), best first
};

struct GenerateStats {
  int64_t prompt_tokens = 0;       // tokens in the prompt
  int64_t prompt_evaluated = 0;    // of them, evaluated (the rest came from the cache)
  int64_t generated = 0;
  double prompt_seconds = 0;
  double generate_seconds = 0;
  std::string stop_reason;         // "eog", "limit", "context", "cancelled", "grammar"
};

// A matcher for `grammar` over the model's grammar vocabulary (built on first use).
Result<std::unique_ptr<sampling::grammar::GrammarMatcher>> make_matcher(
    const LoadedModel& model, std::shared_ptr<const sampling::grammar::Grammar> grammar);
// Why a constrained sequence ends when its grammar allows no token: "eog" when the grammar is
// complete (or end-of-generation was accepted), else "grammar".
std::string grammar_stop_reason(const sampling::grammar::GrammarMatcher& matcher);

class Session {
 public:
  Session(const LoadedModel& model, ThreadPool& pool, const SessionOptions& options);

  int64_t n_ctx() const { return n_ctx_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }

  // Evaluates `prompt` (reusing any cached prefix), then samples up to max_tokens tokens.
  // on_token returns false to stop early. out_of_range when prompt + max_tokens exceed n_ctx.
  Status generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                  const std::function<bool(const TokenEvent&)>& on_token, GenerateStats* stats = nullptr);

  // Makes the session hold exactly `tokens` and returns logits for positions >= first_logits
  // ([tokens.size() - first_logits, n_vocab]). Used for teacher-forced scoring.
  Status evaluate(std::span<const int32_t> tokens, int64_t first_logits, std::vector<float>& logits);

  void reset();

 private:
  // Appends `tokens` to the cache; logits for the appended positions >= first_logits (absolute).
  Status append(std::span<const int32_t> tokens, int64_t first_logits, std::vector<float>& logits);
  // Keeps the longest common prefix of tokens_ and `prompt`; returns its length.
  int64_t reuse_prefix(std::span<const int32_t> prompt);

  const LoadedModel& model_;
  ThreadPool& pool_;
  int64_t n_ctx_;
  int64_t n_batch_;
  model::KvCache cache_;
  model::ForwardScratch scratch_;
  std::vector<int32_t> tokens_;
  std::vector<model::BatchToken> batch_;
  std::vector<float> step_logits_;
  static constexpr int32_t kSeq = 0;
};

}  // namespace plexus::runtime

// Token sampling from logits. The chain runs in a fixed, documented order (docs/SAMPLING.md):
//   1. logit_bias: logit[id] += bias
//   2. penalties over the last `repeat_last_n` tokens of the history: repetition (divide positive
//      logits, multiply negative ones), then presence and frequency
//      (logit -= presence * (count > 0) + frequency * count)
//   3. grammar (only with a matcher): the token drawn must be allowed. Fast path: run 4-10 on the
//      unmasked logits; if the grammar rejects the draw, mask the logits (-inf) and run 4-10 again
//   4. candidates at -inf are dropped
//   5. temperature <= 0: greedy (argmax) — stop here
//   6. top-k  7. typical-p  8. top-p (nucleus)  9. min-p  10. temperature, then a draw from the
//      softmax with the seeded RNG
// Ties go to the lowest id (deterministic). The same params (seed included), logits and history
// give the same token on every platform. Reported log-probabilities (runtime TokenEvent) are
// those of the raw model distribution, before any stage here.
// Not thread-safe: one Sampler per sequence (it owns that sequence's RNG).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/status.h"
#include "sampling/rng.h"

namespace plexus::sampling::grammar {
class GrammarMatcher;
}

namespace plexus::sampling {

struct SamplingParams {
  float temperature = 0.8f;  // <= 0: greedy
  int32_t top_k = 40;        // <= 0: off
  float top_p = 0.95f;       // >= 1: off
  float min_p = 0.05f;       // <= 0: off
  float typical_p = 1.0f;    // >= 1: off (locally typical sampling)
  float repeat_penalty = 1.0f;     // 1: off; > 1 discourages tokens seen in the window
  float presence_penalty = 0.0f;   // 0: off; subtracted once from tokens seen in the window
  float frequency_penalty = 0.0f;  // 0: off; subtracted per occurrence in the window
  int32_t repeat_last_n = 64;      // penalty window in tokens; 0: penalties off; -1: whole history
  // (token id, bias) added to the logit before anything else; -100 effectively bans a token,
  // -inf bans it. Ids outside the vocabulary are ignored here (callers reject them up front).
  std::vector<std::pair<int32_t, float>> logit_bias = {};
  uint64_t seed = 0;
};

struct TokenCandidate {
  int32_t id;
  float logit;
  float prob;
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}

  // logits: [n_vocab]; history: the tokens so far (prompt and generated), for penalties.
  int32_t sample(std::span<const float> logits, std::span<const int32_t> history);

  // Grammar-constrained: the token returned is one `matcher` allows (the caller then calls
  // matcher.accept_token). kNoToken when the grammar allows no token at all here; errors from the
  // matcher (logits smaller than its vocabulary) pass through. The matcher's state is unchanged.
  static constexpr int32_t kNoToken = -1;
  Result<int32_t> sample(std::span<const float> logits, std::span<const int32_t> history,
                         grammar::GrammarMatcher& matcher);

  const SamplingParams& params() const { return params_; }

 private:
  SamplingParams params_;
  Rng rng_;
  // Stages 1-2 into biased_ (the logits the rest of the chain sees).
  void apply_bias_and_penalties(std::span<const float> logits, std::span<const int32_t> history);
  // Stages 4-10 over biased_.
  int32_t draw();

  std::vector<TokenCandidate> candidates_;  // reused across calls
  std::vector<float> biased_;               // [n_vocab], reused across calls
  std::vector<int32_t> window_;             // penalty window, sorted; reused across calls
};

// Index of the largest value (lowest index on ties).
int32_t argmax(std::span<const float> values);
// log-softmax of `logits` written to `out` (same size), computed in double for accuracy.
void log_softmax(std::span<const float> logits, std::span<float> out);
// The n largest (id, value) pairs of `values`, largest first (lower id first on ties).
std::vector<std::pair<int32_t, float>> top_logprobs(std::span<const float> values, int32_t n);

}  // namespace plexus::sampling

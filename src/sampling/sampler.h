// Token sampling from logits. The chain runs in a fixed, documented order:
//   1. repetition penalty over the last `repeat_last_n` tokens of the history
//   2. temperature <= 0: greedy (argmax) — stop here
//   3. top-k  4. top-p (nucleus)  5. min-p  6. temperature  7. draw from the softmax with the seeded RNG
// Ties in the argmax go to the lowest id (deterministic).
// Not thread-safe: one Sampler per sequence (it owns that sequence's RNG).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "sampling/rng.h"

namespace plexus::sampling {

struct SamplingParams {
  float temperature = 0.8f;  // 0 = greedy
  int32_t top_k = 40;        // <= 0: off
  float top_p = 0.95f;       // >= 1: off
  float min_p = 0.05f;       // <= 0: off
  float repeat_penalty = 1.0f;  // 1: off
  int32_t repeat_last_n = 64;
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

  const SamplingParams& params() const { return params_; }

 private:
  SamplingParams params_;
  Rng rng_;
  std::vector<TokenCandidate> candidates_;  // reused across calls
};

// Index of the largest value (lowest index on ties).
int32_t argmax(std::span<const float> values);
// log-softmax of `logits` written to `out` (same size), computed in double for accuracy.
void log_softmax(std::span<const float> logits, std::span<float> out);
// The n largest (id, value) pairs of `values`, largest first (lower id first on ties).
std::vector<std::pair<int32_t, float>> top_logprobs(std::span<const float> values, int32_t n);

}  // namespace plexus::sampling

#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sampling/grammar/grammar_matcher.h"

namespace plexus::sampling {

int32_t argmax(std::span<const float> values) {
  int32_t best = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    if (values[i] > values[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
  }
  return best;
}

void log_softmax(std::span<const float> logits, std::span<float> out) {
  if (logits.empty()) return;
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float l : logits) sum += std::exp(static_cast<double>(l) - max);
  const double log_sum = std::log(sum);
  for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<float>(static_cast<double>(logits[i]) - max - log_sum);
}

std::vector<std::pair<int32_t, float>> top_logprobs(std::span<const float> values, int32_t n) {
  std::vector<int32_t> order(values.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int32_t>(k);
  const size_t top_n = std::min(static_cast<size_t>(std::max(n, 0)), order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top_n), order.end(),
                    [&](int32_t a, int32_t b) {
                      const float va = values[static_cast<size_t>(a)], vb = values[static_cast<size_t>(b)];
                      return va > vb || (va == vb && a < b);
                    });
  std::vector<std::pair<int32_t, float>> out;
  out.reserve(top_n);
  for (size_t k = 0; k < top_n; ++k) out.emplace_back(order[k], values[static_cast<size_t>(order[k])]);
  return out;
}

void Sampler::apply_bias_and_penalties(std::span<const float> logits, std::span<const int32_t> history) {
  const size_t n_vocab = logits.size();
  biased_.assign(logits.begin(), logits.end());
  for (const auto& [id, bias] : params_.logit_bias) {
    if (id < 0 || static_cast<size_t>(id) >= n_vocab) continue;
    biased_[static_cast<size_t>(id)] += bias;
  }

  const bool penalize =
      params_.repeat_penalty != 1.0f || params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f;
  if (!penalize || params_.repeat_last_n == 0 || history.empty()) return;
  const size_t window = params_.repeat_last_n < 0 ? history.size()
                                                  : std::min(history.size(), static_cast<size_t>(params_.repeat_last_n));
  // Occurrences of each id in the window: sort a copy, then run-length (window is small).
  window_.assign(history.end() - static_cast<std::ptrdiff_t>(window), history.end());
  std::sort(window_.begin(), window_.end());
  for (size_t i = 0; i < window_.size();) {
    const int32_t id = window_[i];
    size_t j = i;
    while (j < window_.size() && window_[j] == id) ++j;
    const auto count = static_cast<float>(j - i);
    i = j;
    if (id < 0 || static_cast<size_t>(id) >= n_vocab) continue;
    float& l = biased_[static_cast<size_t>(id)];
    if (params_.repeat_penalty != 1.0f) l = l > 0 ? l / params_.repeat_penalty : l * params_.repeat_penalty;
    l -= params_.presence_penalty + params_.frequency_penalty * count;
  }
}

int32_t Sampler::draw() {
  candidates_.clear();
  for (size_t i = 0; i < biased_.size(); ++i) {
    // Drops -inf (banned, masked) and NaN.
    if (biased_[i] > -std::numeric_limits<float>::infinity()) candidates_.push_back({static_cast<int32_t>(i), biased_[i], 0.0f});
  }
  if (candidates_.empty()) return kNoToken;

  auto by_logit = [](const TokenCandidate& a, const TokenCandidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  if (params_.temperature <= 0.0f) {
    return std::min_element(candidates_.begin(), candidates_.end(), by_logit)->id;
  }

  size_t keep = candidates_.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < keep) {
    keep = static_cast<size_t>(params_.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(keep), candidates_.end(),
                      by_logit);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }
  candidates_.resize(keep);

  // Softmax of the candidates at `temperature` into .prob (candidates sorted: front is the max).
  auto normalize = [&](float temperature) {
    const float max = candidates_.front().logit;
    double sum = 0.0;
    for (auto& c : candidates_) {
      c.prob = static_cast<float>(std::exp(static_cast<double>(c.logit - max) / temperature));
      sum += c.prob;
    }
    for (auto& c : candidates_) c.prob = static_cast<float>(c.prob / sum);
  };

  normalize(1.0f);
  if (params_.typical_p < 1.0f && candidates_.size() > 1) {
    // Locally typical: keep the tokens whose surprisal -log p is closest to the entropy H, the
    // smallest such set with probability mass >= typical_p (at least one token).
    double entropy = 0.0;
    for (const auto& c : candidates_) {
      if (c.prob > 0) entropy -= static_cast<double>(c.prob) * std::log(static_cast<double>(c.prob));
    }
    auto distance = [&](const TokenCandidate& c) {
      return c.prob > 0 ? std::fabs(-std::log(static_cast<double>(c.prob)) - entropy)
                        : std::numeric_limits<double>::infinity();
    };
    std::stable_sort(candidates_.begin(), candidates_.end(),
                     [&](const TokenCandidate& a, const TokenCandidate& b) { return distance(a) < distance(b); });
    double cum = 0.0;
    size_t n = 0;
    while (n < candidates_.size()) {
      cum += candidates_[n].prob;
      ++n;
      if (cum >= params_.typical_p) break;
    }
    candidates_.resize(std::max<size_t>(n, 1));
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
    normalize(1.0f);
  }
  if (params_.top_p < 1.0f) {
    double cum = 0.0;
    size_t n = 0;
    while (n < candidates_.size()) {
      cum += candidates_[n].prob;
      ++n;
      if (cum >= params_.top_p) break;
    }
    candidates_.resize(std::max<size_t>(n, 1));
  }
  if (params_.min_p > 0.0f) {
    const float threshold = candidates_.front().prob * params_.min_p;
    size_t n = 1;
    while (n < candidates_.size() && candidates_[n].prob >= threshold) ++n;
    candidates_.resize(n);
  }
  normalize(params_.temperature);

  const double r = rng_.uniform();
  double cum = 0.0;
  for (const auto& c : candidates_) {
    cum += c.prob;
    if (r < cum) return c.id;
  }
  return candidates_.back().id;
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
  if (logits.empty()) return 0;
  apply_bias_and_penalties(logits, history);
  const int32_t id = draw();
  // Every logit banned: fall back to the raw argmax rather than return nothing.
  return id == kNoToken ? argmax(logits) : id;
}

Result<int32_t> Sampler::sample(std::span<const float> logits, std::span<const int32_t> history,
                                grammar::GrammarMatcher& matcher) {
  apply_bias_and_penalties(logits, history);
  // Fast path: draw from the unmasked logits; most draws of a model that follows the format pass.
  const int32_t first = draw();
  if (first != kNoToken && matcher.token_allowed(first)) return first;
  const Status masked = matcher.apply(biased_);
  if (masked.code() == error_code::out_of_range) return kNoToken;  // nothing allowed
  PLEXUS_RETURN_IF_ERROR(masked);
  return draw();
}

}  // namespace plexus::sampling

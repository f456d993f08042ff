#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

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

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
  const size_t n_vocab = logits.size();
  candidates_.resize(n_vocab);
  for (size_t i = 0; i < n_vocab; ++i) candidates_[i] = {static_cast<int32_t>(i), logits[i], 0.0f};

  if (params_.repeat_penalty != 1.0f && params_.repeat_last_n != 0) {
    const size_t window = params_.repeat_last_n < 0 ? history.size()
                                                    : std::min(history.size(), static_cast<size_t>(params_.repeat_last_n));
    std::unordered_set<int32_t> seen(history.end() - static_cast<std::ptrdiff_t>(window), history.end());
    for (int32_t id : seen) {
      if (id < 0 || static_cast<size_t>(id) >= n_vocab) continue;
      float& l = candidates_[static_cast<size_t>(id)].logit;
      l = l > 0 ? l / params_.repeat_penalty : l * params_.repeat_penalty;
    }
  }

  auto by_logit = [](const TokenCandidate& a, const TokenCandidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  if (params_.temperature <= 0.0f) {
    return std::min_element(candidates_.begin(), candidates_.end(), by_logit)->id;
  }

  size_t keep = n_vocab;
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < keep) {
    keep = static_cast<size_t>(params_.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(keep), candidates_.end(),
                      by_logit);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }
  candidates_.resize(keep);

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

}  // namespace plexus::sampling

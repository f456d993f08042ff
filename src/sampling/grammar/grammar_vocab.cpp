#include "sampling/grammar/grammar_vocab.h"

#include <algorithm>
#include <numeric>

namespace plexus::sampling::grammar {

Result<std::shared_ptr<const GrammarVocab>> GrammarVocab::build(std::vector<std::string> token_bytes,
                                                                std::span<const int32_t> eog_ids,
                                                                const VocabLimits& limits) {
  const size_t n = token_bytes.size();
  if (n == 0) return invalid_argument("grammar vocab: no tokens");
  if (n > limits.max_tokens || n > static_cast<size_t>(INT32_MAX)) {
    return out_of_range("grammar vocab: " + std::to_string(n) + " tokens, above the limit of " +
                        std::to_string(limits.max_tokens));
  }
  std::shared_ptr<GrammarVocab> v(new GrammarVocab());
  v->eog_.assign(n, 0);
  for (int32_t id : eog_ids) {
    if (id < 0 || static_cast<size_t>(id) >= n) {
      return invalid_argument("grammar vocab: end-of-generation id " + std::to_string(id) + " is outside [0, " +
                              std::to_string(n) + ")");
    }
    if (v->eog_[static_cast<size_t>(id)] == 0) v->eog_ids_.push_back(id);
    v->eog_[static_cast<size_t>(id)] = 1;
  }

  size_t total = 0;
  for (size_t id = 0; id < n; ++id) {
    const size_t len = token_bytes[id].size();
    if (len > limits.max_token_bytes || len > UINT16_MAX) {  // depths are 16-bit
      return out_of_range("grammar vocab: token " + std::to_string(id) + " is " + std::to_string(len) +
                          " bytes, above the limit of " + std::to_string(limits.max_token_bytes));
    }
    total += len;
    if (total > limits.max_total_bytes || total > UINT32_MAX) {
      return out_of_range("grammar vocab: token bytes total more than " + std::to_string(limits.max_total_bytes));
    }
  }
  v->blob_.reserve(total);
  v->offsets_.reserve(n + 1);
  for (const std::string& t : token_bytes) {
    v->offsets_.push_back(static_cast<uint32_t>(v->blob_.size()));
    v->blob_ += t;
    v->max_len_ = std::max(v->max_len_, t.size());
  }
  v->offsets_.push_back(static_cast<uint32_t>(v->blob_.size()));
  token_bytes.clear();
  token_bytes.shrink_to_fit();

  // Tokens that can appear in grammar-constrained output, sorted by bytes: sorted order is the
  // trie's preorder, so the trie is built in one pass using the common prefix with the previous token.
  std::vector<int32_t> order;
  order.reserve(n);
  for (size_t id = 0; id < n; ++id) {
    if (v->eog_[id] == 0 && v->offsets_[id + 1] > v->offsets_[id]) order.push_back(static_cast<int32_t>(id));
  }
  const GrammarVocab& cv = *v;
  std::sort(order.begin(), order.end(), [&cv](int32_t a, int32_t b) {
    const std::string_view x = cv.token_bytes(a), y = cv.token_bytes(b);
    return x != y ? x < y : a < b;
  });

  std::vector<uint32_t> open;  // open[d - 1]: the node at depth d on the current path
  std::vector<uint32_t> tok_count;
  std::string_view prev;
  for (int32_t id : order) {
    const std::string_view t = v->token_bytes(id);
    size_t common = 0;
    const size_t max_common = std::min(t.size(), prev.size());
    while (common < max_common && t[common] == prev[common]) ++common;
    while (open.size() > common) {
      v->skips_[open.back()] = static_cast<uint32_t>(v->bytes_.size());
      open.pop_back();
    }
    for (size_t k = common; k < t.size(); ++k) {
      open.push_back(static_cast<uint32_t>(v->bytes_.size()));
      v->bytes_.push_back(static_cast<uint8_t>(t[k]));
      v->depths_.push_back(static_cast<uint16_t>(k + 1));
      v->skips_.push_back(0);
      tok_count.push_back(0);
    }
    ++tok_count[open.back()];
    v->tokens_.push_back(id);
    prev = t;
  }
  while (!open.empty()) {
    v->skips_[open.back()] = static_cast<uint32_t>(v->bytes_.size());
    open.pop_back();
  }
  v->tok_begin_.resize(tok_count.size() + 1, 0);
  std::partial_sum(tok_count.begin(), tok_count.end(), v->tok_begin_.begin() + 1);
  v->first_token_.resize(tok_count.size());
  v->more_tokens_.resize(tok_count.size());
  for (size_t i = 0; i < tok_count.size(); ++i) {
    v->first_token_[i] = tok_count[i] > 0 ? v->tokens_[v->tok_begin_[i]] : -1;
    v->more_tokens_[i] = tok_count[i] > 1 ? 1 : 0;
  }
  return std::shared_ptr<const GrammarVocab>(std::move(v));
}

}  // namespace plexus::sampling::grammar

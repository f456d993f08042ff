// Constrained decoding: which tokens may come next under a grammar, for one sequence.
//
// Use in a sampler chain (two ways):
//   full mask:  matcher.apply(logits) sets every disallowed logit to -inf, then sample, then
//               matcher.accept_token(id).
//   fast path:  sample from the raw logits; if matcher.token_allowed(id) accept it, otherwise
//               matcher.apply(logits) and sample again from the masked logits. token_allowed()
//               walks only that token's bytes; a model that follows the format passes most of the
//               time, so the full mask is paid only on rejections. With plain softmax sampling
//               both draw from exactly the masked distribution (P(t) = p(t) + (1 - P(ok)) p(t) /
//               P(ok) = p(t) / P(ok)); with top-k/top-p/min-p the truncation sees different
//               logits in the two branches, so the fast path can differ slightly (as llama.cpp's).
// End-of-generation tokens are allowed exactly when is_complete(); after one is accepted the
// matcher is finished and accepts nothing else.
//
// Cost: the mask walks the vocabulary trie together with a lazily built automaton over parse
// stacks (see stack_automaton.h); a rejected prefix skips its subtree. Masks are also cached per
// automaton state, so states that recur (inside a string, between fields) cost a copy.
// Not thread-safe: one matcher per sequence. The Grammar and GrammarVocab it holds are shared
// (immutable) and may serve any number of matchers on any threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "sampling/grammar/grammar.h"
#include "sampling/grammar/grammar_vocab.h"

namespace plexus::sampling::grammar {

namespace detail {
class StackAutomaton;
}

// One bit per token id: set = allowed.
// Not thread-safe: plain value.
class TokenMask {
 public:
  void reset(int32_t n_tokens) { n_ = n_tokens; words_.assign((static_cast<size_t>(n_tokens) + 63) / 64, 0); }
  int32_t size() const { return n_; }
  bool test(int32_t id) const {
    return id >= 0 && id < n_ && ((words_[static_cast<size_t>(id) >> 6] >> (id & 63)) & 1);
  }
  void set(int32_t id) { words_[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63); }
  int32_t count() const;
  std::span<uint64_t> words() { return words_; }
  std::span<const uint64_t> words() const { return words_; }
  // logits[i] = -inf for every i not allowed (ids >= size() included).
  void apply(std::span<float> logits) const;

 private:
  int32_t n_ = 0;
  std::vector<uint64_t> words_;
};

struct MatcherOptions {
  uint32_t max_stacks = 16384;                 // parse stacks alive at once (ambiguity cap)
  uint32_t max_expansion_steps = 1u << 18;     // work to expand one character
  size_t mask_cache_bytes = 16u << 20;         // cached masks, per matcher; 0 = no cache
  size_t automaton_bytes = 64u << 20;          // automaton memory before it is compacted
};

struct MatcherStats {
  uint64_t masks_computed = 0;  // trie walks
  uint64_t mask_cache_hits = 0;
  uint64_t overflow_cuts = 0;   // trie branches cut because the grammar grew too ambiguous
  uint64_t compactions = 0;
  size_t automaton_states = 0;
  size_t automaton_bytes = 0;
};

class GrammarMatcher {
 public:
  // out_of_range when the start rule alone is too ambiguous (max_stacks).
  static Result<std::unique_ptr<GrammarMatcher>> create(std::shared_ptr<const Grammar> grammar,
                                                        std::shared_ptr<const GrammarVocab> vocab,
                                                        const MatcherOptions& options = {});
  ~GrammarMatcher();
  GrammarMatcher(const GrammarMatcher&) = delete;
  GrammarMatcher& operator=(const GrammarMatcher&) = delete;

  // Advances by a token. invalid_argument when the grammar does not allow it or the matcher is
  // finished (state unchanged); out_of_range when the grammar became too ambiguous (max_stacks).
  Status accept_token(int32_t id);
  // Advances by raw bytes (a forced prefix, tests). May end inside a UTF-8 character.
  Status accept_bytes(std::string_view bytes);

  // Would accept_token(id) succeed? Does not change the state.
  bool token_allowed(int32_t id);
  // Allowed tokens as a bitset of n_vocab bits. out_of_range when no token at all is allowed
  // (the vocabulary cannot continue the grammar from here); the mask is then all zero.
  Status fill_mask(TokenMask& mask);
  // fill_mask, then logits[i] = -inf for every disallowed i. logits.size() may exceed n_vocab
  // (padded output layers): the extra ids are disallowed. invalid_argument if it is smaller.
  Status apply(std::span<float> logits);

  // The grammar may end here (end-of-generation is allowed).
  bool is_complete() const;
  // An end-of-generation token was accepted.
  bool is_finished() const { return finished_; }
  // Back to the start of the grammar (keeps caches).
  void reset();

  const GrammarVocab& vocab() const { return *vocab_; }
  MatcherStats stats() const;

 private:
  GrammarMatcher(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const GrammarVocab> vocab,
                 const MatcherOptions& options);
  // Walks `bytes` from `state`: the end state, or kDead / kOverflow.
  int32_t walk(int32_t state, std::string_view bytes);
  void maybe_compact();
  void compute_mask(std::vector<uint64_t>& words);

  std::shared_ptr<const Grammar> grammar_;
  std::shared_ptr<const GrammarVocab> vocab_;
  MatcherOptions options_;
  std::unique_ptr<detail::StackAutomaton> automaton_;
  int32_t state_ = 0;
  bool finished_ = false;
  MatcherStats stats_;

  std::vector<int32_t> depth_states_;  // trie walk: state at each depth
  TokenMask scratch_mask_;
  // Mask cache: automaton state -> slot; slots are reused first-in first-out.
  std::unordered_map<int32_t, uint32_t> mask_slot_;
  std::vector<std::vector<uint64_t>> slots_;
  std::vector<int32_t> slot_owner_;
  size_t max_slots_ = 0;
  size_t next_slot_ = 0;
};

}  // namespace plexus::sampling::grammar

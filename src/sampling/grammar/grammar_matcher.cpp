#include "sampling/grammar/grammar_matcher.h"

#include <bit>
#include <limits>

#include "sampling/grammar/stack_automaton.h"

namespace plexus::sampling::grammar {

using detail::kDead;
using detail::kOverflow;

int32_t TokenMask::count() const {
  int64_t c = 0;
  for (uint64_t w : words_) c += std::popcount(w);
  return static_cast<int32_t>(c);
}

void TokenMask::apply(std::span<float> logits) const {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const size_t n = std::min(logits.size(), static_cast<size_t>(n_));
  float* out = logits.data();
  const size_t full_words = n / 64;
  for (size_t w = 0; w < full_words; ++w) {
    uint64_t word = words_[w];
    float* block = out + w * 64;
    if (word == ~uint64_t{0}) continue;
    if (word == 0) {
      std::fill(block, block + 64, kNegInf);  // the common case in masks that allow few tokens
      continue;
    }
    for (uint64_t off = ~word; off != 0; off &= off - 1) block[std::countr_zero(off)] = kNegInf;
  }
  for (size_t i = full_words * 64; i < n; ++i) {
    if (((words_[i >> 6] >> (i & 63)) & 1) == 0) out[i] = kNegInf;
  }
  std::fill(out + n, out + logits.size(), kNegInf);
}

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const GrammarVocab> vocab,
                               const MatcherOptions& options)
    : grammar_(std::move(grammar)), vocab_(std::move(vocab)), options_(options) {
  detail::AutomatonLimits limits;
  limits.max_stacks = options.max_stacks;
  limits.max_expansion_steps = options.max_expansion_steps;
  limits.max_rows = std::max<size_t>(1024, options.automaton_bytes / 2048);  // rows: half the budget
  automaton_ = std::make_unique<detail::StackAutomaton>(grammar_, limits);
  depth_states_.resize(vocab_->max_token_length() + 1);
  const size_t mask_bytes = (static_cast<size_t>(vocab_->n_vocab()) + 63) / 64 * 8;
  max_slots_ = options.mask_cache_bytes / mask_bytes;  // 0: no mask cache
}

GrammarMatcher::~GrammarMatcher() = default;

Result<std::unique_ptr<GrammarMatcher>> GrammarMatcher::create(std::shared_ptr<const Grammar> grammar,
                                                               std::shared_ptr<const GrammarVocab> vocab,
                                                               const MatcherOptions& options) {
  if (grammar == nullptr || vocab == nullptr) return invalid_argument("grammar matcher: null grammar or vocab");
  std::unique_ptr<GrammarMatcher> m(new GrammarMatcher(std::move(grammar), std::move(vocab), options));
  const int32_t start = m->automaton_->start();
  if (start < 0) {
    return out_of_range("grammar matcher: the start rule expands to more than " + std::to_string(options.max_stacks) +
                        " parse stacks");
  }
  m->state_ = start;
  return m;
}

void GrammarMatcher::reset() {
  finished_ = false;
  const int32_t start = automaton_->start();  // succeeded in create(); cached states make it cheap
  if (start >= 0) state_ = start;
}

bool GrammarMatcher::is_complete() const { return !finished_ && automaton_->accepting(state_); }

MatcherStats GrammarMatcher::stats() const {
  MatcherStats s = stats_;
  s.automaton_states = automaton_->n_states();
  s.automaton_bytes = automaton_->memory_bytes();
  return s;
}

void GrammarMatcher::maybe_compact() {
  if (!automaton_->over_budget() && automaton_->memory_bytes() <= options_.automaton_bytes) return;
  state_ = automaton_->compact(state_);
  mask_slot_.clear();
  slot_owner_.assign(slot_owner_.size(), -1);
  ++stats_.compactions;
}

int32_t GrammarMatcher::walk(int32_t state, std::string_view bytes) {
  for (char c : bytes) {
    state = automaton_->step(state, static_cast<uint8_t>(c));
    if (state < 0) return state;
  }
  return state;
}

Status GrammarMatcher::accept_bytes(std::string_view bytes) {
  if (finished_) return invalid_argument("grammar: output already ended with an end-of-generation token");
  maybe_compact();
  const int32_t next = walk(state_, bytes);
  if (next == kOverflow) {
    return out_of_range("grammar: input is too ambiguous (more than " + std::to_string(options_.max_stacks) +
                        " parse stacks)");
  }
  if (next == kDead) return invalid_argument("grammar: the grammar does not allow this text here");
  state_ = next;
  return {};
}

Status GrammarMatcher::accept_token(int32_t id) {
  if (id < 0 || id >= vocab_->n_vocab()) {
    return invalid_argument("grammar: token id " + std::to_string(id) + " outside the vocabulary");
  }
  if (finished_) return invalid_argument("grammar: output already ended with an end-of-generation token");
  if (vocab_->is_eog(id)) {
    if (!automaton_->accepting(state_)) {
      return invalid_argument("grammar: end-of-generation token " + std::to_string(id) +
                              " before the grammar is complete");
    }
    finished_ = true;
    return {};
  }
  const std::string_view bytes = vocab_->token_bytes(id);
  if (bytes.empty()) return invalid_argument("grammar: token " + std::to_string(id) + " has no bytes");
  Status s = accept_bytes(bytes);
  if (!s.ok() && s.code() == error_code::invalid_argument) {
    return invalid_argument("grammar: token " + std::to_string(id) + " is not allowed here");
  }
  return s;
}

bool GrammarMatcher::token_allowed(int32_t id) {
  if (id < 0 || id >= vocab_->n_vocab()) return false;
  if (vocab_->is_eog(id)) return is_complete();
  if (finished_) return false;
  const std::string_view bytes = vocab_->token_bytes(id);
  return !bytes.empty() && walk(state_, bytes) >= 0;
}

// One preorder pass over the trie; node i's parent state is the state at depth(i) - 1, and a
// dead or overflowing prefix jumps past its subtree. The automaton's known transitions are read
// inline (pointers refreshed after each slow step) and tokens are marked without branches: the
// loop is bound by the latency of the transition chain, so every avoidable load and
// mispredicted branch shows.
void GrammarMatcher::compute_mask(std::vector<uint64_t>& words) {
  const GrammarVocab& v = *vocab_;
  const size_t n = v.n_nodes();
  const uint8_t* bytes = v.node_bytes();
  const uint16_t* depths = v.node_depths();
  const uint32_t* skips = v.node_skips();
  const int32_t* first_token = v.node_first_tokens();
  const uint8_t* more_tokens = v.node_has_more_tokens();
  const uint32_t* tok_begin = v.node_tok_begins();
  const int32_t* tokens = v.node_tokens();
  uint64_t* out = words.data();
  int32_t* states = depth_states_.data();
  detail::StackAutomaton& a = *automaton_;
  const int32_t* rows = a.rows();
  size_t n_rows = a.n_rows();
  states[0] = state_;
  uint64_t overflow_cuts = 0;
  for (size_t i = 0; i < n;) {
    const uint32_t d = depths[i];
    const int32_t parent = states[d - 1];
    const uint8_t byte = bytes[i];
    int32_t next = static_cast<size_t>(parent) < n_rows ? rows[static_cast<size_t>(parent) * 256 + byte]
                                                        : detail::StackAutomaton::unknown();
    if (next == detail::StackAutomaton::unknown()) {
      next = a.step(parent, byte);
      rows = a.rows();
      n_rows = a.n_rows();
    }
    if (next < 0) {
      overflow_cuts += next == kOverflow ? 1 : 0;
      i = skips[i];
      continue;
    }
    states[d] = next;
    const int32_t t = first_token[i];
    const auto id = static_cast<uint32_t>(t < 0 ? 0 : t);
    out[id >> 6] |= static_cast<uint64_t>(t >= 0) << (id & 63);
    if (more_tokens[i] != 0) {
      for (uint32_t k = tok_begin[i] + 1; k < tok_begin[i + 1]; ++k) {
        const auto extra = static_cast<uint32_t>(tokens[k]);
        out[extra >> 6] |= uint64_t{1} << (extra & 63);
      }
    }
    ++i;
  }
  stats_.overflow_cuts += overflow_cuts;
}

namespace {

Status out_of_range_if_empty(std::span<const uint64_t> words) {
  for (uint64_t w : words) {
    if (w != 0) return {};
  }
  return out_of_range("grammar: no token of the vocabulary can continue the output here");
}

}  // namespace

Status GrammarMatcher::fill_mask(TokenMask& mask) {
  mask.reset(vocab_->n_vocab());
  std::span<uint64_t> out = mask.words();
  if (finished_) return out_of_range("grammar: output already ended with an end-of-generation token");
  maybe_compact();
  if (auto it = max_slots_ == 0 ? mask_slot_.end() : mask_slot_.find(state_); it != mask_slot_.end()) {
    const std::vector<uint64_t>& cached = slots_[it->second];
    std::copy(cached.begin(), cached.end(), out.begin());
    ++stats_.mask_cache_hits;
  } else {
    std::vector<uint64_t> words(out.size(), 0);
    compute_mask(words);
    if (automaton_->accepting(state_)) {
      for (int32_t id : vocab_->eog_ids()) words[static_cast<size_t>(id) >> 6] |= uint64_t{1} << (id & 63);
    }
    std::copy(words.begin(), words.end(), out.begin());
    ++stats_.masks_computed;
    if (max_slots_ == 0) return out_of_range_if_empty(out);
    // Store in the next FIFO slot.
    uint32_t slot;
    if (slots_.size() < max_slots_) {
      slot = static_cast<uint32_t>(slots_.size());
      slots_.push_back(std::move(words));
      slot_owner_.push_back(state_);
    } else {
      slot = static_cast<uint32_t>(next_slot_);
      next_slot_ = (next_slot_ + 1) % max_slots_;
      if (slot_owner_[slot] >= 0) mask_slot_.erase(slot_owner_[slot]);
      slots_[slot] = std::move(words);
      slot_owner_[slot] = state_;
    }
    mask_slot_[state_] = slot;
  }
  return out_of_range_if_empty(out);
}

Status GrammarMatcher::apply(std::span<float> logits) {
  if (logits.size() < static_cast<size_t>(vocab_->n_vocab())) {
    return invalid_argument("grammar: " + std::to_string(logits.size()) + " logits for a vocabulary of " +
                            std::to_string(vocab_->n_vocab()) + " tokens");
  }
  Status s = fill_mask(scratch_mask_);
  scratch_mask_.apply(logits);
  return s;
}

}  // namespace plexus::sampling::grammar

// The grammar as a lazily built byte automaton over sets of parse stacks (internal to the
// matcher).
//
// A parse stack is a persistent linked list of grammar positions: the top is a chars element
// still to be matched, each lower entry is where to continue once the rule above it finishes.
// Stacks are hash-consed (node = {position, parent}), so equal stacks are equal ids and stacks
// share their tails. A *state* is a sorted set of stack tops plus the bytes of a UTF-8 sequence
// still incomplete (a token may end inside a character); it is interned too. step(state, byte)
// is memoized in a per-state table, so after warm-up a byte costs two array loads: this is what
// makes walking a vocabulary trie cheap, since trie nodes map onto few distinct states.
//
// Two facts keep the work small: what follows a matched character depends only on the stack,
// not on which character it was (so successors are memoized per node); and tail calls (a rule
// referenced last in an alternative) do not grow the stack.
//
// Limits: a state with more than max_stacks stacks, or a transition needing more than
// max_expansion_steps expansion steps, is kOverflow (the grammar is too ambiguous there).
// Memory only grows until over_budget(); the owner then calls compact(), which drops every
// cached state except one.
// Not thread-safe: owned by one GrammarMatcher.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sampling/grammar/grammar.h"

namespace plexus::sampling::grammar::detail {

inline constexpr int32_t kDead = -1;      // no stack survives
inline constexpr int32_t kOverflow = -2;  // too many stacks / too much expansion work

struct AutomatonLimits {
  uint32_t max_stacks = 16384;
  uint32_t max_expansion_steps = 1u << 18;
  size_t max_nodes = 1u << 22;          // compaction thresholds (soft)
  size_t max_states = 1u << 19;
  size_t max_rows = 1u << 16;           // states with a 256-entry transition row (1 KiB each)
};

class StackAutomaton {
 public:
  StackAutomaton(std::shared_ptr<const Grammar> grammar, const AutomatonLimits& limits);

  // State before any input (kOverflow if the start rule alone is too ambiguous).
  int32_t start();

  // Next state after `byte`, or kDead / kOverflow. `state` must be a valid id (>= 0). One load
  // once known: the trie walk is a chain of these, so latency is what counts.
  int32_t step(int32_t state, uint8_t byte) {
    if (static_cast<size_t>(state) < n_rows_) {
      const int32_t next = table_[static_cast<size_t>(state) * 256 + byte];
      if (next != kUnknown) return next;
    }
    return step_slow(state, byte);
  }

  // The grammar may end here: an empty stack is in the set and no UTF-8 sequence is open.
  bool accepting(int32_t state) const {
    const State& s = states_[static_cast<size_t>(state)];
    return s.partial == 0 && s.count > 0 && set_pool_[s.first] == 0;
  }
  bool in_partial_char(int32_t state) const { return states_[static_cast<size_t>(state)].partial != 0; }
  uint32_t n_stacks(int32_t state) const { return states_[static_cast<size_t>(state)].count; }

  // The transition rows, for callers that inline step()'s fast path: entry [s * 256 + byte] for
  // s < n_rows(); kUnknown where not computed yet. Both change when step() takes its slow path.
  const int32_t* rows() const { return table_.data(); }
  size_t n_rows() const { return n_rows_; }
  static constexpr int32_t unknown() { return kUnknown; }

  bool over_budget() const;
  // Forgets every state but `keep`, whose new id is returned. Ids handed out before are void.
  int32_t compact(int32_t keep);

  size_t n_states() const { return states_.size(); }
  size_t n_nodes() const { return nodes_.size(); }
  size_t memory_bytes() const;

 private:
  static constexpr int32_t kUnknown = INT32_MIN;
  static constexpr uint32_t kNoSucc = UINT32_MAX;

  struct Node {
    uint32_t pos;    // element index; UINT32_MAX for node 0, the empty (accepting) stack
    int32_t parent;  // node id, -1 at the bottom
  };
  struct State {
    uint32_t first = 0;    // stack tops: set_pool_[first, first + count), sorted, node 0 first if present
    uint32_t count = 0;
    uint32_t partial = 0;  // open UTF-8 sequence, 0 if none (see encode_partial in the .cpp)
    int32_t hash_next = -1;
  };
  struct Succ {
    uint32_t first = kNoSucc;  // into succ_pool_; kNoSucc = not computed yet
    uint32_t count = 0;        // UINT32_MAX = overflow
  };

  int32_t step_slow(int32_t state, uint8_t byte);
  void set_entry(int32_t state, uint8_t byte, int32_t next);
  void fill_equivalent(int32_t state, uint8_t byte, int32_t next);
  int32_t transition(int32_t state, uint8_t byte);
  int32_t intern_node(uint32_t pos, int32_t parent);
  int32_t intern_state(uint32_t partial, std::vector<int32_t>& tops);  // sorts and dedupes `tops`
  // Expands seeds {position, parent} into stack tops (appended to expand_out_); false on overflow.
  bool expand(const std::vector<std::pair<uint32_t, int32_t>>& seeds);
  // Stacks after the character at node's top is matched; {first, count} or count UINT32_MAX.
  Succ successors(int32_t node);
  void clear();

  std::shared_ptr<const Grammar> grammar_;
  const Element* elements_;
  AutomatonLimits limits_;

  std::vector<Node> nodes_;
  std::unordered_map<uint64_t, int32_t> node_index_;
  std::vector<Succ> succ_;
  std::vector<int32_t> succ_pool_;
  std::vector<State> states_;
  std::vector<int32_t> set_pool_;
  std::unordered_map<uint64_t, int32_t> state_index_;  // hash -> first state in its chain
  // Transition rows: row s (256 entries) belongs to state s, for s < n_rows_. States created
  // past max_rows have no row: their transitions are computed each time (bounded memory).
  std::vector<int32_t> table_;
  size_t n_rows_ = 0;

  // Scratch, reused.
  std::vector<std::pair<uint32_t, int32_t>> work_;
  std::vector<std::pair<uint32_t, int32_t>> seeds_;
  std::unordered_set<uint64_t> visited_;
  std::vector<int32_t> expand_out_;
  std::vector<int32_t> scratch_;
};

}  // namespace plexus::sampling::grammar::detail

#include "sampling/grammar/stack_automaton.h"

#include <algorithm>

#include "core/utf8.h"

namespace plexus::sampling::grammar::detail {
namespace {

// Open UTF-8 sequence: bit 31 set, bit 30 set for a "whole" sequence (see transition()),
// bits 23..25 total length (2..4), bits 21..22 bytes still missing (1..3), bits 0..20 the
// payload bits seen so far (0 when whole).
uint32_t encode_partial(uint32_t accum, uint32_t missing, uint32_t length) {
  return (1u << 31) | (length << 23) | (missing << 21) | accum;
}
uint32_t encode_whole(uint32_t missing, uint32_t length) { return (1u << 31) | (1u << 30) | (length << 23) | (missing << 21); }
bool partial_whole(uint32_t p) { return (p >> 30) & 1; }
uint32_t partial_accum(uint32_t p) { return p & 0x1FFFFF; }
uint32_t partial_missing(uint32_t p) { return (p >> 21) & 3; }
uint32_t partial_length(uint32_t p) { return (p >> 23) & 7; }

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  return h * 0xBF58476D1CE4E5B9ull;
}

}  // namespace

StackAutomaton::StackAutomaton(std::shared_ptr<const Grammar> grammar, const AutomatonLimits& limits)
    : grammar_(std::move(grammar)), elements_(grammar_->elements().data()), limits_(limits) {
  clear();
}

void StackAutomaton::clear() {
  nodes_.clear();
  node_index_.clear();
  succ_.clear();
  succ_pool_.clear();
  states_.clear();
  set_pool_.clear();
  state_index_.clear();
  table_.clear();
  n_rows_ = 0;
  nodes_.push_back({UINT32_MAX, -1});  // node 0: the empty stack
  succ_.push_back({0, 0});
}

bool StackAutomaton::over_budget() const {
  return nodes_.size() > limits_.max_nodes || states_.size() > limits_.max_states ||
         n_rows_ >= limits_.max_rows;
}

size_t StackAutomaton::memory_bytes() const {
  return nodes_.size() * (sizeof(Node) + sizeof(Succ) + 32) + succ_pool_.size() * 4 +
         states_.size() * (sizeof(State) + 24) + set_pool_.size() * 4 + table_.size() * 4;
}

int32_t StackAutomaton::intern_node(uint32_t pos, int32_t parent) {
  const uint64_t key = (uint64_t{pos} << 32) | static_cast<uint32_t>(parent + 1);
  auto [it, inserted] = node_index_.try_emplace(key, static_cast<int32_t>(nodes_.size()));
  if (inserted) {
    nodes_.push_back({pos, parent});
    succ_.push_back({});
  }
  return it->second;
}

int32_t StackAutomaton::intern_state(uint32_t partial, std::vector<int32_t>& tops) {
  std::sort(tops.begin(), tops.end());
  tops.erase(std::unique(tops.begin(), tops.end()), tops.end());
  uint64_t h = mix(0x51ED27, partial);
  for (int32_t t : tops) h = mix(h, static_cast<uint32_t>(t));
  auto [it, inserted] = state_index_.try_emplace(h, -1);
  for (int32_t s = it->second; s >= 0; s = states_[static_cast<size_t>(s)].hash_next) {
    const State& st = states_[static_cast<size_t>(s)];
    if (st.partial == partial && st.count == tops.size() &&
        std::equal(tops.begin(), tops.end(), set_pool_.begin() + st.first)) {
      return s;
    }
  }
  State st;
  st.first = static_cast<uint32_t>(set_pool_.size());
  st.count = static_cast<uint32_t>(tops.size());
  st.partial = partial;
  st.hash_next = it->second;
  set_pool_.insert(set_pool_.end(), tops.begin(), tops.end());
  const auto id = static_cast<int32_t>(states_.size());
  states_.push_back(st);
  if (n_rows_ == static_cast<size_t>(id) && n_rows_ < limits_.max_rows) {
    table_.resize(table_.size() + 256, kUnknown);
    ++n_rows_;
  }
  it->second = id;
  return id;
}

bool StackAutomaton::expand(const std::vector<std::pair<uint32_t, int32_t>>& seeds) {
  work_.assign(seeds.begin(), seeds.end());
  visited_.clear();
  const Grammar& g = *grammar_;
  uint32_t steps = 0;
  while (!work_.empty()) {
    const auto [pos, parent] = work_.back();
    work_.pop_back();
    if (!visited_.insert((uint64_t{pos} << 32) | static_cast<uint32_t>(parent + 1)).second) continue;
    if (++steps > limits_.max_expansion_steps) return false;
    const Element e = elements_[pos];
    switch (e.kind) {
      case elem_kind::chars:
        expand_out_.push_back(intern_node(pos, parent));
        if (expand_out_.size() > 4ull * limits_.max_stacks) return false;
        break;
      case elem_kind::rule_ref: {
        // Tail call: a reference last in its alternative returns straight to `parent`.
        const int32_t ret = elements_[pos + 1].kind == elem_kind::end ? parent : intern_node(pos + 1, parent);
        const Rule& r = g.rules()[e.value];
        const uint32_t* alts = g.alt_starts().data() + r.first_alt;
        for (uint32_t a = 0; a < r.n_alts; ++a) work_.push_back({alts[a], ret});
        break;
      }
      case elem_kind::end:
        if (parent < 0) {
          expand_out_.push_back(0);
        } else {
          const Node n = nodes_[static_cast<size_t>(parent)];
          work_.push_back({n.pos, n.parent});
        }
        break;
    }
  }
  return true;
}

StackAutomaton::Succ StackAutomaton::successors(int32_t node) {
  if (succ_[static_cast<size_t>(node)].first != kNoSucc) return succ_[static_cast<size_t>(node)];
  const Node n = nodes_[static_cast<size_t>(node)];
  seeds_.assign(1, {n.pos + 1, n.parent});
  expand_out_.clear();
  Succ s;
  if (!expand(seeds_)) {
    s.first = 0;
    s.count = UINT32_MAX;
  } else {
    std::sort(expand_out_.begin(), expand_out_.end());
    expand_out_.erase(std::unique(expand_out_.begin(), expand_out_.end()), expand_out_.end());
    s.first = static_cast<uint32_t>(succ_pool_.size());
    s.count = static_cast<uint32_t>(expand_out_.size());
    succ_pool_.insert(succ_pool_.end(), expand_out_.begin(), expand_out_.end());
  }
  succ_[static_cast<size_t>(node)] = s;
  return s;
}

int32_t StackAutomaton::start() {
  const Grammar& g = *grammar_;
  const Rule& root = g.rules()[g.root()];
  seeds_.clear();
  for (uint32_t a = 0; a < root.n_alts; ++a) seeds_.push_back({g.alt_starts()[root.first_alt + a], -1});
  expand_out_.clear();
  if (!expand(seeds_)) return kOverflow;
  std::vector<int32_t> tops(expand_out_.begin(), expand_out_.end());
  if (tops.size() > limits_.max_stacks) return kOverflow;
  return intern_state(0, tops);
}

void StackAutomaton::set_entry(int32_t state, uint8_t byte, int32_t next) {
  if (static_cast<size_t>(state) < n_rows_) table_[static_cast<size_t>(state) * 256 + byte] = next;
}

// Fills the entries of every byte that must lead where `byte` leads: ASCII bytes that each stack
// accepts or rejects alike (a string state maps ~90 printable bytes to one successor, so one
// computation serves them all), and all continuation bytes of a whole open sequence.
void StackAutomaton::fill_equivalent(int32_t state, uint8_t byte, int32_t next) {
  if (static_cast<size_t>(state) >= n_rows_) return;
  const State st = states_[static_cast<size_t>(state)];
  if (st.partial != 0) {
    if ((st.partial >> 30 & 1) == 0 || (byte & 0xC0) != 0x80) return;
    for (uint32_t b = 0x80; b < 0xC0; ++b) set_entry(state, static_cast<uint8_t>(b), next);
    return;
  }
  if (byte >= 0x80 || st.count > 64) return;
  const auto charsets = grammar_->charsets();
  uint64_t ascii_lo[64], ascii_hi[64];  // per stack: its set's ASCII bitmap
  uint32_t n = 0;
  for (uint32_t i = 0; i < st.count; ++i) {
    const int32_t node = set_pool_[st.first + i];
    if (node == 0) continue;
    const CharSet& cs = charsets[elements_[nodes_[static_cast<size_t>(node)].pos].value];
    ascii_lo[n] = cs.ascii[0];
    ascii_hi[n] = cs.ascii[1];
    ++n;
  }
  auto signature = [&](uint32_t b) {
    uint64_t sig = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t word = b < 64 ? ascii_lo[i] : ascii_hi[i];
      sig |= ((word >> (b & 63)) & 1) << i;
    }
    return sig;
  };
  const uint64_t want = signature(byte);
  for (uint32_t b = 0; b < 0x80; ++b) {
    if (b != byte && signature(b) == want) set_entry(state, static_cast<uint8_t>(b), next);
  }
}

int32_t StackAutomaton::step_slow(int32_t state, uint8_t byte) {
  const int32_t next = transition(state, byte);
  set_entry(state, byte, next);
  fill_equivalent(state, byte, next);
  return next;
}

// Open UTF-8 sequences come in two kinds. *Exact*: the payload bits matter because some stack
// accepts only part of the code points the sequence can still become. *Whole*: every code point
// the remaining continuation bytes can produce is valid and accepted by every stack in the set,
// so the payload is dropped and all such states share one id. Without this, a string state would
// spawn a state per 3- and 4-byte prefix (tens of thousands on a 128k vocabulary).
int32_t StackAutomaton::transition(int32_t state, uint8_t byte) {
  const Grammar& g = *grammar_;
  const State st = states_[static_cast<size_t>(state)];
  bool complete = false;
  bool any_code_point = false;  // completing a whole sequence: every stack matches
  uint32_t cp = 0, next_partial = 0;
  if (st.partial == 0) {
    const int len = utf8::sequence_length(byte);
    if (len == 0) return kDead;
    if (len == 1) {
      complete = true;
      cp = byte;
    } else {
      const uint32_t accum = byte & (0x7Fu >> len);
      next_partial = encode_partial(accum, static_cast<uint32_t>(len - 1), static_cast<uint32_t>(len));
    }
  } else {
    if ((byte & 0xC0) != 0x80) return kDead;
    const uint32_t missing = partial_missing(st.partial) - 1;
    const uint32_t length = partial_length(st.partial);
    if (partial_whole(st.partial)) {
      if (missing == 0) {
        complete = any_code_point = true;
      } else {
        next_partial = encode_whole(missing, length);
      }
    } else {
      const uint32_t accum = (partial_accum(st.partial) << 6) | (byte & 0x3Fu);
      if (missing == 0) {
        if (accum < utf8::min_code_point(static_cast<int>(length)) || accum > utf8::kMaxCodePoint || utf8::is_surrogate(accum)) {
          return kDead;
        }
        complete = true;
        cp = accum;
      } else {
        next_partial = encode_partial(accum, missing, length);
      }
    }
  }

  uint32_t lo = 0, hi = 0;
  bool all_valid = false;  // every continuation gives a valid code point
  if (!complete && !partial_whole(next_partial)) {
    const uint32_t missing = partial_missing(next_partial);
    const uint32_t raw_lo = partial_accum(next_partial) << (6 * missing);
    const uint32_t raw_hi = raw_lo | ((1u << (6 * missing)) - 1);
    const uint32_t min = utf8::min_code_point(static_cast<int>(partial_length(next_partial)));
    lo = std::max(raw_lo, min);
    hi = std::min(raw_hi, utf8::kMaxCodePoint);
    if (lo > hi || (lo >= 0xD800 && hi <= 0xDFFF)) return kDead;
    all_valid = raw_lo >= min && raw_hi <= utf8::kMaxCodePoint && (raw_hi < 0xD800 || raw_lo > 0xDFFF);
  }

  scratch_.clear();
  bool all_cover = all_valid;
  for (uint32_t i = 0; i < st.count; ++i) {
    const int32_t node = set_pool_[st.first + i];
    if (node == 0) continue;  // the empty stack matches nothing more
    const uint32_t set = elements_[nodes_[static_cast<size_t>(node)].pos].value;
    if (complete) {
      if (!any_code_point && !g.set_contains(set, cp)) continue;
      const Succ s = successors(node);
      if (s.count == UINT32_MAX) return kOverflow;
      scratch_.insert(scratch_.end(), succ_pool_.begin() + s.first, succ_pool_.begin() + s.first + s.count);
    } else if (partial_whole(next_partial)) {
      scratch_.push_back(node);  // a whole state's stacks all accept the rest
    } else if (g.set_intersects(set, lo, hi)) {
      scratch_.push_back(node);
      all_cover = all_cover && g.set_covers(set, lo, hi);
    }
  }
  if (scratch_.empty()) return kDead;
  if (!complete && all_cover) next_partial = encode_whole(partial_missing(next_partial), partial_length(next_partial));
  const int32_t id = intern_state(next_partial, scratch_);
  if (states_[static_cast<size_t>(id)].count > limits_.max_stacks) return kOverflow;
  return id;
}

int32_t StackAutomaton::compact(int32_t keep) {
  // Spell out the kept stacks as position lists (top first), then rebuild from nothing.
  const State st = states_[static_cast<size_t>(keep)];
  std::vector<std::vector<uint32_t>> stacks;
  bool has_empty = false;
  for (uint32_t i = 0; i < st.count; ++i) {
    int32_t node = set_pool_[st.first + i];
    if (node == 0) {
      has_empty = true;
      continue;
    }
    std::vector<uint32_t> positions;
    for (; node >= 0; node = nodes_[static_cast<size_t>(node)].parent) positions.push_back(nodes_[static_cast<size_t>(node)].pos);
    stacks.push_back(std::move(positions));
  }
  clear();
  std::vector<int32_t> tops;
  if (has_empty) tops.push_back(0);
  for (const auto& positions : stacks) {
    int32_t parent = -1;
    for (auto it = positions.rbegin(); it != positions.rend(); ++it) parent = intern_node(*it, parent);
    tops.push_back(parent);
  }
  return intern_state(st.partial, tops);
}

}  // namespace plexus::sampling::grammar::detail

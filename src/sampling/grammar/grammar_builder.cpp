#include "sampling/grammar/grammar_builder.h"

#include <algorithm>
#include <utility>

#include "core/utf8.h"

namespace plexus::sampling::grammar {

bool GrammarBuilder::first_undefined(std::string* name, size_t* use_offset) const {
  for (const PendingRule& r : rules_) {
    if (r.defined) continue;
    *name = r.name;
    *use_offset = r.first_use;
    return true;
  }
  return false;
}

Result<uint32_t> GrammarBuilder::rule_id(std::string_view name, size_t use_offset) {
  std::string key(name);
  if (auto it = by_name_.find(key); it != by_name_.end()) return it->second;
  if (rules_.size() >= limits_.max_rules) {
    return out_of_range("grammar: more than " + std::to_string(limits_.max_rules) + " rules");
  }
  const auto id = static_cast<uint32_t>(rules_.size());
  PendingRule r;
  r.name = key;
  r.owner = id;
  r.first_use = use_offset;
  rules_.push_back(std::move(r));
  by_name_.emplace(std::move(key), id);
  return id;
}

Result<uint32_t> GrammarBuilder::synth_rule(uint32_t owner) {
  const uint32_t user = rules_[owner].owner;
  // Synthesized names may collide with user names ("a_1" written by hand): keep counting.
  for (;;) {
    std::string name = rules_[user].name + "_" + std::to_string(++rules_[user].n_synth);
    if (by_name_.count(name) != 0) continue;
    PLEXUS_ASSIGN_OR_RETURN(uint32_t id, rule_id(name, 0));
    rules_[id].owner = user;
    return id;
  }
}

Status GrammarBuilder::check_budget(size_t pending) const {
  if (pending > limits_.max_elements || n_elements_ > limits_.max_elements - pending) {
    return out_of_range("grammar: more than " + std::to_string(limits_.max_elements) +
                        " elements after expanding repetitions");
  }
  return {};
}

Status GrammarBuilder::define(uint32_t rule, std::vector<Element> body) {
  PLEXUS_RETURN_IF_ERROR(check_budget(body.size()));
  if (body.empty() || body.back().kind != elem_kind::end) body.push_back({elem_kind::end, 0});
  n_elements_ += body.size();
  rules_[rule].body = std::move(body);
  rules_[rule].defined = true;
  return {};
}

Result<Element> GrammarBuilder::chars(std::vector<CodeRange> ranges, bool negated) {
  std::sort(ranges.begin(), ranges.end(), [](const CodeRange& a, const CodeRange& b) { return a.lo < b.lo; });
  std::vector<CodeRange> merged;
  for (const CodeRange& r : ranges) {
    if (r.lo > r.hi || r.hi > utf8::kMaxCodePoint) return internal_error("grammar: bad code point range");
    if (!merged.empty() && r.lo <= merged.back().hi + 1) {
      merged.back().hi = std::max(merged.back().hi, r.hi);
    } else {
      merged.push_back(r);
    }
  }
  if (negated) {
    std::vector<CodeRange> inv;
    uint32_t next = 0;
    for (const CodeRange& r : merged) {
      if (r.lo > next) inv.push_back({next, r.lo - 1});
      next = r.hi + 1;
    }
    if (next <= utf8::kMaxCodePoint) inv.push_back({next, utf8::kMaxCodePoint});
    merged = std::move(inv);
  }
  std::vector<uint64_t> key;
  key.reserve(merged.size());
  for (const CodeRange& r : merged) key.push_back((uint64_t{r.lo} << 32) | r.hi);
  if (auto it = charset_index_.find(key); it != charset_index_.end()) return Element{elem_kind::chars, it->second};

  CharSet set;
  set.first = static_cast<uint32_t>(ranges_.size());
  set.count = static_cast<uint32_t>(merged.size());
  for (const CodeRange& r : merged) {
    for (uint32_t c = r.lo; c <= r.hi && c < 128; ++c) set.ascii[c >> 6] |= uint64_t{1} << (c & 63);
    ranges_.push_back(r);
  }
  const auto id = static_cast<uint32_t>(charsets_.size());
  charsets_.push_back(set);
  charset_index_.emplace(std::move(key), id);
  return Element{elem_kind::chars, id};
}

Status GrammarBuilder::repeat(uint32_t owner, std::vector<Element>& seq, size_t sym_start, uint32_t min,
                              uint32_t max) {
  if (sym_start >= seq.size()) return internal_error("grammar: repetition of nothing");
  const uint32_t cap = limits_.max_repetition;
  if (min > cap || (max != kUnbounded && max > cap)) {
    return out_of_range("grammar: repetition bound " + std::to_string(max != kUnbounded && max > cap ? max : min) +
                        " exceeds the limit " + std::to_string(cap) + " (in rule '" + rules_[owner].name + "')");
  }
  std::vector<Element> sym(seq.begin() + static_cast<std::ptrdiff_t>(sym_start), seq.end());
  seq.resize(sym_start);
  if (sym.size() > 1) {  // a multi-character literal: repeat it as a unit
    PLEXUS_ASSIGN_OR_RETURN(uint32_t wrap, synth_rule(owner));
    PLEXUS_RETURN_IF_ERROR(define(wrap, std::move(sym)));
    sym = {Element{elem_kind::rule_ref, wrap}};
  }
  const Element x = sym[0];
  PLEXUS_RETURN_IF_ERROR(check_budget(seq.size() + min + 1));
  seq.insert(seq.end(), min, x);
  if (max == kUnbounded) {
    // r ::= x r |
    PLEXUS_ASSIGN_OR_RETURN(uint32_t r, synth_rule(owner));
    PLEXUS_RETURN_IF_ERROR(define(r, {x, {elem_kind::rule_ref, r}, {elem_kind::end, 0}, {elem_kind::end, 0}}));
    seq.push_back({elem_kind::rule_ref, r});
  } else if (max > min) {
    // o_1 ::= x |    o_k ::= x o_(k-1) |
    uint32_t prev = 0;
    for (uint32_t k = 1; k <= max - min; ++k) {
      PLEXUS_ASSIGN_OR_RETURN(uint32_t r, synth_rule(owner));
      std::vector<Element> body{x};
      if (k > 1) body.push_back({elem_kind::rule_ref, prev});
      body.push_back({elem_kind::end, 0});
      body.push_back({elem_kind::end, 0});
      PLEXUS_RETURN_IF_ERROR(define(r, std::move(body)));
      prev = r;
    }
    seq.push_back({elem_kind::rule_ref, prev});
  }
  return {};
}

// Nullable rules (those that can match the empty string), in time linear in the grammar: each
// alternative counts its elements not yet known to be nullable; a rule becomes nullable when one
// of its alternatives reaches zero.
std::vector<bool> GrammarBuilder::compute_nullable() const {
  const size_t n = rules_.size();
  std::vector<bool> nullable(n, false);
  struct Alt {
    uint32_t rule;
    uint32_t remaining;
  };
  std::vector<Alt> alts;
  std::vector<std::vector<uint32_t>> users(n);  // rule -> alternatives that reference it (with multiplicity)
  std::vector<uint32_t> queue;
  for (uint32_t r = 0; r < n; ++r) {
    const auto& body = rules_[r].body;
    size_t i = 0;
    while (i < body.size()) {
      const auto alt = static_cast<uint32_t>(alts.size());
      uint32_t count = 0;
      bool has_chars = false;
      for (; body[i].kind != elem_kind::end; ++i) {
        if (body[i].kind == elem_kind::chars) {
          has_chars = true;
        } else {
          users[body[i].value].push_back(alt);
          ++count;
        }
      }
      ++i;
      alts.push_back({r, has_chars ? UINT32_MAX : count});
      if (count == 0 && !has_chars && !nullable[r]) {
        nullable[r] = true;
        queue.push_back(r);
      }
    }
  }
  while (!queue.empty()) {
    const uint32_t r = queue.back();
    queue.pop_back();
    for (uint32_t alt : users[r]) {
      Alt& a = alts[alt];
      if (a.remaining == UINT32_MAX || a.remaining == 0) continue;
      if (--a.remaining == 0 && !nullable[a.rule]) {
        nullable[a.rule] = true;
        queue.push_back(a.rule);
      }
    }
  }
  return nullable;
}

// Left recursion: a cycle in the graph "rule A may start with rule B" (B referenced after only
// nullable elements of an alternative of A). Found by an iterative DFS; the error names the
// user-written rules on the cycle.
Status GrammarBuilder::check_left_recursion(const std::vector<bool>& nullable) const {
  const size_t n = rules_.size();
  std::vector<std::vector<uint32_t>> edges(n);
  for (uint32_t r = 0; r < n; ++r) {
    const auto& body = rules_[r].body;
    bool at_start = true;
    for (const Element& e : body) {
      if (e.kind == elem_kind::end) {
        at_start = true;
      } else if (!at_start) {
        continue;
      } else if (e.kind == elem_kind::chars) {
        at_start = false;
      } else {
        edges[r].push_back(e.value);
        at_start = nullable[e.value];
      }
    }
  }
  enum : uint8_t { white, gray, black };
  std::vector<uint8_t> color(n, white);
  std::vector<std::pair<uint32_t, size_t>> stack;  // (rule, next edge)
  for (uint32_t start = 0; start < n; ++start) {
    if (color[start] != white) continue;
    stack.push_back({start, 0});
    color[start] = gray;
    while (!stack.empty()) {
      auto& [r, next] = stack.back();
      if (next == edges[r].size()) {
        color[r] = black;
        stack.pop_back();
        continue;
      }
      const uint32_t to = edges[r][next++];
      if (color[to] == white) {
        color[to] = gray;
        stack.push_back({to, 0});
      } else if (color[to] == gray) {
        std::string path;
        std::string last;
        bool on_cycle = false;
        for (const auto& frame : stack) {
          on_cycle = on_cycle || frame.first == to;
          if (!on_cycle) continue;
          const std::string& name = rules_[rules_[frame.first].owner].name;
          if (name == last) continue;
          path += (path.empty() ? "" : " -> ") + name;
          last = name;
        }
        const std::string& head = rules_[rules_[to].owner].name;
        if (last != head) path += " -> " + head;
        return invalid_argument("grammar: left recursion in rule '" + head +
                                "': it can reach itself without consuming input (" + path + ")");
      }
    }
  }
  return {};
}

Result<std::shared_ptr<const Grammar>> GrammarBuilder::finish(std::string_view start_rule) {
  auto root = by_name_.find(std::string(start_rule));
  if (root == by_name_.end() || !rules_[root->second].defined) {
    return invalid_argument("grammar: no rule named '" + std::string(start_rule) + "' (the start rule)");
  }
  std::string undefined;
  size_t offset = 0;
  if (first_undefined(&undefined, &offset)) return invalid_argument("grammar: undefined rule '" + undefined + "'");
  PLEXUS_RETURN_IF_ERROR(check_left_recursion(compute_nullable()));

  std::shared_ptr<Grammar> g(new Grammar());
  g->root_ = root->second;
  g->elements_.reserve(n_elements_);
  g->rules_.reserve(rules_.size());
  for (PendingRule& r : rules_) {
    Rule out;
    out.name = std::move(r.name);
    out.first_alt = static_cast<uint32_t>(g->alt_starts_.size());
    bool alt_start = true;
    for (const Element& e : r.body) {
      if (alt_start) {
        g->alt_starts_.push_back(static_cast<uint32_t>(g->elements_.size()));
        ++out.n_alts;
      }
      g->elements_.push_back(e);
      alt_start = e.kind == elem_kind::end;
    }
    g->rules_.push_back(std::move(out));
  }
  g->charsets_ = std::move(charsets_);
  g->ranges_ = std::move(ranges_);
  return std::shared_ptr<const Grammar>(std::move(g));
}

}  // namespace plexus::sampling::grammar

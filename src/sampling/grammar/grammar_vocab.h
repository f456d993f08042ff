// A vocabulary as the grammar engine sees it: each token's exact output bytes, arranged in a
// byte trie so that tokens sharing a prefix share the work of checking it. Built once per model
// vocabulary and shared by every GrammarMatcher of that model.
//
// The trie is stored in preorder as flat arrays: node i has the byte on its incoming edge, its
// depth (1 for children of the root; the root itself is implicit), the index just past its
// subtree (so a rejected prefix skips its whole subtree in one jump), and the tokens whose bytes
// end exactly there (several ids may share bytes).
// Thread-safe: immutable after build().
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace plexus::sampling::grammar {

struct VocabLimits {
  size_t max_tokens = 1u << 22;
  size_t max_token_bytes = 4096;       // one token's bytes
  size_t max_total_bytes = 1u << 28;   // all tokens together
};

class GrammarVocab {
 public:
  // token_bytes[id]: the bytes token `id` appends to the output (for byte-level BPE: after
  // undoing the byte-to-unicode mapping; for SentencePiece: with U+2581 as a space and <0xNN>
  // as the byte). Give "" for tokens a grammar must never produce (control, unused): they are
  // never allowed. eog_ids: end-of-generation tokens; they are allowed exactly when the grammar
  // is complete, whatever their bytes. Ids out of range in eog_ids are an error.
  static Result<std::shared_ptr<const GrammarVocab>> build(std::vector<std::string> token_bytes,
                                                           std::span<const int32_t> eog_ids,
                                                           const VocabLimits& limits = {});

  int32_t n_vocab() const { return static_cast<int32_t>(offsets_.size() - 1); }
  bool is_eog(int32_t id) const { return id >= 0 && id < n_vocab() && eog_[static_cast<size_t>(id)] != 0; }
  const std::vector<int32_t>& eog_ids() const { return eog_ids_; }
  std::string_view token_bytes(int32_t id) const {
    return std::string_view(blob_).substr(offsets_[static_cast<size_t>(id)],
                                          offsets_[static_cast<size_t>(id) + 1] - offsets_[static_cast<size_t>(id)]);
  }
  size_t max_token_length() const { return max_len_; }

  // Trie, preorder. Node i: node_byte(i), node_depth(i) >= 1, node_skip(i) = first index after
  // its subtree, tokens ending there = node_tokens()[node_tok_begin(i), node_tok_begin(i + 1)).
  size_t n_nodes() const { return bytes_.size(); }
  const uint8_t* node_bytes() const { return bytes_.data(); }
  const uint16_t* node_depths() const { return depths_.data(); }
  const uint32_t* node_skips() const { return skips_.data(); }
  const uint32_t* node_tok_begins() const { return tok_begin_.data(); }  // n_nodes() + 1 entries
  const int32_t* node_tokens() const { return tokens_.data(); }
  // The same, shaped for a branch-free walk: the first token ending at node i (-1: none), and
  // whether more than one does (then see node_tok_begins()).
  const int32_t* node_first_tokens() const { return first_token_.data(); }
  const uint8_t* node_has_more_tokens() const { return more_tokens_.data(); }

 private:
  GrammarVocab() = default;

  std::string blob_;               // all token bytes, concatenated
  std::vector<uint32_t> offsets_;  // [n_vocab + 1] into blob_
  std::vector<uint8_t> eog_;       // [n_vocab]
  std::vector<int32_t> eog_ids_;
  size_t max_len_ = 0;

  std::vector<uint8_t> bytes_;
  std::vector<uint16_t> depths_;
  std::vector<uint32_t> skips_;
  std::vector<uint32_t> tok_begin_;
  std::vector<int32_t> tokens_;
  std::vector<int32_t> first_token_;
  std::vector<uint8_t> more_tokens_;
};

}  // namespace plexus::sampling::grammar

// Internals shared by the tokenizer's translation units: special-token partitioning, the three
// tokenization algorithms, and the concrete Tokenizer built by Tokenizer::from_gguf().
// Thread-safe: everything here is immutable after construction or a pure function.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace plexus::tokenizer {

// A piece of the input after special-token partitioning: either raw text [offset, offset+length)
// of the input, or one special token.
struct fragment {
  token_id token = -1;  // -1: raw text
  size_t offset = 0;
  size_t length = 0;
};

// llama.cpp's tokenizer_st_partition: for each special token, longest text first, split every raw
// fragment at its non-overlapping occurrences (left to right). Control and unknown tokens only
// take part when `parse_special`; user-defined ones always do. LSTRIP/RSTRIP tokens eat the
// ASCII whitespace next to them.
std::vector<fragment> partition_special(const vocab& v, std::string_view text, bool parse_special);

// SentencePiece BPE over `text`, whose spaces are already escaped to U+2581: bigram merges by
// highest score, unknown pieces as <0xNN> byte tokens.
void spm_encode(const vocab& v, std::string_view text, std::vector<token_id>& out);

// Byte-level BPE over one raw fragment: pre-tokenize, byte-encode, merge by rank.
void bpe_encode(const vocab& v, const pre_tokenizer& pre, std::string_view text, std::vector<token_id>& out);

// Byte trie over every token text, for WordPiece's greedy longest match.
// Thread-safe: immutable after construction.
class wpm_trie {
 public:
  explicit wpm_trie(const vocab& v);
  // Longest token that is a prefix of `s`: sets `len` (bytes) and returns its id; -1 if none.
  token_id longest_prefix(std::string_view s, size_t& len) const;

 private:
  std::unordered_map<uint64_t, uint32_t> children_;  // (node << 8 | byte) -> child node
  std::vector<token_id> token_at_;                   // [node] -> token ending there, or -1
};

// BERT basic tokenization as llama.cpp does it: split on whitespace, drop control characters,
// (optionally) map to the first code point of the decomposition and drop marks, lowercase, and
// make punctuation, ASCII symbols and CJK ideographs single-character words.
std::vector<std::string> wpm_preprocess(std::string_view text, bool lowercase, bool strip_accents);
void wpm_encode(const vocab& v, const wpm_trie& trie, std::string_view text, std::vector<token_id>& out);

// llama_decode_text: byte-level BPE token text -> bytes ("[UNK_BYTE_0x..]" for foreign chars).
std::string bpe_decode_text(std::string_view text);

// The Tokenizer for every supported vocabulary type; owns its vocab, pre-tokenizer or trie, and
// the rendered piece of every token.
// Thread-safe: immutable after create().
class vocab_tokenizer final : public Tokenizer {
 public:
  static Result<std::unique_ptr<Tokenizer>> create(vocab v);

  std::vector<token_id> encode(std::string_view text, bool add_special, bool parse_special) const override;
  std::string token_to_piece(token_id id, bool render_special) const override;

  const vocab& vocab_data() const { return v_; }

 private:
  explicit vocab_tokenizer(vocab v);
  std::string make_piece(token_id id) const;

  vocab v_;
  std::unique_ptr<pre_tokenizer> pre_tok_;  // BPE only
  std::unique_ptr<wpm_trie> trie_;      // WPM only
  std::vector<std::string> pieces_;     // [n_vocab] token_to_piece(id, render_special = true)
};

}  // namespace plexus::tokenizer

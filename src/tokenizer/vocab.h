// The vocabulary as the tokenizers use it, loaded and validated from tokenizer.ggml.* metadata
// with llama.cpp's defaults and fix-ups (token attributes, special ids, EOG set, the special
// token list used for partitioning).
// Thread-safe: immutable after load_vocab(); every lookup is const.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "gguf/gguf_file.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace plexus::tokenizer {

// llama.cpp's token attribute bits (llama_token_attr). A token may carry several.
namespace attr_bit {
constexpr uint32_t undefined = 0;
constexpr uint32_t unknown = 1u << 0;
constexpr uint32_t unused = 1u << 1;
constexpr uint32_t normal = 1u << 2;
constexpr uint32_t control = 1u << 3;
constexpr uint32_t user_defined = 1u << 4;
constexpr uint32_t byte = 1u << 5;
constexpr uint32_t normalized = 1u << 6;
constexpr uint32_t lstrip = 1u << 7;
constexpr uint32_t rstrip = 1u << 8;
constexpr uint32_t single_word = 1u << 9;
}  // namespace attr_bit

enum class vocab_type { spm, bpe, wpm };

struct string_hash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <typename V>
using string_map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;

// Thread-safe: plain data, immutable once loaded.
struct vocab {
  vocab_type type = vocab_type::spm;
  std::string model;  // tokenizer.ggml.model
  std::string pre;    // tokenizer.ggml.pre ("" when absent)
  std::string general_name;

  std::vector<std::string> texts;  // [n_vocab]; empty texts replaced by "[EMPTY_<id>]"
  std::vector<float> scores;       // [n_vocab]; 0 when the file has none
  std::vector<uint32_t> attrs;     // [n_vocab]; attr_bit flags
  string_map<token_id> ids;        // text -> id (texts are unique)
  size_t max_token_len = 0;        // bytes

  token_id bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, sep = -1, pad = -1, mask = -1;
  token_id fim_pre = -1, fim_suf = -1, fim_mid = -1, fim_pad = -1, fim_rep = -1, fim_sep = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool add_sep = false;
  bool add_space_prefix = false;  // SPM: prefix raw text (and text after a special token) with ' '
  bool ignore_merges = false;     // BPE: a word that is itself a token is emitted whole
  bool wpm_lowercase = true;      // WPM normalizer
  bool wpm_strip_accents = true;
  pre_spec bpe_pre;               // BPE: which pre-tokenizer

  // BPE merges: "left right" -> rank, plus the length of `left` to disambiguate spaces.
  struct merge_info {
    int32_t rank;
    uint32_t left_len;
  };
  string_map<merge_info> merges;

  // Control, user-defined and unknown tokens, longest text first (llama.cpp's order).
  std::vector<token_id> special_tokens;
  std::vector<token_id> eog;  // sorted, unique

  token_id find(std::string_view text) const {
    auto it = ids.find(text);
    return it == ids.end() ? -1 : it->second;
  }
  // Rank of merging `left` and `right`, -1 when no such merge. `scratch` is reused storage.
  int32_t merge_rank(std::string_view left, std::string_view right, std::string& scratch) const;
  int32_t n_tokens() const { return static_cast<int32_t>(texts.size()); }
};

// Reads and validates tokenizer.ggml.*: unsupported for an unknown model or BPE pre-tokenizer,
// invalid_file for malformed metadata (naming the key and what was wrong).
Result<vocab> load_vocab(const gguf::GgufFile& file);

// The pre-tokenizer names load_vocab() accepts for "gpt2" vocabularies, comma-separated.
std::string supported_pre_tokenizers();

}  // namespace plexus::tokenizer

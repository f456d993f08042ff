// Byte-level BPE pre-tokenization: splits text into words with the regex list llama.cpp uses for
// each tokenizer.ggml.pre, reproducing how llama.cpp applies them:
//  - the regexes run in sequence, each one re-splitting every chunk the previous one produced
//    (text between matches is kept as its own chunk; a regex never sees past its chunk);
//  - the GPT-2 and Llama-3 patterns run as llama.cpp's hand-written splitters;
//  - a pattern using \p{L}/\p{N}/\p{P}/\p{S}/\p{M} sees every non-ASCII code point replaced by a
//    stand-in of llama.cpp's category for it (non-ASCII whitespace by \v), so categories come
//    from this module's Unicode tables, not from PCRE2's;
//  - any other pattern sees the real code points, with non-ASCII whitespace replaced by \v.
// PCRE2 runs in UTF mode without UCP: llama.cpp's std::regex treats \s, \d, \w and \b as ASCII.
// Thread-safe: immutable after create(); split() may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace plexus::tokenizer {

// What a tokenizer.ggml.pre value implies for a "gpt2" vocabulary.
struct pre_spec {
  int kind = 0;                 // index into the regex-set table (pre_tokenizer.cpp)
  bool ignore_merges = false;   // a word that is itself a token is not merged
  bool add_bos = false;         // default for tokenizer.ggml.add_bos_token
  bool no_bos = false;          // the vocab has no BOS by default (chatglm)
  bool add_sep = false;         // default for tokenizer.ggml.add_sep_token
};

// nullopt for a name llama.cpp would reject or that this module does not implement.
// "" and "default" give llama.cpp's default pre-tokenizer.
std::optional<pre_spec> find_pre_tokenizer(std::string_view name);
// Comma-separated list of the accepted names.
std::string pre_tokenizer_names();

class pre_tokenizer {
 public:
  static Result<std::unique_ptr<pre_tokenizer>> create(const pre_spec& spec);
  ~pre_tokenizer();
  pre_tokenizer(const pre_tokenizer&) = delete;
  pre_tokenizer& operator=(const pre_tokenizer&) = delete;

  // Splits `text` into words, each the UTF-8 of its code points (invalid input bytes appear as
  // U+FFFD, as llama.cpp decodes them). Concatenated, the words give the decoded text.
  std::vector<std::string> split(std::string_view text) const;

  // Word lengths in code points for `cpts` (exposed for tests).
  std::vector<size_t> split_offsets(const std::vector<uint32_t>& cpts) const;

 private:
  struct step;
  pre_tokenizer() = default;
  std::vector<std::unique_ptr<step>> steps_;
  bool need_category_text_ = false;
  bool need_literal_text_ = false;
};

}  // namespace plexus::tokenizer

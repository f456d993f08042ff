// WordPiece as llama.cpp's llm_tokenizer_wpm_session. The GGUF vocabulary stores word-initial
// pieces as "▁piece" and continuation pieces bare (the "##" already removed), so each word is
// matched as "▁" + word by greedy longest prefix; a word with an unmatched position becomes
// the unknown token.
#include "core/utf8.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace plexus::tokenizer {

namespace {

constexpr std::string_view k_phantom_space = "\xE2\x96\x81";  // U+2581

bool is_chinese_char(uint32_t c) {
  // The ranges of BERT's reference implementation (0x2B920 as in its Rust version).
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

}  // namespace

wpm_trie::wpm_trie(const vocab& v) {
  token_at_.push_back(-1);  // root
  for (token_id id = 0; id < v.n_tokens(); ++id) {
    uint32_t node = 0;
    for (const char c : v.texts[id]) {
      const uint64_t key = (static_cast<uint64_t>(node) << 8) | static_cast<uint8_t>(c);
      auto [it, inserted] = children_.emplace(key, static_cast<uint32_t>(token_at_.size()));
      if (inserted) token_at_.push_back(-1);
      node = it->second;
    }
    token_at_[node] = id;
  }
}

token_id wpm_trie::longest_prefix(std::string_view s, size_t& len) const {
  token_id best = -1;
  len = 0;
  uint32_t node = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto it = children_.find((static_cast<uint64_t>(node) << 8) | static_cast<uint8_t>(s[i]));
    if (it == children_.end()) break;
    node = it->second;
    if (token_at_[node] != -1) {
      best = token_at_[node];
      len = i + 1;
    }
  }
  return best;
}

std::vector<std::string> wpm_preprocess(std::string_view text, bool lowercase, bool strip_accents) {
  std::vector<std::string> words(1);
  size_t off = 0;
  while (off < text.size()) {
    uint32_t cpt = unicode::decode_utf8(text, off);
    if (strip_accents) cpt = unicode::nfd_first(cpt);
    const unicode::cpt_flags f = unicode::flags_of(cpt);
    if (f.is_whitespace()) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    if (cpt == 0 || cpt == 0xFFFD || f.is_control()) continue;
    if (strip_accents && f.is_mark()) continue;
    std::string s;
    utf8::append(s, lowercase ? unicode::to_lower(cpt) : cpt);
    if (f.is_punctuation() || (cpt < 0x7F && f.is_symbol()) || is_chinese_char(cpt)) {
      if (!words.back().empty()) words.emplace_back();
      words.back() = std::move(s);
      words.emplace_back();
    } else {
      words.back() += s;
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

void wpm_encode(const vocab& v, const wpm_trie& trie, std::string_view text, std::vector<token_id>& out) {
  std::string word1;
  for (const std::string& word : wpm_preprocess(text, v.wpm_lowercase, v.wpm_strip_accents)) {
    if (word.empty()) continue;
    word1.assign(k_phantom_space);
    word1 += word;
    const size_t first = out.size();
    for (size_t i = 0; i < word1.size();) {
      size_t len = 0;
      const token_id id = trie.longest_prefix(std::string_view(word1).substr(i), len);
      if (id == -1) {
        out.resize(first);  // one unmatched position discards the whole word
        break;
      }
      out.push_back(id);
      i += len;
    }
    if (out.size() == first && v.unk != -1) out.push_back(v.unk);
  }
}

}  // namespace plexus::tokenizer

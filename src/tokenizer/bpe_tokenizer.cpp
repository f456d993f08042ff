// Byte-level BPE as llama.cpp's llm_tokenizer_bpe_session: pre-tokenize, map every byte of a word
// to its GPT-2 stand-in character, then repeatedly merge the adjacent pair with the lowest merge
// rank (ties: leftmost). Symbols that are not tokens fall back to single-byte lookups.
#include <queue>

#include "core/utf8.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace plexus::tokenizer {

namespace {

struct symbol {
  int prev;
  int next;
  size_t start;  // byte offset in the encoded word
  size_t n;      // bytes; 0 once merged into the left neighbour
};

struct bigram {
  int left;
  int right;
  int32_t rank;
  size_t size;  // bytes of the joined text when queued
};

struct bigram_order {
  bool operator()(const bigram& l, const bigram& r) const {
    return l.rank > r.rank || (l.rank == r.rank && l.left > r.left);
  }
};

void merge_word(const vocab& v, std::string_view word, std::string& scratch, std::vector<token_id>& out) {
  if (v.ignore_merges) {
    const token_id id = v.find(word);
    if (id != -1) {
      out.push_back(id);
      return;
    }
  }
  std::vector<symbol> syms;
  syms.reserve(word.size());
  for (size_t off = 0; off < word.size();) {
    const size_t n = std::min(unicode::utf8_len(word[off]), word.size() - off);
    const int index = static_cast<int>(syms.size());
    off += n;
    syms.push_back({index - 1, off == word.size() ? -1 : index + 1, off - n, n});
  }
  std::priority_queue<bigram, std::vector<bigram>, bigram_order> queue;
  const auto try_add = [&](int left, int right) {
    if (left == -1 || right == -1) return;
    const int32_t rank = v.merge_rank(word.substr(syms[left].start, syms[left].n),
                                      word.substr(syms[right].start, syms[right].n), scratch);
    if (rank < 0) return;
    queue.push({left, right, rank, syms[left].n + syms[right].n});
  };
  for (int i = 1; i < static_cast<int>(syms.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const bigram b = queue.top();
    queue.pop();
    symbol& l = syms[b.left];
    symbol& r = syms[b.right];
    // Both alive means r is still l's right neighbour, so equal size means equal text.
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }

  for (const symbol& s : syms) {
    if (s.n == 0) continue;
    const std::string_view piece = word.substr(s.start, s.n);
    const token_id id = v.find(piece);
    if (id != -1) {
      out.push_back(id);
      continue;
    }
    for (size_t i = 0; i < piece.size(); ++i) {
      const token_id b = v.find(piece.substr(i, 1));
      if (b != -1) out.push_back(b);
    }
  }
}

}  // namespace

void bpe_encode(const vocab& v, const pre_tokenizer& pre, std::string_view text, std::vector<token_id>& out) {
  std::string encoded;
  std::string scratch;
  for (const std::string& word : pre.split(text)) {
    encoded.clear();
    for (const char c : word) encoded += unicode::byte_to_bpe_text(static_cast<uint8_t>(c));
    merge_word(v, encoded, scratch, out);
  }
}

std::string bpe_decode_text(std::string_view text) {
  std::string out;
  size_t off = 0;
  while (off < text.size()) {
    const uint32_t cpt = unicode::decode_utf8(text, off);
    const int byte = unicode::bpe_cpt_to_byte(cpt);
    if (byte >= 0) {
      out.push_back(static_cast<char>(byte));
      continue;
    }
    // llama_decode_text's marker for a character outside the byte alphabet.
    static const char* hex = "0123456789abcdef";
    std::string utf8;
    utf8::append(utf8, cpt);
    // The marker repeats the whole token text: stop adding markers past 64 KiB so that a hostile
    // vocabulary cannot make one piece quadratic in its length.
    if (out.size() > 65536) continue;
    out += "[UNK_BYTE_0x";
    for (const char c : utf8) {
      out += hex[static_cast<uint8_t>(c) >> 4];
      out += hex[static_cast<uint8_t>(c) & 15];
    }
    out.append(text);
    out += "]";
  }
  return out;
}

}  // namespace plexus::tokenizer

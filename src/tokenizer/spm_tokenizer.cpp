// SentencePiece-style BPE as llama.cpp's llm_tokenizer_spm_session: split into UTF-8 characters
// (by lead byte), merge the adjacent pair whose joined text is the highest-scoring token (ties:
// leftmost) until no pair is a token, then emit each symbol's token or its bytes as <0xNN> tokens.
#include <queue>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace plexus::tokenizer {

namespace {

struct symbol {
  int prev;
  int next;
  size_t start;  // byte offset in the text
  size_t n;      // bytes; 0 once merged into the left neighbour
};

struct bigram {
  int left;
  int right;
  float score;
  size_t size;  // bytes of the joined text when queued
};

struct bigram_order {
  bool operator()(const bigram& l, const bigram& r) const {
    return l.score < r.score || (l.score == r.score && l.left > r.left);
  }
};

token_id byte_token(const vocab& v, uint8_t byte) {
  static const char* hex = "0123456789ABCDEF";
  const char name[6] = {'<', '0', 'x', hex[byte >> 4], hex[byte & 15], '>'};
  token_id id = v.find(std::string_view(name, 6));
  if (id != -1) return id;
  const char raw = static_cast<char>(byte);
  id = v.find(std::string_view(&raw, 1));
  return id != -1 ? id : v.unk;  // llama.cpp would throw here; the unknown token is the safe answer
}

}  // namespace

void spm_encode(const vocab& v, std::string_view text, std::vector<token_id>& out) {
  std::vector<symbol> syms;
  syms.reserve(text.size());
  for (size_t off = 0; off < text.size();) {
    const size_t n = std::min(unicode::utf8_len(text[off]), text.size() - off);
    const int index = static_cast<int>(syms.size());
    off += n;
    syms.push_back({index - 1, off == text.size() ? -1 : index + 1, off - n, n});
  }
  if (syms.empty()) return;

  std::priority_queue<bigram, std::vector<bigram>, bigram_order> queue;
  const auto try_add = [&](int left, int right) {
    if (left == -1 || right == -1) return;
    const std::string_view joined = text.substr(syms[left].start, syms[left].n + syms[right].n);
    const token_id id = v.find(joined);
    if (id == -1) return;
    queue.push({left, right, v.scores[id], joined.size()});
  };
  for (int i = 1; i < static_cast<int>(syms.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const bigram b = queue.top();
    queue.pop();
    symbol& l = syms[b.left];
    symbol& r = syms[b.right];
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;  // stale
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }

  for (int i = 0; i != -1; i = syms[i].next) {
    const symbol& s = syms[i];
    const std::string_view piece = text.substr(s.start, s.n);
    const token_id id = v.find(piece);
    if (id != -1) {
      out.push_back(id);
      continue;
    }
    for (const char c : piece) {
      const token_id b = byte_token(v, static_cast<uint8_t>(c));
      if (b != -1) out.push_back(b);
    }
  }
}

}  // namespace plexus::tokenizer

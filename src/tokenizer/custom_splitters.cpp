// Hand-written equivalents of the GPT-2 and Llama-3 pre-tokenizer patterns, following llama.cpp's
// own splitters (which differ from a regex engine at the edges, e.g. GPT-2's trailing "\s+"
// fallback). Input: code points and the chunk lengths of the previous step; output: new chunk
// lengths, all in code points.
#include "tokenizer/custom_splitters.h"

#include "tokenizer/unicode.h"

namespace plexus::tokenizer {

namespace {

using unicode::cpt_flags;
using unicode::flags_of;

constexpr uint32_t k_out_of_range = 0xFFFFFFFF;

// One chunk [begin, end) of the code points, with llama.cpp's accessor semantics: positions
// outside the chunk read as "no code point" (flags 0).
// Not thread-safe: a local of one split call; appends word lengths to `out`.
class chunk_cursor {
 public:
  chunk_cursor(const std::vector<uint32_t>& cpts, size_t begin, size_t end, std::vector<size_t>& out)
      : cpts_(cpts), begin_(begin), end_(end), prev_end_(begin), out_(out) {}

  uint32_t cpt(size_t pos) const { return (pos >= begin_ && pos < end_) ? cpts_[pos] : k_out_of_range; }
  cpt_flags flags(size_t pos) const { return (pos >= begin_ && pos < end_) ? flags_of(cpts_[pos]) : cpt_flags{}; }
  size_t end() const { return end_; }

  // Ends the current word at `end`; returns its length (0 adds nothing).
  size_t add_token(size_t end) {
    const size_t len = end - prev_end_;
    if (len > 0) out_.push_back(len);
    prev_end_ = end;
    return len;
  }

 private:
  const std::vector<uint32_t>& cpts_;
  size_t begin_;
  size_t end_;
  size_t prev_end_;
  std::vector<size_t>& out_;
};

bool is_word_or_space(cpt_flags f) { return f.is_whitespace() || f.is_letter() || f.is_number(); }

// 's|'t|'re|'ve|'m|'ll|'d (optionally case-insensitive); returns the match length or 0.
size_t contraction_len(const chunk_cursor& c, size_t pos, bool ignore_case) {
  if (c.cpt(pos) != '\'' || pos + 1 >= c.end()) return 0;
  const auto fold = [&](uint32_t x) { return ignore_case && x != k_out_of_range ? unicode::to_lower(x) : x; };
  const uint32_t n1 = fold(c.cpt(pos + 1));
  if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd') return 2;
  if (pos + 2 < c.end()) {
    const uint32_t n2 = fold(c.cpt(pos + 2));
    if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l')) return 3;
  }
  return 0;
}

void split_gpt2_chunk(chunk_cursor& c, size_t begin) {
  for (size_t pos = begin; pos < c.end();) {
    const uint32_t cpt = c.cpt(pos);
    const cpt_flags flags = c.flags(pos);

    if (const size_t n = contraction_len(c, pos, false); n > 0) {
      pos += c.add_token(pos + n);
      continue;
    }
    cpt_flags f2 = cpt == ' ' ? c.flags(pos + 1) : flags;
    if (f2.is_letter()) {  // <space>?\p{L}+
      pos += cpt == ' ';
      while (f2.is_letter()) f2 = c.flags(++pos);
      c.add_token(pos);
      continue;
    }
    if (f2.is_number()) {  // <space>?\p{N}+
      pos += cpt == ' ';
      while (f2.is_number()) f2 = c.flags(++pos);
      c.add_token(pos);
      continue;
    }
    if (!is_word_or_space(f2) && f2.bits != 0) {  // <space>?[^\s\p{L}\p{N}]+
      pos += cpt == ' ';
      while (!is_word_or_space(f2) && f2.bits != 0) f2 = c.flags(++pos);
      c.add_token(pos);
      continue;
    }
    size_t n_ws = 0;
    while (c.flags(pos + n_ws).is_whitespace()) ++n_ws;
    if (n_ws > 1 && c.cpt(pos + n_ws) != k_out_of_range) {  // \s+(?!\S)
      pos += n_ws - 1;
      c.add_token(pos);
      continue;
    }
    if (n_ws > 0) {  // \s+
      pos += n_ws;
      c.add_token(pos);
      continue;
    }
    c.add_token(++pos);  // no match: one code point
  }
}

void split_llama3_chunk(chunk_cursor& c, size_t begin) {
  for (size_t pos = begin; pos < c.end();) {
    const uint32_t cpt = c.cpt(pos);
    const cpt_flags flags = c.flags(pos);

    if (const size_t n = contraction_len(c, pos, true); n > 0) {
      pos += c.add_token(pos + n);
      continue;
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (!(cpt == '\r' || cpt == '\n' || flags.is_number())) {
      if (flags.is_letter() || c.flags(pos + 1).is_letter()) {
        ++pos;
        while (c.flags(pos).is_letter()) ++pos;
        c.add_token(pos);
        continue;
      }
    }
    // \p{N}{1,3}
    if (flags.is_number()) {
      size_t ini = pos;
      while (c.flags(pos).is_number()) {
        if (++pos - ini >= 3) {
          c.add_token(pos);
          ini = pos;
        }
      }
      c.add_token(pos);
      continue;
    }
    // <space>?[^\s\p{L}\p{N}]+[\r\n]*
    cpt_flags f2 = cpt == ' ' ? c.flags(pos + 1) : flags;
    if (!is_word_or_space(f2) && flags.bits != 0) {
      pos += cpt == ' ';
      while (!is_word_or_space(f2) && f2.bits != 0) f2 = c.flags(++pos);
      uint32_t c2 = c.cpt(pos);
      while (c2 == '\r' || c2 == '\n') c2 = c.cpt(++pos);
      c.add_token(pos);
      continue;
    }
    size_t n_ws = 0;
    size_t last_end_rn = 0;
    while (c.flags(pos + n_ws).is_whitespace()) {
      const uint32_t c2 = c.cpt(pos + n_ws);
      if (c2 == '\r' || c2 == '\n') last_end_rn = pos + n_ws + 1;
      ++n_ws;
    }
    if (last_end_rn > 0) {  // \s*[\r\n]+
      pos = last_end_rn;
      c.add_token(pos);
      continue;
    }
    if (n_ws > 1 && c.cpt(pos + n_ws) != k_out_of_range) {  // \s+(?!\S)
      pos += n_ws - 1;
      c.add_token(pos);
      continue;
    }
    if (n_ws > 0) {  // \s+
      pos += n_ws;
      c.add_token(pos);
      continue;
    }
    c.add_token(++pos);
  }
}

}  // namespace

std::vector<size_t> split_custom(custom_split which, const std::vector<uint32_t>& cpts,
                                 const std::vector<size_t>& offsets) {
  std::vector<size_t> out;
  out.reserve(offsets.size());
  size_t start = 0;
  for (const size_t len : offsets) {
    chunk_cursor c(cpts, start, start + len, out);
    if (which == custom_split::gpt2) {
      split_gpt2_chunk(c, start);
    } else {
      split_llama3_chunk(c, start);
    }
    start += len;
  }
  return out;
}

}  // namespace plexus::tokenizer

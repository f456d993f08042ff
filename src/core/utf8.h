// Strict UTF-8 (Unicode 15, section 3.9, table 3-7: no overlong forms, no UTF-16 surrogates
// U+D800..U+DFFF, nothing above U+10FFFF) for every module that validates or decodes text from
// outside: grammars and JSON-schema patterns, chat templates, streamed output. (The tokenizers
// keep their own lenient decoder: they must split text exactly as llama.cpp does, invalid bytes
// included.)
// Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace plexus::utf8 {

inline constexpr uint32_t kMaxCodePoint = 0x10FFFF;

inline bool is_surrogate(uint32_t cp) { return cp >= 0xD800 && cp <= 0xDFFF; }

// Lead byte -> length of the sequence it starts (1..4), or 0 for a byte that cannot start one
// (continuation bytes 0x80..0xBF, 0xC0/0xC1 which are always overlong, 0xF5..0xFF).
inline int sequence_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Smallest code point a sequence of `length` bytes may encode (anything below is overlong).
inline uint32_t min_code_point(int length) {
  switch (length) {
    case 2: return 0x80;
    case 3: return 0x800;
    case 4: return 0x10000;
    default: return 0;
  }
}

// Decodes the character `bytes` start with. Returns its length (1..4) and sets `cpt` when it is
// well-formed; 0 when the bytes are a proper prefix of one (more bytes could complete it; also
// for size 0); -n when the first n bytes are ill-formed (n >= 1: the maximal subpart, which a
// decoder replaces by one U+FFFD).
int decode_prefix(const unsigned char* bytes, size_t size, uint32_t& cpt);

// Decodes the character at `pos` and advances `pos` past it. False (pos unchanged) at an
// ill-formed or truncated sequence, or at the end.
bool decode(std::string_view s, size_t& pos, uint32_t& cpt);

// Byte offset of the first ill-formed or truncated sequence; npos when all of `s` is valid.
size_t first_invalid(std::string_view s);
inline bool valid(std::string_view s) { return first_invalid(s) == std::string_view::npos; }

// Appends the encoding of `cpt`; above U+10FFFF appends U+FFFD. Surrogates are encoded as
// three bytes (as the tokenizers' byte fallback expects); callers that need valid output must
// not pass them.
void append(std::string& out, uint32_t cpt);

}  // namespace plexus::utf8

// Strict UTF-8 decoding shared by the GBNF parser and the matcher: no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
// Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace plexus::sampling::grammar {

inline constexpr uint32_t kMaxCodePoint = 0x10FFFF;

// Lead byte -> total sequence length (1..4), or 0 for a byte that cannot start a sequence
// (continuation bytes 0x80..0xBF, 0xC0/0xC1 which are always overlong, 0xF5..0xFF).
inline int utf8_sequence_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Smallest code point a sequence of `length` bytes may encode (anything below is overlong).
inline uint32_t utf8_min_code_point(int length) {
  switch (length) {
    case 2: return 0x80;
    case 3: return 0x800;
    case 4: return 0x10000;
    default: return 0;
  }
}

inline bool is_surrogate(uint32_t cp) { return cp >= 0xD800 && cp <= 0xDFFF; }

// Decodes one code point of `s` starting at `*pos`, advancing `*pos` past it. Returns false
// (leaving `*pos` unchanged) at an invalid or truncated sequence.
inline bool utf8_decode(std::string_view s, size_t* pos, uint32_t* out) {
  const size_t i = *pos;
  if (i >= s.size()) return false;
  const uint8_t lead = static_cast<uint8_t>(s[i]);
  const int len = utf8_sequence_length(lead);
  if (len == 0 || s.size() - i < static_cast<size_t>(len)) return false;
  if (len == 1) {
    *out = lead;
    *pos = i + 1;
    return true;
  }
  uint32_t cp = lead & (0x7Fu >> len);
  for (int k = 1; k < len; ++k) {
    const uint8_t b = static_cast<uint8_t>(s[i + static_cast<size_t>(k)]);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < utf8_min_code_point(len) || cp > kMaxCodePoint || is_surrogate(cp)) return false;
  *out = cp;
  *pos = i + static_cast<size_t>(len);
  return true;
}

// Byte offset of the first invalid sequence, or npos when all of `s` is valid UTF-8.
inline size_t utf8_first_invalid(std::string_view s) {
  size_t pos = 0;
  uint32_t cp = 0;
  while (pos < s.size()) {
    if (!utf8_decode(s, &pos, &cp)) return pos;
  }
  return std::string_view::npos;
}

inline void utf8_append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace plexus::sampling::grammar

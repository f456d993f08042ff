// libFuzzer target for core/utf8.h, differential: decode_prefix must agree with an oracle built
// only from the definition of UTF-8 (the encodings of the Unicode scalar values, enumerated once):
// the length and code point of a well-formed character, 0 for a proper prefix of one, and minus
// the maximal subpart (the longest prefix of some character, at least 1) otherwise. decode,
// first_invalid and append must agree with it too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/utf8.h"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_utf8: %s\n", what);
  std::abort();
}

std::string encode(uint32_t cp) {  // the textbook bit layout, written independently of utf8::append
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

struct Oracle {
  std::unordered_set<std::string> prefixes;  // proper prefixes of the scalar values' encodings
  Oracle() {
    for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      const std::string e = encode(cp);
      for (size_t k = 1; k < e.size(); ++k) prefixes.insert(e.substr(0, k));
    }
  }
  // A well-formed character of exactly these bytes? Then its code point.
  static bool whole(std::string_view s, uint32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[0]);
    const size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : (b0 >> 3) == 30 ? 4 : 0;
    if (len != s.size()) return false;
    uint32_t c = len == 1 ? b0 : b0 & (0xFFu >> (len + 1));
    for (size_t k = 1; k < len; ++k) c = (c << 6) | (static_cast<unsigned char>(s[k]) & 0x3Fu);
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) || encode(c) != s) return false;
    cp = c;
    return true;
  }
  int expect(std::string_view s, uint32_t& cp) const {
    for (size_t len = 1; len <= 4 && len <= s.size(); ++len) {
      if (whole(s.substr(0, len), cp)) return static_cast<int>(len);
    }
    size_t k = 0;
    while (k < 3 && k < s.size() && prefixes.count(std::string(s.substr(0, k + 1)))) ++k;
    if (k == s.size()) return 0;
    return -static_cast<int>(k == 0 ? 1 : k);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Oracle oracle;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t pos = 0;
  size_t first_bad = std::string_view::npos;
  std::string reencoded;
  while (pos < text.size()) {
    const std::string_view rest = text.substr(pos);
    uint32_t want_cp = 0, got_cp = 0;
    const int want = oracle.expect(rest, want_cp);
    const int got = plexus::utf8::decode_prefix(data + pos, size - pos, got_cp);
    if (got != want) fail("decode_prefix disagrees with the oracle on its answer");
    if (got > 0 && got_cp != want_cp) fail("decode_prefix gives another code point");
    size_t p = pos;
    uint32_t cp = 0;
    if (plexus::utf8::decode(text, p, cp) != (got > 0)) fail("decode and decode_prefix disagree");
    if (got > 0) {
      plexus::utf8::append(reencoded, cp);
      pos += static_cast<size_t>(got);
    } else {
      if (first_bad == std::string_view::npos) first_bad = pos;
      pos += got == 0 ? rest.size() : static_cast<size_t>(-got);
    }
  }
  if (plexus::utf8::first_invalid(text) != first_bad) fail("first_invalid names another offset");
  if (first_bad == std::string_view::npos && reencoded != text) fail("append does not round-trip");
  return 0;
}

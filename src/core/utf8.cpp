#include "core/utf8.h"

namespace plexus::utf8 {

int decode_prefix(const unsigned char* b, size_t size, uint32_t& cpt) {
  if (size == 0) return 0;
  const unsigned char b0 = b[0];
  const int len = sequence_length(b0);
  if (len == 0) return -1;
  if (len == 1) {
    cpt = b0;
    return 1;
  }
  // The second byte's range excludes overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4).
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 == 0xE0) lo = 0xA0;
  if (b0 == 0xED) hi = 0x9F;
  if (b0 == 0xF0) lo = 0x90;
  if (b0 == 0xF4) hi = 0x8F;
  uint32_t c = b0 & (0x7Fu >> len);
  for (int i = 1; i < len; ++i) {
    if (static_cast<size_t>(i) >= size) return 0;
    const unsigned char bi = b[i];
    const bool ok = i == 1 ? (bi >= lo && bi <= hi) : (bi >= 0x80 && bi <= 0xBF);
    if (!ok) return -i;
    c = (c << 6) | (bi & 0x3Fu);
  }
  cpt = c;
  return len;
}

bool decode(std::string_view s, size_t& pos, uint32_t& cpt) {
  if (pos >= s.size()) return false;
  const int n = decode_prefix(reinterpret_cast<const unsigned char*>(s.data()) + pos, s.size() - pos, cpt);
  if (n <= 0) return false;
  pos += static_cast<size_t>(n);
  return true;
}

size_t first_invalid(std::string_view s) {
  size_t pos = 0;
  uint32_t cpt = 0;
  while (pos < s.size()) {
    if (!decode(s, pos, cpt)) return pos;
  }
  return std::string_view::npos;
}

void append(std::string& out, uint32_t c) {
  if (c > kMaxCodePoint) c = 0xFFFD;
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace plexus::utf8

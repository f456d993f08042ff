#include "tokenizer/unicode.h"

#include <algorithm>
#include <array>
#include <memory>

namespace plexus::tokenizer::unicode {

namespace {

constexpr uint32_t k_max_cpt = 0x110000;

bool is_white_space(uint32_t c) {
  // PropList.txt White_Space.
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// One class byte per code point (1.1 MB), expanded from the range table once.
const std::vector<uint8_t>& class_table() {
  static const std::vector<uint8_t> table = [] {
    std::vector<uint8_t> t(k_max_cpt, k_undefined);
    for (size_t i = 0; i < k_flag_ranges_size; ++i) {
      const uint32_t end = i + 1 < k_flag_ranges_size ? k_flag_ranges[i + 1].first : k_max_cpt;
      std::fill(t.begin() + k_flag_ranges[i].first, t.begin() + std::min(end, k_max_cpt), k_flag_ranges[i].flags);
    }
    return t;
  }();
  return table;
}

struct byte_alphabet {
  std::array<std::string, 256> text;
  std::array<int16_t, 512> byte_of;  // indexed by code point (< 0x200), -1 when none
};

const byte_alphabet& alphabet() {
  static const byte_alphabet a = [] {
    byte_alphabet r;
    r.byte_of.fill(-1);
    std::array<uint32_t, 256> cpt{};
    std::array<bool, 256> direct{};
    for (int b = 0x21; b <= 0x7E; ++b) direct[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) cpt[b] = direct[b] ? static_cast<uint32_t>(b) : next++;
    for (int b = 0; b < 256; ++b) {
      append_utf8(r.text[b], cpt[b]);
      r.byte_of[cpt[b]] = static_cast<int16_t>(b);
    }
    return r;
  }();
  return a;
}

}  // namespace

cpt_flags flags_of(uint32_t cpt) {
  if (cpt >= k_max_cpt) return cpt_flags{k_undefined};
  uint16_t bits = class_table()[cpt];
  if (is_white_space(cpt)) bits |= k_whitespace;
  return cpt_flags{bits};
}

uint32_t to_lower(uint32_t cpt) {
  const cpt_pair* end = k_lowercase + k_lowercase_size;
  const cpt_pair* it = std::lower_bound(k_lowercase, end, cpt, [](const cpt_pair& p, uint32_t v) { return p.cpt < v; });
  return (it != end && it->cpt == cpt) ? it->mapped : cpt;
}

uint32_t nfd_first(uint32_t cpt) {
  const nfd_range* end = k_nfd_ranges + k_nfd_ranges_size;
  const nfd_range* it = std::upper_bound(k_nfd_ranges, end, cpt, [](uint32_t v, const nfd_range& r) { return v < r.first; });
  if (it == k_nfd_ranges) return cpt;
  --it;
  return (it->first <= cpt && cpt <= it->last) ? it->nfd : cpt;
}

size_t utf8_len(char lead) {
  static constexpr size_t lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return lookup[static_cast<uint8_t>(lead) >> 4];
}

uint32_t decode_utf8(std::string_view s, size_t& offset) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const auto cont = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  const uint8_t b0 = byte(offset);
  if (!(b0 & 0x80)) {
    offset += 1;
    return b0;
  }
  if ((b0 & 0x40) && !(b0 & 0x20)) {
    if (cont(offset + 1)) {
      const uint32_t c = ((b0 & 0x1Fu) << 6) | (byte(offset + 1) & 0x3Fu);
      offset += 2;
      return c;
    }
  } else if ((b0 & 0x40) && !(b0 & 0x10)) {
    if (cont(offset + 1) && cont(offset + 2)) {
      const uint32_t c = ((b0 & 0x0Fu) << 12) | ((byte(offset + 1) & 0x3Fu) << 6) | (byte(offset + 2) & 0x3Fu);
      offset += 3;
      return c;
    }
  } else if ((b0 & 0x40) && !(b0 & 0x08)) {
    if (cont(offset + 1) && cont(offset + 2) && cont(offset + 3)) {
      const uint32_t c = ((b0 & 0x07u) << 18) | ((byte(offset + 1) & 0x3Fu) << 12) |
                         ((byte(offset + 2) & 0x3Fu) << 6) | (byte(offset + 3) & 0x3Fu);
      offset += 4;
      return c < k_max_cpt ? c : 0xFFFD;
    }
  }
  offset += 1;
  return 0xFFFD;
}

std::vector<uint32_t> decode_utf8_all(std::string_view text) {
  std::vector<uint32_t> out;
  out.reserve(text.size());
  size_t off = 0;
  while (off < text.size()) out.push_back(decode_utf8(text, off));
  return out;
}

void append_utf8(std::string& out, uint32_t c) {
  if (c >= k_max_cpt) c = 0xFFFD;
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

int decode_utf8_strict(const unsigned char* b, size_t size, uint32_t& cpt) {
  if (size == 0) return 0;
  const unsigned char b0 = b[0];
  if (b0 < 0x80) {
    cpt = b0;
    return 1;
  }
  int need;
  uint32_t c;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte (Unicode table 3-7)
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    c = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    c = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    c = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return -1;
  }
  for (int i = 1; i <= need; ++i) {
    if (static_cast<size_t>(i) >= size) return 0;
    const unsigned char bi = b[i];
    const bool ok = i == 1 ? (bi >= lo && bi <= hi) : (bi >= 0x80 && bi <= 0xBF);
    if (!ok) return -i;
    c = (c << 6) | (bi & 0x3F);
  }
  cpt = c;
  return need + 1;
}

const std::string& byte_to_bpe_text(uint8_t byte) { return alphabet().text[byte]; }

int bpe_cpt_to_byte(uint32_t cpt) {
  if (cpt >= alphabet().byte_of.size()) return -1;
  return alphabet().byte_of[cpt];
}

}  // namespace plexus::tokenizer::unicode

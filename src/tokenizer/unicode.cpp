#include "tokenizer/unicode.h"

#include <algorithm>
#include <array>
#include <memory>

#include "core/utf8.h"

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
      utf8::append(r.text[b], cpt[b]);
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

const std::string& byte_to_bpe_text(uint8_t byte) { return alphabet().text[byte]; }

int bpe_cpt_to_byte(uint32_t cpt) {
  if (cpt >= alphabet().byte_of.size()) return -1;
  return alphabet().byte_of[cpt];
}

}  // namespace plexus::tokenizer::unicode

// Unicode helpers for the tokenizers: UTF-8 decoding the way llama.cpp's tokenizer does it,
// per-code-point category classes, simple lowercase, first code point of the canonical
// decomposition, and GPT-2's byte <-> printable-character mapping for byte-level BPE.
// Thread-safe: pure functions over immutable tables (built once, on first use).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::tokenizer::unicode {

// Category classes (one per code point, from its general category) plus the White_Space bit.
enum cpt_class : uint16_t {
  k_undefined = 0x001,    // Cn
  k_number = 0x002,       // Nd Nl No
  k_letter = 0x004,       // Lu Ll Lt Lm Lo
  k_separator = 0x008,    // Zs Zl Zp
  k_mark = 0x010,         // Mn Mc Me
  k_punctuation = 0x020,  // Pc Pd Ps Pe Pi Pf Po
  k_symbol = 0x040,       // Sm Sc Sk So
  k_control = 0x080,      // Cc Cf Co Cs
  k_whitespace = 0x100,   // White_Space property
};

struct cpt_flags {
  uint16_t bits = 0;  // 0 only for "no code point" (outside a chunk)
  bool is_number() const { return bits & k_number; }
  bool is_letter() const { return bits & k_letter; }
  bool is_mark() const { return bits & k_mark; }
  bool is_punctuation() const { return bits & k_punctuation; }
  bool is_symbol() const { return bits & k_symbol; }
  bool is_control() const { return bits & k_control; }
  bool is_whitespace() const { return bits & k_whitespace; }
  uint16_t category() const { return bits & 0xFF; }
};

// Code points above U+10FFFF are k_undefined.
cpt_flags flags_of(uint32_t cpt);
uint32_t to_lower(uint32_t cpt);
// First code point of the canonical decomposition (the base letter for accented letters, the
// leading jamo for Hangul syllables); the code point itself when it has none.
uint32_t nfd_first(uint32_t cpt);

// Length of a UTF-8 sequence from its lead byte, by the high nibble only (1 for continuation
// bytes), as llama.cpp's SentencePiece/BPE symbol splitting does.
size_t utf8_len(char lead);

// Decodes one code point at `offset` and advances it. Accepts what llama.cpp accepts (lead byte
// plus the right number of 10xxxxxx continuation bytes, overlongs and surrogates included); any
// other byte yields U+FFFD and advances by one. Code points above U+10FFFF become U+FFFD.
uint32_t decode_utf8(std::string_view text, size_t& offset);
std::vector<uint32_t> decode_utf8_all(std::string_view text);


// GPT-2 byte-level BPE alphabet: byte -> UTF-8 of its printable stand-in character.
const std::string& byte_to_bpe_text(uint8_t byte);
// Inverse for one code point; -1 when the code point stands for no byte.
int bpe_cpt_to_byte(uint32_t cpt);

// Generated tables (unicode_tables.cpp).
struct flag_range {
  uint32_t first;
  uint8_t flags;
};
struct cpt_pair {
  uint32_t cpt;
  uint32_t mapped;
};
struct nfd_range {
  uint32_t first;
  uint32_t last;
  uint32_t nfd;
};
extern const flag_range k_flag_ranges[];
extern const size_t k_flag_ranges_size;
extern const cpt_pair k_lowercase[];
extern const size_t k_lowercase_size;
extern const nfd_range k_nfd_ranges[];
extern const size_t k_nfd_ranges_size;

}  // namespace plexus::tokenizer::unicode

// Helpers shared by the GGUF reader and writer: constants of the format and the formatting of
// untrusted names in error messages. Internal to src/gguf.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace plexus::gguf {

inline constexpr std::string_view kAlignmentKey = "general.alignment";
inline constexpr uint64_t kDefaultAlignment = 32;

// True for the 13 GGUF value type ids (u8 = 0 ... f64 = 12).
inline bool is_known_value_type(uint32_t t) { return t <= 12; }

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
bool is_valid_utf8(std::string_view s);

// `s` in single quotes for an error message: control bytes, quotes, backslashes and (unless `s`
// is valid UTF-8) bytes >= 0x80 become \xNN, and anything past 80 bytes is cut to "...", so a
// hostile name cannot flood or garble a log line.
std::string quoted(std::string_view s);

// "47 47 55 46" for the first `n` bytes at `p`.
std::string hex_bytes(const uint8_t* p, size_t n);
// "03000000": eight lower-case hex digits.
std::string hex_u32(uint32_t v);

}  // namespace plexus::gguf

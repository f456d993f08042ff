// StreamingDecoder: pieces are appended to a pending byte buffer; every complete, well-formed
// UTF-8 character at its front is emitted, every ill-formed sequence becomes one U+FFFD (maximal
// subpart rule), and a trailing proper prefix of a character is held until the next piece.
#include "core/utf8.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace plexus::tokenizer {

namespace {

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";

// Moves the decodable front of `pending` to the returned string. With `final`, an incomplete
// tail is replaced too.
std::string drain(std::string& pending, bool final) {
  std::string out;
  out.reserve(pending.size());
  const auto* bytes = reinterpret_cast<const unsigned char*>(pending.data());
  size_t pos = 0;
  while (pos < pending.size()) {
    uint32_t cpt = 0;
    const int r = utf8::decode_prefix(bytes + pos, pending.size() - pos, cpt);
    if (r > 0) {
      out.append(pending, pos, static_cast<size_t>(r));
      pos += static_cast<size_t>(r);
    } else if (r < 0) {
      out += k_replacement;
      pos += static_cast<size_t>(-r);
    } else {  // incomplete tail
      if (!final) break;
      out += k_replacement;
      pos = pending.size();
    }
  }
  pending.erase(0, pos);
  return out;
}

}  // namespace

std::string StreamingDecoder::push(token_id id) {
  pending_ += tok_.token_to_piece(id, render_special_);
  return drain(pending_, false);
}

std::string StreamingDecoder::flush() { return drain(pending_, true); }

}  // namespace plexus::tokenizer

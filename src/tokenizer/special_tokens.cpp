#include "tokenizer/tokenizer_impl.h"

namespace plexus::tokenizer {

namespace {

// isspace() in the C locale.
bool is_c_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Splits one raw fragment [offset, offset + length) at the occurrences of `special`.
void split_fragment(std::string_view text, const fragment& raw, token_id special, std::string_view special_text,
                    uint32_t attr, std::vector<fragment>& out) {
  size_t pos = raw.offset;
  const size_t end = raw.offset + raw.length;
  const std::string_view window = text.substr(0, end);
  while (pos < end) {
    const size_t match = window.find(special_text, pos);
    if (match == std::string_view::npos) {
      out.push_back({-1, pos, end - pos});
      return;
    }
    size_t left_len = match - pos;
    if (attr & attr_bit::lstrip) {
      while (left_len > 0 && is_c_space(text[pos + left_len - 1])) --left_len;
    }
    if (left_len > 0) out.push_back({-1, pos, left_len});
    out.push_back({special, 0, 0});
    pos = match + special_text.size();
    if (attr & attr_bit::rstrip) {
      while (pos < end && is_c_space(text[pos])) ++pos;
    }
  }
}

}  // namespace

std::vector<fragment> partition_special(const vocab& v, std::string_view text, bool parse_special) {
  std::vector<fragment> frags;
  if (text.empty()) return frags;
  frags.push_back({-1, 0, text.size()});
  std::vector<fragment> next;
  for (const token_id id : v.special_tokens) {
    const uint32_t attr = v.attrs[id];
    if (!parse_special && (attr & (attr_bit::control | attr_bit::unknown))) continue;
    const std::string& special_text = v.texts[id];
    // Cheap skip: most special tokens do not occur at all.
    bool any = false;
    for (const fragment& f : frags) {
      if (f.token == -1 && text.substr(0, f.offset + f.length).find(special_text, f.offset) != std::string_view::npos) {
        any = true;
        break;
      }
    }
    if (!any) continue;
    next.clear();
    next.reserve(frags.size() + 2);
    for (const fragment& f : frags) {
      if (f.token != -1) {
        next.push_back(f);
      } else {
        split_fragment(text, f, id, special_text, attr, next);
      }
    }
    frags.swap(next);
  }
  return frags;
}

}  // namespace plexus::tokenizer

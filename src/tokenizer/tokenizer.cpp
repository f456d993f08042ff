// Tokenizer::from_gguf and the concrete tokenizer: special-token partitioning, then the
// vocabulary's algorithm on each raw fragment, with BOS/EOS/[CLS]/[SEP] as llama.cpp adds them.
#include <algorithm>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace plexus::tokenizer {

namespace {

token_attr public_attr(uint32_t bits) {
  if (bits & attr_bit::control) return token_attr::control;
  if (bits & attr_bit::user_defined) return token_attr::user_defined;
  if (bits & attr_bit::unknown) return token_attr::unknown;
  if (bits & attr_bit::byte) return token_attr::byte;
  if (bits & attr_bit::normal) return token_attr::normal;
  return token_attr::unused;  // unused and undefined
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  for (size_t hit = s.find(from); hit != std::string::npos; hit = s.find(from, pos)) {
    out.append(s, pos, hit - pos);
    out.append(to);
    pos = hit + from.size();
  }
  out.append(s, pos, std::string::npos);
  s.swap(out);
}

constexpr std::string_view k_space_marker = "\xE2\x96\x81";  // U+2581

// Value of the hex digits at text[3..4] of a "<0xNN>" byte token (as strtol would read them).
char byte_of_byte_token(const std::string& text) {
  int value = 0;
  for (size_t i = 3; i < std::min<size_t>(text.size(), 5); ++i) {
    const char c = text[i];
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      break;
    }
    value = value * 16 + d;
  }
  return static_cast<char>(value);
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const gguf::GgufFile& file) {
  PLEXUS_ASSIGN_OR_RETURN(vocab v, load_vocab(file));
  return vocab_tokenizer::create(std::move(v));
}

bool Tokenizer::is_eog(token_id id) const { return std::binary_search(eog_.begin(), eog_.end(), id); }

vocab_tokenizer::vocab_tokenizer(vocab v) : v_(std::move(v)) {}

Result<std::unique_ptr<Tokenizer>> vocab_tokenizer::create(vocab v) {
  std::unique_ptr<vocab_tokenizer> t(new vocab_tokenizer(std::move(v)));
  const vocab& vb = t->v_;
  if (vb.type == vocab_type::bpe) {
    PLEXUS_ASSIGN_OR_RETURN(t->pre_tok_, pre_tokenizer::create(vb.bpe_pre));
  } else if (vb.type == vocab_type::wpm) {
    t->trie_ = std::make_unique<wpm_trie>(vb);
  }
  t->texts_ = vb.texts;
  t->attrs_.reserve(vb.attrs.size());
  for (uint32_t a : vb.attrs) t->attrs_.push_back(public_attr(a));
  t->eog_ = vb.eog;
  t->bos_ = vb.bos;
  t->eos_ = vb.eos;
  t->add_bos_ = vb.add_bos;
  t->add_eos_ = vb.add_eos;
  t->model_ = vb.model;
  t->pre_ = vb.pre;
  t->pieces_.reserve(vb.texts.size());
  for (token_id id = 0; id < vb.n_tokens(); ++id) t->pieces_.push_back(t->make_piece(id));
  return std::unique_ptr<Tokenizer>(std::move(t));
}

std::string vocab_tokenizer::make_piece(token_id id) const {
  const uint32_t attr = v_.attrs[id];
  const std::string& text = v_.texts[id];
  if (attr & (attr_bit::unknown | attr_bit::control | attr_bit::user_defined)) return text;
  if (attr & attr_bit::normal) {
    if (v_.type == vocab_type::bpe) return bpe_decode_text(text);
    std::string out = text;
    replace_all(out, k_space_marker, " ");
    return out;
  }
  if ((attr & attr_bit::byte) && v_.type != vocab_type::wpm) return std::string(1, byte_of_byte_token(text));
  return std::string();
}

std::string vocab_tokenizer::token_to_piece(token_id id, bool render_special) const {
  if (id < 0 || id >= v_.n_tokens()) return std::string();
  if (!render_special && (v_.attrs[id] & (attr_bit::unknown | attr_bit::control))) return std::string();
  return pieces_[static_cast<size_t>(id)];
}

std::vector<token_id> vocab_tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  std::vector<token_id> out;
  const std::vector<fragment> frags = partition_special(v_, text, parse_special);
  switch (v_.type) {
    case vocab_type::spm: {
      bool prev_special = true;  // the first fragment gets the space prefix too
      if (add_special && v_.add_bos) out.push_back(v_.bos);
      std::string buf;
      for (const fragment& f : frags) {
        if (f.token != -1) {
          out.push_back(f.token);
          prev_special = true;
          continue;
        }
        buf.clear();
        if (v_.add_space_prefix && prev_special) buf.push_back(' ');
        buf.append(text.substr(f.offset, f.length));
        replace_all(buf, " ", k_space_marker);
        spm_encode(v_, buf, out);
        prev_special = false;
      }
      if (add_special && v_.add_eos) out.push_back(v_.eos);
      break;
    }
    case vocab_type::bpe: {
      if (add_special && v_.add_bos) out.push_back(v_.bos);
      for (const fragment& f : frags) {
        if (f.token != -1) {
          out.push_back(f.token);
        } else {
          bpe_encode(v_, *pre_tok_, text.substr(f.offset, f.length), out);
        }
      }
      if (add_special && v_.add_eos) out.push_back(v_.eos);
      break;
    }
    case vocab_type::wpm: {
      if (add_special && v_.bos != -1) out.push_back(v_.bos);
      for (const fragment& f : frags) {
        if (f.token != -1) {
          out.push_back(f.token);
        } else {
          wpm_encode(v_, *trie_, text.substr(f.offset, f.length), out);
        }
      }
      if (add_special && v_.sep != -1) out.push_back(v_.sep);
      break;
    }
  }
  return out;
}

}  // namespace plexus::tokenizer

// Text <-> token ids for the vocabularies GGUF files carry: SentencePiece-style ("llama"),
// byte-level BPE ("gpt2", with the pre-tokenizer named by tokenizer.ggml.pre) and WordPiece
// ("bert"). Ids match llama.cpp's tokenizer exactly (see ../shared/golden/tokenizer).
// Thread-safe: immutable after from_gguf(); encode/decode may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "gguf/gguf_file.h"

namespace plexus::tokenizer {

using token_id = int32_t;

enum class token_attr : uint8_t { normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Builds the tokenizer from tokenizer.ggml.* metadata (copies what it needs: the GgufFile may
  // be closed afterwards). unsupported for an unknown model/pre-tokenizer (listing the known ones).
  static Result<std::unique_ptr<Tokenizer>> from_gguf(const gguf::GgufFile& file);

  // add_special: BOS/EOS (or [CLS]/[SEP]) as the vocab's add_bos/add_eos say (llama.cpp defaults
  // when the keys are absent). parse_special: text matching a control/user-defined token's text
  // becomes that token. Invalid UTF-8 input never fails: SentencePiece vocabularies fall back to
  // byte tokens, byte-level BPE and WordPiece see each invalid byte as U+FFFD (as llama.cpp does).
  virtual std::vector<token_id> encode(std::string_view text, bool add_special, bool parse_special) const = 0;

  // The raw bytes of one token (SentencePiece ▁ -> space, <0xNN> -> byte, byte-level BPE mapped
  // back to bytes). Control tokens give their text when render_special, else "".
  virtual std::string token_to_piece(token_id id, bool render_special) const = 0;

  int32_t n_vocab() const { return static_cast<int32_t>(texts_.size()); }
  const std::string& token_text(token_id id) const { return texts_.at(static_cast<size_t>(id)); }
  token_attr attr(token_id id) const { return attrs_.at(static_cast<size_t>(id)); }
  token_id bos_id() const { return bos_; }  // -1 when the vocab has none
  token_id eos_id() const { return eos_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  // End-of-generation: eos, eot (<|eot_id|>, <|im_end|>, <end_of_turn> ...) and the like.
  bool is_eog(token_id id) const;
  const std::vector<token_id>& eog_ids() const { return eog_; }
  const std::string& model_name() const { return model_; }  // "llama", "gpt2", "bert"
  const std::string& pre_name() const { return pre_; }      // tokenizer.ggml.pre or ""

 protected:
  std::vector<std::string> texts_;
  std::vector<token_attr> attrs_;
  std::vector<token_id> eog_;
  token_id bos_ = -1;
  token_id eos_ = -1;
  bool add_bos_ = false;
  bool add_eos_ = false;
  std::string model_;
  std::string pre_;
};

// Turns a stream of token ids into text without ever emitting half a UTF-8 character: bytes of an
// incomplete sequence are held until it completes (invalid sequences become U+FFFD).
// Not thread-safe: one per stream.
class StreamingDecoder {
 public:
  StreamingDecoder(const Tokenizer& tok, bool render_special) : tok_(tok), render_special_(render_special) {}
  // Returns the text that became complete with this token (possibly empty).
  std::string push(token_id id);
  // Returns whatever is held back (incomplete trailing bytes become U+FFFD).
  std::string flush();

 private:
  const Tokenizer& tok_;
  bool render_special_;
  std::string pending_;
};

}  // namespace plexus::tokenizer

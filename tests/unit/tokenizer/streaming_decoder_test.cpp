// StreamingDecoder: UTF-8 split across byte tokens, invalid sequences, flush, special tokens.
#include <gtest/gtest.h>

#include "test_vocab.h"

namespace plexus::tokenizer {
namespace {

// Byte token id of `b` in write_spm_vocab's layout.
token_id byte_id(uint8_t b) { return 3 + b; }

class StreamingDecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gguf::GgufWriter w;
    testing::write_spm_vocab(w, {"\xE2\x96\x81hello", "\xE2\x96\x81world"}, {"<|eot|>"});
    auto t = testing::build(w);
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    tok = std::move(t).value();
  }
  std::unique_ptr<Tokenizer> tok;
};

TEST_F(StreamingDecoderTest, HoldsBackIncompleteCharacter) {
  StreamingDecoder d(*tok, false);
  // "é" = C3 A9, "🦙" = F0 9F A6 99
  EXPECT_EQ(d.push(byte_id(0xC3)), "");
  EXPECT_EQ(d.push(byte_id(0xA9)), "\xC3\xA9");
  EXPECT_EQ(d.push(byte_id(0xF0)), "");
  EXPECT_EQ(d.push(byte_id(0x9F)), "");
  EXPECT_EQ(d.push(byte_id(0xA6)), "");
  EXPECT_EQ(d.push(byte_id(0x99)), "\xF0\x9F\xA6\x99");
  EXPECT_EQ(d.flush(), "");
}

TEST_F(StreamingDecoderTest, EmitsWholeTokensImmediately) {
  StreamingDecoder d(*tok, false);
  EXPECT_EQ(d.push(tok->n_vocab() - 3), " hello");
  EXPECT_EQ(d.push(tok->n_vocab() - 2), " world");
}

TEST_F(StreamingDecoderTest, InvalidBytesBecomeReplacementCharacter) {
  StreamingDecoder d(*tok, false);
  EXPECT_EQ(d.push(byte_id(0xFF)), "\xEF\xBF\xBD");
  EXPECT_EQ(d.push(byte_id(0x80)), "\xEF\xBF\xBD");  // lone continuation byte
  // A lead byte followed by a non-continuation: one U+FFFD for the lead, then the ASCII byte.
  EXPECT_EQ(d.push(byte_id(0xE2)), "");
  EXPECT_EQ(d.push(byte_id('A')), "\xEF\xBF\xBD" "A");
  // Overlong and surrogate encodings are ill-formed.
  EXPECT_EQ(d.push(byte_id(0xC0)), "\xEF\xBF\xBD");
  EXPECT_EQ(d.push(byte_id(0xED)), "");
  EXPECT_EQ(d.push(byte_id(0xA0)), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_F(StreamingDecoderTest, FlushReplacesIncompleteTail) {
  StreamingDecoder d(*tok, false);
  EXPECT_EQ(d.push(byte_id(0xE2)), "");
  EXPECT_EQ(d.push(byte_id(0x96)), "");
  EXPECT_EQ(d.flush(), "\xEF\xBF\xBD");
  EXPECT_EQ(d.flush(), "");
}

TEST_F(StreamingDecoderTest, SpecialTokensFollowRenderFlag) {
  const token_id eot = tok->n_vocab() - 1;
  StreamingDecoder hidden(*tok, false);
  EXPECT_EQ(hidden.push(eot), "");
  EXPECT_EQ(hidden.push(1), "");  // <s>
  StreamingDecoder shown(*tok, true);
  EXPECT_EQ(shown.push(eot), "<|eot|>");
  EXPECT_EQ(shown.push(1), "<s>");
}

TEST_F(StreamingDecoderTest, OutOfRangeIdsDecodeToNothing) {
  StreamingDecoder d(*tok, true);
  EXPECT_EQ(d.push(-1), "");
  EXPECT_EQ(d.push(tok->n_vocab()), "");
  EXPECT_EQ(d.push(INT32_MAX), "");
}

TEST(StreamingDecoderGolden, ConcatenationEqualsTextForEveryPrefix) {
  auto tok = testing::load_golden("llama-bpe");
  if (!tok) GTEST_SKIP() << "no golden vocab";
  const std::string text = "Grüße, 世界! 🦙👨‍👩‍👧 ok";
  const auto ids = tok->encode(text, false, false);
  StreamingDecoder d(*tok, false);
  std::string out;
  for (token_id id : ids) {
    const std::string piece = d.push(id);
    // Every emitted chunk is complete UTF-8 on its own.
    const auto* b = reinterpret_cast<const unsigned char*>(piece.data());
    for (size_t i = 0; i < piece.size();) {
      const unsigned char c = b[i];
      const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      ASSERT_LE(i + n, piece.size()) << "chunk ends inside a character";
      i += n;
    }
    out += piece;
  }
  out += d.flush();
  EXPECT_EQ(out, text);
}

}  // namespace
}  // namespace plexus::tokenizer

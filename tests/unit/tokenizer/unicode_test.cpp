// Unicode tables and UTF-8 helpers, and pre-tokenizer splits checked against llama.cpp behaviour.
#include <gtest/gtest.h>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/unicode.h"

namespace plexus::tokenizer {
namespace {

TEST(Unicode, Categories) {
  using namespace unicode;
  EXPECT_TRUE(flags_of('a').is_letter());
  EXPECT_TRUE(flags_of(0x4E2D).is_letter());   // 中
  EXPECT_TRUE(flags_of(0x0663).is_number());   // Arabic-indic three
  EXPECT_TRUE(flags_of(0x00B2).is_number());   // superscript two
  EXPECT_TRUE(flags_of(0x3002).is_punctuation());
  EXPECT_TRUE(flags_of(0x20AC).is_symbol());   // €
  EXPECT_TRUE(flags_of(0x0301).is_mark());
  EXPECT_TRUE(flags_of(0x200B).is_control());  // zero width space is Cf
  EXPECT_TRUE(flags_of(0x3000).is_whitespace());
  EXPECT_TRUE(flags_of(0x00A0).is_whitespace());
  EXPECT_FALSE(flags_of(0x180E).is_whitespace());
  EXPECT_EQ(flags_of(0x2EBF0).category(), k_letter);  // CJK extension I (Unicode 15.1)
  EXPECT_EQ(flags_of(0x110000).category(), k_undefined);
}

TEST(Unicode, LowercaseAndDecomposition) {
  using namespace unicode;
  EXPECT_EQ(to_lower('A'), 'a');
  EXPECT_EQ(to_lower(0x0130), 'i');     // İ (simple mapping)
  EXPECT_EQ(to_lower(0x0410), 0x0430);  // Cyrillic А
  EXPECT_EQ(to_lower('1'), '1');
  EXPECT_EQ(nfd_first(0x00E9), 'e');       // é
  EXPECT_EQ(nfd_first(0x1E69), 's');       // ṩ (two marks)
  EXPECT_EQ(nfd_first(0xD55C), 0x1112);    // 한 -> leading jamo
  EXPECT_EQ(nfd_first('x'), 'x');
}

TEST(Unicode, Utf8DecodingLikeLlamaCpp) {
  using unicode::decode_utf8_all;
  EXPECT_EQ(decode_utf8_all("a\xC3\xA9"), (std::vector<uint32_t>{'a', 0xE9}));
  EXPECT_EQ(decode_utf8_all(std::string("\xFF", 1)), (std::vector<uint32_t>{0xFFFD}));
  EXPECT_EQ(decode_utf8_all(std::string("\xE2\x82", 2)), (std::vector<uint32_t>{0xFFFD, 0xFFFD}));
  EXPECT_EQ(decode_utf8_all(std::string("\xC0\x80", 2)), (std::vector<uint32_t>{0}));  // overlong accepted
  EXPECT_EQ(decode_utf8_all(std::string("\xF7\xBF\xBF\xBF", 4)), (std::vector<uint32_t>{0xFFFD}));
}

TEST(Unicode, ByteAlphabet) {
  EXPECT_EQ(unicode::byte_to_bpe_text(' '), "\xC4\xA0");  // Ġ
  EXPECT_EQ(unicode::byte_to_bpe_text('\n'), "\xC4\x8A");  // Ċ
  EXPECT_EQ(unicode::byte_to_bpe_text('a'), "a");
  for (int b = 0; b < 256; ++b) {
    size_t off = 0;
    const std::string& t = unicode::byte_to_bpe_text(static_cast<uint8_t>(b));
    EXPECT_EQ(unicode::bpe_cpt_to_byte(unicode::decode_utf8(t, off)), b);
  }
  EXPECT_EQ(unicode::bpe_cpt_to_byte(0x4E2D), -1);
}

std::vector<std::string> split(const std::string& pre, const std::string& text) {
  auto spec = find_pre_tokenizer(pre);
  EXPECT_TRUE(spec.has_value()) << pre;
  auto pt = pre_tokenizer::create(*spec);
  EXPECT_TRUE(pt.ok()) << pt.status().to_string();
  return (*pt)->split(text);
}

using words = std::vector<std::string>;

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(split("gpt-2", "Hello world's  end"), (words{"Hello", " world", "'s", " ", " end"}));
  EXPECT_EQ(split("gpt-2", "x   "), (words{"x", "   "}));
  EXPECT_EQ(split("gpt-2", "a\nb"), (words{"a", "\n", "b"}));
}

TEST(PreTokenizer, Llama3) {
  EXPECT_EQ(split("llama-bpe", "I'M 12345 ok!!\n\nyes"), (words{"I", "'M", " ", "123", "45", " ok", "!!\n\n", "yes"}));
}

TEST(PreTokenizer, Qwen2SplitsDigitsAndKeepsCategories) {
  EXPECT_EQ(split("qwen2", "abc123 \xC3\xA9t\xC3\xA9"), (words{"abc", "1", "2", "3", " \xC3\xA9t\xC3\xA9"}));
  // Non-ASCII whitespace is whitespace, non-ASCII punctuation is punctuation.
  EXPECT_EQ(split("qwen2", "a\xE3\x80\x80\xE3\x80\x82"), (words{"a", "\xE3\x80\x80", "\xE3\x80\x82"}));
}

TEST(PreTokenizer, DeepseekLlmLiteralRanges) {
  EXPECT_EQ(split("deepseek-llm", "Hello \xE4\xB8\xAD\xE6\x96\x87 42"),
            (words{"Hello", " ", "\xE4\xB8\xAD\xE6\x96\x87", " ", "42"}));
}

TEST(PreTokenizer, UnknownNames) {
  EXPECT_FALSE(find_pre_tokenizer("no-such").has_value());
  EXPECT_TRUE(find_pre_tokenizer("").has_value());
  EXPECT_NE(pre_tokenizer_names().find("tekken"), std::string::npos);
}

TEST(PreTokenizer, EveryKnownPreTokenizerCompiles) {
  const std::string names = pre_tokenizer_names();
  size_t pos = 0;
  while (pos < names.size()) {
    size_t end = names.find(", ", pos);
    if (end == std::string::npos) end = names.size();
    const std::string name = names.substr(pos, end - pos);
    auto spec = find_pre_tokenizer(name);
    ASSERT_TRUE(spec.has_value()) << name;
    auto pt = pre_tokenizer::create(*spec);
    ASSERT_TRUE(pt.ok()) << name << ": " << pt.status().to_string();
    const std::string text = "It's 2024: caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87!  ok\n";
    std::string joined;
    for (const auto& w : (*pt)->split(text)) joined += w;
    EXPECT_EQ(joined, text) << name;
    pos = end + 2;
  }
}

}  // namespace
}  // namespace plexus::tokenizer

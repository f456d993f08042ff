// core/utf8.h: strict decoding against Unicode's table 3-7 (every lead byte's second-byte range),
// the prefix / maximal-subpart answers a stream decoder needs, and encoding round trips.
#include "core/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace plexus::utf8 {
namespace {

int prefix(const std::string& s, uint32_t* cp = nullptr) {
  uint32_t c = 0;
  const int n = decode_prefix(reinterpret_cast<const unsigned char*>(s.data()), s.size(), c);
  if (cp) *cp = c;
  return n;
}

TEST(Utf8, WellFormedSequencesAtEveryBoundary) {
  struct Case {
    std::string bytes;
    uint32_t cp;
  };
  const std::vector<Case> cases = {
      {std::string(1, '\0'), 0},   {"\x7f", 0x7F},          {"\xc2\x80", 0x80},          {"\xdf\xbf", 0x7FF},
      {"\xe0\xa0\x80", 0x800},     {"\xed\x9f\xbf", 0xD7FF}, {"\xee\x80\x80", 0xE000},    {"\xef\xbf\xbf", 0xFFFF},
      {"\xf0\x90\x80\x80", 0x10000}, {"\xf4\x8f\xbf\xbf", 0x10FFFF},
  };
  for (const auto& c : cases) {
    uint32_t cp = 0;
    EXPECT_EQ(prefix(c.bytes, &cp), static_cast<int>(c.bytes.size())) << std::hex << c.cp;
    EXPECT_EQ(cp, c.cp);
    std::string encoded;
    append(encoded, c.cp);
    EXPECT_EQ(encoded, c.bytes);
  }
}

TEST(Utf8, IllFormedGivesTheMaximalSubpartLength) {
  EXPECT_EQ(prefix("\x80"), -1);              // continuation byte
  EXPECT_EQ(prefix("\xc0\xaf"), -1);          // always overlong lead
  EXPECT_EQ(prefix("\xf5\x80\x80\x80"), -1);  // lead beyond U+10FFFF
  EXPECT_EQ(prefix("\xe0\x9f\x80"), -1);      // overlong 3-byte form
  EXPECT_EQ(prefix("\xed\xa0\x80"), -1);      // surrogate U+D800
  EXPECT_EQ(prefix("\xf0\x8f\xbf\xbf"), -1);  // overlong 4-byte form
  EXPECT_EQ(prefix("\xf4\x90\x80\x80"), -1);  // above U+10FFFF
  EXPECT_EQ(prefix("\xe2\x82x"), -2);         // two good bytes, then ASCII
  EXPECT_EQ(prefix("\xf0\x9f\x98\x41"), -3);
}

TEST(Utf8, TruncatedIsAPrefixNotAnError) {
  EXPECT_EQ(prefix(""), 0);
  EXPECT_EQ(prefix("\xe2"), 0);
  EXPECT_EQ(prefix("\xe2\x82"), 0);
  EXPECT_EQ(prefix("\xf0\x9f\x98"), 0);
}

TEST(Utf8, DecodeAdvancesOnlyOverValidCharacters) {
  const std::string s = "h\xc3\xa9\xf0\x9f\x98\x80";
  size_t pos = 0;
  uint32_t cp = 0;
  std::vector<uint32_t> cps;
  while (decode(s, pos, cp)) cps.push_back(cp);
  EXPECT_EQ(cps, (std::vector<uint32_t>{'h', 0xE9, 0x1F600}));
  EXPECT_EQ(pos, s.size());
  pos = 1;
  EXPECT_FALSE(decode("a\xc3", pos, cp));
  EXPECT_EQ(pos, 1u);
}

TEST(Utf8, FirstInvalidNamesTheOffset) {
  EXPECT_EQ(first_invalid("plain \xc3\xa9"), std::string_view::npos);
  EXPECT_EQ(first_invalid("ab\xed\xa0\x80"), 2u);
  EXPECT_EQ(first_invalid("abc\xe2\x82"), 3u);  // truncated at the end
  EXPECT_TRUE(valid(""));
  EXPECT_FALSE(valid("\xff"));
}

TEST(Utf8, AppendReplacesCodePointsBeyondUnicode) {
  std::string out;
  append(out, 0x110000);
  EXPECT_EQ(out, "\xef\xbf\xbd");
}

}  // namespace
}  // namespace plexus::utf8

// Hostile input for every golden vocabulary: invalid UTF-8, NULs, huge runs of one character,
// repetitive text. Nothing may crash, and a 100 KB input must tokenize quickly.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "cpu_timer.h"
#include "test_vocab.h"

namespace plexus::tokenizer {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool k_sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool k_sanitized = true;
#else
constexpr bool k_sanitized = false;
#endif
#else
constexpr bool k_sanitized = false;
#endif

#ifdef NDEBUG
constexpr bool k_optimized = true;
#else
constexpr bool k_optimized = false;
#endif

class HostileInput : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    tok_ = testing::load_golden(GetParam());
    if (!tok_) GTEST_SKIP() << "no golden vocab " << GetParam();
  }

  // Encodes in both modes; checks ids are in range; returns the seconds the slower call took.
  double encode_checked(const std::string& text) {
    double worst = 0;
    for (const bool special : {false, true}) {
      const plexus::testing::CpuTimer timer;
      const auto ids = tok_->encode(text, special, special);
      worst = std::max(worst, timer.seconds());
      for (token_id id : ids) {
        EXPECT_GE(id, 0);
        EXPECT_LT(id, tok_->n_vocab());
      }
      // (WordPiece drops whitespace and control characters, so it may give nothing.)
      if (!text.empty() && (special || tok_->model_name() != "bert")) {
        EXPECT_FALSE(ids.empty());
      }
      (void)testing::detokenize(*tok_, ids);
    }
    return worst;
  }

  const Tokenizer* tok_ = nullptr;
};

TEST_P(HostileInput, InvalidUtf8AndNuls) {
  const std::string cases[] = {
      std::string("\xFF\xFE\xFD", 3),
      std::string("\xC3", 1),                       // truncated 2-byte sequence
      std::string("ab\xE2\x82", 4),                 // truncated 3-byte sequence at the end
      std::string("\xF0\x9F\xA6", 3),               // truncated 4-byte sequence
      std::string("\xED\xA0\x80\xED\xBF\xBF", 6),   // UTF-16 surrogates
      std::string("\xC0\x80\xE0\x80\x80", 5),       // overlong encodings
      std::string("\xF5\x80\x80\x80\xF8\x88", 6),   // beyond U+10FFFF, 5-byte lead
      std::string("a\0b\0\0c", 6),                  // NULs
      std::string("\x80\x80\x80 lone continuation", 21),
      std::string("<|eot_id|\xFF>", 12),
  };
  for (const auto& text : cases) encode_checked(text);
}

TEST_P(HostileInput, RandomBytes) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 20; ++i) {
    std::string s(static_cast<size_t>(rng() % 300), '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
    encode_checked(s);
  }
}

TEST_P(HostileInput, LargeRunsAreFast) {
  // 100 KB inputs (20 KB under sanitizers): one repeated character of several classes, and
  // repetitive mixed text.
  const size_t n = (k_sanitized || !k_optimized ? 20 : 100) * 1024;
  const std::string inputs[] = {
      std::string(n, 'a'),
      std::string(n, ' '),
      std::string(n, '\n'),
      std::string(n, '7'),
      std::string(n, '!'),
      [&] {
        std::string s;
        while (s.size() < n) s += "\xE4\xB8\xAD";  // 中
        return s;
      }(),
      [&] {
        std::string s;
        while (s.size() < n) s += "Hello, world! 123 <s> <|im_end|>  \t\n";
        return s;
      }(),
      [&] {
        std::string s;
        while (s.size() < n) s += "ab";
        return s;
      }(),
      // A long whitespace run that does not end the text: backtracking bait for "\s+$"-like
      // patterns.
      std::string(n, ' ') + "\xE4\xB8\xAD",
      std::string(n, '\t') + "x",
      [&] {
        std::string s;
        while (s.size() < n) s += "\xC3\xA9\xCC\x81 1";  // letters, combining marks, digits
        return s;
      }(),
  };
  for (const auto& text : inputs) {
    const double seconds = encode_checked(text);
    if (k_optimized && !k_sanitized) {
      EXPECT_LT(seconds, 0.5) << GetParam() << " took " << seconds << " s";
    }
  }
}

TEST_P(HostileInput, OneMegabyteOfOneCharacter) {
  if (k_sanitized || !k_optimized) GTEST_SKIP() << "only in optimized builds";
  const std::string text(1024 * 1024, 'x');
  const plexus::testing::CpuTimer timer;
  const auto ids = tok_->encode(text, false, false);
  const double seconds = timer.seconds();
  EXPECT_FALSE(ids.empty());
  EXPECT_LT(seconds, 10.0) << GetParam();
}

TEST_P(HostileInput, ByteLevelRoundTrip) {
  if (tok_->model_name() != "gpt2") GTEST_SKIP() << "round trip is exact only for byte-level BPE";
  const std::string text = "Mixed: caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\xA6\x99 tabs\t\tand\r\nlines  ";
  EXPECT_EQ(testing::detokenize(*tok_, tok_->encode(text, false, false)), text);
}

TEST_P(HostileInput, ConcurrentEncodeMatchesSerial) {
  std::vector<std::string> texts;
  for (int i = 0; i < 8; ++i) {
    texts.push_back("Thread " + std::to_string(i) + ": caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 <|im_end|> 12345 it's  ok\n");
  }
  std::vector<std::vector<token_id>> serial;
  for (const auto& t : texts) serial.push_back(tok_->encode(t, true, true));
  std::vector<std::vector<token_id>> parallel(texts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < texts.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int rep = 0; rep < 20; ++rep) parallel[i] = tok_->encode(texts[i], true, true);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(parallel, serial);
}

INSTANTIATE_TEST_SUITE_P(Vocabs, HostileInput, ::testing::ValuesIn(testing::golden_vocab_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace plexus::tokenizer

// Runs llama.cpp's reference ids for every vocabulary in ../shared/golden/tokenizer: the
// .inp/.out pair (add_special = false, parse_special = false) and every .cases.jsonl line (ids and
// the concatenated pieces rendered with special = true).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "test_paths.h"
#include "tokenizer/tokenizer.h"

namespace plexus::tokenizer {
namespace {

namespace fs = std::filesystem;

fs::path golden_dir() { return plexus::testing::shared_dir() / "golden" / "tokenizer"; }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string show_ids(const std::vector<token_id>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  return s + "]";
}

std::string hex(const std::string& s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const char c : s) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

// Collects mismatches and reports the first few with text, expected and got.
class mismatch_log {
 public:
  void add(const std::string& what) {
    if (++count_ <= 5) text_ += what + "\n";
  }
  int count() const { return count_; }
  const std::string& text() const { return text_; }

 private:
  int count_ = 0;
  std::string text_;
};

class TokenizerGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerGolden, MatchesReference) {
  const std::string name = GetParam();
  const fs::path base = golden_dir() / ("ggml-vocab-" + name);
  if (!fs::exists(base.string() + ".gguf")) GTEST_SKIP() << "no golden data at " << base;

  auto file = gguf::GgufFile::open(base.string() + ".gguf");
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  auto tok_r = Tokenizer::from_gguf(**file);
  ASSERT_TRUE(tok_r.ok()) << tok_r.status().to_string();
  const Tokenizer& tok = **tok_r;

  const auto detok = [&](const std::vector<token_id>& ids) {
    std::string s;
    for (token_id id : ids) s += tok.token_to_piece(id, true);
    return s;
  };

  // .inp / .out
  mismatch_log log;
  int n_cases = 0;
  {
    const std::string inp = read_file(base.string() + ".gguf.inp");
    const std::string out = read_file(base.string() + ".gguf.out");
    const std::string sep = "\n__ggml_vocab_test__\n";
    std::vector<std::string> inputs;
    for (size_t pos = 0;;) {
      const size_t hit = inp.find(sep, pos);
      if (hit == std::string::npos) break;
      inputs.push_back(inp.substr(pos, hit - pos));
      pos = hit + sep.size();
    }
    std::vector<std::vector<token_id>> expected;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream ids(line);
      std::vector<token_id> v;
      for (long long id; ids >> id;) v.push_back(static_cast<token_id>(id));
      expected.push_back(std::move(v));
    }
    ASSERT_EQ(inputs.size(), expected.size()) << ".inp and .out disagree on the number of cases";
    for (size_t i = 0; i < inputs.size(); ++i) {
      ++n_cases;
      const auto got = tok.encode(inputs[i], false, false);
      if (got != expected[i]) {
        log.add(".inp #" + std::to_string(i) + " text=" + nlohmann::json(inputs[i]).dump() +
                "\n  expected " + show_ids(expected[i]) + "\n  got      " + show_ids(got));
      }
    }
  }

  // .cases.jsonl
  {
    std::ifstream in(base.string() + ".cases.jsonl", std::ios::binary);
    ASSERT_TRUE(in) << "missing " << base << ".cases.jsonl";
    int line_no = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_no;
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line);
      const std::string text = j.at("text").get<std::string>();
      const bool add_special = j.at("add_special").get<bool>();
      const bool parse_special = j.at("parse_special").get<bool>();
      const auto expected = j.at("ids").get<std::vector<token_id>>();
      ++n_cases;
      const auto got = tok.encode(text, add_special, parse_special);
      const std::string where = "cases line " + std::to_string(line_no) + " (add_special=" +
                                std::to_string(add_special) + ", parse_special=" + std::to_string(parse_special) +
                                ") text=" + nlohmann::json(text).dump();
      if (got != expected) {
        log.add(where + "\n  expected " + show_ids(expected) + "\n  got      " + show_ids(got));
        continue;
      }
      const std::string d = detok(got);
      if (j.contains("detok")) {
        const std::string want = j.at("detok").get<std::string>();
        if (d != want) {
          log.add(where + "\n  expected detok " + nlohmann::json(want).dump() + "\n  got detok      " +
                  nlohmann::json(d).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + " (hex " + hex(d) + ")");
        }
      } else if (j.contains("detok_hex")) {
        if (hex(d) != j.at("detok_hex").get<std::string>()) log.add(where + "\n  detok_hex mismatch: got " + hex(d));
      }
    }
  }
  EXPECT_GE(n_cases, 46 + 166) << "fewer golden cases than the data set holds";
  EXPECT_EQ(log.count(), 0) << name << ": " << log.count() << " of " << n_cases << " cases differ; first ones:\n"
                            << log.text();
}

INSTANTIATE_TEST_SUITE_P(Vocabs, TokenizerGolden,
                         ::testing::Values("llama-spm", "phi-3", "baichuan", "bert-bge", "gpt-2", "gpt-neox", "mpt",
                                           "falcon", "deepseek-coder", "deepseek-llm", "refact", "starcoder",
                                           "llama-bpe", "qwen2", "smollm"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace plexus::tokenizer

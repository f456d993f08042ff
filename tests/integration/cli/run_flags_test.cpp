// `plexus run` sampling, grammar, chat and stop flags through the real binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "test_paths.h"

namespace plexus {
namespace {

using cli_testing::lines;
using cli_testing::model;
using cli_testing::Outcome;
using cli_testing::plexus;
using cli_testing::quote;

// A file in the temp directory holding `text`; removed with the object.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& text)
      : path_(std::filesystem::temp_directory_path() / ("plexus_" + std::to_string(::getpid()) + "_" + name)) {
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string arg() const { return quote(path_.string()); }

 private:
  std::filesystem::path path_;
};

const std::string kStories = model("stories260K.gguf");

TEST(CliRun, JsonSchemaOutputParsesAndValidates) {
  TempFile schema("schema.json", R"({
    "type": "object",
    "properties": {
      "name": {"type": "string", "maxLength": 12},
      "age": {"type": "integer", "minimum": 1, "maximum": 99},
      "happy": {"type": "boolean"}
    },
    "required": ["name", "age", "happy"],
    "additionalProperties": false
  })");
  for (int seed = 1; seed <= 2; ++seed) {
    Outcome o = plexus("run " + kStories + " 'Tom was' -n 300 --seed " + std::to_string(seed) + " --json-schema " +
                       schema.arg() + " --verbose");
    ASSERT_EQ(o.exit_code, 0) << o.err;
    EXPECT_NE(o.err.find("stop: eog"), std::string::npos) << o.err;
    // Constrained output: stdout is the generated text alone (no echoed prompt) and a newline.
    ASSERT_FALSE(o.out.empty());
    EXPECT_EQ(o.out.back(), '\n');
    auto j = nlohmann::json::parse(o.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << o.out;
    ASSERT_TRUE(j.is_object()) << o.out;
    EXPECT_EQ(j.size(), 3u) << o.out;
    ASSERT_TRUE(j["name"].is_string()) << o.out;
    ASSERT_TRUE(j["age"].is_number_integer()) << o.out;
    EXPECT_GE(j["age"].get<int>(), 1);
    EXPECT_LE(j["age"].get<int>(), 99);
    EXPECT_TRUE(j["happy"].is_boolean()) << o.out;
  }
}

TEST(CliRun, GrammarFileConstrainsTheOutput) {
  TempFile grammar("sentence.gbnf", "root ::= \"The \" word (\" \" word){0,8} \".\"\nword ::= [a-z]{1,12}\n");
  const std::regex sentence("The [a-z]{1,12}( [a-z]{1,12}){0,8}\\.\n");
  for (int seed = 1; seed <= 2; ++seed) {
    Outcome o = plexus("run " + kStories + " 'Once upon a time' -n 200 --seed " + std::to_string(seed) +
                       " --grammar " + grammar.arg());
    ASSERT_EQ(o.exit_code, 0) << o.err;
    EXPECT_TRUE(std::regex_match(o.out, sentence)) << o.out;
  }
}

TEST(CliRun, JsonFlagGivesAJsonObject) {
  Outcome o = plexus("run " + kStories + " 'Once' -n 3 --seed 1 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out.rfind("{", 0), 0u) << o.out;
}

TEST(CliRun, BadGrammarAndSchemaFilesExitOneNamingTheProblem) {
  TempFile bad_grammar("bad.gbnf", "root ::= \"a\" undefined_rule\n");
  Outcome o = plexus("run " + kStories + " hi --grammar " + bad_grammar.arg());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  EXPECT_EQ(o.err.rfind("error: grammar file", 0), 0u) << o.err;
  EXPECT_NE(o.err.find("undefined_rule"), std::string::npos) << o.err;

  TempFile unterminated("unterminated.gbnf", "root ::= \"abc\n");
  o = plexus("run " + kStories + " hi --grammar " + unterminated.arg());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  EXPECT_NE(o.err.find("1:"), std::string::npos) << "line:column expected: " << o.err;

  TempFile bad_schema("bad.json", R"({"type": "object", "properties": {"a": {"type": "strin"}}})");
  o = plexus("run " + kStories + " hi --json-schema " + bad_schema.arg());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  EXPECT_EQ(o.err.rfind("error: JSON schema file", 0), 0u) << o.err;
  EXPECT_NE(o.err.find("strin"), std::string::npos) << o.err;

  TempFile not_json("not.json", "{\"type\": ");
  o = plexus("run " + kStories + " hi --json-schema " + not_json.arg());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(lines(o.err), 1u) << o.err;

  o = plexus("run " + kStories + " hi --grammar /nonexistent/g.gbnf");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("/nonexistent/g.gbnf"), std::string::npos) << o.err;

  o = plexus("run " + kStories + " hi --json --grammar " + bad_grammar.arg());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("mutually exclusive"), std::string::npos) << o.err;
}

// The golden greedy continuation of "Once upon a time" and its length in tokens.
std::pair<std::string, size_t> golden_text() {
  std::ifstream golden(testing::shared_dir() / "golden" / "generation" / "stories260K.jsonl");
  std::string line;
  std::getline(golden, line);
  auto j = nlohmann::json::parse(line);
  return {j["text"].get<std::string>(), j["ids"].size()};
}

TEST(CliRun, StopStringEndsTheOutputJustBeforeIt) {
  const auto [text, n_tokens] = golden_text();
  ASSERT_GT(text.size(), 40u);
  const std::string n = " -n " + std::to_string(n_tokens);
  // A stop string from the middle of the greedy text (likely spanning tokens).
  const std::string stop = text.substr(20, 6);
  const std::string expected = text.substr(0, text.find(stop));
  Outcome o = plexus("run " + kStories + " 'Once upon a time' --temp 0" + n + " --verbose --stop " + quote(stop) +
                     " --stop 'never appears here'");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "Once upon a time" + expected + "\n");
  EXPECT_NE(o.err.find("stop: stop"), std::string::npos) << o.err;

  // jsonl: the texts of the events are the same cut text.
  o = plexus("run " + kStories + " 'Once upon a time' --temp 0" + n + " --format jsonl --stop " + quote(stop));
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::istringstream in(o.out);
  std::string l, joined;
  while (std::getline(in, l)) joined += nlohmann::json::parse(l)["text"].get<std::string>();
  EXPECT_EQ(joined, expected);

  // A stop string that never appears changes nothing.
  o = plexus("run " + kStories + " 'Once upon a time' --temp 0" + n + " --stop 'zzqq'");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "Once upon a time" + text + "\n");
}

TEST(CliRun, ChatUsesChatMLWhenTheModelHasNoTemplate) {
  // stories260K has no chat template: the prompt is ChatML around the user (and system) message.
  const std::string chatml =
      "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nTell a story<|im_end|>\n<|im_start|>assistant\n";
  Outcome tokens = plexus("tokenize " + kStories + " " + quote(chatml) + " --add-special --parse-special");
  ASSERT_EQ(tokens.exit_code, 0) << tokens.err;
  std::istringstream in(tokens.out);
  int expected = 0;
  for (std::string id; in >> id;) ++expected;

  Outcome o = plexus("run " + kStories + " 'Tell a story' --chat --system 'Be brief.' -n 8 --temp 0 --verbose");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.err.find("prompt: " + std::to_string(expected) + " tokens"), std::string::npos)
      << "expected " << expected << " prompt tokens: " << o.err;
  EXPECT_EQ(o.out.find("Tell a story"), std::string::npos) << "the chat prompt is not echoed: " << o.out;

  // Interactive chat keeps the conversation: the second turn's prompt holds the first.
  o = plexus("run " + kStories + " --chat -n 4 --temp 0 --verbose", "Hello\nAgain\n");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  std::smatch m;
  std::string err = o.err;
  std::vector<int> counts;
  const std::regex prompt_line("prompt: ([0-9]+) tokens");
  while (std::regex_search(err, m, prompt_line)) {
    counts.push_back(std::stoi(m[1]));
    err = m.suffix();
  }
  ASSERT_EQ(counts.size(), 2u) << o.err;
  EXPECT_GT(counts[1], counts[0] + 4);
}

TEST(CliRun, LogitBiasBansTheGreedyToken) {
  Outcome first = plexus("run " + kStories + " 'Once upon a time' --temp 0 -n 1 --format jsonl");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const int id = nlohmann::json::parse(first.out)["id"].get<int>();
  Outcome banned = plexus("run " + kStories + " 'Once upon a time' --temp 0 -n 1 --format jsonl --logit-bias " +
                          std::to_string(id) + "=-inf");
  ASSERT_EQ(banned.exit_code, 0) << banned.err;
  EXPECT_NE(nlohmann::json::parse(banned.out)["id"].get<int>(), id);
  Outcome minus100 = plexus("run " + kStories + " 'Once upon a time' --temp 0 -n 1 --format jsonl --logit-bias " +
                            std::to_string(id) + "=-100");
  ASSERT_EQ(minus100.exit_code, 0) << minus100.err;
  EXPECT_NE(nlohmann::json::parse(minus100.out)["id"].get<int>(), id);

  for (const char* bad : {"99999=1", "-1=1", "5", "5=abc", "x=1", "5=nan"}) {
    Outcome o = plexus("run " + kStories + " hi --logit-bias " + quote(std::string(bad)));
    EXPECT_EQ(o.exit_code, 1) << bad;
    EXPECT_EQ(lines(o.err), 1u) << o.err;
    EXPECT_NE(o.err.find("--logit-bias"), std::string::npos) << o.err;
  }
}

TEST(CliRun, NewSamplingFlagsAreSeededAndValidated) {
  const std::string flags = " 'Once upon a time' -n 16 --seed 7 --typical-p 0.9 --presence-penalty 0.5 "
                            "--frequency-penalty 0.3 --repeat-last-n 32";
  Outcome a = plexus("run " + kStories + flags);
  Outcome b = plexus("run " + kStories + flags);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  for (const char* bad : {"--typical-p 1.5", "--typical-p -0.1", "--presence-penalty inf"}) {
    Outcome o = plexus("run " + kStories + " hi " + std::string(bad));
    EXPECT_EQ(o.exit_code, 1) << bad;
    EXPECT_EQ(lines(o.err), 1u) << o.err;
  }
}

}  // namespace
}  // namespace plexus

// `plexus embed` as a user runs it: the JSON vector of a golden case, stdin input, pooling
// override, --no-normalize, and one-line errors with a non-zero exit code.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli_runner.h"
#include "test_paths.h"

namespace plexus {
namespace {

namespace fs = std::filesystem;

using cli_testing::Outcome;
using cli_testing::plexus;
using cli_testing::quote;

nlohmann::json golden_case(const std::string& file, const std::string& kind) {
  std::ifstream in(testing::shared_dir() / "golden" / "embeddings" / file);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j["kind"] == kind) return j;
  }
  return nullptr;
}

double cosine(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return d / std::sqrt(na * nb);
}

std::string model(const std::string& name) {
  return quote((testing::shared_dir() / "models" / "synth" / name).string());
}

TEST(EmbedCli, PrintsTheGoldenVector) {
  const auto g = golden_case("synth-bert-mean-F32.jsonl", "sentence");
  ASSERT_FALSE(g.is_null());
  const Outcome o = plexus("embed " + model("synth-bert-mean-F32.gguf") + " " + quote(g["input"]) + " -t 2");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  const auto v = nlohmann::json::parse(o.out).get<std::vector<double>>();
  ASSERT_EQ(v.size(), 128u);
  EXPECT_GE(cosine(v, g["embedding"].get<std::vector<double>>()), 0.9999);

  const Outcome from_stdin = plexus("embed " + model("synth-bert-mean-F32.gguf") + " - -t 2", g["input"]);
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(from_stdin.out, o.out);
}

TEST(EmbedCli, PoolingOverrideAndRawVector) {
  const auto g = golden_case("synth-llama-F32.jsonl", "short");
  ASSERT_FALSE(g.is_null());
  const Outcome none = plexus("embed " + model("synth-llama-F32.gguf") + " " + quote(g["input"]));
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("--pooling"), std::string::npos) << none.err;

  const Outcome raw = plexus("embed " + model("synth-llama-F32.gguf") + " " + quote(g["input"]) +
                             " --pooling last --no-normalize -t 2");
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  const auto v = nlohmann::json::parse(raw.out).get<std::vector<double>>();
  ASSERT_EQ(v.size(), 256u);
  double n2 = 0;
  for (double x : v) n2 += x * x;
  EXPECT_NEAR(std::sqrt(n2), g["raw_l2_norm"].get<double>(), 1e-3 * g["raw_l2_norm"].get<double>());
  EXPECT_GE(cosine(v, g["embedding"].get<std::vector<double>>()), 0.9999);
}

TEST(EmbedCli, Errors) {
  const Outcome bad = plexus("embed " + model("synth-bert-mean-F32.gguf") + " hi --pooling max");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "error: --pooling must be mean, cls or last\n");
  std::string long_text;
  for (int i = 0; i < 600; ++i) long_text += "word ";
  const Outcome too_long = plexus("embed " + model("synth-bert-mean-F32.gguf") + " - -t 1", long_text);
  EXPECT_EQ(too_long.exit_code, 1);
  EXPECT_NE(too_long.err.find("context of 512 tokens"), std::string::npos) << too_long.err;
  const Outcome cut = plexus("embed " + model("synth-bert-mean-F32.gguf") + " - --truncate -t 1", long_text);
  EXPECT_EQ(cut.exit_code, 0) << cut.err;
  const Outcome missing = plexus("embed /nonexistent.gguf hi");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_EQ(missing.err.rfind("error: ", 0), 0u) << missing.err;
}

}  // namespace
}  // namespace plexus

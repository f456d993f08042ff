// The real binary: `plexus quantize`, `plexus synth` and `plexus bench` as a user runs them
// (exit codes, one-line errors, the bench JSON shape). Small models and tiny -p/-n keep it fast.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "test_paths.h"

namespace plexus {
namespace {

namespace fs = std::filesystem;

using cli_testing::Outcome;
using cli_testing::plexus;
using cli_testing::quote;

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("plexus_perf_tools_" + std::to_string(::getpid()) + "_" + name);
}

std::string synth(const std::string& name) { return quote((testing::shared_dir() / "models" / "synth" / name).string()); }

bool same_bytes(const fs::path& a, const fs::path& b) {
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  std::stringstream sa, sb;
  sa << fa.rdbuf();
  sb << fb.rdbuf();
  return !sa.str().empty() && sa.str() == sb.str();
}

TEST(PerfTools, QuantizeReproducesTheReferenceFile) {
  const fs::path out = temp_file("q4km.gguf");
  Outcome o = plexus("quantize " + synth("synth-qwen2-F32.gguf") + " " + quote(out.string()) + " Q4_K_M -t 2");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.err.find("Q6_K x3"), std::string::npos) << o.err;
  EXPECT_TRUE(same_bytes(out, testing::shared_dir() / "models" / "synth" / "synth-qwen2-Q4_K_M.gguf"));
  fs::remove(out);
}

TEST(PerfTools, QuantizeErrors) {
  const fs::path out = temp_file("bad.gguf");
  Outcome o = plexus("quantize " + synth("synth-llama-F32.gguf") + " " + quote(out.string()) + " Q9_9");
  EXPECT_NE(o.exit_code, 0);
  EXPECT_EQ(o.err.rfind("error: ", 0), 0u) << o.err;
  EXPECT_NE(o.err.find("Q4_K_M"), std::string::npos) << o.err;  // lists the known types

  o = plexus("quantize " + synth("synth-llama-Q4_0.gguf") + " " + quote(out.string()) + " Q8_0");
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.err.find("tensor '"), std::string::npos) << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST(PerfTools, SynthWritesALoadableMixedModel) {
  const fs::path out = temp_file("synth.gguf");
  Outcome o = plexus("synth " + quote(out.string()) + " --shape tiny --type Q4_K_M --seed 7 -t 2");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  o = plexus("show " + quote(out.string()) + " --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["architecture"], "llama");
  EXPECT_GT(j["tensor_types"]["Q4_K"].get<int>(), 0);
  EXPECT_GT(j["tensor_types"]["Q6_K"].get<int>(), 0);  // output matrix and the use_more_bits layers

  // The same seed gives the same file, whatever the thread count.
  const fs::path again = temp_file("synth1.gguf");
  o = plexus("synth " + quote(again.string()) + " --shape tiny --type Q4_K_M --seed 7 -t 1");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(same_bytes(out, again));
  fs::remove(again);

  o = plexus("synth " + quote(again.string()) + " --shape 9z");
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.err.find("1.1b"), std::string::npos) << o.err;
  fs::remove(out);
}

TEST(PerfTools, BenchJsonShape) {
  Outcome o = plexus("bench " + synth("synth-llama-Q8_0.gguf") + " -t 2 -p 16 -n 4 -r 2 --bandwidth-mib 32 --bandwidth-seconds 0.05 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  auto j = nlohmann::json::parse(o.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["test"], "pp16");
  EXPECT_EQ(j[1]["test"], "tg4");
  for (const auto& t : j) {
    EXPECT_GT(t["tokens_per_second"].get<double>(), 0.0);
    EXPECT_GE(t["stddev"].get<double>(), 0.0);
    EXPECT_EQ(t["threads"], 2);
    EXPECT_EQ(t["samples_ts"].size(), 2u);
    EXPECT_GT(t["peak_rss_bytes"].get<double>(), 0.0);
    EXPECT_GT(t["bandwidth_gbs"].get<double>(), 0.0);
    EXPECT_GT(t["weight_bytes_per_token"].get<double>(), 0.0);
    EXPECT_EQ(t["model_type"], "Q8_0");
  }
  EXPECT_GT(j[1]["bandwidth_fraction"].get<double>(), 0.0);
  EXPECT_GT(j[0]["gflops"].get<double>(), 0.0);
  // Sustained reads of the weights before each tg repetition and after the last; one fraction
  // per repetition against the reads on either side; none for pp.
  EXPECT_FALSE(j[0].contains("reads_alongside_gbs"));
  ASSERT_EQ(j[1]["reads_alongside_gbs"].size(), 3u);
  ASSERT_EQ(j[1]["fractions_alongside"].size(), 2u);
  double fraction_sum = 0;
  for (int rep = 0; rep < 2; ++rep) {
    const double read = (j[1]["reads_alongside_gbs"][rep].get<double>() + j[1]["reads_alongside_gbs"][rep + 1].get<double>()) / 2;
    ASSERT_GT(read, 0.0);
    const double expected = j[1]["weight_bytes_per_token"].get<double>() * j[1]["samples_ts"][rep].get<double>() / 1e9 / read;
    EXPECT_NEAR(j[1]["fractions_alongside"][rep].get<double>(), expected, 1e-9 * expected);
    fraction_sum += expected;
  }
  EXPECT_NEAR(j[1]["fraction_alongside"].get<double>(), fraction_sum / 2, 1e-9 * fraction_sum);
}

// Comma-separated -t, -p and -n, as llama-bench takes them: every thread count runs every test
// (0 sizes skipped), each object carrying its own thread count and that count's bandwidths.
TEST(PerfTools, BenchListsRunEveryThreadCountAndSize) {
  Outcome o = plexus("bench " + synth("synth-llama-Q4_0.gguf") +
                     " -t 1,2 -p 8,16 -n 0,4 -r 1 --bandwidth-mib 16 --bandwidth-seconds 0.02 --json");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  auto j = nlohmann::json::parse(o.out);
  ASSERT_EQ(j.size(), 6u) << o.out;
  const char* tests[] = {"pp8", "pp16", "tg4"};
  for (size_t i = 0; i < j.size(); ++i) {
    EXPECT_EQ(j[i]["threads"], i < 3 ? 1 : 2) << i;
    EXPECT_EQ(j[i]["test"], tests[i % 3]) << i;
    EXPECT_GT(j[i]["bandwidth_gbs"].get<double>(), 0.0);
    EXPECT_GT(j[i]["tokens_per_second"].get<double>(), 0.0);
  }
  EXPECT_EQ(j[0]["bandwidth_gbs"], j[2]["bandwidth_gbs"]);  // one measurement per thread count

  o = plexus("bench " + synth("synth-llama-Q4_0.gguf") + " -t 1 -p 8,8 -n 0 -r 1 --bandwidth-mib 16 --bandwidth-seconds 0.02");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("| pp8    |       1 |"), std::string::npos) << o.out;
  for (const char* bad : {" -t 1,-2", " -p 8,70000", " -n 4,x", " -p 0,0 -n 0"}) {
    o = plexus("bench " + synth("synth-llama-Q4_0.gguf") + bad + " --bandwidth-mib 16");
    EXPECT_NE(o.exit_code, 0) << bad;
    EXPECT_EQ(o.err.rfind("error: ", 0), 0u) << bad << ": " << o.err;
  }
}

TEST(PerfTools, BenchTextAndErrors) {
  Outcome o = plexus("bench " + synth("synth-llama-Q4_0.gguf") + " -t 1 -p 8 -n 0 -r 1 --bandwidth-mib 16 --bandwidth-seconds 0.05");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.out.find("pp8"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("tg"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("memory read bandwidth"), std::string::npos) << o.out;

  o = plexus("bench /nonexistent.gguf -p 8 -n 0 --bandwidth-mib 16");
  EXPECT_NE(o.exit_code, 0);
  EXPECT_EQ(o.err.rfind("error: ", 0), 0u) << o.err;
  o = plexus("bench " + synth("synth-llama-Q4_0.gguf") + " -p 0 -n 0");
  EXPECT_NE(o.exit_code, 0);
}

}  // namespace
}  // namespace plexus

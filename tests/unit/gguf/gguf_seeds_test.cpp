// The fuzz seed corpus (tests/fuzz/corpus/gguf/) is what gguf_seed_files() generates, and every
// file in it opens. PLEXUS_UPDATE_SEEDS=1 rewrites the corpus from the generator.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gguf/gguf_file.h"
#include "gguf_seeds.h"

namespace plexus::gguf {
namespace {

namespace fs = std::filesystem;

fs::path corpus_dir() { return fs::path(PLEXUS_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / "gguf"; }

std::vector<uint8_t> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

TEST(GgufSeeds, CorpusMatchesGenerator) {
  const auto seeds = fuzz::gguf_seed_files();
  const char* update = std::getenv("PLEXUS_UPDATE_SEEDS");
  if (update != nullptr && std::string(update) == "1") {
    fs::create_directories(corpus_dir());
    for (const auto& [name, bytes] : seeds) {
      std::ofstream out(corpus_dir() / name, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      ASSERT_TRUE(out.good()) << name;
    }
  }
  size_t total = 0;
  for (const auto& [name, bytes] : seeds) {
    SCOPED_TRACE(name);
    auto f = GgufFile::from_bytes(bytes);
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    EXPECT_EQ(read_all(corpus_dir() / name), bytes) << "stale seed: rerun with PLEXUS_UPDATE_SEEDS=1";
    total += bytes.size();
  }
  EXPECT_LT(total, 200u * 1024u);
}

TEST(GgufSeeds, EveryCorpusFileOpens) {
  ASSERT_TRUE(fs::exists(corpus_dir()));
  int n = 0;
  for (const auto& entry : fs::directory_iterator(corpus_dir())) {
    SCOPED_TRACE(entry.path().filename().string());
    auto f = GgufFile::from_bytes(read_all(entry.path()));
    EXPECT_TRUE(f.ok()) << f.status().to_string();
    ++n;
  }
  EXPECT_GE(n, 5);
}

}  // namespace
}  // namespace plexus::gguf

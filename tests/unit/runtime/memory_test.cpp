// Resident memory of a loaded model. Mapped (FileLoad::map): loading reads no weights, and after
// generating (which touches every weight) resident memory stays within file size + KV cache +
// 64 MiB. In huge pages (the default): the weights are read once at load, and the same bound
// holds both after loading and after generating (one copy, never two).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/thread_pool.h"
#include "model/synthetic_model.h"
#include "runtime/loaded_model.h"
#include "runtime/session.h"

namespace plexus::runtime {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void check_resident_memory(FileLoad load) {
  const auto path = std::filesystem::temp_directory_path() / ("plexus_memory_test_" + std::to_string(getpid()) + ".gguf");
  model::SyntheticShape shape;  // ~240 MB in Q8_0: big enough that a copy would show
  shape.n_vocab = 32000;
  shape.n_embd = 1024;
  shape.n_layer = 12;
  shape.n_head = 16;
  shape.n_head_kv = 4;
  shape.n_ff = 4096;
  ASSERT_TRUE(model::write_synthetic_model(path.string(), shape, tensor_type::q8_0, 1).ok());
  const uint64_t file_size = std::filesystem::file_size(path);
  constexpr uint64_t kSlack = 64ull << 20;

  const uint64_t before = resident_bytes();
  {
    auto loaded = load_model(path.string(), {load});
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    const uint64_t after_load = resident_bytes();
    ThreadPool pool(2);
    Session session(**loaded, pool, {.n_ctx = 256});
    const uint64_t kv = 2ull * 12 * 256 * 4 * 64 * sizeof(float);
    if (load == FileLoad::map) {
      EXPECT_LE(after_load - before, kv + kSlack) << "a mapped model must not read the weights at load";
    } else {
      EXPECT_LE(after_load - before, file_size + kv + kSlack) << "the weights must be read once";
    }

    auto prompt = (*loaded)->tokenizer->encode("hello world", true, false);
    GenerateOptions o;
    o.max_tokens = 4;
    o.sampling.temperature = 0;
    ASSERT_TRUE(session.generate(prompt, o, [](const TokenEvent&) { return true; }).ok());
    const uint64_t after_generate = resident_bytes();
    EXPECT_LE(after_generate - before, file_size + kv + kSlack)
        << "file " << file_size << " bytes, resident grew by " << (after_generate - before);
    std::printf("[memory] %s: file %.1f MiB, resident +%.1f MiB after load, +%.1f MiB after generating\n",
                load == FileLoad::map ? "mapped" : "huge pages", file_size / 1048576.0, (after_load - before) / 1048576.0,
                (after_generate - before) / 1048576.0);
  }
  std::filesystem::remove(path);
}

TEST(Memory, MappedModelReadsNoWeightsAtLoad) {
  if (kSanitized) GTEST_SKIP() << "ASan shadow memory distorts resident-size measurements";
  check_resident_memory(FileLoad::map);
}

TEST(Memory, HugePageModelHoldsOneCopyOfTheWeights) {
  if (kSanitized) GTEST_SKIP() << "ASan shadow memory distorts resident-size measurements";
  check_resident_memory(FileLoad::huge_pages);
}

}  // namespace
}  // namespace plexus::runtime

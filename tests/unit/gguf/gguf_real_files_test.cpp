// Reading the real GGUF files in ../shared: stories260K, llama-2-tiny-random, the synth models
// (checked against synth_models.json) and the vocab-only tokenizer goldens.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "gguf_test_util.h"
#include "test_paths.h"

namespace plexus::gguf {
namespace {

namespace fs = std::filesystem;
using namespace plexus::gguf::testing;

fs::path models_dir() { return plexus::testing::shared_dir() / "models"; }

std::unique_ptr<GgufFile> open_path(const fs::path& p) {
  auto r = GgufFile::open(p.string());
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? std::move(r).value() : nullptr;
}

// Every tensor's data lies inside the file, aligned, and its size matches its type and shape.
void check_tensor_invariants(const GgufFile& f) {
  for (const TensorInfo& t : f.tensors()) {
    SCOPED_TRACE(std::string(t.name));
    const uint64_t begin = static_cast<uint64_t>(t.data - f.mapping().data());
    EXPECT_EQ(begin, f.data_offset() + t.offset);
    EXPECT_LE(begin + t.n_bytes, f.file_size());
    EXPECT_EQ(t.offset % f.alignment(), 0u);
    uint64_t n = 1;
    for (uint32_t d = 0; d < t.n_dims; ++d) n *= static_cast<uint64_t>(t.dims[d]);
    EXPECT_EQ(n, t.n_elements);
    EXPECT_EQ(*row_bytes(t.type, static_cast<uint64_t>(t.dims[0])) * (n / static_cast<uint64_t>(t.dims[0])), t.n_bytes);
    EXPECT_EQ(f.find_tensor(t.name), &t);
  }
}

TEST(GgufRealFiles, Stories260K) {
  auto f = open_path(models_dir() / "stories260K.gguf");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->file_size(), 1185376u);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_EQ(f->data_offset() % 32, 0u);
  EXPECT_EQ(*f->get_string("general.architecture"), "llama");
  EXPECT_EQ(*f->get_uint("llama.context_length"), 2048u);
  EXPECT_EQ(*f->get_uint("llama.embedding_length"), 64u);
  EXPECT_EQ(*f->get_uint("llama.block_count"), 5u);
  EXPECT_EQ(*f->get_uint("llama.attention.head_count"), 8u);
  EXPECT_EQ(*f->get_uint("llama.attention.head_count_kv"), 4u);
  EXPECT_NEAR(*f->get_float("llama.attention.layer_norm_rms_epsilon"), 1e-5, 1e-9);
  EXPECT_EQ(*f->get_string("tokenizer.ggml.model"), "llama");
  auto tokens = f->get_array("tokenizer.ggml.tokens", value_type::string);
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ((*tokens)->size(), 512u);
  EXPECT_EQ((**tokens)[0].str, "<unk>");
  EXPECT_EQ((**tokens)[1].str, "<s>");
  EXPECT_EQ(*f->get_uint("tokenizer.ggml.bos_token_id"), 1u);
  EXPECT_EQ(f->find("general.file_type"), nullptr);

  ASSERT_EQ(f->tensors().size(), 48u);
  for (const TensorInfo& t : f->tensors()) EXPECT_EQ(t.type, tensor_type::f32) << t.name;
  const TensorInfo* embd = f->find_tensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  EXPECT_EQ(embd->n_dims, 2u);
  EXPECT_EQ(embd->dims[0], 64);
  EXPECT_EQ(embd->dims[1], 512);
  ASSERT_NE(f->find_tensor("output.weight"), nullptr);
  ASSERT_NE(f->find_tensor("blk.4.ffn_down.weight"), nullptr);
  EXPECT_EQ(f->find_tensor("blk.4.ffn_down.weight")->dims[0], 172);
  check_tensor_invariants(*f);
}

TEST(GgufRealFiles, Stories260KRewritesByteIdentically) {
  // Copying every key and tensor through GgufWriter reproduces the file: same layout rules as
  // llama.cpp (alignment 32, each tensor padded).
  auto f = open_path(models_dir() / "stories260K.gguf");
  ASSERT_NE(f, nullptr);
  GgufWriter w;
  for (const KeyValue& kv : f->metadata()) w.set(kv.key, kv.value);
  for (const TensorInfo& t : f->tensors()) {
    ASSERT_TRUE(w.add_tensor(t.name, t.type, std::vector<int64_t>(t.dims, t.dims + t.n_dims), {t.data, t.n_bytes}).ok());
  }
  const bytes_t bytes = image_of(w);
  const bytes_t original(f->mapping().data(), f->mapping().data() + f->file_size());
  EXPECT_TRUE(bytes == original) << "rewritten " << bytes.size() << " bytes vs " << original.size();
}

TEST(GgufRealFiles, LlamaTinyRandom) {
  auto f = open_path(models_dir() / "llama-2-tiny-random.gguf");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->get_string("general.name"), "LLaMA v2");
  EXPECT_EQ(*f->get_uint("llama.context_length"), 4096u);
  EXPECT_EQ(*f->get_uint("general.file_type"), 1u);
  ASSERT_EQ(f->tensors().size(), 12u);
  int f16 = 0, f32 = 0;
  for (const TensorInfo& t : f->tensors()) {
    if (t.type == tensor_type::f16) ++f16;
    if (t.type == tensor_type::f32) ++f32;
  }
  EXPECT_EQ(f16, 9);
  EXPECT_EQ(f32, 3);
  auto tokens = f->get_array("tokenizer.ggml.tokens", value_type::string);
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ((*tokens)->size(), 32000u);
  check_tensor_invariants(*f);
}

TEST(GgufRealFiles, SynthModelsMatchTheirManifest) {
  const fs::path dir = models_dir() / "synth";
  std::ifstream in(dir / "synth_models.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json manifest = nlohmann::json::parse(in);
  ASSERT_GE(manifest.size(), 47u);
  for (const auto& [file, info] : manifest.items()) {
    SCOPED_TRACE(file);
    auto f = open_path(dir / file);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->file_size(), info["size"].get<uint64_t>());
    ASSERT_EQ(f->tensors().size(), info["n_tensors"].get<size_t>());
    std::map<std::string, int> counts;
    for (const TensorInfo& t : f->tensors()) {
      const std::string type = tensor_type_name(t.type);
      ++counts[type];
      ASSERT_TRUE(info["tensors"].contains(std::string(t.name))) << t.name;
      EXPECT_EQ(info["tensors"][std::string(t.name)].get<std::string>(), type) << t.name;
      EXPECT_TRUE(traits_of(t.type)->supported) << t.name;
    }
    std::map<std::string, int> expected;
    for (const auto& [type, n] : info["tensor_types"].items()) expected[type] = n.get<int>();
    EXPECT_EQ(counts, expected);
    EXPECT_EQ(*f->get_uint("general.file_type"), info["file_type"].get<uint64_t>());
    EXPECT_EQ(*f->get_uint(std::string(*f->get_string("general.architecture")) + ".context_length"), 2048u);
    check_tensor_invariants(*f);
  }
}

TEST(GgufRealFiles, EverySynthFileOpens) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(models_dir() / "synth")) {
    if (entry.path().extension() != ".gguf") continue;
    SCOPED_TRACE(entry.path().filename().string());
    auto f = open_path(entry.path());
    ASSERT_NE(f, nullptr);
    EXPECT_GT(f->tensors().size(), 0u);
    check_tensor_invariants(*f);
    ++n;
  }
  EXPECT_GE(n, 47);
}

TEST(GgufRealFiles, VocabOnlyFiles) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(plexus::testing::shared_dir() / "golden" / "tokenizer")) {
    if (entry.path().extension() != ".gguf") continue;
    SCOPED_TRACE(entry.path().filename().string());
    auto f = open_path(entry.path());
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->version(), 3u);
    EXPECT_TRUE(f->tensors().empty());
    EXPECT_LE(f->data_offset(), f->file_size());
    EXPECT_TRUE(f->get_string("tokenizer.ggml.model").ok());
    EXPECT_TRUE(f->get_string("general.architecture").ok());
    auto tokens = f->get_array("tokenizer.ggml.tokens", value_type::string);
    ASSERT_TRUE(tokens.ok()) << tokens.status().to_string();
    EXPECT_GT((*tokens)->size(), 100u);
    ++n;
  }
  EXPECT_EQ(n, 15);
}

}  // namespace
}  // namespace plexus::gguf

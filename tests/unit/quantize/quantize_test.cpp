// plexus quantize against llama-quantize: every synth-* reference file in ../shared/models/synth
// (made by llama-quantize from the F32 bases) must come out of quantize_file tensor for tensor
// with the same names, shapes, types and bytes, and with the same general.file_type.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/sha256.h"
#include "core/thread_pool.h"
#include "gguf/gguf_file.h"
#include "quantize/quantizer.h"
#include "test_paths.h"

namespace plexus::quantize {
namespace {

namespace fs = std::filesystem;

fs::path synth_dir() { return testing::shared_dir() / "models" / "synth"; }

struct ReferenceCase {
  std::string file;      // synth-llama-Q4_K_M.gguf
  std::string model;     // synth-llama
  std::string recipe;    // Q4_K_M
  bool pure = false;
};

std::vector<ReferenceCase> reference_cases() {
  std::vector<ReferenceCase> cases;
  std::ifstream in(synth_dir() / "synth_models.json");
  if (!in) return cases;
  const auto j = nlohmann::json::parse(in);
  for (const auto& [file, info] : j.items()) {
    const std::string model = info.value("model", "");
    const std::string type = info.value("requested_type", "");
    if (model != "synth-llama" && model != "synth-llama3" && model != "synth-qwen2") continue;
    if (type == "F32") continue;
    cases.push_back({file, model, type, info.value("pure", false)});
  }
  return cases;
}

fs::path temp_path(const std::string& name) {
  return fs::temp_directory_path() / ("plexus_quantize_test_" + std::to_string(::getpid()) + "_" + name);
}

class MatchesLlamaQuantize : public ::testing::TestWithParam<ReferenceCase> {};

TEST_P(MatchesLlamaQuantize, TensorForTensor) {
  const ReferenceCase& c = GetParam();
  const fs::path out = temp_path(c.file);
  ThreadPool pool(2);
  QuantizeOptions options;
  options.recipe = c.recipe;
  options.pure = c.pure;
  auto stats = quantize_file((synth_dir() / (c.model + "-F32.gguf")).string(), out.string(), options, pool);
  ASSERT_TRUE(stats.ok()) << stats.status().to_string();

  auto ours = gguf::GgufFile::open(out.string());
  auto ref = gguf::GgufFile::open((synth_dir() / c.file).string());
  ASSERT_TRUE(ours.ok()) << ours.status().to_string();
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  EXPECT_EQ(*(*ours)->get_uint("general.file_type"), *(*ref)->get_uint("general.file_type"));
  EXPECT_EQ(*(*ours)->get_uint("general.quantization_version"), 2u);
  ASSERT_EQ((*ours)->tensors().size(), (*ref)->tensors().size());
  for (size_t i = 0; i < (*ref)->tensors().size(); ++i) {
    const auto& a = (*ours)->tensors()[i];
    const auto& b = (*ref)->tensors()[i];
    SCOPED_TRACE(std::string(b.name));
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(tensor_type_name(a.type), std::string(tensor_type_name(b.type)));
    ASSERT_EQ(a.n_bytes, b.n_bytes);
    ASSERT_EQ(a.n_dims, b.n_dims);
    for (uint32_t d = 0; d < a.n_dims; ++d) EXPECT_EQ(a.dims[d], b.dims[d]);
    size_t first_diff = a.n_bytes;
    for (size_t k = 0; k < a.n_bytes; ++k) {
      if (a.data[k] != b.data[k]) {
        first_diff = k;
        break;
      }
    }
    EXPECT_EQ(first_diff, a.n_bytes) << "first differing byte at " << first_diff << " of " << a.n_bytes;
  }
  // Metadata: every reference key is present with the same value type.
  for (const auto& kv : (*ref)->metadata()) {
    const gguf::Value* v = (*ours)->find(kv.key);
    ASSERT_NE(v, nullptr) << "missing key " << kv.key;
    EXPECT_EQ(v->type, kv.value.type) << kv.key;
  }
  // Same key order, tensor order and alignment as llama-quantize: the whole file is identical.
  std::ifstream fa(out, std::ios::binary), fb(synth_dir() / c.file, std::ios::binary);
  const std::string bytes_a((std::istreambuf_iterator<char>(fa)), std::istreambuf_iterator<char>());
  const std::string bytes_b((std::istreambuf_iterator<char>(fb)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(bytes_a == bytes_b) << "files differ (sizes " << bytes_a.size() << " / " << bytes_b.size() << ")";
  fs::remove(out);
}

INSTANTIATE_TEST_SUITE_P(SharedReferences, MatchesLlamaQuantize, ::testing::ValuesIn(reference_cases()),
                         [](const ::testing::TestParamInfo<ReferenceCase>& info) {
                           std::string name = info.param.file.substr(0, info.param.file.size() - 5);
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

// Recipes with no reference file in ../shared: the SHA-256 of llama-quantize's output (llama.cpp
// de3ff81: `llama-quantize synth-M-F32.gguf out.gguf RECIPE 2`) from the same F32 bases, whose own
// digests are checked first so that a changed input is reported as such.
struct DigestCase {
  const char* model;
  const char* recipe;
  const char* sha256;
};
constexpr DigestCase kLlamaQuantizeDigests[] = {
    {"synth-llama", "Q3_K_S", "b192c39c7dc53a8effc9d897405799207e8b7082e642507cc2389937a099ca4e"},
    {"synth-llama", "Q3_K_L", "28d13bd0944b431227ff2a88b369d8b4609a0ea3a1b35de7b669cdd2c844b019"},
    {"synth-llama", "Q4_K_S", "e391255366b82947543a08702699bef22ed479c4ebbbf76b738af3433af1125a"},
    {"synth-llama", "Q5_K_S", "aaf6897d009c9cbebb34d8cb9749e9efb5f608b0e8c305afb9c83561abe554ce"},
    {"synth-llama3", "Q3_K_S", "c28af13b7900e3cc157682982def1dfa1ee2869e2806547c06ac13230ddfbf81"},
    {"synth-llama3", "Q3_K_L", "8b7959e55db9730789bf016d53df296b7a94fc36355c1c1b044c74e51ee588d7"},
    {"synth-llama3", "Q4_K_S", "d903257f7d9bb2c20e47abda1286e3dd3a5c2d353f210e120ca410bdf78a38a6"},
    {"synth-llama3", "Q5_K_S", "3665be31ee48db2f252515052f31c596113e6abc789aa661d33bca9e31e4eaf5"},
    {"synth-qwen2", "Q3_K_S", "2943ab1a78f366322c7eabb43c2efbf902ec5a1fa0c04a89e29aaebbd09509ce"},
    {"synth-qwen2", "Q3_K_L", "952352395bf47e7e5f1eee2ba4d7ca02d1663827fd129563f90c6eb92b1de2d2"},
    {"synth-qwen2", "Q4_K_S", "ddc7b6fb19676cfe3ee4461525ad4ab30f853af9e1e7016dc45902c010c293ac"},
    {"synth-qwen2", "Q5_K_S", "89be50af5453ed71c7fb0664e912c3dc387ec1d33d388ee825236bee1f8cfb69"},
};
constexpr std::pair<const char*, const char*> kBaseDigests[] = {
    {"synth-llama", "b6d0651060e223f60fdbe24c6d7dfa3245e163791451285d5d60099836c8bddc"},
    {"synth-llama3", "035fd825d35e5411f52853d935b997169c74c5ff58fa5035444b0be9ff57e7ae"},
    {"synth-qwen2", "cc0b0360663cc165b8dce9a67fc61112c3d3e13bd006beeba78ff745a69496f1"},
};

TEST(QuantizeDigests, SmallAndLargeRecipesMatchLlamaQuantize) {
  for (const auto& [model, digest] : kBaseDigests) {
    auto base = sha256_file_hex((synth_dir() / (std::string(model) + "-F32.gguf")).string());
    ASSERT_TRUE(base.ok()) << base.status().to_string();
    ASSERT_EQ(*base, digest) << model << "-F32.gguf is not the file the digests below were made from";
  }
  ThreadPool pool(2);
  for (const DigestCase& c : kLlamaQuantizeDigests) {
    SCOPED_TRACE(std::string(c.model) + " " + c.recipe);
    const fs::path out = temp_path(std::string(c.model) + "-" + c.recipe + ".gguf");
    QuantizeOptions options;
    options.recipe = c.recipe;
    auto stats = quantize_file((synth_dir() / (std::string(c.model) + "-F32.gguf")).string(), out.string(), options, pool);
    ASSERT_TRUE(stats.ok()) << stats.status().to_string();
    auto digest = sha256_file_hex(out.string());
    ASSERT_TRUE(digest.ok()) << digest.status().to_string();
    EXPECT_EQ(*digest, c.sha256);
    fs::remove(out);
  }
}

TEST(QuantizeReferences, SetIsPresent) {
  // 44 quantized synth files (llama incl. -pure, llama3, qwen2); a missing set must not pass silently.
  EXPECT_GE(reference_cases().size(), 44u) << synth_dir();
}

TEST(QuantizeFile, UnknownRecipeIsAnError) {
  ThreadPool pool(1);
  QuantizeOptions options;
  options.recipe = "Q7_X";
  auto r = quantize_file((synth_dir() / "synth-llama-F32.gguf").string(), temp_path("x.gguf").string(), options, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Q7_X"), std::string::npos);
  EXPECT_NE(r.status().message().find("Q4_K_M"), std::string::npos);
}

TEST(QuantizeFile, QuantizedInputNamesTheTensor) {
  ThreadPool pool(1);
  QuantizeOptions options;
  options.recipe = "Q4_0";
  const fs::path out = temp_path("requant.gguf");
  auto r = quantize_file((synth_dir() / "synth-llama-Q8_0.gguf").string(), out.string(), options, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("tensor '"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("Q8_0"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(out));
}

TEST(QuantizeFile, MissingInputIsAnError) {
  ThreadPool pool(1);
  auto r = quantize_file("/nonexistent/model.gguf", temp_path("y.gguf").string(), {}, pool);
  EXPECT_FALSE(r.ok());
}

TEST(QuantizeFile, OutputOverInputIsRefused) {
  const fs::path copy = temp_path("self.gguf");
  fs::copy_file(synth_dir() / "synth-llama-F32.gguf", copy, fs::copy_options::overwrite_existing);
  ThreadPool pool(1);
  auto r = quantize_file(copy.string(), copy.string(), {}, pool);
  EXPECT_FALSE(r.ok());
  fs::remove(copy);
}

TEST(QuantizeFile, F16InputGivesTheSameQ8_0AsF32Input) {
  // F16 weights widen exactly; quantizing them must equal quantizing the same values from F32.
  ThreadPool pool(2);
  QuantizeOptions options;
  options.recipe = "Q8_0";
  const fs::path a = temp_path("from_f16.gguf");
  auto r = quantize_file((synth_dir() / "synth-llama-F16.gguf").string(), a.string(), options, pool);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto f = gguf::GgufFile::open(a.string());
  ASSERT_TRUE(f.ok());
  for (const auto& t : (*f)->tensors()) {
    if (t.n_dims == 2) {
      EXPECT_EQ(t.type, tensor_type::q8_0) << t.name;
    } else {
      EXPECT_EQ(t.type, tensor_type::f32) << t.name;
    }
  }
  EXPECT_EQ(r->types.at("Q8_0"), 16);
  fs::remove(a);
}

}  // namespace
}  // namespace plexus::quantize

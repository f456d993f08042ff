// plexus quantize against llama-quantize: every synth-* reference file in ../shared/models/synth
// (made by llama-quantize from the F32 bases) must come out of quantize_file tensor for tensor
// with the same names, shapes, types and bytes, and with the same general.file_type.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

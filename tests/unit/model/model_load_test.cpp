// Building models from GGUF files with missing, misshapen or unsupported parts: each is one clear
// error naming what is wrong. Files are variations of a synthetic model, rewritten with GgufWriter.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <functional>

#include "gguf/gguf_writer.h"
#include "model/registry.h"
#include "model/synthetic_model.h"

namespace plexus::model {
namespace {

namespace fs = std::filesystem;

class ModelLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("plexus_model_base_" + std::to_string(getpid()) + ".gguf");
    ASSERT_TRUE(write_synthetic_model(base_.string(), *synthetic_shape("tiny"), tensor_type::q8_0, 3).ok());
  }
  void TearDown() override { fs::remove(base_); }

  // Copies the base model through `edit` (which may change keys/tensors) and builds it.
  Result<std::unique_ptr<Model>> build_variant(
      const std::function<void(gguf::GgufWriter&)>& edit_keys,
      const std::function<bool(const gguf::TensorInfo&)>& keep_tensor = [](const gguf::TensorInfo&) { return true; }) {
    auto base = gguf::GgufFile::open(base_.string());
    EXPECT_TRUE(base.ok());
    gguf::GgufWriter w;
    for (const auto& kv : (*base)->metadata()) w.set(kv.key, kv.value);
    edit_keys(w);
    for (const auto& t : (*base)->tensors()) {
      if (!keep_tensor(t)) continue;
      std::vector<int64_t> dims(t.dims, t.dims + t.n_dims);
      EXPECT_TRUE(w.add_tensor(t.name, t.type, dims, {t.data, static_cast<size_t>(t.n_bytes)}).ok());
    }
    auto bytes = w.to_bytes();
    EXPECT_TRUE(bytes.ok());
    auto parsed = gguf::GgufFile::from_bytes(*bytes);
    EXPECT_TRUE(parsed.ok()) << parsed.status().to_string();
    if (!parsed.ok()) return parsed.status();
    file_ = std::move(parsed).value();
    return build_model(*file_);
  }

  fs::path base_;
  std::unique_ptr<gguf::GgufFile> file_;
};

void expect_error(const Result<std::unique_ptr<Model>>& r, error_code code, const std::string& needle) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status().to_string();
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
}

TEST_F(ModelLoad, BaseModelBuilds) {
  auto r = build_variant([](gguf::GgufWriter&) {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)->config().n_layer, 2);
  EXPECT_EQ((*r)->config().n_vocab, 512);
}

TEST_F(ModelLoad, UnsupportedArchitectureListsSupportedOnes) {
  auto r = build_variant([](gguf::GgufWriter& w) { w.set_string("general.architecture", "mamba"); });
  expect_error(r, error_code::unsupported, "'mamba'");
  EXPECT_NE(r.status().message().find("llama"), std::string::npos);
  EXPECT_NE(r.status().message().find("qwen2"), std::string::npos);
}

TEST_F(ModelLoad, MissingTensorIsNamed) {
  auto r = build_variant([](gguf::GgufWriter&) {}, [](const gguf::TensorInfo& t) { return t.name != "blk.1.ffn_up.weight"; });
  expect_error(r, error_code::invalid_file, "blk.1.ffn_up.weight");
}

TEST_F(ModelLoad, MissingHyperParameterIsNamed) {
  auto r = build_variant([](gguf::GgufWriter& w) { w.remove("llama.block_count"); });
  expect_error(r, error_code::invalid_file, "llama.block_count");
}

TEST_F(ModelLoad, InconsistentHeadsAreRejected) {
  auto r = build_variant([](gguf::GgufWriter& w) { w.set_u32("llama.attention.head_count_kv", 3); });
  expect_error(r, error_code::invalid_file, "head_count_kv");
  auto r2 = build_variant([](gguf::GgufWriter& w) { w.set_u32("llama.embedding_length", 4000000000u); });
  expect_error(r2, error_code::invalid_file, "embedding_length");
}

TEST_F(ModelLoad, WrongShapeIsNamed) {
  // Claim a wider model than the tensors hold.
  auto r = build_variant([](gguf::GgufWriter& w) {
    w.set_u32("llama.embedding_length", 512);
    w.set_u32("llama.rope.dimension_count", 64);
  });
  expect_error(r, error_code::invalid_file, "shape");
}

TEST_F(ModelLoad, WrongValueTypeForKnownKeyIsNamed) {
  auto r = build_variant([](gguf::GgufWriter& w) { w.set_string("llama.feed_forward_length", "768"); });
  expect_error(r, error_code::invalid_file, "llama.feed_forward_length");
}

TEST_F(ModelLoad, RopeScaling) {
  auto yarn = build_variant([](gguf::GgufWriter& w) { w.set_string("llama.rope.scaling.type", "yarn"); });
  expect_error(yarn, error_code::unsupported, "yarn");
  auto linear = build_variant([](gguf::GgufWriter& w) {
    w.set_string("llama.rope.scaling.type", "linear");
    w.set_f32("llama.rope.scaling.factor", 4.0f);
  });
  ASSERT_TRUE(linear.ok()) << linear.status().to_string();
  EXPECT_FLOAT_EQ((*linear)->config().rope_linear_scale, 4.0f);
}

}  // namespace
}  // namespace plexus::model

// Real tensors from ../shared/models/synth: the quantized files were written by llama-quantize
// from synth-llama-F32.gguf, so
//   - dequantizing any of their tensors must land close to the F32 original (a layout bug gives
//     errors of order 1, not the type's few percent),
//   - re-quantizing the F32 tensor with our reference quantizers must give the very same bytes
//     for the types whose llama-quantize path is ggml's *_ref without imatrix (Q4_0, Q4_1, Q5_0,
//     Q5_1, Q8_0) and for F16/BF16,
//   - our own k-quant search must come close to llama-quantize's error on the same tensors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "tensor/quant.h"
#include "test_paths.h"

namespace plexus::tensor {
namespace {

namespace fs = std::filesystem;

fs::path synth_dir() { return plexus::testing::shared_dir() / "models" / "synth"; }

std::unique_ptr<gguf::GgufFile> open_synth(const std::string& name) {
  const fs::path p = synth_dir() / name;
  if (!fs::exists(p)) return nullptr;
  auto r = gguf::GgufFile::open(p.string());
  EXPECT_TRUE(r.ok()) << name << ": " << r.status().to_string();
  return r.ok() ? std::move(r).value() : nullptr;
}

// The 2-D weight matrices of synth-llama (norms stay F32 in every file).
const std::vector<std::string>& matrix_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v = {"token_embd.weight", "output.weight"};
    for (int l = 0; l < 2; ++l) {
      for (const char* t : {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"}) {
        v.push_back("blk." + std::to_string(l) + "." + t + ".weight");
      }
    }
    return v;
  }();
  return names;
}

// All rows of a 2-D tensor as floats ([dims[1]][dims[0]]).
std::vector<float> dequantize_tensor(const gguf::TensorInfo& t) {
  const int64_t cols = t.dims[0];
  const int64_t rows = static_cast<int64_t>(t.n_elements) / cols;
  const uint64_t stride = *row_bytes(t.type, static_cast<uint64_t>(cols));
  std::vector<float> out(t.n_elements);
  for (int64_t r = 0; r < rows; ++r) dequantize_row(t.type, t.data + r * stride, out.data() + r * cols, cols);
  return out;
}

std::vector<uint8_t> quantize_tensor(tensor_type type, const std::vector<float>& x, int64_t cols) {
  const int64_t rows = static_cast<int64_t>(x.size()) / cols;
  const uint64_t stride = *row_bytes(type, static_cast<uint64_t>(cols));
  std::vector<uint8_t> out(stride * rows);
  for (int64_t r = 0; r < rows; ++r) quantize_row(type, x.data() + r * cols, out.data() + r * stride, cols);
  return out;
}

double relative_rmse(const std::vector<float>& ref, const std::vector<float>& got) {
  double err = 0, norm = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = static_cast<double>(ref[i]) - got[i];
    err += d * d;
    norm += static_cast<double>(ref[i]) * ref[i];
  }
  return std::sqrt(err / norm);
}

class SynthModels : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = open_synth("synth-llama-F32.gguf");
    if (base_ == nullptr) GTEST_SKIP() << "synth models not found under " << synth_dir();
  }
  std::vector<float> base_tensor(const std::string& name) {
    const gguf::TensorInfo* t = base_->find_tensor(name);
    EXPECT_NE(t, nullptr) << name;
    return t ? dequantize_tensor(*t) : std::vector<float>{};
  }
  std::unique_ptr<gguf::GgufFile> base_;
};

TEST_F(SynthModels, DequantizedTensorsMatchTheF32Originals) {
  // Upper bounds on the relative RMS error of each type; the measured errors (printed) sit
  // 10-40% below them.
  const std::map<std::string, double> files = {
      {"synth-llama-F16.gguf", 4e-4},         {"synth-llama-BF16.gguf", 3e-3},
      {"synth-llama-Q8_0.gguf", 0.006},       {"synth-llama-Q6_K.gguf", 0.03},
      {"synth-llama-Q5_K-pure.gguf", 0.05},   {"synth-llama-Q5_1-pure.gguf", 0.05},
      {"synth-llama-Q5_0-pure.gguf", 0.055},  {"synth-llama-Q4_K-pure.gguf", 0.10},
      {"synth-llama-Q4_1-pure.gguf", 0.10},   {"synth-llama-Q4_0-pure.gguf", 0.11},
      {"synth-llama-Q3_K-pure.gguf", 0.20},   {"synth-llama-Q2_K-pure.gguf", 0.36},
      {"synth-llama-Q4_K_M.gguf", 0.10},      {"synth-llama-Q3_K_M.gguf", 0.20},
  };
  for (const auto& [file, bound] : files) {
    auto f = open_synth(file);
    ASSERT_NE(f, nullptr) << file;
    double worst = 0;
    for (const std::string& name : matrix_names()) {
      const gguf::TensorInfo* t = f->find_tensor(name);
      ASSERT_NE(t, nullptr) << file << " " << name;
      ASSERT_TRUE(can_dequantize(t->type)) << file << " " << name;
      const double err = relative_rmse(base_tensor(name), dequantize_tensor(*t));
      worst = std::max(worst, err);
      EXPECT_LE(err, bound) << file << " " << name << " (" << tensor_type_name(t->type) << ")";
    }
    std::printf("%-28s worst relative rmse %.5f (bound %.4f)\n", file.c_str(), worst, bound);
  }
}

TEST_F(SynthModels, ReferenceQuantizersReproduceLlamaQuantizeBytes) {
  const std::map<std::string, tensor_type> files = {
      {"synth-llama-F16.gguf", tensor_type::f16},         {"synth-llama-BF16.gguf", tensor_type::bf16},
      {"synth-llama-Q8_0.gguf", tensor_type::q8_0},       {"synth-llama-Q4_0-pure.gguf", tensor_type::q4_0},
      {"synth-llama-Q4_1-pure.gguf", tensor_type::q4_1},  {"synth-llama-Q5_0-pure.gguf", tensor_type::q5_0},
      {"synth-llama-Q5_1-pure.gguf", tensor_type::q5_1},
  };
  for (const auto& [file, type] : files) {
    auto f = open_synth(file);
    ASSERT_NE(f, nullptr) << file;
    for (const std::string& name : matrix_names()) {
      const gguf::TensorInfo* t = f->find_tensor(name);
      ASSERT_NE(t, nullptr) << file << " " << name;
      ASSERT_EQ(t->type, type) << file << " " << name;
      const auto ours = quantize_tensor(type, base_tensor(name), t->dims[0]);
      ASSERT_EQ(ours.size(), t->n_bytes) << file << " " << name;
      size_t first_diff = ours.size();
      for (size_t i = 0; i < ours.size(); ++i) {
        if (ours[i] != t->data[i]) {
          first_diff = i;
          break;
        }
      }
      EXPECT_EQ(first_diff, ours.size()) << file << " " << name << ": first differing byte";
    }
  }
}

TEST_F(SynthModels, KQuantSearchIsCloseToLlamaQuantize) {
  const std::map<std::string, tensor_type> files = {
      {"synth-llama-Q2_K-pure.gguf", tensor_type::q2_k}, {"synth-llama-Q3_K-pure.gguf", tensor_type::q3_k},
      {"synth-llama-Q4_K-pure.gguf", tensor_type::q4_k}, {"synth-llama-Q5_K-pure.gguf", tensor_type::q5_k},
      {"synth-llama-Q6_K.gguf", tensor_type::q6_k},
  };
  // Only a few tensors: the search is the slow part of this test.
  const std::vector<std::string> names = {"blk.0.attn_q.weight", "blk.1.ffn_down.weight", "token_embd.weight"};
  for (const auto& [file, type] : files) {
    auto f = open_synth(file);
    ASSERT_NE(f, nullptr) << file;
    for (const std::string& name : names) {
      const gguf::TensorInfo* t = f->find_tensor(name);
      ASSERT_NE(t, nullptr);
      const auto x = base_tensor(name);
      const double theirs = relative_rmse(x, dequantize_tensor(*t));
      gguf::TensorInfo mine = *t;
      const auto bytes = quantize_tensor(type, x, t->dims[0]);
      mine.data = bytes.data();
      const double ours = relative_rmse(x, dequantize_tensor(mine));
      std::printf("%-5s %-24s llama-quantize %.5f ours %.5f\n", tensor_type_name(type), name.c_str(), theirs, ours);
      EXPECT_LE(ours, theirs * 1.15) << tensor_type_name(type) << " " << name;
    }
  }
}

}  // namespace
}  // namespace plexus::tensor

// Quantized outputs load and pass the generation goldens (teacher forced), with the tolerances of
// golden/generation/README.md for the file's main type.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "quantize/quantizer.h"
#include "runtime/loaded_model.h"
#include "runtime/session.h"
#include "sampling/sampler.h"
#include "test_paths.h"

namespace plexus::quantize {
namespace {

namespace fs = std::filesystem;

struct GoldenCheck {
  const char* model;   // synth-llama
  const char* recipe;  // Q4_K_M
  double logprob_tol;  // README: k-quants 1.25, legacy types 1.0
  double top1_tol;     // README: k-quants 0.75, legacy types 0.5
};

class QuantizedGolden : public ::testing::TestWithParam<GoldenCheck> {};

TEST_P(QuantizedGolden, TeacherForcedWithinTolerance) {
  const GoldenCheck& g = GetParam();
  const fs::path shared = testing::shared_dir();
  const fs::path out =
      fs::temp_directory_path() / ("plexus_qgolden_" + std::to_string(::getpid()) + "_" + g.model + g.recipe + ".gguf");
  ThreadPool pool(2);
  QuantizeOptions options;
  options.recipe = g.recipe;
  auto stats = quantize_file((shared / "models" / "synth" / (std::string(g.model) + "-F32.gguf")).string(),
                             out.string(), options, pool);
  ASSERT_TRUE(stats.ok()) << stats.status().to_string();
  auto loaded = runtime::load_model(out.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  const auto& model = **loaded;
  const int64_t n_vocab = model.model->config().n_vocab;
  runtime::SessionOptions sopts;
  sopts.n_ctx = 512;
  runtime::Session session(model, pool, sopts);

  std::ifstream in(shared / "golden" / "generation" / (std::string(g.model) + "-" + g.recipe + ".jsonl"));
  ASSERT_TRUE(in.good());
  std::string line;
  int cases = 0;
  while (std::getline(in, line) && cases < 3) {
    if (line.empty()) continue;
    ++cases;
    const auto j = nlohmann::json::parse(line);
    const auto prompt_ids = j["prompt_ids"].get<std::vector<int32_t>>();
    const auto ids = j["ids"].get<std::vector<int32_t>>();
    std::vector<int32_t> seq = prompt_ids;
    seq.insert(seq.end(), ids.begin(), ids.end());
    seq.pop_back();
    std::vector<float> logits;
    ASSERT_TRUE(session.evaluate(seq, static_cast<int64_t>(prompt_ids.size()) - 1, logits).ok());
    std::vector<float> lp(static_cast<size_t>(n_vocab));
    for (size_t step = 0; step < ids.size(); ++step) {
      std::span<const float> row(logits.data() + step * static_cast<size_t>(n_vocab), static_cast<size_t>(n_vocab));
      sampling::log_softmax(row, lp);
      const auto& top = j["top"][step];
      for (size_t k = 0; k < top.size(); ++k) {
        const double diff = std::abs(lp[top[k][0].get<size_t>()] - top[k][1].get<double>());
        EXPECT_LE(diff, k == 0 ? g.top1_tol : g.logprob_tol) << "step " << step << " rank " << k;
      }
    }
  }
  EXPECT_GT(cases, 0);
  fs::remove(out);
}

INSTANTIATE_TEST_SUITE_P(Recipes, QuantizedGolden,
                         ::testing::Values(GoldenCheck{"synth-llama", "Q4_K_M", 1.25, 0.75},
                                           GoldenCheck{"synth-llama", "Q8_0", 1.0, 0.5},
                                           GoldenCheck{"synth-qwen2", "Q5_K_M", 1.25, 0.75},
                                           GoldenCheck{"synth-llama3", "Q3_K_M", 1.25, 0.75},
                                           GoldenCheck{"synth-llama3", "Q4_0", 1.0, 0.5}),
                         [](const ::testing::TestParamInfo<GoldenCheck>& info) {
                           std::string name = std::string(info.param.model) + "_" + info.param.recipe;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace plexus::quantize

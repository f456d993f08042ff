// Row ops against their defining formulas evaluated in double: rms_norm, layer_norm, rope (norm
// and neox, frequency factors, partial rotation), softmax (stability), silu_mul, gelu, add.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/ops.h"

namespace plexus::kernels {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed, float stddev = 1.0f, float mean = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(mean, stddev);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(RmsNorm, MatchesFormula) {
  const int64_t n = 256;
  const auto x = random_floats(n, 1, 3.0f, 0.5f);
  const auto g = random_floats(n, 2, 0.2f, 1.0f);
  for (const float* gain : {g.data(), static_cast<const float*>(nullptr)}) {
    std::vector<float> y(n);
    rms_norm(x.data(), gain, y.data(), n, 1e-5f);
    double ss = 0;
    for (float v : x) ss += static_cast<double>(v) * v;
    const double inv = 1.0 / std::sqrt(ss / n + 1e-5);
    for (int64_t i = 0; i < n; ++i) {
      const double expected = x[i] * inv * (gain ? gain[i] : 1.0);
      EXPECT_NEAR(y[i], expected, 2e-6 * (1 + std::fabs(expected))) << i;
    }
  }
}

TEST(RmsNorm, InPlaceAndZeroRow) {
  std::vector<float> x = {3.0f, -4.0f};
  rms_norm(x.data(), nullptr, x.data(), 2, 0.0f);  // rms = sqrt(12.5)
  EXPECT_NEAR(x[0], 3.0 / std::sqrt(12.5), 1e-6);
  EXPECT_NEAR(x[1], -4.0 / std::sqrt(12.5), 1e-6);
  std::vector<float> z(8, 0.0f), out(8, 1.0f);
  rms_norm(z.data(), nullptr, out.data(), 8, 1e-6f);
  for (float v : out) EXPECT_EQ(v, 0.0f);
}

TEST(LayerNorm, MatchesFormula) {
  const int64_t n = 128;
  const auto x = random_floats(n, 3, 2.0f, 5.0f);
  const auto g = random_floats(n, 4, 0.1f, 1.0f);
  const auto b = random_floats(n, 5, 0.3f);
  double mean = 0;
  for (float v : x) mean += v;
  mean /= n;
  double var = 0;
  for (float v : x) var += (v - mean) * (v - mean);
  var /= n;  // biased
  const double inv = 1.0 / std::sqrt(var + 1e-12);
  std::vector<float> y(n);
  layer_norm(x.data(), g.data(), b.data(), y.data(), n, 1e-12f);
  for (int64_t i = 0; i < n; ++i) {
    const double expected = (x[i] - mean) * inv * g[i] + b[i];
    EXPECT_NEAR(y[i], expected, 3e-6 * (1 + std::fabs(expected))) << i;
  }
  layer_norm(x.data(), nullptr, nullptr, y.data(), n, 1e-12f);
  double s = 0, s2 = 0;
  for (float v : y) {
    s += v;
    s2 += static_cast<double>(v) * v;
  }
  EXPECT_NEAR(s / n, 0.0, 1e-6);
  EXPECT_NEAR(s2 / n, 1.0, 1e-5);
}

// Direct evaluation in double of the rotation rope() applies.
std::vector<float> rope_reference(const std::vector<float>& x, int64_t n_heads, int64_t head_dim, int64_t n_rot,
                                  int64_t pos, double base, const float* ff, rope_style style) {
  std::vector<float> out = x;
  for (int64_t h = 0; h < n_heads; ++h) {
    for (int64_t i = 0; i < n_rot / 2; ++i) {
      const double theta = pos * std::pow(base, -2.0 * i / n_rot) / (ff ? ff[i] : 1.0);
      const int64_t a = h * head_dim + (style == rope_style::norm ? 2 * i : i);
      const int64_t b = h * head_dim + (style == rope_style::norm ? 2 * i + 1 : i + n_rot / 2);
      out[a] = static_cast<float>(x[a] * std::cos(theta) - x[b] * std::sin(theta));
      out[b] = static_cast<float>(x[a] * std::sin(theta) + x[b] * std::cos(theta));
    }
  }
  return out;
}

TEST(Rope, MatchesDirectFormula) {
  const int64_t n_heads = 4, head_dim = 32;
  const auto x = random_floats(n_heads * head_dim, 6);
  std::vector<float> ff(16, 1.0f);
  for (int i = 0; i < 16; ++i) ff[i] = i < 8 ? 1.0f : (i == 8 ? 2.6945298f : 8.0f);  // synth-llama3's divisors
  for (rope_style style : {rope_style::norm, rope_style::neox}) {
    for (int64_t pos : {0, 1, 17, 100, 1000}) {
      for (const float* factors : {static_cast<const float*>(nullptr), static_cast<const float*>(ff.data())}) {
        for (float base : {10000.0f, 500000.0f}) {
          std::vector<float> y = x;
          rope(y.data(), n_heads, head_dim, head_dim, pos, base, factors, style);
          const auto expected = rope_reference(x, n_heads, head_dim, head_dim, pos, base, factors, style);
          // float angles built by repeated multiplication: the error grows with pos (measured
          // ~1.7e-8 * pos for unit inputs; see ref_ops.cpp)
          const double tol = 1e-6 + 5e-8 * static_cast<double>(pos);
          for (size_t i = 0; i < y.size(); ++i) {
            ASSERT_NEAR(y[i], expected[i], tol) << "style " << static_cast<int>(style) << " pos " << pos << " i " << i;
          }
        }
      }
    }
  }
}

TEST(Rope, PartialRotationLeavesTheTailAlone) {
  const int64_t n_heads = 2, head_dim = 16, n_rot = 8;
  const auto x = random_floats(n_heads * head_dim, 7);
  for (rope_style style : {rope_style::norm, rope_style::neox}) {
    std::vector<float> y = x;
    rope(y.data(), n_heads, head_dim, n_rot, 5, 10000.0f, nullptr, style);
    const auto expected = rope_reference(x, n_heads, head_dim, n_rot, 5, 10000.0, nullptr, style);
    for (int64_t h = 0; h < n_heads; ++h) {
      for (int64_t d = 0; d < head_dim; ++d) {
        const size_t i = static_cast<size_t>(h * head_dim + d);
        if (d >= n_rot) {
          EXPECT_EQ(y[i], x[i]);
        } else {
          EXPECT_NEAR(y[i], expected[i], 1e-5);
        }
      }
    }
  }
}

TEST(Rope, PositionZeroIsIdentityAndNormsArePreserved) {
  const auto x = random_floats(64, 8);
  std::vector<float> y = x;
  rope(y.data(), 2, 32, 32, 0, 10000.0f, nullptr, rope_style::norm);
  EXPECT_EQ(y, x);
  rope(y.data(), 2, 32, 32, 123, 10000.0f, nullptr, rope_style::norm);
  for (size_t i = 0; i < 64; i += 2) {
    EXPECT_NEAR(std::hypot(y[i], y[i + 1]), std::hypot(x[i], x[i + 1]), 1e-5);
  }
}

TEST(Softmax, StableForLargeValues) {
  std::vector<float> x = {1000.0f, 1001.0f, 1002.0f, -1e30f};
  softmax(x.data(), 4);
  const double z = 1 + std::exp(1.0) + std::exp(2.0);
  EXPECT_NEAR(x[0], 1 / z, 1e-7);
  EXPECT_NEAR(x[1], std::exp(1.0) / z, 1e-7);
  EXPECT_NEAR(x[2], std::exp(2.0) / z, 1e-7);
  EXPECT_EQ(x[3], 0.0f);
}

TEST(Softmax, MatchesFormulaAndSumsToOne) {
  auto x = random_floats(1000, 9, 5.0f);
  std::vector<float> y = x;
  softmax(y.data(), 1000);
  double max = -INFINITY;
  for (float v : x) max = std::max(max, static_cast<double>(v));
  double z = 0;
  for (float v : x) z += std::exp(v - max);
  double total = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double expected = std::exp(x[i] - max) / z;
    EXPECT_NEAR(y[i], expected, 1e-6 * expected + 1e-12);
    total += y[i];
  }
  EXPECT_NEAR(total, 1.0, 1e-5);
}

TEST(Softmax, MaskedEntriesAndSingleElement) {
  std::vector<float> x = {-INFINITY, 0.5f, -INFINITY, 0.5f};
  softmax(x.data(), 4);
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_EQ(x[2], 0.0f);
  EXPECT_FLOAT_EQ(x[1], 0.5f);
  EXPECT_FLOAT_EQ(x[3], 0.5f);
  float one = -123.0f;
  softmax(&one, 1);
  EXPECT_EQ(one, 1.0f);
}

TEST(Activations, SiluMul) {
  const auto g = random_floats(100, 10, 4.0f);
  const auto u = random_floats(100, 11);
  std::vector<float> y = g;
  silu_mul(y.data(), u.data(), 100);
  for (size_t i = 0; i < g.size(); ++i) {
    const double expected = g[i] / (1 + std::exp(-static_cast<double>(g[i]))) * u[i];
    EXPECT_NEAR(y[i], expected, 1e-6 * (1 + std::fabs(expected)));
  }
  std::vector<float> extreme = {-100.0f, 100.0f, 0.0f};
  const std::vector<float> ones(3, 1.0f);
  silu_mul(extreme.data(), ones.data(), 3);
  EXPECT_NEAR(extreme[0], 0.0f, 1e-30);
  EXPECT_EQ(extreme[1], 100.0f);
  EXPECT_EQ(extreme[2], 0.0f);
}

TEST(Activations, GeluTanhApproximation) {
  const auto x = random_floats(200, 12, 3.0f);
  std::vector<float> y = x;
  gelu(y.data(), 200);
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    const double expected = 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * v * (1 + 0.044715 * v * v)));
    EXPECT_NEAR(y[i], expected, 1e-6 * (1 + std::fabs(expected)));
  }
  std::vector<float> extreme = {-50.0f, 50.0f, 0.0f};
  gelu(extreme.data(), 3);
  EXPECT_EQ(extreme[0], 0.0f);
  EXPECT_EQ(extreme[1], 50.0f);
  EXPECT_EQ(extreme[2], 0.0f);
}

TEST(Activations, Add) {
  std::vector<float> y = {1.0f, 2.0f, 3.0f};
  const std::vector<float> x = {0.5f, -2.0f, 1e-8f};
  add(y.data(), x.data(), 3);
  EXPECT_EQ(y, (std::vector<float>{1.5f, 0.0f, 3.0f}));
}

}  // namespace
}  // namespace plexus::kernels

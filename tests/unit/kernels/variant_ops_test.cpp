// Row ops of every faster variant against the reference: rms_norm, softmax, silu_mul, gelu, add,
// dot_f32, axpy_f32, over lengths that exercise vector tails, and their special values. Stated
// tolerances (relative to the magnitude of the result): rms_norm 1e-6 (double sums in another
// order), softmax / silu_mul / gelu 1e-6 (a vector e^x within 2 ulp of expf), add exact,
// dot_f32 1e-6 of sum |a_i b_i| (float sums in 8-lane order), axpy_f32 1e-6 (FMA: one rounding).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/op_table.h"

namespace plexus::kernels {
namespace {

using testing::random_floats;

const int64_t kLengths[] = {1, 3, 8, 9, 31, 64, 67, 1000, 2048};

std::vector<const op_table*> fast_variants() {
  std::vector<const op_table*> v;
  for (const op_table* t : available_op_tables()) {
    if (t != &reference_op_table()) v.push_back(t);
  }
  return v;
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, double rel, const char* op,
                  const op_table* v, int64_t n) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << op << " " << v->name << " n " << n << " i " << i;
      continue;
    }
    if (std::isinf(want[i])) {
      EXPECT_EQ(got[i], want[i]) << op << " " << v->name << " n " << n << " i " << i;
      continue;
    }
    EXPECT_NEAR(got[i], want[i], rel * std::fabs(want[i]) + 1e-30) << op << " " << v->name << " n " << n << " i " << i;
  }
}

TEST(VariantOps, RmsNorm) {
  for (const op_table* v : fast_variants()) {
    for (int64_t n : kLengths) {
      const auto x = random_floats(static_cast<size_t>(n), 1, 3.0f);
      const auto g = random_floats(static_cast<size_t>(n), 2);
      for (const float* gain : {g.data(), static_cast<const float*>(nullptr)}) {
        std::vector<float> want(x.size()), got(x.size(), NAN);
        reference_op_table().rms_norm(x.data(), gain, want.data(), n, 1e-5f);
        v->rms_norm(x.data(), gain, got.data(), n, 1e-5f);
        expect_close(got, want, 1e-6, "rms_norm", v, n);
      }
      std::vector<float> in_place = x, want(x.size());
      reference_op_table().rms_norm(x.data(), nullptr, want.data(), n, 1e-5f);
      v->rms_norm(in_place.data(), nullptr, in_place.data(), n, 1e-5f);
      expect_close(in_place, want, 1e-6, "rms_norm in place", v, n);
    }
  }
}

TEST(VariantOps, Softmax) {
  const float inf = std::numeric_limits<float>::infinity();
  for (const op_table* v : fast_variants()) {
    for (int64_t n : kLengths) {
      for (float scale : {1.0f, 30.0f}) {
        auto x = random_floats(static_cast<size_t>(n), 3, scale);
        if (n > 4) x[2] = -inf;  // a masked position
        std::vector<float> want = x, got = x;
        reference_op_table().softmax(want.data(), n);
        v->softmax(got.data(), n);
        expect_close(got, want, 1e-6, "softmax", v, n);
        if (n > 4) {
          EXPECT_EQ(got[2], 0.0f);
        }
      }
    }
    std::vector<float> all_masked(11, -inf);
    v->softmax(all_masked.data(), 11);  // NaN, as the reference
    for (float f : all_masked) EXPECT_TRUE(std::isnan(f)) << v->name;
    std::vector<float> huge = {1e30f, -1e30f, 1e30f, 0.0f, 88.0f, -200.0f, 3e38f, 3e38f, 1.0f};
    std::vector<float> want = huge;
    reference_op_table().softmax(want.data(), 9);
    v->softmax(huge.data(), 9);
    expect_close(huge, want, 1e-6, "softmax huge", v, 9);
  }
}

TEST(VariantOps, SiluMulAndGelu) {
  for (const op_table* v : fast_variants()) {
    for (int64_t n : kLengths) {
      auto g = random_floats(static_cast<size_t>(n), 4, 6.0f);
      if (n > 8) {
        g[0] = -120.0f;  // e^120 overflows: silu = -0
        g[1] = 120.0f;
        g[2] = -88.5f;
        g[3] = 0.0f;
        g[4] = std::numeric_limits<float>::infinity();
        g[5] = -std::numeric_limits<float>::infinity();
      }
      const auto up = random_floats(static_cast<size_t>(n), 5);
      std::vector<float> want = g, got = g;
      reference_op_table().silu_mul(want.data(), up.data(), n);
      v->silu_mul(got.data(), up.data(), n);
      expect_close(got, want, 1e-6, "silu_mul", v, n);
      want = g;
      got = g;
      reference_op_table().gelu(want.data(), n);
      v->gelu(got.data(), n);
      // tanh via e^2z: near z = 0 the absolute error is ~1e-7 on a factor (1 + tanh) ~ 1.
      for (size_t i = 0; i < got.size(); ++i) {
        if (std::isnan(want[i])) {
          EXPECT_TRUE(std::isnan(got[i]));
        } else if (std::isinf(want[i])) {
          EXPECT_EQ(got[i], want[i]);
        } else {
          EXPECT_NEAR(got[i], want[i], 1e-6 * std::fabs(want[i]) + 1e-7 * std::fabs(g[i]) + 1e-30)
              << "gelu " << v->name << " n " << n << " x " << g[i];
        }
      }
    }
  }
}

TEST(VariantOps, AddDotAxpy) {
  for (const op_table* v : fast_variants()) {
    for (int64_t n : kLengths) {
      const auto a = random_floats(static_cast<size_t>(n), 6);
      const auto b = random_floats(static_cast<size_t>(n), 7);
      std::vector<float> want = a, got = a;
      reference_op_table().add(want.data(), b.data(), n);
      v->add(got.data(), b.data(), n);
      EXPECT_EQ(got, want) << "add " << v->name << " n " << n;

      double abs_sum = 0;
      for (int64_t i = 0; i < n; ++i) abs_sum += std::fabs(static_cast<double>(a[i]) * b[i]);
      EXPECT_NEAR(v->dot_f32(a.data(), b.data(), n), reference_op_table().dot_f32(a.data(), b.data(), n), 1e-6 * abs_sum)
          << "dot_f32 " << v->name << " n " << n;

      want = a;
      got = a;
      reference_op_table().axpy_f32(want.data(), 0.37f, b.data(), n);
      v->axpy_f32(got.data(), 0.37f, b.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        EXPECT_NEAR(got[i], want[i], 1e-6 * (std::fabs(a[i]) + std::fabs(0.37f * b[i]))) << "axpy " << v->name << " i " << i;
      }
    }
    EXPECT_EQ(v->dot_f32(nullptr, nullptr, 0), 0.0f);
    v->axpy_f32(nullptr, 1.0f, nullptr, 0);  // no-op
  }
}

}  // namespace
}  // namespace plexus::kernels

// attention_group (ops.h) of every variant, the scalar reference included, against a plain
// two-pass softmax in double over the same float inputs: group sizes 1..12, head_dim 3..128
// (vector tails), spans 1..2000 in chunks of 1, 16 and 256 rows (ragged last chunk, blocks out of
// order in memory, padded row stride), score magnitudes up to ~1e4, -inf scores, empty spans and a
// 128K-position span.
//
// Tolerance: |got - want| <= kTol * (1 + S) * W + kFloor, where S = max_j scale * sum_d |q_d k_jd|
// bounds the magnitude of the float dot products, and W = sum_j p_j |v_jd| / sum_j p_j is the
// weighted mean of |v| (the scale of the output's terms). A score computed in float is off by up
// to ~head_dim * eps * S in absolute terms (a few eps * S for the pairwise/FMA orders used here),
// which changes its weight e^s by that much relatively, so output errors proportional to S * W are
// inherent to float scores (the code this op replaced has them too). The float running sums add
// errors of a few eps * W (rounding of 2000 terms, random signs; the rescales of the accumulator).
// Measured worst case (ref, avx2, avx512): 1e-7 of (1 + S) * W for spans up to 2000, 3e-7 over
// the 128K span; kTol = 1e-5 leaves a 30x margin and still catches a wrong row, head, scale or a
// lost rescale (errors of 1e-2 of W and more).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/op_table.h"

namespace plexus::kernels {
namespace {

using testing::random_floats;

constexpr double kTol = 1e-5;
constexpr double kFloor = 1e-30;

// A span of n_rows key/value rows in blocks of chunk_rows, blocks stored in a shuffled order, each
// row row_stride floats apart (head_dim used, the rest padding that must not be read as data).
struct paged_span {
  int64_t head_dim = 0, n_rows = 0, chunk_rows = 0, row_stride = 0;
  std::vector<float> k_store, v_store;
  std::vector<const float*> k_chunks, v_chunks;

  const float* k(int64_t j) const { return k_chunks[static_cast<size_t>(j / chunk_rows)] + (j % chunk_rows) * row_stride; }
  const float* v(int64_t j) const { return v_chunks[static_cast<size_t>(j / chunk_rows)] + (j % chunk_rows) * row_stride; }
};

paged_span make_span(int64_t head_dim, int64_t n_rows, int64_t chunk_rows, uint32_t seed, float k_scale) {
  paged_span s;
  s.head_dim = head_dim;
  s.n_rows = n_rows;
  s.chunk_rows = chunk_rows;
  s.row_stride = head_dim + 5;
  const int64_t n_chunks = (n_rows + chunk_rows - 1) / chunk_rows;
  const auto floats = static_cast<size_t>(std::max<int64_t>(n_chunks, 1) * chunk_rows * s.row_stride);
  s.k_store = random_floats(floats, seed, k_scale);
  s.v_store = random_floats(floats, seed + 1);
  std::vector<int64_t> order(static_cast<size_t>(n_chunks));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  for (int64_t c = 0; c < n_chunks; ++c) {
    const auto at = static_cast<size_t>(order[static_cast<size_t>(c)] * chunk_rows * s.row_stride);
    s.k_chunks.push_back(s.k_store.data() + at);
    s.v_chunks.push_back(s.v_store.data() + at);
  }
  return s;
}

// The expected output of one head and, per element, its error scale (1 + S) * W.
struct expected {
  std::vector<double> out, scale;
};

expected reference(const float* q, const paged_span& s, float scale) {
  const int64_t hd = s.head_dim;
  std::vector<double> sc(static_cast<size_t>(s.n_rows));
  double max = -std::numeric_limits<double>::infinity(), s_abs = 0;
  for (int64_t j = 0; j < s.n_rows; ++j) {
    double dot = 0, abs = 0;
    for (int64_t d = 0; d < hd; ++d) {
      dot += static_cast<double>(q[d]) * s.k(j)[d];
      abs += std::fabs(static_cast<double>(q[d]) * s.k(j)[d]);
    }
    sc[static_cast<size_t>(j)] = dot * scale;
    if (std::isfinite(abs)) s_abs = std::max(s_abs, abs * scale);
    max = std::max(max, sc[static_cast<size_t>(j)]);
  }
  expected e;
  e.out.assign(static_cast<size_t>(hd), 0.0);
  e.scale.assign(static_cast<size_t>(hd), 0.0);
  double sum = 0;
  for (int64_t j = 0; j < s.n_rows; ++j) {
    const double p = std::exp(sc[static_cast<size_t>(j)] - max);
    sum += p;
    for (int64_t d = 0; d < hd; ++d) {
      e.out[static_cast<size_t>(d)] += p * s.v(j)[d];
      e.scale[static_cast<size_t>(d)] += p * std::fabs(s.v(j)[d]);
    }
  }
  for (int64_t d = 0; d < hd; ++d) {
    e.out[static_cast<size_t>(d)] /= sum;
    e.scale[static_cast<size_t>(d)] = e.scale[static_cast<size_t>(d)] / sum * (1.0 + s_abs);
  }
  return e;
}

// Runs every variant on n_q heads (q rows q_stride apart, outputs out_stride apart) and checks
// each head against the double reference. *worst (when given) is raised to the largest error
// relative to the error scale.
void check_all(const paged_span& s, int64_t n_q, const std::vector<float>& q, int64_t q_stride, float scale,
               const std::string& what, double* worst = nullptr) {
  const int64_t hd = s.head_dim;
  const int64_t out_stride = hd + 3;
  std::vector<expected> want;
  for (int64_t h = 0; h < n_q; ++h) want.push_back(reference(q.data() + h * q_stride, s, scale));
  for (const op_table* t : available_op_tables()) {
    std::vector<float> out(static_cast<size_t>(n_q * out_stride), 12345.0f);
    t->attention_group(q.data(), q_stride, n_q, hd, scale, s.k_chunks.data(), s.v_chunks.data(), s.chunk_rows, s.n_rows,
                       s.row_stride, out.data(), out_stride);
    for (int64_t h = 0; h < n_q; ++h) {
      for (int64_t d = 0; d < out_stride; ++d) {
        const float got = out[static_cast<size_t>(h * out_stride + d)];
        if (d >= hd) {
          ASSERT_EQ(got, 12345.0f) << t->name << " wrote past head_dim: " << what;
          continue;
        }
        const double w = want[static_cast<size_t>(h)].out[static_cast<size_t>(d)];
        const double tol_scale = want[static_cast<size_t>(h)].scale[static_cast<size_t>(d)];
        const double err = std::fabs(got - w);
        ASSERT_LE(err, kTol * tol_scale + kFloor)
            << t->name << " " << what << " head " << h << " d " << d << " got " << got << " want " << w;
        if (worst != nullptr && tol_scale > 0) *worst = std::max(*worst, err / tol_scale);
      }
    }
  }
}

TEST(AttentionGroup, ShapesChunksAndSpans) {
  double worst = 0;
  uint32_t seed = 1;
  for (int64_t hd : {16, 64, 128, 80, 72, 20, 3}) {
    for (int64_t group : {1, 2, 3, 4, 5, 8}) {
      for (int64_t span : {1, 2, 15, 16, 17, 33, 100, 2000}) {
        for (int64_t chunk : {1, 16, 256}) {
          if (span == 2000 && (chunk == 1 || group == 3 || group == 5)) continue;  // keeps the test fast
          const paged_span s = make_span(hd, span, chunk, seed++, 1.0f);
          const int64_t q_stride = hd * 2 + 1;  // heads need not be adjacent
          const auto q = random_floats(static_cast<size_t>(group * q_stride), seed++, 1.0f);
          const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
          const std::string what = "hd " + std::to_string(hd) + " group " + std::to_string(group) + " span " +
                                   std::to_string(span) + " chunk " + std::to_string(chunk);
          check_all(s, group, q, q_stride, scale, what, &worst);
          if (HasFatalFailure()) return;
        }
      }
    }
  }
  RecordProperty("worst_relative_error", std::to_string(worst));
  std::printf("worst error / ((1 + S) * W): %.3g\n", worst);
}

TEST(AttentionGroup, LargeScores) {
  // Scores of magnitude ~100s (sharp attention), and spans where a few scores are ~1e4: the
  // running maximum must move, and e^(s - m) must neither overflow nor lose the small terms.
  double worst = 0;
  for (int64_t group : {1, 4, 8}) {
    for (int64_t span : {7, 300, 2000}) {
      paged_span s = make_span(64, span, 16, static_cast<uint32_t>(span + group), 6.0f);
      auto q = random_floats(static_cast<size_t>(group * 64), 77, 6.0f);
      check_all(s, group, q, 64, 0.125f, "large scores span " + std::to_string(span), &worst);
      if (HasFatalFailure()) return;
      // A few keys aligned with head 0's query: scores ~1e4, late in the span so the maximum jumps.
      for (int64_t j : {span / 2, span - 1}) {
        float* k = const_cast<float*>(s.k(j));
        for (int64_t d = 0; d < 64; ++d) k[d] = q[static_cast<size_t>(d)] * 3.0f;
      }
      check_all(s, group, q, 64, 0.125f, "huge scores span " + std::to_string(span), &worst);
      if (HasFatalFailure()) return;
    }
  }
  std::printf("worst error / ((1 + S) * W): %.3g\n", worst);
}

TEST(AttentionGroup, LongSpan) {
  // 128K positions in blocks of 16, scores up to ~30: the running sum must not overflow and the
  // thousands of rescales must not drift.
  const int64_t span = 131072;
  const paged_span s = make_span(64, span, 16, 99, 1.0f);
  const auto q = random_floats(2 * 64, 98, 5.0f);
  double worst = 0;
  check_all(s, 2, q, 64, 0.125f, "128K span", &worst);
  std::printf("worst error / ((1 + S) * W): %.3g\n", worst);
}

TEST(AttentionGroup, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  for (const op_table* t : available_op_tables()) {
    // Empty span (and chunk_rows 0): zeros.
    std::vector<float> q(16, 1.0f), out(16, 7.0f);
    t->attention_group(q.data(), 16, 1, 16, 1.0f, nullptr, nullptr, 16, 0, 16, out.data(), 16);
    for (float f : out) EXPECT_EQ(f, 0.0f) << t->name;
    std::fill(out.begin(), out.end(), 7.0f);
    paged_span s = make_span(16, 40, 16, 5, 1.0f);
    t->attention_group(q.data(), 16, 1, 16, 1.0f, s.k_chunks.data(), s.v_chunks.data(), 0, 40, s.row_stride, out.data(), 16);
    for (float f : out) EXPECT_EQ(f, 0.0f) << t->name;
    // n_q = 0 and head_dim = 0: nothing written.
    std::fill(out.begin(), out.end(), 7.0f);
    t->attention_group(q.data(), 16, 0, 16, 1.0f, s.k_chunks.data(), s.v_chunks.data(), 16, 40, s.row_stride, out.data(), 16);
    t->attention_group(q.data(), 16, 1, 0, 1.0f, s.k_chunks.data(), s.v_chunks.data(), 16, 40, s.row_stride, out.data(), 16);
    for (float f : out) EXPECT_EQ(f, 7.0f) << t->name;
  }
  // Masked keys (score -inf: every k element -inf against a positive q) get weight 0, including
  // the first row of the span and a whole chunk.
  paged_span s = make_span(16, 40, 16, 6, 1.0f);
  for (int64_t j : {int64_t{0}, int64_t{3}}) {
    for (int64_t d = 0; d < 16; ++d) const_cast<float*>(s.k(j))[d] = -inf;
  }
  for (int64_t j = 16; j < 32; ++j) {
    for (int64_t d = 0; d < 16; ++d) const_cast<float*>(s.k(j))[d] = -inf;
  }
  std::vector<float> q(2 * 16);
  for (size_t i = 0; i < q.size(); ++i) q[i] = 0.1f + 0.01f * static_cast<float>(i);
  check_all(s, 2, q, 16, 0.25f, "masked keys");
  // Every score -inf: NaN, as softmax.
  paged_span all = make_span(16, 20, 16, 7, 1.0f);
  for (int64_t j = 0; j < 20; ++j) {
    for (int64_t d = 0; d < 16; ++d) const_cast<float*>(all.k(j))[d] = -inf;
  }
  for (const op_table* t : available_op_tables()) {
    std::vector<float> out(16, 0.0f);
    t->attention_group(q.data(), 16, 1, 16, 0.25f, all.k_chunks.data(), all.v_chunks.data(), 16, 20, all.row_stride,
                       out.data(), 16);
    for (float f : out) EXPECT_TRUE(std::isnan(f)) << t->name;
  }
}

TEST(AttentionGroup, MoreThanEightHeads) {
  // Groups above 8 run in passes of 8 heads.
  const paged_span s = make_span(64, 50, 16, 11, 1.0f);
  const auto q = random_floats(12 * 64, 12, 1.0f);
  check_all(s, 12, q, 64, 0.125f, "group 12");
}

}  // namespace
}  // namespace plexus::kernels

// Every faster kernel variant against the scalar reference, through matmul and vec_dot: every
// weight type, batches on the row-dot path (1-3 tokens) and the gemm path (7, 64), odd row counts
// (edge tiles, several row blocks per worker), column counts that are and are not a multiple of
// the widest vector (panel padding, float tails), strided rows. Tolerance: kernel_test_util.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include "core/thread_pool.h"
#include "kernel_test_util.h"
#include "kernels/op_table.h"

namespace plexus::kernels {
namespace {

using testing::abs_term_sum;
using testing::dot_tolerance;
using testing::make_matrix;
using testing::random_floats;
using testing::row_size;
using testing::test_matrix;
using testing::weight_types;

std::vector<const op_table*> fast_variants() {
  std::vector<const op_table*> v;
  for (const op_table* t : available_op_tables()) {
    if (t != &reference_op_table()) v.push_back(t);
  }
  return v;
}

// Column counts per type family: not a multiple of 64 elements, then one that is.
std::vector<int64_t> column_counts(tensor_type t) {
  switch (t) {
    case tensor_type::f32:
    case tensor_type::f16:
    case tensor_type::bf16:
      return {37, 256};
    case tensor_type::q4_0:
    case tensor_type::q4_1:
    case tensor_type::q5_0:
    case tensor_type::q5_1:
    case tensor_type::q8_0:
      return {96, 512};
    default:
      return {256, 768};
  }
}

TEST(VariantMatmul, MatchesReferenceForEveryTypeBatchAndShape) {
  const auto variants = fast_variants();
  if (variants.empty()) GTEST_SKIP() << "this CPU runs only the reference";
  ThreadPool pool(3);
  for (tensor_type type : weight_types()) {
    for (int64_t cols : column_counts(type)) {
      for (int64_t rows : {1, 5, 37, 133}) {
        const uint64_t pad = type == tensor_type::f32 ? 8 : 6;
        const test_matrix m = make_matrix(type, rows, cols, pad, static_cast<uint32_t>(rows * 31 + cols));
        const auto w = testing::dequantized(m.view);
        for (int64_t n_tokens : {1, 2, 3, 7, 64}) {
          const auto x = random_floats(static_cast<size_t>(n_tokens * cols), static_cast<uint32_t>(n_tokens + rows));
          std::vector<float> expected(static_cast<size_t>(n_tokens * rows));
          reference_op_table().matmul(m.view, x.data(), n_tokens, expected.data(), pool);
          std::vector<double> tol(expected.size());
          for (int64_t t = 0; t < n_tokens; ++t) {
            const auto a = testing::as_activation(type, x.data() + t * cols, cols);
            for (int64_t r = 0; r < rows; ++r) tol[t * rows + r] = dot_tolerance(abs_term_sum(w.data() + r * cols, a.data(), cols));
          }
          for (const op_table* variant : variants) {
            std::vector<float> y(expected.size(), NAN);
            variant->matmul(m.view, x.data(), n_tokens, y.data(), pool);
            for (size_t i = 0; i < y.size(); ++i) {
              ASSERT_NEAR(y[i], expected[i], tol[i])
                  << variant->name << " " << tensor_type_name(type) << " [" << rows << " x " << cols << "] n_tokens "
                  << n_tokens << " token " << i / rows << " row " << i % rows;
            }
          }
        }
      }
    }
  }
}

TEST(VariantMatmul, ResultsDoNotDependOnThreadCount) {
  ThreadPool p1(1), p2(2), p3(3);
  const int64_t rows = 133;
  for (const op_table* variant : available_op_tables()) {
    for (tensor_type type : weight_types()) {
      const int64_t cols = column_counts(type).back();
      const test_matrix m = make_matrix(type, rows, cols, 0, 77);
      for (int64_t n_tokens : {1, 7, 64}) {
        const auto x = random_floats(static_cast<size_t>(n_tokens * cols), 78);
        std::vector<float> y1(static_cast<size_t>(n_tokens * rows)), y2(y1.size()), y3(y1.size());
        variant->matmul(m.view, x.data(), n_tokens, y1.data(), p1);
        variant->matmul(m.view, x.data(), n_tokens, y2.data(), p2);
        variant->matmul(m.view, x.data(), n_tokens, y3.data(), p3);
        EXPECT_EQ(y1, y2) << variant->name << " " << tensor_type_name(type) << " n_tokens " << n_tokens;
        EXPECT_EQ(y1, y3) << variant->name << " " << tensor_type_name(type) << " n_tokens " << n_tokens;
      }
    }
  }
}

// A large batch through the default pool of the bench shape's width: catches a panel or
// block-split error that only shows with many row blocks.
TEST(VariantMatmul, WideMatrixAgreesWithReference) {
  const auto variants = fast_variants();
  if (variants.empty()) GTEST_SKIP() << "this CPU runs only the reference";
  ThreadPool pool(2);
  const int64_t rows = 300, cols = 2048, n_tokens = 19;
  for (tensor_type type : {tensor_type::q4_0, tensor_type::q8_0, tensor_type::q4_k, tensor_type::q6_k, tensor_type::bf16}) {
    const test_matrix m = make_matrix(type, rows, cols, 0, 5);
    const auto w = testing::dequantized(m.view);
    const auto x = random_floats(static_cast<size_t>(n_tokens * cols), 6, 3.0f);
    std::vector<float> expected(static_cast<size_t>(n_tokens * rows));
    reference_op_table().matmul(m.view, x.data(), n_tokens, expected.data(), pool);
    for (const op_table* variant : variants) {
      std::vector<float> y(expected.size(), NAN);
      variant->matmul(m.view, x.data(), n_tokens, y.data(), pool);
      for (int64_t t = 0; t < n_tokens; ++t) {
        const auto a = testing::as_activation(type, x.data() + t * cols, cols);
        for (int64_t r = 0; r < rows; ++r) {
          ASSERT_NEAR(y[t * rows + r], expected[t * rows + r], dot_tolerance(abs_term_sum(w.data() + r * cols, a.data(), cols)))
              << variant->name << " " << tensor_type_name(type) << " token " << t << " row " << r;
        }
      }
    }
  }
}

TEST(VariantVecDot, MatchesReferenceForEveryTypeAndLength) {
  for (const op_table* variant : fast_variants()) {
    for (tensor_type type : weight_types()) {
      const tensor_type at = tensor::vec_dot_type(type);
      std::vector<int64_t> lengths;
      switch (column_counts(type).front()) {
        case 37: lengths = {1, 7, 8, 31, 33, 64, 100, 2048}; break;
        case 96: lengths = {32, 64, 96, 2048}; break;
        default: lengths = {256, 512, 2048}; break;
      }
      for (int64_t n : lengths) {
        for (float scale : {1e-3f, 1.0f, 1e3f}) {
          const test_matrix m = make_matrix(type, 1, n, 0, static_cast<uint32_t>(n));
          const auto x = random_floats(static_cast<size_t>(n), static_cast<uint32_t>(n + 1), scale);
          std::vector<uint64_t> acts((row_size(at, n) + 7) / 8);
          tensor::quantize_row(at, x.data(), acts.data(), n);
          const float expected = tensor::vec_dot(type, n, m.view.data, acts.data());
          const float got = variant->vec_dot(type, n, m.view.data, acts.data());
          const auto w = testing::dequantized(m.view);
          const auto a = testing::as_activation(type, x.data(), n);
          EXPECT_NEAR(got, expected, dot_tolerance(abs_term_sum(w.data(), a.data(), n)))
              << variant->name << " " << tensor_type_name(type) << " n " << n << " scale " << scale;
        }
      }
    }
  }
}

// On AVX-512 the k-quants unpack each weight row once for up to 8 tokens
// below the gemm threshold (32 tokens), and every token's result must equal the one it gets alone,
// bit for bit: a sequence's greedy output must not depend on which others share its decode step.
TEST(VariantMatmul, SmallBatchKQuantResultsEqualSingleTokenResults) {
  const op_table* avx512 = find_op_table("avx512");
  if (avx512 == nullptr) GTEST_SKIP() << "this CPU has no AVX-512";
  ThreadPool pool(2);
  const int64_t rows = 37, cols = 768;
  for (tensor_type type : {tensor_type::q2_k, tensor_type::q3_k, tensor_type::q4_k, tensor_type::q5_k, tensor_type::q6_k}) {
    const test_matrix m = make_matrix(type, rows, cols, 6, 91);
    for (int64_t n_tokens : {2, 3, 8, 9, 17, 31}) {
      const auto x = random_floats(static_cast<size_t>(n_tokens * cols), static_cast<uint32_t>(n_tokens), 2.0f);
      std::vector<float> batched(static_cast<size_t>(n_tokens * rows), NAN), alone(static_cast<size_t>(rows), NAN);
      avx512->matmul(m.view, x.data(), n_tokens, batched.data(), pool);
      for (int64_t t = 0; t < n_tokens; ++t) {
        avx512->matmul(m.view, x.data() + t * cols, 1, alone.data(), pool);
        for (int64_t r = 0; r < rows; ++r) {
          ASSERT_EQ(batched[static_cast<size_t>(t * rows + r)], alone[static_cast<size_t>(r)])
              << tensor_type_name(type) << " n_tokens " << n_tokens << " token " << t << " row " << r;
        }
      }
    }
  }
}

// matmul_many (a layer's Q/K/V or gate/up in one dispatch) equals separate matmuls bit for bit on
// every variant: matrices of the same type, of types sharing a kernel layout (Q4_K + Q6_K) and of
// types that do not (Q4_0 + Q6_K, F16 + Q8_0: run one by one), decode and prompt batch sizes.
TEST(VariantMatmul, MatmulManyEqualsSeparateMatmuls) {
  ThreadPool pool(2);
  const int64_t cols = 512;
  const std::vector<std::vector<tensor_type>> groups = {
      {tensor_type::q4_k, tensor_type::q4_k, tensor_type::q4_k},
      {tensor_type::q4_k, tensor_type::q6_k, tensor_type::q6_k},
      {tensor_type::q4_0, tensor_type::q6_k},
      {tensor_type::q8_0, tensor_type::q8_0},
      {tensor_type::f16, tensor_type::q8_0, tensor_type::f32},
  };
  const int64_t rows[] = {67, 16, 16};
  for (const op_table* variant : available_op_tables()) {
    for (const auto& types : groups) {
      std::vector<test_matrix> ms;
      std::vector<MatrixView> views;
      for (size_t i = 0; i < types.size(); ++i) {
        ms.push_back(make_matrix(types[i], rows[i], cols, 0, static_cast<uint32_t>(40 + i)));
      }
      for (const test_matrix& m : ms) views.push_back(m.view);
      for (int64_t n_tokens : {1, 3, 8, 40}) {
        const auto x = random_floats(static_cast<size_t>(n_tokens * cols), static_cast<uint32_t>(n_tokens));
        std::vector<std::vector<float>> together(types.size()), alone(types.size());
        std::vector<float*> outs;
        for (size_t i = 0; i < types.size(); ++i) {
          together[i].assign(static_cast<size_t>(n_tokens * rows[i]), NAN);
          alone[i].assign(together[i].size(), NAN);
          outs.push_back(together[i].data());
          variant->matmul(views[i], x.data(), n_tokens, alone[i].data(), pool);
        }
        variant->matmul_many(views.data(), outs.data(), static_cast<int>(views.size()), x.data(), n_tokens, pool);
        for (size_t i = 0; i < types.size(); ++i) {
          EXPECT_EQ(together[i], alone[i]) << variant->name << " matrix " << i << " " << tensor_type_name(types[i]) << " n_tokens "
                                           << n_tokens;
        }
      }
    }
  }
}

// All-zero weights and activations give exactly 0 on both paths; so does a zero activation row
// against random weights.
TEST(VariantMatmul, ZerosGiveZeros) {
  ThreadPool pool(2);
  for (const op_table* variant : available_op_tables()) {
    for (tensor_type type : weight_types()) {
      const int64_t cols = column_counts(type).back(), rows = 9;
      test_matrix zero = make_matrix(type, rows, cols, 0, 1);
      std::fill(zero.storage.begin(), zero.storage.end(), 0);
      const test_matrix random = make_matrix(type, rows, cols, 0, 2);
      for (int64_t n_tokens : {1, 8}) {
        const auto x = random_floats(static_cast<size_t>(n_tokens * cols), 3);
        const std::vector<float> zeros(x.size(), 0.0f);
        std::vector<float> y(static_cast<size_t>(n_tokens * rows), NAN);
        variant->matmul(zero.view, x.data(), n_tokens, y.data(), pool);
        for (float v : y) ASSERT_EQ(v, 0.0f) << variant->name << " " << tensor_type_name(type);
        std::fill(y.begin(), y.end(), NAN);
        variant->matmul(random.view, zeros.data(), n_tokens, y.data(), pool);
        for (float v : y) ASSERT_EQ(v, 0.0f) << variant->name << " " << tensor_type_name(type);
      }
    }
  }
}

}  // namespace
}  // namespace plexus::kernels

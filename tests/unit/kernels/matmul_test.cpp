// matmul and get_row against naive loops, for every weight type, several batch sizes, strided
// rows and pool sizes; the result must not depend on the number of threads.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/op_table.h"
#include "kernels/ops.h"
#include "tensor/quant.h"

namespace plexus::kernels {
namespace {

const std::vector<tensor_type>& weight_types() {
  static const std::vector<tensor_type> types = {
      tensor_type::f32,  tensor_type::f16,  tensor_type::bf16, tensor_type::q4_0, tensor_type::q4_1,
      tensor_type::q5_0, tensor_type::q5_1, tensor_type::q8_0, tensor_type::q2_k, tensor_type::q3_k,
      tensor_type::q4_k, tensor_type::q5_k, tensor_type::q6_k,
  };
  return types;
}

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// A quantized [rows, cols] matrix whose rows are `pad` bytes apart beyond their size.
struct test_matrix {
  std::vector<uint64_t> storage;  // 8-byte aligned
  MatrixView view;
};

test_matrix make_matrix(tensor_type type, int64_t rows, int64_t cols, uint64_t pad, uint32_t seed) {
  test_matrix m;
  const uint64_t stride = *row_bytes(type, static_cast<uint64_t>(cols)) + pad;
  m.storage.assign((stride * rows + 7) / 8, 0);
  auto* base = reinterpret_cast<uint8_t*>(m.storage.data());
  const auto w = random_floats(static_cast<size_t>(rows * cols), seed);
  for (int64_t r = 0; r < rows; ++r) tensor::quantize_row(type, w.data() + r * cols, base + r * stride, cols);
  m.view = MatrixView{type, rows, cols, stride, base};
  return m;
}

std::vector<float> dequantized_row(const MatrixView& w, int64_t r) {
  std::vector<float> out(static_cast<size_t>(w.cols));
  tensor::dequantize_row(w.type, w.data + r * w.row_stride, out.data(), w.cols);
  return out;
}

// x as the kernel sees it: converted to the vec-dot type and back.
std::vector<float> as_activation(tensor_type weight_type, const float* x, int64_t n) {
  const tensor_type at = tensor::vec_dot_type(weight_type);
  std::vector<uint64_t> q((*row_bytes(at, static_cast<uint64_t>(n)) + 7) / 8);
  tensor::quantize_row(at, x, q.data(), n);
  std::vector<float> out(static_cast<size_t>(n));
  tensor::dequantize_row(at, q.data(), out.data(), n);
  return out;
}

TEST(Matmul, MatchesNaiveLoopForEveryType) {
  ThreadPool pool(3);
  const int64_t rows = 37, cols = 512;
  for (const op_table* table : available_op_tables()) {
  for (tensor_type t : weight_types()) {
    const test_matrix m = make_matrix(t, rows, cols, /*pad=*/t == tensor_type::f32 ? 8 : 4, 100 + static_cast<uint32_t>(t));
    for (int64_t n_tokens : {1, 2, 5, 8}) {
      const auto x = random_floats(static_cast<size_t>(n_tokens * cols), 7 + static_cast<uint32_t>(n_tokens));
      std::vector<float> y(static_cast<size_t>(n_tokens * rows), NAN);
      table->matmul(m.view, x.data(), n_tokens, y.data(), pool);
      for (int64_t tok = 0; tok < n_tokens; ++tok) {
        const auto a = as_activation(t, x.data() + tok * cols, cols);
        for (int64_t r = 0; r < rows; ++r) {
          const auto w = dequantized_row(m.view, r);
          double expected = 0, abs_sum = 0;
          for (int64_t c = 0; c < cols; ++c) {
            expected += static_cast<double>(w[c]) * a[c];
            abs_sum += std::fabs(static_cast<double>(w[c]) * a[c]);
          }
          // The Q4_1/Q5_1 min term uses the activation block's stored s = fp16(d * sum q), which
          // differs from fp16(d) * sum q by up to ~2^-10 relative.
          const bool min_term = t == tensor_type::q4_1 || t == tensor_type::q5_1;
          const double tol = (min_term ? 2e-3 : 1e-5) * abs_sum + 1e-6;
          ASSERT_NEAR(y[tok * rows + r], expected, tol)
              << table->name << " " << tensor_type_name(t) << " token " << tok << " row " << r;
        }
      }
    }
  }
  }
}

// Every variant: the thread count never changes a result, on the row-dot path (1 token) and the
// gemm path (9 tokens). A single token's outputs equal the variant's own vec_dot, and for the
// reference also tensor::vec_dot, bit for bit.
TEST(Matmul, EqualsVecDotAndIsIndependentOfThreadCount) {
  const int64_t rows = 64, cols = 256;
  ThreadPool one(1), four(4);
  for (const op_table* table : available_op_tables()) {
    for (tensor_type t : weight_types()) {
      const test_matrix m = make_matrix(t, rows, cols, 0, 5);
      for (int64_t n_tokens : {1, 9}) {
        const auto x = random_floats(static_cast<size_t>(n_tokens * cols), 6);
        std::vector<float> y1(rows * n_tokens), y4(rows * n_tokens);
        table->matmul(m.view, x.data(), n_tokens, y1.data(), one);
        table->matmul(m.view, x.data(), n_tokens, y4.data(), four);
        EXPECT_EQ(y1, y4) << table->name << " " << tensor_type_name(t) << " n_tokens " << n_tokens;
        if (n_tokens != 1) continue;
        const tensor_type at = tensor::vec_dot_type(t);
        std::vector<uint64_t> acts((*row_bytes(at, cols) + 7) / 8);
        table->quantize_row(at, x.data(), acts.data(), cols);
        for (int64_t r = 0; r < rows; ++r) {
          const uint8_t* wrow = m.view.data + r * m.view.row_stride;
          ASSERT_EQ(y4[r], table->vec_dot(t, cols, wrow, acts.data())) << table->name << " " << tensor_type_name(t) << " row " << r;
          if (table == &reference_op_table()) {
            ASSERT_EQ(y4[r], tensor::vec_dot(t, cols, wrow, acts.data())) << tensor_type_name(t) << " row " << r;
          }
        }
      }
    }
  }
}

TEST(Matmul, F32IsCloseToTheExactProduct) {
  ThreadPool pool(2);
  const int64_t rows = 16, cols = 96;
  const test_matrix m = make_matrix(tensor_type::f32, rows, cols, 0, 9);
  const auto x = random_floats(cols, 10);
  std::vector<float> y(rows);
  matmul(m.view, x.data(), 1, y.data(), pool);
  const auto* w = reinterpret_cast<const float*>(m.view.data);
  for (int64_t r = 0; r < rows; ++r) {
    double exact = 0;
    for (int64_t c = 0; c < cols; ++c) exact += static_cast<double>(w[r * cols + c]) * x[c];
    EXPECT_NEAR(y[r], exact, 1e-5 * (1 + std::fabs(exact)));
  }
}

TEST(Matmul, EmptyShapesDoNothing) {
  ThreadPool pool(2);
  const test_matrix m = make_matrix(tensor_type::q8_0, 4, 64, 0, 1);
  std::vector<float> y(4, 42.0f);
  matmul(m.view, nullptr, 0, y.data(), pool);
  for (float v : y) EXPECT_EQ(v, 42.0f);
  MatrixView empty = m.view;
  empty.rows = 0;
  matmul(empty, std::vector<float>(64).data(), 1, y.data(), pool);
  for (float v : y) EXPECT_EQ(v, 42.0f);
}

TEST(GetRow, DequantizesTheRequestedRow) {
  for (tensor_type t : weight_types()) {
    const test_matrix m = make_matrix(t, 9, 256, 8, 3);
    for (int64_t r : {0, 4, 8}) {
      std::vector<float> out(256);
      get_row(m.view, r, out.data());
      EXPECT_EQ(out, dequantized_row(m.view, r)) << tensor_type_name(t) << " row " << r;
    }
  }
}

TEST(MatmulDeathTest, BrokenMatrixInvariantsStopWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ThreadPool pool(1);
  const test_matrix m = make_matrix(tensor_type::f32, 4, 64, 0, 1);
  std::vector<float> x(64), y(4);
  MatrixView short_stride = m.view;
  short_stride.row_stride = 100;
  EXPECT_DEATH(matmul(short_stride, x.data(), 1, y.data(), pool), "row_stride is shorter than a row");
  MatrixView misaligned = m.view;
  misaligned.data += 2;
  EXPECT_DEATH(matmul(misaligned, x.data(), 1, y.data(), pool), "not aligned");
  const test_matrix q = make_matrix(tensor_type::q4_0, 2, 64, 0, 1);
  MatrixView partial_block = q.view;
  partial_block.cols = 48;
  EXPECT_DEATH(matmul(partial_block, x.data(), 1, y.data(), pool), "whole number of blocks");
  EXPECT_DEATH(get_row(m.view, 4, y.data()), "row index out of range");
}

TEST(OpTable, EveryTableIsComplete) {
  EXPECT_STREQ(reference_op_table().name, "ref");
  EXPECT_EQ(&active_op_table(), &active_op_table());  // chosen once
  for (const op_table* t : available_op_tables()) {
    EXPECT_TRUE(t->matmul && t->get_row && t->rms_norm && t->layer_norm && t->rope && t->softmax && t->silu_mul &&
                t->gelu && t->add && t->dot_f32 && t->axpy_f32 && t->quantize_row && t->vec_dot)
        << t->name;
  }
}

}  // namespace
}  // namespace plexus::kernels

// The rows16 layout (kernels/interleave.h): conversion round trips, and matmul / get_row on
// interleaved matrices against the reference on the row-major original, for every variant
// (those without rows16 kernels convert groups back). Tolerance: kernel_test_util.h.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "kernel_test_util.h"
#include "kernels/interleave.h"
#include "kernels/op_table.h"
#include "tensor/blocks.h"

namespace plexus::kernels {
namespace {

using testing::abs_term_sum;
using testing::dot_tolerance;
using testing::make_matrix;
using testing::random_floats;
using testing::test_matrix;

const tensor_type kRows16Types[] = {tensor_type::q4_0, tensor_type::q8_0, tensor_type::q2_k, tensor_type::q3_k,
                                    tensor_type::q4_k, tensor_type::q5_k, tensor_type::q6_k};

// A copy of m (packed rows) converted to rows16.
test_matrix interleaved_copy(const test_matrix& m) {
  test_matrix c = m;
  c.view.data = reinterpret_cast<const uint8_t*>(c.storage.data());
  interleave_rows16_in_place(c.view, reinterpret_cast<uint8_t*>(c.storage.data()));
  return c;
}

TEST(Rows16, RoundTripRestoresEveryByte) {
  std::mt19937 rng(7);
  for (tensor_type type : kRows16Types) {
    const int64_t cols = 768;
    const uint64_t row = testing::row_size(type, cols);
    std::vector<uint8_t> rows(16 * row), group(16 * row), back(16 * row);
    for (uint8_t& b : rows) b = static_cast<uint8_t>(rng());  // every bit pattern, not only quantizer output
    interleave_group16(type, cols, rows.data(), row, group.data());
    EXPECT_NE(rows, group) << tensor_type_name(type);
    deinterleave_group16(type, cols, group.data(), back.data());
    EXPECT_EQ(rows, back) << tensor_type_name(type);
  }
}

TEST(Rows16, OnlyPackedMultiplesOf16OfTheTypesWithTheLayout) {
  const test_matrix ok = make_matrix(tensor_type::q4_k, 32, 256, 0, 1);
  EXPECT_TRUE(can_interleave_rows16(ok.view));
  EXPECT_FALSE(can_interleave_rows16(make_matrix(tensor_type::q4_k, 33, 256, 0, 1).view));
  EXPECT_FALSE(can_interleave_rows16(make_matrix(tensor_type::q4_k, 32, 256, 6, 1).view));
  EXPECT_FALSE(can_interleave_rows16(make_matrix(tensor_type::q5_0, 32, 256, 0, 1).view));  // no such layout
  EXPECT_TRUE(can_interleave_rows16(make_matrix(tensor_type::q4_0, 32, 512, 0, 1).view));
  EXPECT_FALSE(can_interleave_rows16(make_matrix(tensor_type::q4_0, 32, 96, 0, 1).view));  // groups span 256 columns
  EXPECT_FALSE(can_interleave_rows16(interleaved_copy(ok).view));
  EXPECT_FALSE(reference_op_table().has_rows16(tensor_type::q4_k));
  for (const char* name : {"avx2", "avx512"}) {
    if (const op_table* variant = find_op_table(name)) {
      EXPECT_TRUE(variant->has_rows16(tensor_type::q4_k)) << name;
      EXPECT_TRUE(variant->has_rows16(tensor_type::q6_k)) << name;
      EXPECT_TRUE(variant->has_rows16(tensor_type::q4_0)) << name;
      EXPECT_TRUE(variant->has_rows16(tensor_type::q8_0)) << name;
      EXPECT_TRUE(variant->has_rows16(tensor_type::q2_k)) << name;
      EXPECT_TRUE(variant->has_rows16(tensor_type::q3_k)) << name;
      EXPECT_TRUE(variant->has_rows16(tensor_type::q5_k)) << name;
      EXPECT_FALSE(variant->has_rows16(tensor_type::q5_0)) << name;
    }
  }

}

TEST(Rows16, MatmulMatchesReferenceOnTheRowMajorMatrix) {
  ThreadPool pool(2);
  for (tensor_type type : kRows16Types) {
    for (int64_t cols : {256, 768, 2048}) {
      for (int64_t rows : {16, 48, 160}) {
        const test_matrix m = make_matrix(type, rows, cols, 0, static_cast<uint32_t>(rows + cols));
        const test_matrix il = interleaved_copy(m);
        const auto w = testing::dequantized(m.view);
        for (int64_t n_tokens : {1, 2, 3, 8, 9, 70}) {
          const auto x = random_floats(static_cast<size_t>(n_tokens * cols), static_cast<uint32_t>(n_tokens * 3 + rows), 2.0f);
          std::vector<float> expected(static_cast<size_t>(n_tokens * rows));
          reference_op_table().matmul(m.view, x.data(), n_tokens, expected.data(), pool);
          std::vector<double> tol(expected.size());
          for (int64_t t = 0; t < n_tokens; ++t) {
            const auto a = testing::as_activation(type, x.data() + t * cols, cols);
            for (int64_t r = 0; r < rows; ++r) tol[t * rows + r] = dot_tolerance(abs_term_sum(w.data() + r * cols, a.data(), cols));
          }
          for (const op_table* variant : available_op_tables()) {
            std::vector<float> y(expected.size(), NAN);
            variant->matmul(il.view, x.data(), n_tokens, y.data(), pool);
            for (size_t i = 0; i < y.size(); ++i) {
              ASSERT_NEAR(y[i], expected[i], tol[i]) << variant->name << " " << tensor_type_name(type) << " [" << rows << " x "
                                                     << cols << "] n_tokens " << n_tokens << " token " << i / rows << " row "
                                                     << i % rows;
            }
          }
        }
      }
    }
  }
}

// A sequence's decode result must not depend on which others share its step, nor on whether its
// token came in a prompt chunk: every token of a batch equals the token alone, bit for bit.
TEST(Rows16, BatchedResultsEqualSingleTokenResults) {
  ThreadPool pool(2);
  const int64_t rows = 48, cols = 512;
  for (const op_table* variant : available_op_tables()) {
    for (tensor_type type : kRows16Types) {
      const test_matrix il = interleaved_copy(make_matrix(type, rows, cols, 0, 3));
      for (int64_t n_tokens : {2, 5, 8, 13, 67}) {
        const auto x = random_floats(static_cast<size_t>(n_tokens * cols), static_cast<uint32_t>(n_tokens), 2.0f);
        std::vector<float> batched(static_cast<size_t>(n_tokens * rows), NAN), alone(static_cast<size_t>(rows), NAN);
        variant->matmul(il.view, x.data(), n_tokens, batched.data(), pool);
        for (int64_t t = 0; t < n_tokens; ++t) {
          variant->matmul(il.view, x.data() + t * cols, 1, alone.data(), pool);
          for (int64_t r = 0; r < rows; ++r) {
            ASSERT_EQ(batched[static_cast<size_t>(t * rows + r)], alone[static_cast<size_t>(r)])
                << variant->name << " " << tensor_type_name(type) << " n_tokens " << n_tokens << " token " << t << " row " << r;
          }
        }
      }
    }
  }
}

// matmul_many over rows16 matrices (a layer's Q/K/V with V in Q6_K) equals separate matmuls bit
// for bit; a mix of rows16 and row-major matrices (never fused) too. Chunks of whole groups
// across matrices of different heights.
TEST(Rows16, MatmulManyEqualsSeparateMatmuls) {
  ThreadPool pool(2);
  const int64_t cols = 512;
  struct spec {
    tensor_type type;
    int64_t rows;
    bool rows16;
  };
  const std::vector<std::vector<spec>> groups = {
      {{tensor_type::q4_k, 32, true}, {tensor_type::q4_k, 16, true}, {tensor_type::q6_k, 48, true}},
      {{tensor_type::q4_k, 32, true}, {tensor_type::q4_k, 32, false}},
  };
  for (const op_table* variant : available_op_tables()) {
    for (const auto& specs : groups) {
      std::vector<test_matrix> ms;
      std::vector<MatrixView> views;
      for (size_t i = 0; i < specs.size(); ++i) {
        test_matrix m = make_matrix(specs[i].type, specs[i].rows, cols, 0, static_cast<uint32_t>(60 + i));
        ms.push_back(specs[i].rows16 ? interleaved_copy(m) : m);
      }
      for (test_matrix& m : ms) {
        m.view.data = reinterpret_cast<const uint8_t*>(m.storage.data());  // a copy's view still names the original's bytes
        views.push_back(m.view);
      }
      for (int64_t n_tokens : {1, 4}) {
        const auto x = random_floats(static_cast<size_t>(n_tokens * cols), static_cast<uint32_t>(n_tokens), 2.0f);
        std::vector<std::vector<float>> together(specs.size()), alone(specs.size());
        std::vector<float*> outs;
        for (size_t i = 0; i < specs.size(); ++i) {
          together[i].assign(static_cast<size_t>(n_tokens * specs[i].rows), NAN);
          alone[i].assign(together[i].size(), NAN);
          outs.push_back(together[i].data());
          variant->matmul(views[i], x.data(), n_tokens, alone[i].data(), pool);
        }
        variant->matmul_many(views.data(), outs.data(), static_cast<int>(views.size()), x.data(), n_tokens, pool);
        for (size_t i = 0; i < specs.size(); ++i) {
          EXPECT_EQ(together[i], alone[i]) << variant->name << " matrix " << i << " n_tokens " << n_tokens;
        }
      }
    }
  }
}

TEST(Rows16, ResultsDoNotDependOnThreadCount) {
  ThreadPool p1(1), p3(3);
  for (const op_table* variant : available_op_tables()) {
    for (tensor_type type : kRows16Types) {
      const test_matrix il = interleaved_copy(make_matrix(type, 160, 1024, 0, 9));
      for (int64_t n_tokens : {1, 8, 70}) {
        const auto x = random_floats(static_cast<size_t>(n_tokens * 1024), 10);
        std::vector<float> y1(static_cast<size_t>(n_tokens * 160)), y3(y1.size());
        variant->matmul(il.view, x.data(), n_tokens, y1.data(), p1);
        variant->matmul(il.view, x.data(), n_tokens, y3.data(), p3);
        EXPECT_EQ(y1, y3) << variant->name << " " << tensor_type_name(type) << " n_tokens " << n_tokens;
      }
    }
  }
}

// Every quant at its largest and every activation at its most negative (x = -1: -128 in Q8_K, -127
// in Q8_0; Q8_0 weights alternate -128 and 127 by block): the kernels' int16 partial sums are at
// their limit and must not wrap.
TEST(Rows16, LargestQuantsAndActivationsDoNotOverflow) {
  ThreadPool pool(2);
  const int64_t rows = 32, cols = 512;
  for (tensor_type type : kRows16Types) {
    test_matrix m = make_matrix(type, rows, cols, 0, 5);
    auto* base = reinterpret_cast<uint8_t*>(m.storage.data());
    for (int64_t b = 0; b < rows * cols / 32 && type == tensor_type::q4_0; ++b) {
      std::memset(reinterpret_cast<tensor::block_q4_0*>(base)[b].qs, 0xff, 16);  // every quant 15 (+7)
    }
    for (int64_t b = 0; b < rows * cols / 32 && type == tensor_type::q8_0; ++b) {
      std::memset(reinterpret_cast<tensor::block_q8_0*>(base)[b].qs, b % 2 == 0 ? 0x80 : 0x7f, 32);
    }
    for (int64_t b = 0; b < rows * cols / 256 && type == tensor_type::q2_k; ++b) {
      auto& blk = reinterpret_cast<tensor::block_q2_k*>(base)[b];
      std::memset(blk.scales, 0xff, sizeof(blk.scales));  // every scale and min 15
      std::memset(blk.qs, 0xff, sizeof(blk.qs));          // every quant 3
    }
    for (int64_t b = 0; b < rows * cols / 256 && type == tensor_type::q5_k; ++b) {
      auto& blk = reinterpret_cast<tensor::block_q5_k*>(base)[b];
      std::memset(blk.scales, 0xff, sizeof(blk.scales));  // every six-bit scale and min 63
      std::memset(blk.qs, 0xff, sizeof(blk.qs));          // every quant 31
      std::memset(blk.qh, 0xff, sizeof(blk.qh));
    }
    for (int64_t b = 0; b < rows * cols / 256 && type == tensor_type::q3_k; ++b) {
      auto& blk = reinterpret_cast<tensor::block_q3_k*>(base)[b];
      std::memset(blk.qs, 0xff, sizeof(blk.qs));  // every quant 3 (u = 7), or -1 without its high bit
      std::memset(blk.hmask, b % 2 == 0 ? 0xff : 0x55, sizeof(blk.hmask));
      std::memset(blk.scales, b % 2 == 0 ? 0x00 : 0xff, sizeof(blk.scales));  // six-bit 0 and 63: -32 and 31
    }
    for (int64_t b = 0; b < rows * cols / 256 && (type == tensor_type::q4_k || type == tensor_type::q6_k); ++b) {
      if (type == tensor_type::q4_k) {
        auto& blk = reinterpret_cast<tensor::block_q4_k*>(base)[b];
        std::memset(blk.scales, 0xff, sizeof(blk.scales));  // every six-bit scale and min 63
        std::memset(blk.qs, 0xff, sizeof(blk.qs));          // every quant 15
      } else {
        auto& blk = reinterpret_cast<tensor::block_q6_k*>(base)[b];
        std::memset(blk.ql, 0xff, sizeof(blk.ql));  // every quant 63 - 32
        std::memset(blk.qh, 0xff, sizeof(blk.qh));
        std::memset(blk.scales, b % 2 == 0 ? 0x80 : 0x7f, sizeof(blk.scales));  // -128 and 127
      }
    }
    const test_matrix il = interleaved_copy(m);
    const auto w = testing::dequantized(m.view);
    for (int64_t n_tokens : {1, 4, 7}) {
      const std::vector<float> x(static_cast<size_t>(n_tokens * cols), -1.0f);
      std::vector<float> expected(static_cast<size_t>(n_tokens * rows));
      reference_op_table().matmul(m.view, x.data(), n_tokens, expected.data(), pool);
      const auto a = testing::as_activation(type, x.data(), cols);
      for (const op_table* variant : available_op_tables()) {
        std::vector<float> y(expected.size(), NAN);
        variant->matmul(il.view, x.data(), n_tokens, y.data(), pool);
        for (size_t i = 0; i < y.size(); ++i) {
          const int64_t r = static_cast<int64_t>(i) % rows;
          ASSERT_NEAR(y[i], expected[i], dot_tolerance(abs_term_sum(w.data() + r * cols, a.data(), cols)))
              << variant->name << " " << tensor_type_name(type) << " n_tokens " << n_tokens << " row " << r;
        }
      }
    }
  }
}

TEST(Rows16, GetRowReadsTheOriginalRow) {
  for (tensor_type type : kRows16Types) {
    const test_matrix m = make_matrix(type, 32, 512, 0, 4);
    const test_matrix il = interleaved_copy(m);
    for (const op_table* variant : available_op_tables()) {
      for (int64_t r : {0, 5, 15, 16, 31}) {
        std::vector<float> expected(512), got(512);
        variant->get_row(m.view, r, expected.data());
        variant->get_row(il.view, r, got.data());
        EXPECT_EQ(expected, got) << variant->name << " " << tensor_type_name(type) << " row " << r;
      }
    }
  }
}

}  // namespace
}  // namespace plexus::kernels

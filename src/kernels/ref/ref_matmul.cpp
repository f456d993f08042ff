// Reference matmul and row lookup.
//
// matmul follows ggml's mul_mat on the CPU: every token row of x is converted once to the
// weight type's vec-dot type (Q8_0 / Q8_1 / Q8_K / F16 / BF16, or used as is for F32), into a
// scratch buffer owned by the calling thread; then the weight rows are split into contiguous
// ranges across the pool and each output is one tensor::vec_dot. Every y[t][r] is therefore
// bit-identical to a single-threaded run, whatever the pool size.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "kernels/interleave.h"
#include "kernels/ref/ref_ops.h"
#include "tensor/quant.h"
#include "tensor/type_ops.h"

namespace plexus::kernels::ref {
namespace {

[[noreturn]] void bad_matrix(const char* function, const MatrixView& w, const char* what) {
  std::fprintf(stderr, "plexus::kernels::%s: matrix of type %s [%lld x %lld], stride %llu: %s\n", function,
               tensor_type_name(w.type), static_cast<long long>(w.rows), static_cast<long long>(w.cols),
               static_cast<unsigned long long>(w.row_stride), what);
  std::abort();
}

// Checks the invariants the model loader established (a broken one is a bug, not bad input):
// cols is a whole number of blocks, the stride covers a row, the data is suitably aligned.
void check_matrix(const char* function, const MatrixView& w) {
  if (w.rows < 0 || w.cols < 0) bad_matrix(function, w, "negative shape");
  const auto bytes = row_bytes(w.type, static_cast<uint64_t>(w.cols));
  if (!bytes) bad_matrix(function, w, "cols is not a whole number of blocks");
  if (w.rows > 1 && w.row_stride < *bytes) bad_matrix(function, w, "row_stride is shorter than a row");
  if (w.layout == matrix_layout::rows16 && !rows16_shape_fits(w)) {
    bad_matrix(function, w, "not a valid rows16 matrix (type without the layout, rows not a multiple of 16, or padded rows)");
  }
  const uint32_t align = tensor::required_alignment(w.type);
  if (reinterpret_cast<uintptr_t>(w.data) % align != 0 || (w.rows > 1 && w.row_stride % align != 0)) {
    bad_matrix(function, w, "data is not aligned for its type");
  }
}

}  // namespace

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  check_matrix("matmul", w);
  if (w.rows == 0 || n_tokens <= 0) return;
  const tensor::type_ops* ops = tensor::find_type_ops(w.type);
  if (ops == nullptr || ops->vec_dot == nullptr) bad_matrix("matmul", w, "type has no reference vec_dot");
  const tensor::type_ops* act_ops = tensor::find_type_ops(ops->vec_dot_type);
  const int64_t cols = w.cols;

  // Activations in the vec-dot type: [n_tokens][act_bytes].
  const uint8_t* acts = reinterpret_cast<const uint8_t*>(x);
  uint64_t act_bytes = static_cast<uint64_t>(cols) * sizeof(float);
  if (ops->vec_dot_type != tensor_type::f32) {
    const auto bytes = row_bytes(ops->vec_dot_type, static_cast<uint64_t>(cols));
    if (!bytes) bad_matrix("matmul", w, "cols is not a whole number of activation blocks");
    act_bytes = *bytes;
    thread_local std::vector<uint8_t> scratch;  // grows to the largest batch seen; reused after
    scratch.resize(static_cast<size_t>(act_bytes * static_cast<uint64_t>(n_tokens)));
    uint8_t* out = scratch.data();
    pool.parallel_for(n_tokens, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) act_ops->quantize(x + t * cols, out + static_cast<uint64_t>(t) * act_bytes, cols);
    });
    acts = out;
  }

  const tensor::vec_dot_fn dot = ops->vec_dot;
  const int64_t rows = w.rows;
  if (w.layout == matrix_layout::rows16) {
    // Each group converted back to its 16 rows, then the same dots as the row-major layout.
    const uint64_t group_bytes = kRowsPerGroup * w.row_stride;
    pool.parallel_for(rows / kRowsPerGroup, [&](int64_t g0, int64_t g1) {
      std::vector<uint8_t> group_rows(static_cast<size_t>(group_bytes));
      for (int64_t g = g0; g < g1; ++g) {
        deinterleave_group16(w.type, cols, w.data + static_cast<uint64_t>(g) * group_bytes, group_rows.data());
        for (int64_t i = 0; i < kRowsPerGroup; ++i) {
          const uint8_t* wrow = group_rows.data() + static_cast<uint64_t>(i) * w.row_stride;
          for (int64_t t = 0; t < n_tokens; ++t) {
            y[t * rows + g * kRowsPerGroup + i] = dot(cols, wrow, acts + static_cast<uint64_t>(t) * act_bytes);
          }
        }
      }
    });
    return;
  }
  pool.parallel_for(rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* wrow = w.data + static_cast<uint64_t>(r) * w.row_stride;
      for (int64_t t = 0; t < n_tokens; ++t) {
        y[t * rows + r] = dot(cols, wrow, acts + static_cast<uint64_t>(t) * act_bytes);
      }
    }
  });
}

void get_row(const MatrixView& w, int64_t row, float* out) {
  check_matrix("get_row", w);
  if (row < 0 || row >= w.rows) bad_matrix("get_row", w, "row index out of range");
  if (!tensor::can_dequantize(w.type)) bad_matrix("get_row", w, "type cannot be dequantized");
  if (w.layout == matrix_layout::rows16) {
    std::vector<uint8_t> group_rows(static_cast<size_t>(kRowsPerGroup * w.row_stride));
    const int64_t g = row / kRowsPerGroup;
    deinterleave_group16(w.type, w.cols, w.data + static_cast<uint64_t>(g * kRowsPerGroup) * w.row_stride, group_rows.data());
    tensor::dequantize_row(w.type, group_rows.data() + static_cast<uint64_t>(row % kRowsPerGroup) * w.row_stride, out, w.cols);
    return;
  }
  tensor::dequantize_row(w.type, w.data + static_cast<uint64_t>(row) * w.row_stride, out, w.cols);
}

}  // namespace plexus::kernels::ref

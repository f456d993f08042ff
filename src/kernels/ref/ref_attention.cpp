// Reference grouped-query attention: one head at a time, one key row at a time. The score is the
// float dot product in index order times `scale` (the loop attention.cpp ran before this op
// existed); the softmax is online in double: running maximum m, running sum l and the output
// accumulator rescaled by e^(m_old - m_new) whenever the maximum grows, then divided by l.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ref/ref_ops.h"

namespace plexus::kernels::ref {
void attention_group(const float* q, int64_t q_stride, int64_t n_q, int64_t head_dim, float scale,
                     const float* const* k_chunks, const float* const* v_chunks, int64_t chunk_rows, int64_t n_rows,
                     int64_t row_stride, float* out, int64_t out_stride) {
  if (n_q <= 0 || head_dim <= 0) return;
  if (chunk_rows <= 0) n_rows = 0;  // no row can be addressed: an empty span
  std::vector<double> acc(static_cast<size_t>(head_dim));
  for (int64_t h = 0; h < n_q; ++h) {
    const float* qh = q + h * q_stride;
    double m = -std::numeric_limits<double>::infinity();
    double l = 0.0;
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t j = 0; j < n_rows; ++j) {
      const float* k = k_chunks[j / chunk_rows] + (j % chunk_rows) * row_stride;
      const float* v = v_chunks[j / chunk_rows] + (j % chunk_rows) * row_stride;
      float dot = 0.0f;
      for (int64_t d = 0; d < head_dim; ++d) dot += qh[d] * k[d];
      const double s = static_cast<double>(dot * scale);
      const double m_new = std::fmax(m, s);
      // With every score so far -inf, subtract 0 instead (e^(-inf - -inf) would be NaN).
      const double base = std::isinf(m_new) && m_new < 0 ? 0.0 : m_new;
      const double alpha = std::exp(m - base);
      const double p = std::exp(s - base);
      if (alpha != 1.0) {
        for (double& a : acc) a *= alpha;
        l *= alpha;
      }
      l += p;
      for (int64_t d = 0; d < head_dim; ++d) acc[static_cast<size_t>(d)] += p * static_cast<double>(v[d]);
      m = m_new;
    }
    float* oh = out + h * out_stride;
    for (int64_t d = 0; d < head_dim; ++d) {
      oh[d] = n_rows > 0 ? static_cast<float>(acc[static_cast<size_t>(d)] / l) : 0.0f;
    }
  }
}

}  // namespace plexus::kernels::ref

#include "model/attention.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "kernels/ops.h"

namespace plexus::model {

void attend_batch(const AttentionShape& shape, int64_t layer, const std::vector<BatchToken>& batch, const float* q,
                  KvCache& cache, float* out, std::vector<float>& scores, ThreadPool& pool) {
  const int64_t n = static_cast<int64_t>(batch.size());
  const int64_t hd = shape.head_dim;
  const int64_t q_width = shape.n_head * hd;
  const int64_t group = shape.n_head / shape.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));

  // How many positions each token attends to.
  std::vector<int64_t> span(static_cast<size_t>(n));
  std::unordered_map<int32_t, int64_t> seq_len;
  if (!shape.causal) {
    for (const BatchToken& t : batch) seq_len[t.seq] = std::max<int64_t>(seq_len[t.seq], t.pos + 1);
  }
  int64_t max_span = 0;
  for (int64_t i = 0; i < n; ++i) {
    const BatchToken& t = batch[static_cast<size_t>(i)];
    span[static_cast<size_t>(i)] = shape.causal ? t.pos + 1 : seq_len[t.seq];
    max_span = std::max(max_span, span[static_cast<size_t>(i)]);
  }
  const size_t per_worker = static_cast<size_t>(max_span);
  if (scores.size() < per_worker * static_cast<size_t>(pool.size())) scores.resize(per_worker * static_cast<size_t>(pool.size()));

  // Work items: (token, head) pairs, split evenly over the workers.
  const int64_t items = n * shape.n_head;
  pool.run([&](int worker, int n_workers) {
    float* sc = scores.data() + per_worker * static_cast<size_t>(worker);
    const int64_t begin = items * worker / n_workers;
    const int64_t end = items * (worker + 1) / n_workers;
    for (int64_t item = begin; item < end; ++item) {
      const int64_t i = item / shape.n_head;
      const int64_t h = item % shape.n_head;
      const BatchToken& t = batch[static_cast<size_t>(i)];
      const std::vector<int32_t>& table = cache.block_table(t.seq);
      const int64_t bs = cache.block_size();
      const int64_t row = cache.row_floats();
      const int64_t kvh = h / group;
      const float* qh = q + i * q_width + h * hd;
      const int64_t len = span[static_cast<size_t>(i)];
      for (int64_t p = 0; p < len; ++p) {
        const float* kp = cache.key_block(layer, table[static_cast<size_t>(p / bs)]) + (p % bs) * row + kvh * hd;
        sc[p] = kernels::dot_f32(qh, kp, hd) * scale;
      }
      kernels::softmax(sc, len);
      float* oh = out + i * q_width + h * hd;
      std::fill(oh, oh + hd, 0.0f);
      for (int64_t p = 0; p < len; ++p) {
        const float* vp = cache.value_block(layer, table[static_cast<size_t>(p / bs)]) + (p % bs) * row + kvh * hd;
        kernels::axpy_f32(oh, sc[p], vp, hd);
      }
    }
  });
}

}  // namespace plexus::model

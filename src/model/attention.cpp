#include "model/attention.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "kernels/ops.h"

namespace plexus::model {

void attend_batch(const AttentionShape& shape, int64_t layer, const std::vector<BatchToken>& batch, const float* q,
                  KvCache& cache, float* out, std::vector<const float*>& block_scratch, ThreadPool& pool) {
  const int64_t n = static_cast<int64_t>(batch.size());
  const int64_t hd = shape.head_dim;
  const int64_t q_width = shape.n_head * hd;
  const int64_t group = shape.n_head / shape.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const int64_t bs = cache.block_size();
  const int64_t row = cache.row_floats();

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
  // Per worker: the key and value block pointers of one span ([max_blocks] each).
  const auto max_blocks = static_cast<size_t>((max_span + bs - 1) / bs);
  const size_t scratch = 2 * max_blocks * static_cast<size_t>(pool.size());
  if (block_scratch.size() < scratch) block_scratch.resize(scratch);

  // Work items: (token, kv head) pairs, split evenly over the workers. Each item is the `group`
  // query heads of that kv head, which read every key and value row of the span once together.
  const int64_t items = n * shape.n_head_kv;
  pool.run([&](int worker, int n_workers) {
    const float** k_chunks = block_scratch.data() + 2 * max_blocks * static_cast<size_t>(worker);
    const float** v_chunks = k_chunks + max_blocks;
    const int64_t begin = items * worker / n_workers;
    const int64_t end = items * (worker + 1) / n_workers;
    for (int64_t item = begin; item < end; ++item) {
      const int64_t i = item / shape.n_head_kv;
      const int64_t kvh = item % shape.n_head_kv;
      const BatchToken& t = batch[static_cast<size_t>(i)];
      const std::vector<int32_t>& table = cache.block_table(t.seq);
      const int64_t len = span[static_cast<size_t>(i)];
      const auto blocks = static_cast<size_t>((len + bs - 1) / bs);
      for (size_t b = 0; b < blocks; ++b) {
        k_chunks[b] = cache.key_block(layer, table[b]) + kvh * hd;
        v_chunks[b] = cache.value_block(layer, table[b]) + kvh * hd;
      }
      const int64_t h0 = kvh * group;
      kernels::attention_group(q + i * q_width + h0 * hd, hd, group, hd, scale, k_chunks, v_chunks, bs, len, row,
                               out + i * q_width + h0 * hd, hd);
    }
  });
}

}  // namespace plexus::model

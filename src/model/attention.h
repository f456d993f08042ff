// Scaled dot-product attention of a batch of query rows against the KV cache (F32), with
// grouped-query heads: query head h reads kv head h / (n_head / n_head_kv).
// Thread-safe: pure function of its arguments; runs on the given pool.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace plexus::model {

struct AttentionShape {
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  bool causal = true;  // causal: token at pos p sees positions 0..p of its sequence; else all reserved ones
};

// q:   [batch.size(), n_head * head_dim]
// out: [batch.size(), n_head * head_dim]
// Non-causal attention sees positions [0, seq_len) where seq_len is the largest pos+1 of that
// sequence in the batch (encoders evaluate a whole sequence in one batch).
// Each (token, kv head) pair is one kernels::attention_group call over the cache blocks of its span
// (the group of query heads sharing that kv head together, online softmax), split over the pool.
// block_scratch: the workers' key/value block pointer lists, grown as needed and reused.
void attend_batch(const AttentionShape& shape, int64_t layer, const std::vector<BatchToken>& batch, const float* q,
                  KvCache& cache, float* out, std::vector<const float*>& block_scratch, ThreadPool& pool);

}  // namespace plexus::model

// Key/value cache for attention, pooled in fixed-size blocks of positions so that any sequence may
// grow to the whole capacity (no per-slot split of the context). A sequence owns a block table;
// position p of sequence s lives in block table[s][p / block_size] at row p % block_size.
// Values are F32: [layer][block][row][kv_head][head_dim] for K and for V.
// Not thread-safe: owned and used by one engine thread.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace plexus::model {

struct KvCacheShape {
  int64_t n_layer = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
};

class KvCache {
 public:
  // capacity_tokens is rounded up to whole blocks.
  KvCache(const KvCacheShape& shape, int64_t capacity_tokens, int32_t block_size = 16);

  // Makes positions [0, n_positions) of `seq` addressable, taking free blocks as needed.
  // out_of_range when the pool has too few free blocks.
  Status reserve(int32_t seq, int64_t n_positions);
  // Drops positions >= n_positions of `seq`, returning whole blocks no longer needed.
  void truncate(int32_t seq, int64_t n_positions);
  void free_sequence(int32_t seq);
  void clear();

  // Addressable positions of `seq` (a multiple of block_size, or 0).
  int64_t reserved_positions(int32_t seq) const;
  int64_t free_blocks() const { return static_cast<int64_t>(free_.size()); }
  int64_t total_blocks() const { return n_blocks_; }
  int32_t block_size() const { return block_size_; }
  int64_t capacity_tokens() const { return n_blocks_ * block_size_; }
  uint64_t bytes() const { return static_cast<uint64_t>(k_.size() + v_.size()) * sizeof(float); }
  const KvCacheShape& shape() const { return shape_; }

  // [n_head_kv * head_dim] floats for (layer, seq, pos); pos must be reserved.
  float* key(int64_t layer, int32_t seq, int64_t pos) { return k_.data() + offset(layer, seq, pos); }
  float* value(int64_t layer, int32_t seq, int64_t pos) { return v_.data() + offset(layer, seq, pos); }

 private:
  size_t offset(int64_t layer, int32_t seq, int64_t pos) const;

  KvCacheShape shape_;
  int32_t block_size_;
  int64_t n_blocks_;
  int64_t row_floats_;  // n_head_kv * head_dim
  std::vector<float> k_, v_;
  std::vector<int32_t> free_;  // free block ids (stack)
  std::unordered_map<int32_t, std::vector<int32_t>> tables_;
};

}  // namespace plexus::model

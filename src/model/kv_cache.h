// Key/value cache for attention, pooled in fixed-size blocks of positions so that any sequence may
// grow to the whole capacity (no per-slot split of the context). A sequence owns a block table;
// position p of sequence s lives in block table[s][p / block_size] at row p % block_size.
// Values are F32: [layer][block][row][kv_head][head_dim] for K and for V.
//
// Prefix caching: full blocks of a prompt can be published under a chained hash of the tokens
// they hold (block i's key covers tokens [0, (i+1) * block_size)). A later sequence whose prompt
// starts with the same tokens attaches those blocks instead of recomputing them. Blocks are
// reference-counted; a published block whose last user is gone stays cached (evictable, least
// recently used first) until its memory is needed. Shared blocks are never written: a sequence
// only writes positions past its attached prefix, and truncating into a shared block copies it.
// Not thread-safe: owned and used by one engine thread.
#pragma once

#include <cstdint>
#include <list>
#include <span>
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

  // Attaches the longest run of published blocks matching the start of `tokens` to the (empty)
  // sequence `seq`, leaving at least one token to evaluate. Returns the positions attached.
  int64_t attach_prefix(int32_t seq, std::span<const int32_t> tokens);
  // Publishes the full blocks of `seq` that hold tokens[0, n_valid) (their KV must be computed).
  void publish_prefix(int32_t seq, std::span<const int32_t> tokens, int64_t n_valid);
  int64_t cached_blocks() const { return static_cast<int64_t>(lru_.size()); }

  // Addressable positions of `seq` (a multiple of block_size, or 0).
  int64_t reserved_positions(int32_t seq) const;
  // Blocks available to reserve(): never used, or cached but no longer referenced.
  int64_t free_blocks() const { return static_cast<int64_t>(free_.size() + lru_.size()); }
  int64_t total_blocks() const { return n_blocks_; }
  int32_t block_size() const { return block_size_; }
  int64_t capacity_tokens() const { return n_blocks_ * block_size_; }
  uint64_t bytes() const { return static_cast<uint64_t>(k_.size() + v_.size()) * sizeof(float); }
  const KvCacheShape& shape() const { return shape_; }

  // Block ids of `seq` in position order (empty when unknown). Valid until the next reserve,
  // truncate or free of that sequence.
  const std::vector<int32_t>& block_table(int32_t seq) const;
  // The rows of one block: [block_size, n_head_kv * head_dim] floats.
  const float* key_block(int64_t layer, int32_t block) const { return k_.data() + block_offset(layer, block); }
  const float* value_block(int64_t layer, int32_t block) const { return v_.data() + block_offset(layer, block); }
  int64_t row_floats() const { return row_floats_; }

  // [n_head_kv * head_dim] floats for (layer, seq, pos); pos must be reserved.
  float* key(int64_t layer, int32_t seq, int64_t pos) { return k_.data() + offset(layer, seq, pos); }
  float* value(int64_t layer, int32_t seq, int64_t pos) { return v_.data() + offset(layer, seq, pos); }

 private:
  size_t offset(int64_t layer, int32_t seq, int64_t pos) const;
  size_t block_offset(int64_t layer, int32_t block) const {
    return static_cast<size_t>((layer * n_blocks_ + block) * block_size_ * row_floats_);
  }
  int32_t take_block();            // from free_, else evicts the least recently used cached block
  void release_block(int32_t block);
  void copy_block(int32_t from, int32_t to);

  struct BlockInfo {
    int32_t refs = 0;
    bool published = false;
    uint64_t key = 0;
    std::vector<int32_t> tokens;          // the block's tokens, to confirm a hash hit
    std::list<int32_t>::iterator lru_pos;  // valid while refs == 0 && published
  };

  KvCacheShape shape_;
  int32_t block_size_;
  int64_t n_blocks_;
  int64_t row_floats_;  // n_head_kv * head_dim
  std::vector<float> k_, v_;
  std::vector<int32_t> free_;  // never-used or evicted block ids (stack)
  std::unordered_map<int32_t, std::vector<int32_t>> tables_;
  std::vector<BlockInfo> blocks_;
  std::list<int32_t> lru_;                          // published, unreferenced; front = oldest
  std::unordered_map<uint64_t, int32_t> published_;  // chained token hash -> block
};

}  // namespace plexus::model

#include "model/kv_cache.h"

#include <cassert>
#include <string>

namespace plexus::model {

KvCache::KvCache(const KvCacheShape& shape, int64_t capacity_tokens, int32_t block_size)
    : shape_(shape), block_size_(block_size < 1 ? 1 : block_size) {
  n_blocks_ = (capacity_tokens + block_size_ - 1) / block_size_;
  row_floats_ = shape_.n_head_kv * shape_.head_dim;
  const size_t floats = static_cast<size_t>(shape_.n_layer * n_blocks_ * block_size_ * row_floats_);
  k_.assign(floats, 0.0f);
  v_.assign(floats, 0.0f);
  clear();
}

void KvCache::clear() {
  tables_.clear();
  free_.clear();
  free_.reserve(static_cast<size_t>(n_blocks_));
  for (int64_t b = n_blocks_ - 1; b >= 0; --b) free_.push_back(static_cast<int32_t>(b));
}

Status KvCache::reserve(int32_t seq, int64_t n_positions) {
  auto& table = tables_[seq];
  const int64_t needed = (n_positions + block_size_ - 1) / block_size_;
  const int64_t missing = needed - static_cast<int64_t>(table.size());
  if (missing <= 0) return {};
  if (missing > static_cast<int64_t>(free_.size())) {
    return out_of_range("KV cache full: sequence needs " + std::to_string(n_positions) + " positions, " +
                        std::to_string(free_.size() * static_cast<size_t>(block_size_)) + " free of " +
                        std::to_string(capacity_tokens()));
  }
  for (int64_t i = 0; i < missing; ++i) {
    table.push_back(free_.back());
    free_.pop_back();
  }
  return {};
}

void KvCache::truncate(int32_t seq, int64_t n_positions) {
  auto it = tables_.find(seq);
  if (it == tables_.end()) return;
  const size_t keep = static_cast<size_t>((n_positions + block_size_ - 1) / block_size_);
  while (it->second.size() > keep) {
    free_.push_back(it->second.back());
    it->second.pop_back();
  }
}

void KvCache::free_sequence(int32_t seq) {
  truncate(seq, 0);
  tables_.erase(seq);
}

int64_t KvCache::reserved_positions(int32_t seq) const {
  auto it = tables_.find(seq);
  return it == tables_.end() ? 0 : static_cast<int64_t>(it->second.size()) * block_size_;
}

size_t KvCache::offset(int64_t layer, int32_t seq, int64_t pos) const {
  const auto& table = tables_.at(seq);
  assert(pos >= 0 && pos / block_size_ < static_cast<int64_t>(table.size()));
  const int64_t block = table[static_cast<size_t>(pos / block_size_)];
  const int64_t row = (layer * n_blocks_ + block) * block_size_ + pos % block_size_;
  return static_cast<size_t>(row * row_floats_);
}

}  // namespace plexus::model

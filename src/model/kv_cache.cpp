#include "model/kv_cache.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

namespace plexus::model {
namespace {

// Chained hash of a block's tokens onto the hash of everything before it.
uint64_t chain_hash(uint64_t previous, std::span<const int32_t> tokens) {
  uint64_t h = previous ^ 0x9e3779b97f4a7c15ull;
  for (int32_t t : tokens) {
    h ^= static_cast<uint32_t>(t);
    h *= 0x100000001b3ull;
    h ^= h >> 29;
  }
  return h * 0xbf58476d1ce4e5b9ull;
}

}  // namespace

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
  lru_.clear();
  published_.clear();
  blocks_.assign(static_cast<size_t>(n_blocks_), BlockInfo{});
  free_.clear();
  free_.reserve(static_cast<size_t>(n_blocks_));
  for (int64_t b = n_blocks_ - 1; b >= 0; --b) free_.push_back(static_cast<int32_t>(b));
}

int32_t KvCache::take_block() {
  int32_t block;
  if (!free_.empty()) {
    block = free_.back();
    free_.pop_back();
  } else {
    assert(!lru_.empty());
    block = lru_.front();
    lru_.pop_front();
    BlockInfo& info = blocks_[static_cast<size_t>(block)];
    published_.erase(info.key);
    info = BlockInfo{};
  }
  blocks_[static_cast<size_t>(block)].refs = 1;
  return block;
}

void KvCache::release_block(int32_t block) {
  BlockInfo& info = blocks_[static_cast<size_t>(block)];
  assert(info.refs > 0);
  if (--info.refs > 0) return;
  if (info.published) {
    info.lru_pos = lru_.insert(lru_.end(), block);
  } else {
    free_.push_back(block);
  }
}

void KvCache::copy_block(int32_t from, int32_t to) {
  const size_t block_floats = static_cast<size_t>(block_size_ * row_floats_);
  for (int64_t layer = 0; layer < shape_.n_layer; ++layer) {
    const size_t src = static_cast<size_t>((layer * n_blocks_ + from) * block_size_ * row_floats_);
    const size_t dst = static_cast<size_t>((layer * n_blocks_ + to) * block_size_ * row_floats_);
    std::memcpy(k_.data() + dst, k_.data() + src, block_floats * sizeof(float));
    std::memcpy(v_.data() + dst, v_.data() + src, block_floats * sizeof(float));
  }
}

Status KvCache::reserve(int32_t seq, int64_t n_positions) {
  auto& table = tables_[seq];
  const int64_t needed = (n_positions + block_size_ - 1) / block_size_;
  const int64_t missing = needed - static_cast<int64_t>(table.size());
  if (missing <= 0) return {};
  if (missing > free_blocks()) {
    return out_of_range("KV cache full: sequence needs " + std::to_string(n_positions) + " positions, " +
                        std::to_string(free_blocks() * block_size_) + " free of " + std::to_string(capacity_tokens()));
  }
  for (int64_t i = 0; i < missing; ++i) table.push_back(take_block());
  return {};
}

void KvCache::truncate(int32_t seq, int64_t n_positions) {
  auto it = tables_.find(seq);
  if (it == tables_.end()) return;
  auto& table = it->second;
  const size_t keep = static_cast<size_t>((n_positions + block_size_ - 1) / block_size_);
  while (table.size() > keep) {
    release_block(table.back());
    table.pop_back();
  }
  // A partially kept block will be written again: it must be private to this sequence.
  if (n_positions % block_size_ != 0 && !table.empty()) {
    const int32_t last = table.back();
    const BlockInfo& info = blocks_[static_cast<size_t>(last)];
    if (info.refs > 1 || info.published) {
      if (free_blocks() > 0) {
        const int32_t copy = take_block();
        copy_block(last, copy);
        release_block(last);
        table.back() = copy;
      } else {
        release_block(last);
        table.pop_back();  // no room for a private copy: the caller re-reserves and recomputes
      }
    }
  }
}

void KvCache::free_sequence(int32_t seq) {
  truncate(seq, 0);
  tables_.erase(seq);
}

int64_t KvCache::attach_prefix(int32_t seq, std::span<const int32_t> tokens) {
  auto& table = tables_[seq];
  if (!table.empty() || tokens.size() < 2) return 0;
  uint64_t h = 0;
  const size_t bs = static_cast<size_t>(block_size_);
  // Leave at least one token to evaluate, so the caller gets logits for the last prompt token.
  for (size_t start = 0; start + bs <= tokens.size() - 1; start += bs) {
    std::span<const int32_t> block_tokens = tokens.subspan(start, bs);
    h = chain_hash(h, block_tokens);
    auto hit = published_.find(h);
    if (hit == published_.end()) break;
    BlockInfo& info = blocks_[static_cast<size_t>(hit->second)];
    if (!std::equal(info.tokens.begin(), info.tokens.end(), block_tokens.begin(), block_tokens.end())) break;
    if (info.refs == 0) lru_.erase(info.lru_pos);
    ++info.refs;
    table.push_back(hit->second);
  }
  return static_cast<int64_t>(table.size()) * block_size_;
}

void KvCache::publish_prefix(int32_t seq, std::span<const int32_t> tokens, int64_t n_valid) {
  auto it = tables_.find(seq);
  if (it == tables_.end()) return;
  const auto& table = it->second;
  const size_t bs = static_cast<size_t>(block_size_);
  const size_t full = std::min(static_cast<size_t>(n_valid) / bs, table.size());
  uint64_t h = 0;
  for (size_t i = 0; i < full && (i + 1) * bs <= tokens.size(); ++i) {
    std::span<const int32_t> block_tokens = tokens.subspan(i * bs, bs);
    h = chain_hash(h, block_tokens);
    BlockInfo& info = blocks_[static_cast<size_t>(table[i])];
    if (info.published) continue;
    if (published_.count(h) != 0) continue;  // an identical block is already published
    info.published = true;
    info.key = h;
    info.tokens.assign(block_tokens.begin(), block_tokens.end());
    published_[h] = table[i];
  }
}

int64_t KvCache::reserved_positions(int32_t seq) const {
  auto it = tables_.find(seq);
  return it == tables_.end() ? 0 : static_cast<int64_t>(it->second.size()) * block_size_;
}

const std::vector<int32_t>& KvCache::block_table(int32_t seq) const {
  static const std::vector<int32_t> empty;
  auto it = tables_.find(seq);
  return it == tables_.end() ? empty : it->second;
}

size_t KvCache::offset(int64_t layer, int32_t seq, int64_t pos) const {
  const auto& table = tables_.at(seq);
  assert(pos >= 0 && pos / block_size_ < static_cast<int64_t>(table.size()));
  const int64_t block = table[static_cast<size_t>(pos / block_size_)];
  const int64_t row = (layer * n_blocks_ + block) * block_size_ + pos % block_size_;
  return static_cast<size_t>(row * row_floats_);
}

}  // namespace plexus::model

#include "model/kv_cache.h"

#include <gtest/gtest.h>

namespace plexus::model {
namespace {

KvCacheShape shape() { return {2, 1, 4}; }

void fill(KvCache& c, int32_t seq, int64_t from, int64_t to, float value) {
  for (int64_t layer = 0; layer < 2; ++layer) {
    for (int64_t p = from; p < to; ++p) {
      for (int e = 0; e < 4; ++e) c.key(layer, seq, p)[e] = value + static_cast<float>(p);
    }
  }
}

TEST(KvCache, ReserveTakesWholeBlocksAndFailsClearlyWhenFull) {
  KvCache c(shape(), 64, 16);
  EXPECT_EQ(c.total_blocks(), 4);
  ASSERT_TRUE(c.reserve(0, 17).ok());
  EXPECT_EQ(c.reserved_positions(0), 32);
  EXPECT_EQ(c.free_blocks(), 2);
  Status st = c.reserve(1, 48);
  EXPECT_EQ(st.code(), error_code::out_of_range);
  EXPECT_NE(st.message().find("KV cache full"), std::string::npos);
  c.free_sequence(0);
  EXPECT_EQ(c.free_blocks(), 4);
  EXPECT_TRUE(c.reserve(1, 64).ok());  // one sequence may take the whole pool
}

TEST(KvCache, PublishedPrefixIsAttachedByLaterSequences) {
  KvCache c(shape(), 128, 4);
  std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  ASSERT_TRUE(c.reserve(0, 10).ok());
  fill(c, 0, 0, 10, 100.0f);
  c.publish_prefix(0, prompt, 10);  // blocks [1..4], [5..8] are full
  c.free_sequence(0);
  EXPECT_EQ(c.cached_blocks(), 2);

  std::vector<int32_t> other = {1, 2, 3, 4, 5, 6, 7, 8, 42};
  EXPECT_EQ(c.attach_prefix(1, other), 8);
  EXPECT_FLOAT_EQ(c.key(1, 1, 7)[0], 107.0f);  // computed by sequence 0
  std::vector<int32_t> diverging = {1, 2, 3, 4, 9, 9, 9, 9, 9};
  EXPECT_EQ(c.attach_prefix(2, diverging), 4);
  std::vector<int32_t> exact = {1, 2, 3, 4};
  EXPECT_EQ(c.attach_prefix(3, exact), 0);  // the last token must stay to be evaluated
}

TEST(KvCache, TruncatingIntoASharedBlockCopiesIt) {
  KvCache c(shape(), 128, 4);
  std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  ASSERT_TRUE(c.reserve(0, 9).ok());
  fill(c, 0, 0, 9, 0.0f);
  c.publish_prefix(0, prompt, 9);
  ASSERT_EQ(c.attach_prefix(1, prompt), 8);
  c.truncate(1, 6);  // sequence 1 will rewrite positions 6.. of the shared second block
  ASSERT_TRUE(c.reserve(1, 9).ok());
  c.key(0, 1, 6)[0] = -1.0f;
  EXPECT_FLOAT_EQ(c.key(0, 0, 6)[0], 6.0f);   // sequence 0 unaffected
  EXPECT_FLOAT_EQ(c.key(0, 1, 5)[0], 5.0f);   // copied prefix of the block kept
}

TEST(KvCache, CachedBlocksAreEvictedWhenMemoryIsNeeded) {
  KvCache c(shape(), 16, 4);
  std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  ASSERT_TRUE(c.reserve(0, 9).ok());
  c.publish_prefix(0, prompt, 9);
  c.free_sequence(0);
  EXPECT_EQ(c.free_blocks(), 4);
  ASSERT_TRUE(c.reserve(1, 16).ok());  // needs every block, evicting the cached ones
  EXPECT_EQ(c.cached_blocks(), 0);
  EXPECT_EQ(c.attach_prefix(2, prompt), 0);
}

}  // namespace
}  // namespace plexus::model

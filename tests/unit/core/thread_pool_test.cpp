// ThreadPool: every worker runs each job once, parallel_for covers its range exactly once,
// back-to-back runs through the spin phase and runs after the workers fell asleep both complete,
// and the pool shuts down from any state. No timing assertions: the machine may be busy.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_pool.h"

namespace plexus {
namespace {

TEST(ThreadPool, EachWorkerRunsOnceWithItsIndex) {
  for (int n : {1, 2, 3, 7}) {
    ThreadPool pool(n);
    EXPECT_EQ(pool.size(), n);
    std::vector<std::atomic<int>> calls(static_cast<size_t>(n));
    std::atomic<int> bad_count{0};
    pool.run([&](int index, int workers) {
      if (workers != n || index < 0 || index >= n) {
        ++bad_count;
        return;
      }
      ++calls[static_cast<size_t>(index)];
    });
    EXPECT_EQ(bad_count.load(), 0);
    for (auto& c : calls) EXPECT_EQ(c.load(), 1);
  }
}

TEST(ThreadPool, ValuesBelowOneMeanOneThread) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.size(), 1);
  int calls = 0;
  pool.run([&](int index, int workers) { calls += index == 0 && workers == 1; });
  EXPECT_EQ(calls, 1);
}

TEST(ThreadPool, ParallelForCoversEveryItemOnceInBalancedChunks) {
  ThreadPool pool(3);
  for (int64_t n : {0, 1, 2, 3, 10, 1000, 1001}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    std::atomic<int64_t> smallest{n}, largest{0};
    pool.parallel_for(n, [&](int64_t b, int64_t e) {
      ASSERT_LT(b, e);
      for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
      int64_t s = smallest.load();
      while (e - b < s && !smallest.compare_exchange_weak(s, e - b)) {
      }
      int64_t l = largest.load();
      while (e - b > l && !largest.compare_exchange_weak(l, e - b)) {
      }
    });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    if (n >= 3) {
      EXPECT_LE(largest.load() - smallest.load(), 1) << n;
    }
  }
}

TEST(ThreadPool, ParallelChunksCoverEveryItemOnceInChunksOfTheGivenSize) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 7, 64, 1001}) {
      for (int64_t chunk : {0, 1, 5, 64, 5000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.parallel_chunks(n, chunk, [&](int64_t b, int64_t e) {
          ASSERT_LT(b, e);
          const int64_t size = std::max<int64_t>(chunk, 1);
          // Every chunk starts on a multiple of the size and is whole unless it ends the range
          // (or is the entire range, when one worker or one chunk covers it).
          if (e - b != n) {
            ASSERT_EQ(b % size, 0);
            ASSERT_TRUE(e - b == size || e == n) << b << ".." << e;
          }
          for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
        });
        for (auto& h : hits) ASSERT_EQ(h.load(), 1) << "threads " << threads << " n " << n << " chunk " << chunk;
      }
    }
  }
}

// Each worker owns a contiguous run of chunks, but one held up in its first chunk must not hold
// its run: the other worker takes every remaining chunk, the held one's included.
TEST(ThreadPool, ParallelChunksHandAHeldWorkersRunToTheOther) {
  ThreadPool pool(2);
  constexpr int64_t n = 64;
  std::atomic<int64_t> done{0};
  std::atomic<bool> held{false};
  bool released_by_the_other = false;
  pool.parallel_chunks(n, 1, [&](int64_t b, int64_t e) {
    if (!held.exchange(true)) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (done.load() < n - 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      released_by_the_other = done.load() == n - 1;
    }
    done += e - b;
  });
  EXPECT_EQ(done.load(), n);
  EXPECT_TRUE(released_by_the_other);
}

TEST(ThreadPool, ManyBackToBackRunsComplete) {
  ThreadPool pool(4);
  std::atomic<int64_t> total{0};
  for (int i = 0; i < 20000; ++i) {
    pool.parallel_for(8, [&](int64_t b, int64_t e) { total += e - b; });
  }
  EXPECT_EQ(total.load(), 20000 * 8);
}

TEST(ThreadPool, RunsAfterWorkersFellAsleep) {
  ThreadPool pool(3, /*spin_us=*/1);
  std::atomic<int> total{0};
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    pool.run([&](int, int) { ++total; });
  }
  EXPECT_EQ(total.load(), 60);
  EXPECT_GT(pool.sleeps(), 0u);  // the workers did go to sleep between runs
}

// After an idle spell has shrunk the spin bound, ops that come back to back again must find the
// workers spinning, not asleep. Decode dispatches ops 5-50 us apart, longer than the smallest
// bound (64 pauses); the first rule, which grew the bound only after a successful spin, never
// recovered from that and slept (one futex wake-up) at every dispatch: 400 of 400 here.
TEST(ThreadPool, SpinningResumesAfterAnIdleSpell) {
  if (ThreadPool::hardware_threads() < 2) GTEST_SKIP() << "needs 2 hardware threads";
  ThreadPool pool(2, /*spin_us=*/5000);
  for (int i = 0; i < 16; ++i) {  // waits of 20 ms: each halves the worker's bound, down to 0
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pool.run([](int, int) {});
  }
  const uint64_t idle_sleeps = pool.sleeps();
  EXPECT_GE(idle_sleeps, 16u);
  for (int i = 0; i < 400; ++i) {  // gaps of 200 us, far inside the 5 ms bound
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
    while (std::chrono::steady_clock::now() < until) {
    }
    pool.run([](int, int) {});
  }
  // A full bound is restored by the first short wait; the margin covers a busy machine that
  // deschedules the worker for more than 5 ms now and then.
  EXPECT_LT(pool.sleeps() - idle_sleeps, 100u);
}

TEST(ThreadPool, WithoutSpinning) {
  ThreadPool pool(2, /*spin_us=*/0);
  EXPECT_EQ(pool.spin_us(), 0);
  std::atomic<int> total{0};
  for (int i = 0; i < 2000; ++i) pool.run([&](int, int) { ++total; });
  EXPECT_EQ(total.load(), 4000);
}

TEST(ThreadPool, MoreThreadsThanTheMachineNeverSpin) {
  ThreadPool pool(ThreadPool::hardware_threads() + 2);
  EXPECT_EQ(pool.spin_us(), 0);
  ThreadPool fits(1);
  EXPECT_EQ(fits.spin_us(), ThreadPool::kDefaultSpinUs);
}

TEST(ThreadPool, ConcurrentCallersAreSerialized) {
  ThreadPool pool(3);
  std::atomic<int> inside{0}, overlap{0}, total{0};
  auto caller = [&] {
    for (int i = 0; i < 500; ++i) {
      pool.run([&](int index, int) {
        if (index == 0) {
          if (inside.fetch_add(1) != 0) ++overlap;
        }
        ++total;
        if (index == 0) inside.fetch_sub(1);
      });
    }
  };
  std::thread a(caller), b(caller);
  a.join();
  b.join();
  EXPECT_EQ(overlap.load(), 0);
  EXPECT_EQ(total.load(), 2 * 500 * 3);
}

// Callers are admitted in arrival order: a caller that dispatches again right after its op
// queues behind one already waiting (a plain mutex lets the releasing thread win the race
// again and again: an engine decoding back to back would starve an embedder sharing the pool).
TEST(ThreadPool, WaitingCallerGoesBeforeARepeatCaller) {
  ThreadPool pool(2);
  std::mutex order_mutex;
  std::vector<std::string> order;
  auto record = [&](const std::string& who) {
    std::lock_guard<std::mutex> lock(order_mutex);
    order.push_back(who);
  };
  std::thread second;
  pool.run([&](int index, int) {
    if (index != 0) return;
    record("first");
    second = std::thread([&] { pool.run([&](int i, int) { if (i == 0) record("second"); }); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (pool.waiting_callers() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  });
  pool.run([&](int index, int) { if (index == 0) record("first again"); });
  second.join();
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second", "first again"}));
  EXPECT_EQ(pool.waiting_callers(), 0);
}

TEST(ThreadPool, DestroysCleanlyInEveryState) {
  { ThreadPool never_used(4); }
  {
    ThreadPool asleep(3, 1);
    asleep.run([](int, int) {});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    ThreadPool spinning(3);
    spinning.run([](int, int) {});
  }
  SUCCEED();
}

TEST(ThreadPool, SlowWorkerIsWaitedFor) {
  ThreadPool pool(2, 5);
  std::atomic<bool> finished{false};
  pool.run([&](int index, int) {
    if (index == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      finished = true;
    }
  });
  EXPECT_TRUE(finished.load());  // run() returned only after worker 1 was done
}

}  // namespace
}  // namespace plexus

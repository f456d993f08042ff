#include "core/thread_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace plexus {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

int ThreadPool::hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int n_threads, int spin_us) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  if (spin_us < 0) spin_us = n_threads_ > hardware_threads() ? 0 : kDefaultSpinUs;
  spin_us_ = spin_us;
  workers_.reserve(static_cast<size_t>(n_threads_ - 1));
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  stopping_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::await_change(const std::atomic<uint32_t>& value, uint32_t old, std::atomic<int>& sleepers) {
  if (value.load(std::memory_order_acquire) != old) return;
  if (spin_us_ > 0) {
    // The clock is read every 64 pauses (a pause is ~10-140 cycles): the bound holds to within
    // a few microseconds without a clock call per iteration.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us_);
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        if (value.load(std::memory_order_acquire) != old) return;
        cpu_relax();
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
    }
  }
  // Dekker pattern with the notifier: we publish ourselves in `sleepers` (seq_cst) and then
  // re-check the value inside wait(); the notifier stores the value (seq_cst) and then reads
  // `sleepers`. At least one of us sees the other's store, so a wake-up is never lost.
  sleepers.fetch_add(1);
  while (value.load() == old) {
    sleeps_.fetch_add(1, std::memory_order_relaxed);
    value.wait(old);
  }
  sleepers.fetch_sub(1);
}

void ThreadPool::worker_loop(int index) {
  // Generation 0 is the one before any run(): threads start in the constructor, so no run()
  // can have bumped it yet, but this thread may only get here after one has.
  uint32_t seen = 0;
  for (;;) {
    await_change(generation_, seen, worker_sleepers_);
    seen = generation_.load(std::memory_order_acquire);
    if (stopping_.load(std::memory_order_acquire)) return;
    (*job_)(index, n_threads_);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      done_epoch_.fetch_add(1);
      if (caller_sleepers_.load() > 0) done_epoch_.notify_all();
    }
  }
}

void ThreadPool::run(const std::function<void(int, int)>& job) {
  std::lock_guard<std::mutex> run_lock(run_mutex_);
  if (n_threads_ == 1) {
    job(0, 1);
    return;
  }
  const uint32_t epoch = done_epoch_.load();
  job_ = &job;
  pending_.store(static_cast<uint32_t>(n_threads_ - 1), std::memory_order_relaxed);
  generation_.fetch_add(1);  // seq_cst: publishes job_ and pending_, then read the sleepers
  if (worker_sleepers_.load() > 0) generation_.notify_all();
  job(0, n_threads_);
  await_change(done_epoch_, epoch, caller_sleepers_);
  job_ = nullptr;
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int workers = static_cast<int>(std::min<int64_t>(n, n_threads_));
  if (workers <= 1) {
    fn(0, n);
    return;
  }
  run([&](int index, int) {
    if (index >= workers) return;
    const int64_t begin = n * index / workers;
    const int64_t end = n * (index + 1) / workers;
    if (begin < end) fn(begin, end);
  });
}

}  // namespace plexus

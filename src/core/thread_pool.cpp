#include "core/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
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

// Sleeping and waking go straight to the futex on Linux: libstdc++'s atomic wait first calls
// sched_yield a dozen times, and on a loaded machine each yield can hand the core to another
// process for a whole time slice (milliseconds per dispatch, measured).
void sleep_while_equal(const std::atomic<uint32_t>& value, uint32_t old) {
#if defined(__linux__)
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  syscall(SYS_futex, reinterpret_cast<const uint32_t*>(&value), FUTEX_WAIT_PRIVATE, old, nullptr, nullptr, 0);
#else
  value.wait(old);
#endif
}

void wake_all(std::atomic<uint32_t>& value) {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&value), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
#else
  value.notify_all();
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
  wake_all(generation_);
  for (auto& t : workers_) t.join();
}

void ThreadPool::await_change(const std::atomic<uint32_t>& value, uint32_t old, std::atomic<int>& sleepers) {
  if (value.load(std::memory_order_acquire) != old) return;
  // Adaptive spin bound, per waiting thread. A wait that ends within spin_us_ (by spinning, or by
  // a wake-up that came that soon) would have been caught by a full spin, so the budget goes back
  // to spin_us_; a longer wait halves it. On a machine with free cores the next op arrives within
  // microseconds and the budget stays full; on an oversubscribed one the other party is often
  // descheduled for milliseconds, spinning would only burn the time slice the scheduler would give
  // it, and the budget decays toward a token 64 pauses. (The first rule, "a successful spin
  // doubles the budget", never recovered from 0: in decode the gaps between ops are 5-50 us, longer
  // than 64 pauses, so after a few long gaps, such as the end of a token, every dispatch slept
  // and paid a futex wake-up: 155 per token of a 1.1B model.)
  thread_local int budget_us = -1;
  if (budget_us < 0 || budget_us > spin_us_) budget_us = spin_us_;
  const auto start = spin_us_ > 0 ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  if (spin_us_ > 0) {
    // The clock is read every 64 pauses (a pause is ~10-140 cycles): the bound holds to within
    // a few microseconds without a clock call per iteration.
    const auto deadline = start + std::chrono::microseconds(budget_us);
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        if (value.load(std::memory_order_acquire) != old) {
          budget_us = spin_us_;
          return;
        }
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
    sleep_while_equal(value, old);
  }
  sleepers.fetch_sub(1);
  if (spin_us_ > 0) {
    const bool short_wait = std::chrono::steady_clock::now() - start <= std::chrono::microseconds(spin_us_);
    budget_us = short_wait ? spin_us_ : budget_us / 2;
  }
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
      if (caller_sleepers_.load() > 0) wake_all(done_epoch_);
    }
  }
}

void ThreadPool::admit() {
  std::unique_lock<std::mutex> lock(admit_mutex_);
  const uint64_t ticket = next_ticket_++;
  if (serving_ == ticket) return;
  ++admit_waiters_;
  admit_cv_.wait(lock, [&] { return serving_ == ticket; });
  --admit_waiters_;
}

int ThreadPool::waiting_callers() const {
  std::lock_guard<std::mutex> lock(admit_mutex_);
  return admit_waiters_;
}

void ThreadPool::dismiss() {
  bool waiters = false;
  {
    std::lock_guard<std::mutex> lock(admit_mutex_);
    ++serving_;
    waiters = admit_waiters_ > 0;
  }
  if (waiters) admit_cv_.notify_all();
}

void ThreadPool::run(const std::function<void(int, int)>& job) {
  admit();
  struct turn {
    ThreadPool* pool;
    ~turn() { pool->dismiss(); }
  } const end_of_turn{this};
  if (n_threads_ == 1) {
    job(0, 1);
    return;
  }
  const uint32_t epoch = done_epoch_.load();
  job_ = &job;
  pending_.store(static_cast<uint32_t>(n_threads_ - 1), std::memory_order_relaxed);
  generation_.fetch_add(1);  // seq_cst: publishes job_ and pending_, then read the sleepers
  if (worker_sleepers_.load() > 0) wake_all(generation_);
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

void ThreadPool::parallel_chunks(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (chunk < 1) chunk = 1;
  if (n_threads_ == 1 || chunk >= n) {
    fn(0, n);
    return;
  }
  // Worker w owns the w-th contiguous run of chunks and takes them in ascending order, so its
  // reads form one ascending stream; a worker done with its own run takes the next chunks of the
  // others' runs (from the front, by the same counter), so a worker that gets less of its core
  // still hands its work to the others.
  struct alignas(64) Run {
    std::atomic<int64_t> next;
    int64_t end;
  };
  constexpr int kMaxRuns = 64;
  const int64_t n_chunks = (n - 1) / chunk + 1;
  const int runs = static_cast<int>(std::min<int64_t>({n_threads_, n_chunks, kMaxRuns}));
  Run owned[kMaxRuns];
  for (int w = 0; w < runs; ++w) {
    owned[w].next.store(n_chunks * w / runs, std::memory_order_relaxed);
    owned[w].end = n_chunks * (w + 1) / runs;
  }
  run([&](int worker, int) {
    for (int k = 0; k < runs; ++k) {
      Run& r = owned[(worker + k) % runs];
      for (;;) {
        const int64_t c = r.next.fetch_add(1, std::memory_order_relaxed);
        if (c >= r.end) break;
        fn(c * chunk, std::min(n, (c + 1) * chunk));
      }
    }
  });
}

}  // namespace plexus

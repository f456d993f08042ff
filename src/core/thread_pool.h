// A persistent compute pool: threads are created once and reused for every op, so no op pays
// for thread creation. The caller of run() takes part as worker 0.
//
// Dispatch latency: after finishing a job, workers spin (with a pause instruction) for a bounded
// time watching for the next one before they sleep on a futex, and the caller spins the same way
// waiting for stragglers. Back-to-back ops, as in a forward pass, therefore cost about a
// microsecond to hand out instead of a futex wake-up per worker; an idle pool costs nothing
// (every thread asleep after the spin bound). The bound adapts per thread: a wait that lasted
// longer than the full bound (an idle pool, or the other side descheduled on a busy machine)
// halves it, a wait that ended within it (spinning or asleep) restores it.
// When the pool has more threads than the machine has hardware threads, nobody spins (a spinning
// thread would steal a core from a worker).
//
// Thread-safe: run() may be called from several threads (a server's engines and embedders share
// one pool, so the machine never has more compute threads than cores); concurrent calls run one at
// a time, in arrival order, so a dispatcher issuing ops back to back cannot starve another.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace plexus {

class ThreadPool {
 public:
  // n_threads >= 1 (values below 1 are taken as 1): the total number of workers including the caller.
  // spin_us: how long an idle worker (and a waiting caller) spins before sleeping; negative picks
  // the default (kDefaultSpinUs, or 0 when n_threads exceeds the hardware threads).
  explicit ThreadPool(int n_threads, int spin_us = -1);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  static constexpr int kDefaultSpinUs = 100;

  int size() const { return n_threads_; }
  int spin_us() const { return spin_us_; }

  // The machine's hardware threads (at least 1): the default worker count.
  static int hardware_threads();

  // Calls job(worker_index, n_workers) once on each worker and returns when all are done.
  void run(const std::function<void(int, int)>& job);

  // Splits [0, n) into contiguous chunks, one per worker (balanced to within one item),
  // and calls fn(begin, end) for each non-empty chunk.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn);

  // Splits [0, n) into chunks of `chunk` items (the last may be shorter) and calls fn(begin, end)
  // for each. Worker w owns the w-th contiguous run of chunks and takes them in ascending order
  // (its weights stream as one range: the 2048x2048 decode matmuls gained 4-15% in the kernel
  // bench against chunks dealt out in turn); a worker done with its run takes the others' next
  // chunks, so on a shared machine a worker that gets less of its core takes fewer chunks instead
  // of holding up the whole op, as a fixed split would. Which worker runs a chunk varies; what fn
  // computes for an item must not depend on it.
  void parallel_chunks(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn);

  // Worker wake-ups that went through the futex (the worker had gone to sleep), for tests and
  // benchmarks of the spin phase.
  uint64_t sleeps() const { return sleeps_.load(std::memory_order_relaxed); }
  // Callers of run() waiting for their turn (for tests).
  int waiting_callers() const;

 private:
  void worker_loop(int index);
  void admit();    // blocks until this caller's turn
  void dismiss();  // ends the turn, admitting the next caller
  // Waits until `value` differs from `old`: spins up to spin_us_, then sleeps on the atomic,
  // counting itself in `sleepers` while asleep.
  void await_change(const std::atomic<uint32_t>& value, uint32_t old, std::atomic<int>& sleepers);

  int n_threads_;
  int spin_us_;
  std::vector<std::thread> workers_;
  // FIFO admission to run(): tickets taken in arrival order, served one at a time.
  mutable std::mutex admit_mutex_;
  std::condition_variable admit_cv_;
  uint64_t next_ticket_ = 0;  // guarded by admit_mutex_
  uint64_t serving_ = 0;      // guarded by admit_mutex_
  int admit_waiters_ = 0;     // guarded by admit_mutex_
  const std::function<void(int, int)>* job_ = nullptr;  // published by the generation store
  std::atomic<uint32_t> generation_{0};  // bumped once per run(); workers wait for a change
  std::atomic<uint32_t> pending_{0};     // workers still running the current job
  std::atomic<uint32_t> done_epoch_{0};  // bumped by the last worker to finish
  std::atomic<int> worker_sleepers_{0};
  std::atomic<int> caller_sleepers_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> sleeps_{0};
};

}  // namespace plexus

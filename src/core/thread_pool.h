// A persistent compute pool: threads are created once and reused for every op, so no op pays
// for thread creation. The caller of run() takes part as worker 0.
// Thread-safe: run() may be called from one thread at a time (the engine thread that owns the
// pool); concurrent run() calls are serialized by a mutex.
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
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // The machine's hardware threads (at least 1): the default worker count.
  static int hardware_threads();

  // Calls job(worker_index, n_workers) once on each worker and returns when all are done.
  void run(const std::function<void(int, int)>& job);

  // Splits [0, n) into contiguous chunks, one per worker (balanced to within one item),
  // and calls fn(begin, end) for each non-empty chunk.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker_loop(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // serializes run()
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int, int)>* job_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stopping_ = false;
};

}  // namespace plexus

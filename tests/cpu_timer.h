// CPU time consumed by the calling thread: what "must finish within a second" tests measure, so
// that a loaded CI machine (many processes on 2 cores) does not turn wall-clock waits into failures.
// Not thread-safe: a timer measures the thread that created it.
#pragma once

#include <time.h>

namespace plexus::testing {

inline double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Seconds of this thread's CPU time since construction.
class CpuTimer {
 public:
  CpuTimer() : start_(thread_cpu_seconds()) {}
  double seconds() const { return thread_cpu_seconds() - start_; }

 private:
  double start_;
};

}  // namespace plexus::testing

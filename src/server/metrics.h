// Server metrics in the Prometheus text format (version 0.0.4): requests by route and status,
// prompt and generated tokens, time-to-first-token and inter-token latency histograms, and per
// loaded model the engine's queue depth, active sequences and KV-cache use, and the embedder's
// queued inputs, inputs, tokens, forward passes and requests.
// Thread-safe: every method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "server/model_manager.h"

namespace plexus::server {

// A fixed-bucket histogram of seconds.
class Histogram {
 public:
  static constexpr std::array<double, 14> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                     0.25,  0.5,    1,     2.5,  5,     10,  30};
  void observe(double seconds);
  // Appends `name_bucket{le=...}`, `name_sum` and `name_count` lines.
  void render(const std::string& name, std::string& out) const;

 private:
  mutable std::mutex mutex_;
  std::array<uint64_t, kBounds.size() + 1> counts_{};  // last: +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class ServerMetrics {
 public:
  // route: the matched route pattern ("/v1/chat/completions") or "other".
  void count_request(const std::string& route, int status);
  void add_prompt_tokens(int64_t n) { prompt_tokens_ += n; }
  void add_generated_tokens(int64_t n) { generated_tokens_ += n; }
  void observe_ttft(double seconds) { ttft_.observe(seconds); }
  void observe_inter_token(double seconds) { inter_token_.observe(seconds); }
  void observe_request(double seconds) { request_seconds_.observe(seconds); }
  // A client went away before its generation finished (the generation was cancelled).
  void count_client_gone() { client_gone_ += 1; }

  std::string render(const std::vector<ModelInfo>& models, int64_t open_connections) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // guarded by mutex_
  std::atomic<int64_t> prompt_tokens_{0};
  std::atomic<int64_t> generated_tokens_{0};
  std::atomic<int64_t> client_gone_{0};
  Histogram ttft_;
  Histogram inter_token_;
  Histogram request_seconds_;
};

}  // namespace plexus::server

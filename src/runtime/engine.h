// The Engine serves many generation requests on one loaded model with continuous batching: one
// engine thread owns the model, the KV cache and all sequence state, and advances every active
// sequence in ONE batched forward pass per step (decode tokens of running sequences plus a chunk
// of at most one prefilling prompt, so long prompts never stall the streams). KV memory is pooled
// in blocks shared by all sequences (any request may use the whole context); full blocks of a
// prompt are cached by content so a later request with the same prefix (a system prompt) reuses
// them. Requests wait in a bounded queue; a full queue is refused at submit().
// Thread-safe: submit(), cancel() and metrics() may be called from any thread. Sinks are called
// from the engine thread and must not block.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "model/model.h"
#include "runtime/loaded_model.h"
#include "runtime/session.h"

namespace plexus::runtime {

// Receives one request's output. Called on the engine thread, in order: on_token* then on_done once.
class RequestSink {
 public:
  virtual ~RequestSink() = default;
  virtual void on_token(const TokenEvent& event) = 0;
  // status is ok for a normal finish; stats.stop_reason says why it ended ("eog", "limit",
  // "context", "cancelled", or "grammar": the request's grammar allows no token from here, see
  // GenerateOptions::grammar). A grammar the engine cannot run (too ambiguous, vocabulary not
  // usable) ends with an error status and stop_reason "error".
  virtual void on_done(const GenerateStats& stats, const Status& status) = 0;
};

struct EngineOptions {
  int threads = 0;             // compute threads (0: all cores); ignored when `pool` is given
  // A compute pool shared with other engines and embedders (a server's), so that they take turns
  // per op instead of running more threads than cores; null: the engine makes its own.
  std::shared_ptr<ThreadPool> pool;
  int64_t n_ctx = 0;           // max tokens of one sequence (0: model's training context, capped at 4096)
  int64_t kv_tokens = 0;       // KV pool size in tokens shared by all sequences (0: n_ctx * 2)
  int32_t max_sequences = 16;  // sequences decoded together
  int32_t max_queue = 64;      // waiting requests beyond which submit() refuses
  int64_t n_batch = 256;       // max tokens per forward pass (decode tokens + one prefill chunk)
  // Prompt tokens one step may carry while other sequences are decoding: each running stream waits
  // for every step, so a long prompt is fed in small chunks (a short pause per token for the streams)
  // rather than in one step of n_batch tokens (a stall of seconds on a CPU).
  int64_t n_prefill_while_decoding = 64;
  bool prefix_cache = true;
};

struct GenerateRequest {
  std::vector<int32_t> prompt;
  GenerateOptions options;
  std::shared_ptr<RequestSink> sink;
};

struct EngineMetrics {
  int64_t queued = 0;            // waiting for admission
  int64_t active = 0;            // admitted sequences
  int64_t kv_blocks_used = 0;
  int64_t kv_blocks_total = 0;
  int64_t prompt_tokens_total = 0;
  int64_t prompt_tokens_cached = 0;  // served from the prefix cache
  int64_t generated_tokens_total = 0;
  int64_t requests_done = 0;
};

class Engine {
 public:
  Engine(std::shared_ptr<const LoadedModel> model, const EngineOptions& options);
  ~Engine();  // cancels everything, joins the engine thread
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a request and returns its id. resource_exhausted when the queue is full;
  // out_of_range when prompt + max_tokens cannot fit in n_ctx; invalid_argument for an empty
  // prompt or ids outside the vocabulary.
  Result<uint64_t> submit(GenerateRequest request);
  // Stops a request within one step (its sink gets on_done with stop_reason "cancelled").
  void cancel(uint64_t id);

  EngineMetrics metrics() const;
  int64_t n_ctx() const { return n_ctx_; }
  const LoadedModel& model() const { return *model_; }

 private:
  struct Sequence;
  void run();
  void admit_waiting();
  bool step();
  void finish(Sequence& seq, const Status& status);

  std::shared_ptr<const LoadedModel> model_;
  EngineOptions options_;
  int64_t n_ctx_;
  std::shared_ptr<ThreadPool> pool_;  // never null

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Sequence>> waiting_;  // guarded by mutex_
  std::vector<uint64_t> cancelled_;                // guarded by mutex_
  bool stopping_ = false;                          // guarded by mutex_
  uint64_t next_id_ = 1;                           // guarded by mutex_
  EngineMetrics metrics_;                          // guarded by mutex_

  // Engine-thread state.
  std::vector<std::unique_ptr<Sequence>> active_;
  std::unique_ptr<class PrefixKvCache> cache_;
  model::ForwardScratch scratch_;
  std::vector<float> logits_;  // [batch rows wanting logits, n_vocab]; reused by every step
  std::thread thread_;
};

}  // namespace plexus::runtime

// The Embedder turns token sequences into pooled, optionally L2-normalized vectors. One embedder
// thread owns a KV cache and a compute pool; it packs the waiting inputs — of one request and of
// every concurrent request — into ONE forward pass (each input its own sequence, attending only
// within itself: bidirectionally for encoders, causally for decoders), pools each sequence's
// final hidden states (mean / cls / last) and hands each request its vectors once all of its
// inputs are done. Inputs wait in a bounded queue; a full queue is refused at submit().
// The KV cache and the pool (unless EmbedderOptions::pool shares one, as the server shares its
// engines' pool) are created on the first request, so an embedder costs one idle thread until it
// is used.
// Thread-safe: submit(), embed() and metrics() may be called from any thread (embed() not from a
// callback). Callbacks run on the embedder thread and must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "model/model.h"
#include "runtime/loaded_model.h"

namespace plexus::runtime {

struct EmbedderOptions {
  int threads = 0;    // compute threads (0: all cores); ignored when `pool` is given
  std::shared_ptr<ThreadPool> pool;  // shared with the model's engine (a server's); null: its own
  int64_t n_ctx = 0;  // longest input in tokens (0: default_context; never past an encoder's position table)
  // Tokens per forward pass; a longer single input still runs, alone. Kept small enough that a
  // pass's activations stay in cache (larger passes measured slower, see docs/EMBEDDINGS.md).
  int64_t n_batch = 512;
  int32_t max_queue = 4096;     // waiting inputs (over all requests) beyond which submit() refuses
  int32_t max_sequences = 256;  // inputs per forward pass
  // Used when the model file names no pooling (plexus serve --pooling); none: the file's.
  model::pooling_type pooling = model::pooling_type::none;
};

struct EmbedRequest {
  std::vector<std::vector<int32_t>> inputs;    // token ids per input (special tokens already added)
  std::optional<model::pooling_type> pooling;  // per-request override; nullopt: default_pooling()
  bool normalize = true;                       // L2-normalize each vector
  bool truncate = false;                       // cut inputs past n_ctx() instead of refusing them
};

struct EmbedResult {
  std::vector<std::vector<float>> embeddings;  // [inputs.size()][n_embd]
  int64_t prompt_tokens = 0;                   // tokens embedded (after truncation)
};

using EmbedCallback = std::function<void(Result<EmbedResult>)>;

struct EmbedderMetrics {
  int64_t queued_inputs = 0;  // waiting for a forward pass
  int64_t inputs_done = 0;
  int64_t tokens_done = 0;
  int64_t forward_passes = 0;
  int64_t requests_done = 0;
};

// Pools `hidden` ([n_tokens, n_embd] final hidden states of ONE sequence) into `out` [n_embd]:
// mean of all rows, row 0 (cls) or the last row; none is invalid_argument.
Status pool_hidden(model::pooling_type pooling, const float* hidden, int64_t n_tokens, int64_t n_embd, float* out);
// v /= ||v||_2 (summed in double); a zero vector stays zero. Returns the norm before scaling.
double l2_normalize(float* v, int64_t n);

class Embedder {
 public:
  Embedder(std::shared_ptr<const LoadedModel> model, const EmbedderOptions& options);
  ~Embedder();  // fails waiting requests with cancelled; joins the thread (detaches if run on it)
  Embedder(const Embedder&) = delete;
  Embedder& operator=(const Embedder&) = delete;

  // Validates and queues a request; `done` is then called exactly once, on the embedder thread.
  // Errors (nothing queued, `done` not called): invalid_argument for no inputs, an empty input,
  // ids outside the vocabulary, pooling none ("the model has no pooling type ...") or more inputs
  // than the queue can ever hold; out_of_range for an input longer than n_ctx() without
  // truncate (the message names the limit); resource_exhausted when the queue is full;
  // unsupported when the model cannot produce hidden states.
  Status submit(EmbedRequest request, EmbedCallback done);
  // submit() and wait for the result.
  Result<EmbedResult> embed(EmbedRequest request);

  // The pooling used when a request names none: the model file's, else options.pooling.
  model::pooling_type default_pooling() const { return default_pooling_; }
  int64_t n_ctx() const { return n_ctx_; }
  int64_t n_embd() const;
  int32_t max_queue() const;
  EmbedderMetrics metrics() const;
  const LoadedModel& model() const;

 private:
  struct Core;
  std::shared_ptr<Core> core_;
  model::pooling_type default_pooling_;
  int64_t n_ctx_;
};

}  // namespace plexus::runtime

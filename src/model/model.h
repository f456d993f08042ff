// The Model interface: an architecture's forward pass over a batch of tokens that may belong to
// several sequences, reading and writing their keys/values through a KvCache.
// Thread-safe: a Model's weights are immutable; forward() may run concurrently only with distinct
// KvCache and ForwardScratch objects (the engine runs one forward at a time per model).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "gguf/gguf_file.h"
#include "kernels/ops.h"
#include "model/kv_cache.h"

namespace plexus::model {

enum class pooling_type { none, mean, cls, last };

// "none", "mean", "cls", "last".
inline const char* pooling_name(pooling_type p) {
  switch (p) {
    case pooling_type::mean: return "mean";
    case pooling_type::cls: return "cls";
    case pooling_type::last: return "last";
    case pooling_type::none: break;
  }
  return "none";
}
// Parses a pooling_name(); false for anything else.
inline bool parse_pooling(std::string_view name, pooling_type& out) {
  for (pooling_type p : {pooling_type::none, pooling_type::mean, pooling_type::cls, pooling_type::last}) {
    if (name == pooling_name(p)) {
      out = p;
      return true;
    }
  }
  return false;
}

struct ModelConfig {
  std::string arch;           // general.architecture
  std::string name;           // general.name
  int64_t n_vocab = 0;
  int64_t n_embd = 0;         // model width
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;       // n_embd / n_head unless the file says otherwise
  int64_t n_ff = 0;
  int64_t n_ctx_train = 0;    // <arch>.context_length
  int64_t n_rot = 0;          // rotary dims per head
  float rope_freq_base = 10000.0f;
  float rope_linear_scale = 1.0f;  // <arch>.rope.scaling.type "linear": positions divided by this factor
  float norm_eps = 1e-5f;
  bool causal = true;
  pooling_type pooling = pooling_type::none;
};

// One token of a batch: it sits at `pos` of sequence `seq`; logits are produced only for tokens
// with want_logits, in batch order.
struct BatchToken {
  int32_t token = 0;
  int32_t pos = 0;
  int32_t seq = 0;
  bool want_logits = false;
};

// Per-caller work buffers, grown on demand and reused across steps (no allocation in steady state).
// Not thread-safe.
struct ForwardScratch {
  std::vector<float> x, h, q, k, v, attn, gate, up, ffn_out, logits_in;
  std::vector<const float*> attn_blocks;  // attend_batch: each worker's key/value block pointers
};

class Model {
 public:
  virtual ~Model() = default;
  const ModelConfig& config() const { return config_; }

  // Logits: [count of want_logits tokens, n_vocab], in batch order.
  // Requires: cache has room for every (seq, pos) of the batch (KvCache::reserve).
  virtual Status forward(const std::vector<BatchToken>& batch, KvCache& cache, ForwardScratch& scratch,
                         ThreadPool& pool, std::vector<float>& logits) const = 0;

  // Final hidden states: [count of want_logits tokens, n_embd], in batch order — after the output
  // norm for decoders, the last layer's output for encoders (what embeddings pool). Same
  // requirements as forward(). unsupported for models that do not expose them.
  virtual Status forward_hidden(const std::vector<BatchToken>& batch, KvCache& cache, ForwardScratch& scratch,
                                ThreadPool& pool, std::vector<float>& hidden) const {
    (void)batch, (void)cache, (void)scratch, (void)pool, (void)hidden;
    return unsupported("architecture '" + config_.arch + "' cannot produce hidden states");
  }
  // The weight matrices this model reads only through matmul (never get_row), as views it owns:
  // the loader may convert them in place into a faster kernel layout before sharing the model.
  virtual std::vector<kernels::MatrixView*> matmul_weights() { return {}; }
  // False for encoders (no output head): they embed but cannot generate text.
  virtual bool can_generate() const { return true; }

  // Layout of the KV cache this model needs per token.
  KvCacheShape kv_shape() const {
    return {config_.n_layer, config_.n_head_kv, config_.head_dim};
  }

 protected:
  ModelConfig config_;
};

}  // namespace plexus::model

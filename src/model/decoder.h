// The pre-norm decoder-only transformer shared by the Llama family and its relatives (Mistral,
// Qwen2, SmolLM, TinyLlama ...): RMSNorm, rotary attention with grouped-query heads and optional
// QKV biases, SwiGLU feed-forward, optional tied output. An architecture file reads its
// hyper-parameters and tensors into DecoderWeights; this class runs the forward pass.
// Thread-safe: see Model.
#pragma once

#include <vector>

#include "kernels/ops.h"
#include "model/model.h"

namespace plexus::model {

struct DecoderLayer {
  std::vector<float> attn_norm;                // [n_embd]
  kernels::MatrixView wq;                      // [n_head * head_dim, n_embd]
  kernels::MatrixView wk, wv;                  // [n_head_kv * head_dim, n_embd]
  std::vector<float> bq, bk, bv;               // empty, or [rows of wq/wk/wv]
  kernels::MatrixView wo;                      // [n_embd, n_head * head_dim]
  std::vector<float> ffn_norm;                 // [n_embd]
  kernels::MatrixView w_gate, w_up;            // [n_ff, n_embd]
  kernels::MatrixView w_down;                  // [n_embd, n_ff]
};

struct DecoderWeights {
  kernels::MatrixView token_embd;              // [n_vocab, n_embd]
  kernels::MatrixView output;                  // [n_vocab, n_embd] (token_embd when tied)
  std::vector<float> output_norm;              // [n_embd]
  std::vector<float> rope_freqs;               // empty, or [n_rot / 2] frequency divisors (Llama 3.1)
  kernels::rope_style rope = kernels::rope_style::norm;
  std::vector<DecoderLayer> layers;
};

class DecoderModel final : public Model {
 public:
  DecoderModel(ModelConfig config, DecoderWeights weights);

  Status forward(const std::vector<BatchToken>& batch, KvCache& cache, ForwardScratch& scratch, ThreadPool& pool,
                 std::vector<float>& logits) const override;

 private:
  void attention_layer(const DecoderLayer& layer, int64_t il, const std::vector<BatchToken>& batch, KvCache& cache,
                       ForwardScratch& s, ThreadPool& pool) const;
  void ffn_layer(const DecoderLayer& layer, int64_t n, ForwardScratch& s, ThreadPool& pool) const;

  DecoderWeights w_;
};

// Loads the llama-style tensor set (blk.N.attn_q.weight ...) into DecoderWeights, checking every
// shape against `config`. with_qkv_bias: also blk.N.attn_{q,k,v}.bias (Qwen2).
Result<DecoderWeights> load_decoder_weights(const gguf::GgufFile& file, const ModelConfig& config, bool with_qkv_bias);

// Reads "<arch>.*" hyper-parameters common to decoder families into `config` (arch already set).
Status read_decoder_config(const gguf::GgufFile& file, ModelConfig& config);

}  // namespace plexus::model

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
  // The final hidden states after output_norm (before the output projection).
  Status forward_hidden(const std::vector<BatchToken>& batch, KvCache& cache, ForwardScratch& scratch,
                        ThreadPool& pool, std::vector<float>& hidden) const override;
  // Every layer's projections, and the output head unless it is the (tied) token embedding.
  std::vector<kernels::MatrixView*> matmul_weights() override;

 private:
  // Embedding lookup and every layer; leaves the residual stream in scratch.x [n, n_embd].
  Status run_layers(const std::vector<BatchToken>& batch, KvCache& cache, ForwardScratch& s, ThreadPool& pool) const;
  // RMS-normalizes the want_logits rows of scratch.x into scratch.h, packed; returns their count.
  int64_t output_norm_rows(const std::vector<BatchToken>& batch, ForwardScratch& s) const;
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

// config.n_vocab from the row count of token_embd.weight (checked: present, 2-D, 1..2^24 rows).
Status read_vocab_size(const gguf::GgufFile& file, ModelConfig& config);

// Reads the optional "<arch>.pooling_type" (llama.cpp's enum: 0 none, 1 mean, 2 cls, 3 last)
// into config.pooling; absent leaves it unchanged. Other values are an error naming the key.
Status read_pooling_type(const gguf::GgufFile& file, ModelConfig& config);

}  // namespace plexus::model

#include "model/decoder.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "model/attention.h"
#include "model/weights.h"

namespace plexus::model {
namespace {

void add_bias_rows(float* x, const std::vector<float>& bias, int64_t n_rows) {
  if (bias.empty()) return;
  const int64_t width = static_cast<int64_t>(bias.size());
  for (int64_t r = 0; r < n_rows; ++r) kernels::add(x + r * width, bias.data(), width);
}

void grow(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

DecoderModel::DecoderModel(ModelConfig config, DecoderWeights weights) : w_(std::move(weights)) {
  config_ = std::move(config);
}

std::vector<kernels::MatrixView*> DecoderModel::matmul_weights() {
  std::vector<kernels::MatrixView*> out;
  for (DecoderLayer& l : w_.layers) {
    for (kernels::MatrixView* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) out.push_back(m);
  }
  if (w_.output.data != w_.token_embd.data) out.push_back(&w_.output);
  return out;
}

Status DecoderModel::run_layers(const std::vector<BatchToken>& batch, KvCache& cache, ForwardScratch& s,
                                ThreadPool& pool) const {
  const ModelConfig& c = config_;
  const int64_t n = static_cast<int64_t>(batch.size());
  for (const BatchToken& t : batch) {
    if (t.token < 0 || t.token >= c.n_vocab) {
      return invalid_argument("token id " + std::to_string(t.token) + " is outside the vocabulary (0.." +
                              std::to_string(c.n_vocab - 1) + ")");
    }
    if (t.pos < 0 || t.pos >= cache.reserved_positions(t.seq)) {
      return internal_error("position " + std::to_string(t.pos) + " of sequence " + std::to_string(t.seq) +
                            " has no KV cache space reserved");
    }
  }
  const int64_t d = c.n_embd;
  grow(s.x, static_cast<size_t>(n * d));
  grow(s.h, static_cast<size_t>(n * d));
  for (int64_t i = 0; i < n; ++i) kernels::get_row(w_.token_embd, batch[static_cast<size_t>(i)].token, s.x.data() + i * d);

  for (int64_t il = 0; il < c.n_layer; ++il) {
    const DecoderLayer& layer = w_.layers[static_cast<size_t>(il)];
    attention_layer(layer, il, batch, cache, s, pool);
    ffn_layer(layer, n, s, pool);
  }
  return {};
}

int64_t DecoderModel::output_norm_rows(const std::vector<BatchToken>& batch, ForwardScratch& s) const {
  const int64_t d = config_.n_embd;
  int64_t n_out = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].want_logits) continue;
    kernels::rms_norm(s.x.data() + static_cast<int64_t>(i) * d, w_.output_norm.data(), s.h.data() + n_out * d, d,
                      config_.norm_eps);
    ++n_out;
  }
  return n_out;
}

Status DecoderModel::forward(const std::vector<BatchToken>& batch, KvCache& cache, ForwardScratch& s,
                             ThreadPool& pool, std::vector<float>& logits) const {
  if (batch.empty()) {
    logits.clear();
    return {};
  }
  PLEXUS_RETURN_IF_ERROR(run_layers(batch, cache, s, pool));
  // Final norm and output projection, only for the rows that want logits.
  const int64_t n_out = output_norm_rows(batch, s);
  logits.resize(static_cast<size_t>(n_out * config_.n_vocab));
  if (n_out > 0) kernels::matmul(w_.output, s.h.data(), n_out, logits.data(), pool);
  return {};
}

Status DecoderModel::forward_hidden(const std::vector<BatchToken>& batch, KvCache& cache, ForwardScratch& s,
                                    ThreadPool& pool, std::vector<float>& hidden) const {
  if (batch.empty()) {
    hidden.clear();
    return {};
  }
  PLEXUS_RETURN_IF_ERROR(run_layers(batch, cache, s, pool));
  const int64_t n_out = output_norm_rows(batch, s);
  hidden.assign(s.h.begin(), s.h.begin() + n_out * config_.n_embd);
  return {};
}

void DecoderModel::attention_layer(const DecoderLayer& layer, int64_t il, const std::vector<BatchToken>& batch,
                                   KvCache& cache, ForwardScratch& s, ThreadPool& pool) const {
  const ModelConfig& c = config_;
  const int64_t n = static_cast<int64_t>(batch.size());
  const int64_t d = c.n_embd;
  const int64_t q_width = c.n_head * c.head_dim;
  const int64_t kv_width = c.n_head_kv * c.head_dim;
  grow(s.q, static_cast<size_t>(n * q_width));
  grow(s.k, static_cast<size_t>(n * kv_width));
  grow(s.v, static_cast<size_t>(n * kv_width));
  grow(s.attn, static_cast<size_t>(n * q_width));
  grow(s.ffn_out, static_cast<size_t>(n * d));

  for (int64_t i = 0; i < n; ++i) {
    kernels::rms_norm(s.x.data() + i * d, layer.attn_norm.data(), s.h.data() + i * d, d, c.norm_eps);
  }
  const kernels::MatrixView qkv[] = {layer.wq, layer.wk, layer.wv};
  float* const qkv_out[] = {s.q.data(), s.k.data(), s.v.data()};
  kernels::matmul_many(qkv, qkv_out, 3, s.h.data(), n, pool);
  add_bias_rows(s.q.data(), layer.bq, n);
  add_bias_rows(s.k.data(), layer.bk, n);
  add_bias_rows(s.v.data(), layer.bv, n);

  const float* freq_factors = w_.rope_freqs.empty() ? nullptr : w_.rope_freqs.data();
  for (int64_t i = 0; i < n; ++i) {
    const BatchToken& t = batch[static_cast<size_t>(i)];
    kernels::rope(s.q.data() + i * q_width, c.n_head, c.head_dim, c.n_rot, t.pos, c.rope_freq_base, freq_factors, w_.rope);
    kernels::rope(s.k.data() + i * kv_width, c.n_head_kv, c.head_dim, c.n_rot, t.pos, c.rope_freq_base, freq_factors,
                  w_.rope);
    std::copy_n(s.k.data() + i * kv_width, kv_width, cache.key(il, t.seq, t.pos));
    std::copy_n(s.v.data() + i * kv_width, kv_width, cache.value(il, t.seq, t.pos));
  }

  AttentionShape shape{c.n_head, c.n_head_kv, c.head_dim, c.causal};
  attend_batch(shape, il, batch, s.q.data(), cache, s.attn.data(), s.attn_blocks, pool);

  kernels::matmul(layer.wo, s.attn.data(), n, s.ffn_out.data(), pool);
  kernels::add(s.x.data(), s.ffn_out.data(), n * d);
}

void DecoderModel::ffn_layer(const DecoderLayer& layer, int64_t n, ForwardScratch& s, ThreadPool& pool) const {
  const ModelConfig& c = config_;
  const int64_t d = c.n_embd;
  grow(s.gate, static_cast<size_t>(n * c.n_ff));
  grow(s.up, static_cast<size_t>(n * c.n_ff));
  for (int64_t i = 0; i < n; ++i) {
    kernels::rms_norm(s.x.data() + i * d, layer.ffn_norm.data(), s.h.data() + i * d, d, c.norm_eps);
  }
  const kernels::MatrixView gate_up[] = {layer.w_gate, layer.w_up};
  float* const gate_up_out[] = {s.gate.data(), s.up.data()};
  kernels::matmul_many(gate_up, gate_up_out, 2, s.h.data(), n, pool);
  kernels::silu_mul(s.gate.data(), s.up.data(), n * c.n_ff);
  kernels::matmul(layer.w_down, s.gate.data(), n, s.ffn_out.data(), pool);
  kernels::add(s.x.data(), s.ffn_out.data(), n * d);
}

Status read_decoder_config(const gguf::GgufFile& file, ModelConfig& c) {
  const std::string p = c.arch + ".";
  PLEXUS_ASSIGN_OR_RETURN(c.n_embd, require_int(file, p + "embedding_length"));
  PLEXUS_ASSIGN_OR_RETURN(c.n_layer, require_int(file, p + "block_count"));
  PLEXUS_ASSIGN_OR_RETURN(c.n_head, require_int(file, p + "attention.head_count"));
  PLEXUS_ASSIGN_OR_RETURN(c.n_ff, require_int(file, p + "feed_forward_length"));
  Status err;
  c.n_head_kv = int_or(file, p + "attention.head_count_kv", c.n_head, &err);
  c.n_ctx_train = int_or(file, p + "context_length", 2048, &err);
  c.rope_freq_base = float_or(file, p + "rope.freq_base", 10000.0f, &err);
  c.norm_eps = float_or(file, p + "attention.layer_norm_rms_epsilon", 1e-5f, &err);
  if (auto name = file.get_string("general.name"); name.ok()) c.name = std::string(*name);
  PLEXUS_RETURN_IF_ERROR(err);
  PLEXUS_RETURN_IF_ERROR(read_pooling_type(file, c));

  // Reject absurd or inconsistent shapes before anything is sized from them.
  constexpr int64_t kMaxDim = 1 << 20;
  auto bad = [](const std::string& what, int64_t v) {
    return invalid_file("model hyper-parameter " + what + " = " + std::to_string(v) + " is out of range");
  };
  if (c.n_embd <= 0 || c.n_embd > kMaxDim) return bad(p + "embedding_length", c.n_embd);
  if (c.n_layer <= 0 || c.n_layer > 4096) return bad(p + "block_count", c.n_layer);
  if (c.n_head <= 0 || c.n_head > 4096) return bad(p + "attention.head_count", c.n_head);
  if (c.n_head_kv <= 0 || c.n_head_kv > c.n_head || c.n_head % c.n_head_kv != 0) {
    return bad(p + "attention.head_count_kv", c.n_head_kv);
  }
  if (c.n_ff <= 0 || c.n_ff > 16 * kMaxDim) return bad(p + "feed_forward_length", c.n_ff);
  if (c.n_ctx_train <= 0 || c.n_ctx_train > (1 << 24)) return bad(p + "context_length", c.n_ctx_train);
  c.head_dim = int_or(file, p + "attention.key_length", c.n_embd / c.n_head, &err);
  PLEXUS_RETURN_IF_ERROR(err);
  if (c.head_dim <= 0 || c.head_dim > 4096 || c.head_dim % 2 != 0) return bad(p + "attention.key_length", c.head_dim);
  c.n_rot = int_or(file, p + "rope.dimension_count", c.head_dim, &err);
  PLEXUS_RETURN_IF_ERROR(err);
  if (c.n_rot <= 0 || c.n_rot > c.head_dim || c.n_rot % 2 != 0) return bad(p + "rope.dimension_count", c.n_rot);
  if (!(c.rope_freq_base > 0.0f) || !std::isfinite(c.rope_freq_base)) {
    return invalid_file("model hyper-parameter " + p + "rope.freq_base is not a positive number");
  }
  if (!(c.norm_eps > 0.0f) || !(c.norm_eps < 1.0f)) {
    return invalid_file("model hyper-parameter " + p + "attention.layer_norm_rms_epsilon is out of range");
  }
  if (auto type = file.get_string(p + "rope.scaling.type"); type.ok() && *type != "none") {
    if (*type != "linear") {
      return unsupported("rope scaling type '" + std::string(*type) + "' (" + p +
                         "rope.scaling.type) is not supported (supported: none, linear)");
    }
    c.rope_linear_scale = float_or(file, p + "rope.scaling.factor", 1.0f, &err);
    PLEXUS_RETURN_IF_ERROR(err);
    if (!(c.rope_linear_scale >= 1.0f) || !(c.rope_linear_scale <= 1024.0f)) {
      return invalid_file("model hyper-parameter " + p + "rope.scaling.factor is out of range");
    }
  }
  return read_vocab_size(file, c);
}

Status read_vocab_size(const gguf::GgufFile& file, ModelConfig& c) {
  // The vocabulary size is the embedding matrix's row count.
  const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight");
  if (embd == nullptr) return invalid_file("model is missing tensor 'token_embd.weight'");
  if (embd->n_dims != 2) return invalid_file("tensor 'token_embd.weight' must be 2-D");
  c.n_vocab = embd->dims[1];
  if (c.n_vocab <= 0 || c.n_vocab > (1 << 24)) {
    return invalid_file("model hyper-parameter vocabulary size = " + std::to_string(c.n_vocab) + " is out of range");
  }
  return {};
}

Status read_pooling_type(const gguf::GgufFile& file, ModelConfig& c) {
  const std::string key = c.arch + ".pooling_type";
  Status err;
  const int64_t v = int_or(file, key, -1, &err);
  PLEXUS_RETURN_IF_ERROR(err);
  switch (v) {
    case -1: return {};
    case 0: c.pooling = pooling_type::none; return {};
    case 1: c.pooling = pooling_type::mean; return {};
    case 2: c.pooling = pooling_type::cls; return {};
    case 3: c.pooling = pooling_type::last; return {};
    default: break;
  }
  return unsupported("pooling type " + std::to_string(v) + " (" + key +
                     ") is not supported (supported: 0 none, 1 mean, 2 cls, 3 last)");
}

Result<DecoderWeights> load_decoder_weights(const gguf::GgufFile& file, const ModelConfig& c, bool with_qkv_bias) {
  DecoderWeights w;
  const int64_t q_width = c.n_head * c.head_dim;
  const int64_t kv_width = c.n_head_kv * c.head_dim;
  PLEXUS_ASSIGN_OR_RETURN(w.token_embd, load_matrix(file, "token_embd.weight", c.n_vocab, c.n_embd));
  if (has_tensor(file, "output.weight")) {
    PLEXUS_ASSIGN_OR_RETURN(w.output, load_matrix(file, "output.weight", c.n_vocab, c.n_embd));
  } else {
    w.output = w.token_embd;  // tied embeddings
  }
  PLEXUS_ASSIGN_OR_RETURN(w.output_norm, load_vector(file, "output_norm.weight", c.n_embd));
  if (has_tensor(file, "rope_freqs.weight")) {
    PLEXUS_ASSIGN_OR_RETURN(w.rope_freqs, load_vector(file, "rope_freqs.weight", c.n_rot / 2));
    for (float f : w.rope_freqs) {
      if (!(f > 0.0f) || !std::isfinite(f)) return invalid_file("tensor 'rope_freqs.weight' holds a non-positive divisor");
    }
  }
  if (c.rope_linear_scale != 1.0f) {
    // Linear scaling divides every rotation angle by the factor, like a uniform frequency divisor.
    if (w.rope_freqs.empty()) w.rope_freqs.assign(static_cast<size_t>(c.n_rot / 2), 1.0f);
    for (float& f : w.rope_freqs) f *= c.rope_linear_scale;
  }
  w.layers.resize(static_cast<size_t>(c.n_layer));
  for (int64_t il = 0; il < c.n_layer; ++il) {
    DecoderLayer& l = w.layers[static_cast<size_t>(il)];
    const std::string b = "blk." + std::to_string(il) + ".";
    PLEXUS_ASSIGN_OR_RETURN(l.attn_norm, load_vector(file, b + "attn_norm.weight", c.n_embd));
    PLEXUS_ASSIGN_OR_RETURN(l.wq, load_matrix(file, b + "attn_q.weight", q_width, c.n_embd));
    PLEXUS_ASSIGN_OR_RETURN(l.wk, load_matrix(file, b + "attn_k.weight", kv_width, c.n_embd));
    PLEXUS_ASSIGN_OR_RETURN(l.wv, load_matrix(file, b + "attn_v.weight", kv_width, c.n_embd));
    if (with_qkv_bias) {
      PLEXUS_ASSIGN_OR_RETURN(l.bq, load_vector(file, b + "attn_q.bias", q_width));
      PLEXUS_ASSIGN_OR_RETURN(l.bk, load_vector(file, b + "attn_k.bias", kv_width));
      PLEXUS_ASSIGN_OR_RETURN(l.bv, load_vector(file, b + "attn_v.bias", kv_width));
    }
    PLEXUS_ASSIGN_OR_RETURN(l.wo, load_matrix(file, b + "attn_output.weight", c.n_embd, q_width));
    PLEXUS_ASSIGN_OR_RETURN(l.ffn_norm, load_vector(file, b + "ffn_norm.weight", c.n_embd));
    PLEXUS_ASSIGN_OR_RETURN(l.w_gate, load_matrix(file, b + "ffn_gate.weight", c.n_ff, c.n_embd));
    PLEXUS_ASSIGN_OR_RETURN(l.w_up, load_matrix(file, b + "ffn_up.weight", c.n_ff, c.n_embd));
    PLEXUS_ASSIGN_OR_RETURN(l.w_down, load_matrix(file, b + "ffn_down.weight", c.n_embd, c.n_ff));
  }
  return w;
}

}  // namespace plexus::model

// BERT-family encoders (BERT, BGE, MiniLM, E5 ...): token + absolute position + token-type
// embeddings, an embedding LayerNorm, post-norm layers (LayerNorm after each residual add), GELU
// feed-forward, biases on every projection and bidirectional attention. No output head: these
// models produce hidden states for pooling (embeddings), never logits.
//
// GGUF layout (llama.cpp's "bert"): token_embd.weight [n_embd, n_vocab], position_embd.weight
// [n_embd, n_ctx_train], token_types.weight [n_embd, n_types] (optional), token_embd_norm.{weight,bias};
// per layer blk.N.attn_{q,k,v,output}.{weight,bias}, attn_output_norm.{weight,bias},
// ffn_up.{weight,bias}, ffn_down.{weight,bias}, layer_output_norm.{weight,bias}.
#include <cmath>
#include <string>

#include "kernels/ops.h"
#include "model/arch/arches.h"
#include "model/attention.h"
#include "model/decoder.h"
#include "model/weights.h"

namespace plexus::model::arch {
namespace {

struct BertLayer {
  kernels::MatrixView wq, wk, wv;               // [n_embd, n_embd]
  std::vector<float> bq, bk, bv;                // [n_embd]
  kernels::MatrixView wo;                       // [n_embd, n_embd]
  std::vector<float> bo;                        // [n_embd]
  std::vector<float> attn_norm_w, attn_norm_b;  // [n_embd]
  kernels::MatrixView w_up;                     // [n_ff, n_embd]
  std::vector<float> b_up;                      // [n_ff]
  kernels::MatrixView w_down;                   // [n_embd, n_ff]
  std::vector<float> b_down;                    // [n_embd]
  std::vector<float> out_norm_w, out_norm_b;    // [n_embd]
};

struct BertWeights {
  kernels::MatrixView token_embd;               // [n_vocab, n_embd]
  kernels::MatrixView position_embd;            // [n_ctx_train, n_embd]
  std::vector<float> token_type0;               // [n_embd] row 0 of token_types (every token is type 0), or empty
  std::vector<float> embd_norm_w, embd_norm_b;  // [n_embd]
  std::vector<BertLayer> layers;
};

void grow(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

// x[r] += bias for each of n_rows rows of bias.size() floats.
void add_bias_rows(float* x, const std::vector<float>& bias, int64_t n_rows) {
  const int64_t width = static_cast<int64_t>(bias.size());
  for (int64_t r = 0; r < n_rows; ++r) kernels::add(x + r * width, bias.data(), width);
}

// Post-norm: x[r] = LayerNorm(x[r]) * w + b for n rows of d floats (in place through `tmp`).
void layer_norm_rows(float* x, float* tmp, const std::vector<float>& w, const std::vector<float>& b, int64_t n,
                     int64_t d, float eps) {
  for (int64_t r = 0; r < n; ++r) {
    kernels::layer_norm(x + r * d, w.data(), b.data(), tmp, d, eps);
    std::copy_n(tmp, d, x + r * d);
  }
}

class BertModel final : public Model {
 public:
  BertModel(ModelConfig config, BertWeights weights) : w_(std::move(weights)) { config_ = std::move(config); }

  bool can_generate() const override { return false; }

  Status forward(const std::vector<BatchToken>&, KvCache&, ForwardScratch&, ThreadPool&,
                 std::vector<float>&) const override {
    return unsupported("'" + config_.name + "' is an embedding model (architecture bert): it cannot generate text");
  }

  Status forward_hidden(const std::vector<BatchToken>& batch, KvCache& cache, ForwardScratch& s, ThreadPool& pool,
                        std::vector<float>& hidden) const override {
    const ModelConfig& c = config_;
    const int64_t n = static_cast<int64_t>(batch.size());
    if (n == 0) {
      hidden.clear();
      return {};
    }
    for (const BatchToken& t : batch) {
      if (t.token < 0 || t.token >= c.n_vocab) {
        return invalid_argument("token id " + std::to_string(t.token) + " is outside the vocabulary (0.." +
                                std::to_string(c.n_vocab - 1) + ")");
      }
      if (t.pos < 0 || t.pos >= c.n_ctx_train) {
        return out_of_range("position " + std::to_string(t.pos) + " is past the model's " +
                            std::to_string(c.n_ctx_train) + " position embeddings");
      }
      if (t.pos >= cache.reserved_positions(t.seq)) {
        return internal_error("position " + std::to_string(t.pos) + " of sequence " + std::to_string(t.seq) +
                              " has no KV cache space reserved");
      }
    }
    const int64_t d = c.n_embd;
    grow(s.x, static_cast<size_t>(n * d));
    grow(s.h, static_cast<size_t>(n * d));
    grow(s.q, static_cast<size_t>(n * d));
    grow(s.k, static_cast<size_t>(n * d));
    grow(s.v, static_cast<size_t>(n * d));
    grow(s.attn, static_cast<size_t>(n * d));
    grow(s.up, static_cast<size_t>(n * c.n_ff));
    grow(s.ffn_out, static_cast<size_t>(n * d));
    float* x = s.x.data();

    // x_i = token_embd[t_i] + token_types[0] + position_embd[pos_i], then the embedding LayerNorm.
    for (int64_t i = 0; i < n; ++i) {
      const BatchToken& t = batch[static_cast<size_t>(i)];
      float* xi = x + i * d;
      kernels::get_row(w_.token_embd, t.token, xi);
      kernels::get_row(w_.position_embd, t.pos, s.h.data());
      kernels::add(xi, s.h.data(), d);
      if (!w_.token_type0.empty()) kernels::add(xi, w_.token_type0.data(), d);
    }
    layer_norm_rows(x, s.h.data(), w_.embd_norm_w, w_.embd_norm_b, n, d, c.norm_eps);

    const AttentionShape shape{c.n_head, c.n_head_kv, c.head_dim, c.causal};
    for (int64_t il = 0; il < c.n_layer; ++il) {
      const BertLayer& l = w_.layers[static_cast<size_t>(il)];
      kernels::matmul(l.wq, x, n, s.q.data(), pool);
      kernels::matmul(l.wk, x, n, s.k.data(), pool);
      kernels::matmul(l.wv, x, n, s.v.data(), pool);
      add_bias_rows(s.q.data(), l.bq, n);
      add_bias_rows(s.k.data(), l.bk, n);
      add_bias_rows(s.v.data(), l.bv, n);
      for (int64_t i = 0; i < n; ++i) {
        const BatchToken& t = batch[static_cast<size_t>(i)];
        std::copy_n(s.k.data() + i * d, d, cache.key(il, t.seq, t.pos));
        std::copy_n(s.v.data() + i * d, d, cache.value(il, t.seq, t.pos));
      }
      // Every token sees all tokens of its own sequence (non-causal), never another sequence's.
      attend_batch(shape, il, batch, s.q.data(), cache, s.attn.data(), s.attn_blocks, pool);
      kernels::matmul(l.wo, s.attn.data(), n, s.ffn_out.data(), pool);
      add_bias_rows(s.ffn_out.data(), l.bo, n);
      kernels::add(x, s.ffn_out.data(), n * d);
      layer_norm_rows(x, s.h.data(), l.attn_norm_w, l.attn_norm_b, n, d, c.norm_eps);

      kernels::matmul(l.w_up, x, n, s.up.data(), pool);
      add_bias_rows(s.up.data(), l.b_up, n);
      kernels::gelu(s.up.data(), n * c.n_ff);
      kernels::matmul(l.w_down, s.up.data(), n, s.ffn_out.data(), pool);
      add_bias_rows(s.ffn_out.data(), l.b_down, n);
      kernels::add(x, s.ffn_out.data(), n * d);
      layer_norm_rows(x, s.h.data(), l.out_norm_w, l.out_norm_b, n, d, c.norm_eps);
    }

    int64_t n_out = 0;
    for (const BatchToken& t : batch) n_out += t.want_logits ? 1 : 0;
    hidden.resize(static_cast<size_t>(n_out * d));
    int64_t row = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (!batch[static_cast<size_t>(i)].want_logits) continue;
      std::copy_n(x + i * d, d, hidden.data() + row * d);
      ++row;
    }
    return {};
  }

 private:
  BertWeights w_;
};

Status read_bert_config(const gguf::GgufFile& file, ModelConfig& c) {
  const std::string p = "bert.";
  PLEXUS_ASSIGN_OR_RETURN(c.n_embd, require_int(file, p + "embedding_length"));
  PLEXUS_ASSIGN_OR_RETURN(c.n_layer, require_int(file, p + "block_count"));
  PLEXUS_ASSIGN_OR_RETURN(c.n_head, require_int(file, p + "attention.head_count"));
  PLEXUS_ASSIGN_OR_RETURN(c.n_ff, require_int(file, p + "feed_forward_length"));
  PLEXUS_ASSIGN_OR_RETURN(c.n_ctx_train, require_int(file, p + "context_length"));
  Status err;
  c.norm_eps = float_or(file, p + "attention.layer_norm_epsilon", 1e-12f, &err);
  PLEXUS_RETURN_IF_ERROR(err);
  if (auto causal = file.get_bool(p + "attention.causal"); causal.ok()) {
    c.causal = *causal;
  } else if (causal.status().code() != error_code::not_found) {
    return causal.status();
  } else {
    c.causal = false;
  }
  if (auto name = file.get_string("general.name"); name.ok()) c.name = std::string(*name);
  PLEXUS_RETURN_IF_ERROR(read_pooling_type(file, c));

  constexpr int64_t kMaxDim = 1 << 20;
  auto bad = [&](const std::string& what, int64_t v) {
    return invalid_file("model hyper-parameter " + p + what + " = " + std::to_string(v) + " is out of range");
  };
  if (c.n_embd <= 0 || c.n_embd > kMaxDim) return bad("embedding_length", c.n_embd);
  if (c.n_layer <= 0 || c.n_layer > 4096) return bad("block_count", c.n_layer);
  if (c.n_head <= 0 || c.n_head > 4096 || c.n_embd % c.n_head != 0) return bad("attention.head_count", c.n_head);
  if (c.n_ff <= 0 || c.n_ff > 16 * kMaxDim) return bad("feed_forward_length", c.n_ff);
  if (c.n_ctx_train <= 0 || c.n_ctx_train > (1 << 20)) return bad("context_length", c.n_ctx_train);
  if (!(c.norm_eps > 0.0f) || !(c.norm_eps < 1.0f)) return bad("attention.layer_norm_epsilon", 0);
  c.n_head_kv = c.n_head;
  c.head_dim = c.n_embd / c.n_head;
  c.n_rot = 0;

  return read_vocab_size(file, c);
}

Result<BertWeights> load_bert_weights(const gguf::GgufFile& file, const ModelConfig& c) {
  BertWeights w;
  const int64_t d = c.n_embd;
  PLEXUS_ASSIGN_OR_RETURN(w.token_embd, load_matrix(file, "token_embd.weight", c.n_vocab, d));
  PLEXUS_ASSIGN_OR_RETURN(w.position_embd, load_matrix(file, "position_embd.weight", c.n_ctx_train, d));
  if (const gguf::TensorInfo* types = file.find_tensor("token_types.weight"); types != nullptr) {
    if (types->n_dims != 2 || types->dims[1] < 1 || types->dims[1] > 64) {
      return invalid_file("tensor 'token_types.weight' must be 2-D with 1..64 token types");
    }
    PLEXUS_ASSIGN_OR_RETURN(kernels::MatrixView tt, load_matrix(file, "token_types.weight", types->dims[1], d));
    w.token_type0.resize(static_cast<size_t>(d));
    kernels::get_row(tt, 0, w.token_type0.data());
  }
  PLEXUS_ASSIGN_OR_RETURN(w.embd_norm_w, load_vector(file, "token_embd_norm.weight", d));
  PLEXUS_ASSIGN_OR_RETURN(w.embd_norm_b, load_vector(file, "token_embd_norm.bias", d));
  w.layers.resize(static_cast<size_t>(c.n_layer));
  for (int64_t il = 0; il < c.n_layer; ++il) {
    BertLayer& l = w.layers[static_cast<size_t>(il)];
    const std::string b = "blk." + std::to_string(il) + ".";
    PLEXUS_ASSIGN_OR_RETURN(l.wq, load_matrix(file, b + "attn_q.weight", d, d));
    PLEXUS_ASSIGN_OR_RETURN(l.wk, load_matrix(file, b + "attn_k.weight", d, d));
    PLEXUS_ASSIGN_OR_RETURN(l.wv, load_matrix(file, b + "attn_v.weight", d, d));
    PLEXUS_ASSIGN_OR_RETURN(l.bq, load_vector(file, b + "attn_q.bias", d));
    PLEXUS_ASSIGN_OR_RETURN(l.bk, load_vector(file, b + "attn_k.bias", d));
    PLEXUS_ASSIGN_OR_RETURN(l.bv, load_vector(file, b + "attn_v.bias", d));
    PLEXUS_ASSIGN_OR_RETURN(l.wo, load_matrix(file, b + "attn_output.weight", d, d));
    PLEXUS_ASSIGN_OR_RETURN(l.bo, load_vector(file, b + "attn_output.bias", d));
    PLEXUS_ASSIGN_OR_RETURN(l.attn_norm_w, load_vector(file, b + "attn_output_norm.weight", d));
    PLEXUS_ASSIGN_OR_RETURN(l.attn_norm_b, load_vector(file, b + "attn_output_norm.bias", d));
    PLEXUS_ASSIGN_OR_RETURN(l.w_up, load_matrix(file, b + "ffn_up.weight", c.n_ff, d));
    PLEXUS_ASSIGN_OR_RETURN(l.b_up, load_vector(file, b + "ffn_up.bias", c.n_ff));
    PLEXUS_ASSIGN_OR_RETURN(l.w_down, load_matrix(file, b + "ffn_down.weight", d, c.n_ff));
    PLEXUS_ASSIGN_OR_RETURN(l.b_down, load_vector(file, b + "ffn_down.bias", d));
    PLEXUS_ASSIGN_OR_RETURN(l.out_norm_w, load_vector(file, b + "layer_output_norm.weight", d));
    PLEXUS_ASSIGN_OR_RETURN(l.out_norm_b, load_vector(file, b + "layer_output_norm.bias", d));
  }
  return w;
}

}  // namespace

Result<std::unique_ptr<Model>> build_bert(const gguf::GgufFile& file) {
  ModelConfig config;
  config.arch = "bert";
  PLEXUS_RETURN_IF_ERROR(read_bert_config(file, config));
  PLEXUS_ASSIGN_OR_RETURN(BertWeights weights, load_bert_weights(file, config));
  return std::unique_ptr<Model>(new BertModel(std::move(config), std::move(weights)));
}

}  // namespace plexus::model::arch

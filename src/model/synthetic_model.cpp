#include "model/synthetic_model.h"

#include <cmath>
#include <vector>

#include "gguf/gguf_writer.h"
#include "tensor/quant.h"

namespace plexus::model {
namespace {

// splitmix64 stream turned into approximately normal floats: the sum of four 16-bit uniforms cut
// from one 64-bit draw, rescaled. Cheap enough to fill a billion weights in seconds.
class NoiseSource {
 public:
  explicit NoiseSource(uint64_t seed) : state_(seed) {}
  float normal(float stddev) {
    const uint64_t r = next();
    const uint32_t sum = static_cast<uint32_t>((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) + (r >> 48));
    // Each 16-bit uniform has mean 32767.5 and variance (2^32 - 1) / 12; the sum of four, 1/3 of 2^32.
    return (static_cast<float>(sum) - 131070.0f) * (1.7320508f / 65536.0f) * stddev;
  }

 private:
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

std::string piece_name(int64_t i) {
  std::string s = "\xE2\x96\x81";  // ▁
  do {
    s += static_cast<char>('a' + i % 26);
    i /= 26;
  } while (i > 0);
  return s;
}

void add_vocab(gguf::GgufWriter& w, int64_t n_vocab) {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  tokens.reserve(static_cast<size_t>(n_vocab));
  const char* control[] = {"<unk>", "<s>", "</s>"};
  for (int i = 0; i < 3; ++i) {
    tokens.emplace_back(control[i]);
    scores.push_back(0.0f);
    types.push_back(i == 0 ? 2 : 3);
  }
  for (int b = 0; b < 256 && static_cast<int64_t>(tokens.size()) < n_vocab; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    tokens.emplace_back(buf);
    scores.push_back(0.0f);
    types.push_back(6);
  }
  for (int64_t i = 0; static_cast<int64_t>(tokens.size()) < n_vocab; ++i) {
    tokens.push_back(piece_name(i));
    scores.push_back(-static_cast<float>(i));
    types.push_back(1);
  }
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_array_string("tokenizer.ggml.tokens", std::span<const std::string>(tokens));
  w.set_array_f32("tokenizer.ggml.scores", scores);
  w.set_array_i32("tokenizer.ggml.token_type", types);
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  w.set_u32("tokenizer.ggml.unknown_token_id", 0);
}

// Per-row noise: a row's stream is seeded from (seed, tensor, row) alone, so any split of rows over
// threads writes the same file.
uint64_t row_seed(uint64_t seed, uint64_t tensor, int64_t row) {
  uint64_t z = seed ^ (tensor * 0xd1b54a32d192ed03ull) ^ (static_cast<uint64_t>(row) * 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 33)) * 0xff51afd7ed558ccdull;
  return z ^ (z >> 29);
}

class MatrixWriter {
 public:
  MatrixWriter(gguf::GgufWriter& w, uint64_t seed, const SyntheticOptions& options)
      : w_(w), seed_(seed), options_(options) {}

  Status add(const std::string& name, int64_t rows, int64_t cols, float stddev) {
    const uint64_t tensor = ++tensor_index_;
    const tensor_type type = options_.choose_type({name}, {cols, rows});
    auto stride = row_bytes(type, static_cast<uint64_t>(cols));
    if (!stride || !tensor::can_quantize(type)) {
      return invalid_argument(std::string("rows of ") + std::to_string(cols) + " elements do not fit type " +
                              tensor_type_name(type) + " (tensor " + name + ")");
    }
    std::vector<uint8_t> data(static_cast<size_t>(*stride * static_cast<uint64_t>(rows)));
    const uint64_t seed = seed_;
    RowFill fill = [seed, tensor, stddev, cols](int64_t row, float* out) {
      NoiseSource noise(row_seed(seed, tensor, row));
      for (int64_t i = 0; i < cols; ++i) out[i] = noise.normal(stddev);
    };
    if (options_.quantize_rows) {
      options_.quantize_rows(type, rows, cols, data.data(), fill);
    } else {
      std::vector<float> row(static_cast<size_t>(cols));
      for (int64_t r = 0; r < rows; ++r) {
        fill(r, row.data());
        tensor::quantize_row(type, row.data(), data.data() + static_cast<size_t>(r) * *stride, cols);
      }
    }
    return w_.add_tensor(name, type, {cols, rows}, data);
  }

 private:
  gguf::GgufWriter& w_;
  uint64_t seed_;
  const SyntheticOptions& options_;
  uint64_t tensor_index_ = 0;
};

Status add_norm(gguf::GgufWriter& w, const std::string& name, int64_t n, NoiseSource& noise) {
  std::vector<float> gain(static_cast<size_t>(n));
  for (auto& g : gain) g = 1.0f + noise.normal(0.1f);
  return w.add_tensor_f32(name, {n}, gain);
}

}  // namespace

std::optional<SyntheticShape> synthetic_shape(std::string_view name) {
  SyntheticShape s;
  if (name == "tiny") return s;
  if (name == "1.1b") {
    s.n_vocab = 32000, s.n_embd = 2048, s.n_layer = 22, s.n_head = 32, s.n_head_kv = 4, s.n_ff = 5632;
    return s;
  }
  if (name == "135m") {
    s.n_vocab = 49152, s.n_embd = 576, s.n_layer = 30, s.n_head = 9, s.n_head_kv = 3, s.n_ff = 1536;
    s.tied_output = true;
    return s;
  }
  return std::nullopt;
}

Status write_synthetic_model(const std::string& path, const SyntheticShape& s, tensor_type type, uint64_t seed) {
  SyntheticOptions options;
  options.choose_type = [type](const std::string&, const std::vector<int64_t>&) { return type; };
  return write_synthetic_model(path, s, seed, options);
}

Status write_synthetic_model(const std::string& path, const SyntheticShape& s, uint64_t seed,
                             const SyntheticOptions& options) {
  if (!options.choose_type) return invalid_argument("synthetic model: no type chooser");
  if (s.n_head <= 0 || s.n_head_kv <= 0 || s.n_embd <= 0 || s.n_layer <= 0 || s.n_ff <= 0 || s.n_vocab < 3) {
    return invalid_argument("synthetic model: every dimension must be positive (vocabulary at least 3)");
  }
  if (s.n_embd % s.n_head != 0 || s.n_head % s.n_head_kv != 0) return invalid_argument("inconsistent head counts");
  gguf::GgufWriter w;
  const std::string a = s.arch;
  w.set_string("general.architecture", a);
  w.set_string("general.name", "synthetic-" + a);
  w.set_string("general.description", "random weights (plexus synthetic model)");
  w.set_u32(a + ".context_length", static_cast<uint32_t>(s.n_ctx));
  w.set_u32(a + ".embedding_length", static_cast<uint32_t>(s.n_embd));
  w.set_u32(a + ".block_count", static_cast<uint32_t>(s.n_layer));
  w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(s.n_ff));
  w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(s.n_head));
  w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(s.n_head_kv));
  w.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(s.n_embd / s.n_head));
  w.set_f32(a + ".attention.layer_norm_rms_epsilon", 1e-5f);
  if (options.file_type) w.set_u32("general.file_type", *options.file_type);
  add_vocab(w, s.n_vocab);

  NoiseSource noise(seed);
  MatrixWriter m(w, seed, options);
  const int64_t head_dim = s.n_embd / s.n_head;
  const int64_t kv = s.n_head_kv * head_dim;
  PLEXUS_RETURN_IF_ERROR(m.add("token_embd.weight", s.n_vocab, s.n_embd, 0.2f));
  PLEXUS_RETURN_IF_ERROR(add_norm(w, "output_norm.weight", s.n_embd, noise));
  if (!s.tied_output) PLEXUS_RETURN_IF_ERROR(m.add("output.weight", s.n_vocab, s.n_embd, 0.45f / std::sqrt(s.n_embd / 256.0f)));
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.n_embd) / 256.0f);
  for (int64_t il = 0; il < s.n_layer; ++il) {
    const std::string b = "blk." + std::to_string(il) + ".";
    PLEXUS_RETURN_IF_ERROR(add_norm(w, b + "attn_norm.weight", s.n_embd, noise));
    PLEXUS_RETURN_IF_ERROR(m.add(b + "attn_q.weight", s.n_embd, s.n_embd, 0.045f * scale));
    PLEXUS_RETURN_IF_ERROR(m.add(b + "attn_k.weight", kv, s.n_embd, 0.045f * scale));
    PLEXUS_RETURN_IF_ERROR(m.add(b + "attn_v.weight", kv, s.n_embd, 0.09f * scale));
    if (s.arch == "qwen2") {
      std::vector<float> bias(static_cast<size_t>(s.n_embd));
      for (auto& x : bias) x = noise.normal(0.3f);
      PLEXUS_RETURN_IF_ERROR(w.add_tensor_f32(b + "attn_q.bias", {s.n_embd}, bias));
      bias.resize(static_cast<size_t>(kv));
      PLEXUS_RETURN_IF_ERROR(w.add_tensor_f32(b + "attn_k.bias", {kv}, bias));
      PLEXUS_RETURN_IF_ERROR(w.add_tensor_f32(b + "attn_v.bias", {kv}, bias));
    }
    PLEXUS_RETURN_IF_ERROR(m.add(b + "attn_output.weight", s.n_embd, s.n_embd, 0.015f * scale));
    PLEXUS_RETURN_IF_ERROR(add_norm(w, b + "ffn_norm.weight", s.n_embd, noise));
    PLEXUS_RETURN_IF_ERROR(m.add(b + "ffn_gate.weight", s.n_ff, s.n_embd, 0.07f * scale));
    PLEXUS_RETURN_IF_ERROR(m.add(b + "ffn_up.weight", s.n_ff, s.n_embd, 0.07f * scale));
    PLEXUS_RETURN_IF_ERROR(m.add(b + "ffn_down.weight", s.n_embd, s.n_ff, 0.015f * scale));
  }
  return w.write_file(path);
}

}  // namespace plexus::model

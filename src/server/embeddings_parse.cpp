#include <bit>
#include <cstring>

#include "server/embeddings_request.h"
#include "server/json_body.h"
#include "server/request_types.h"

namespace plexus::server {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxModelNameBytes = 256;
constexpr size_t kMaxInputBytes = 64u << 20;  // the body limit bounds it first

// Reads an array of token ids at `param`; false after setting `err`.
bool read_ids(const json& a, const std::string& param, std::vector<int32_t>& ids, std::optional<ApiError>& err) {
  if (a.size() > kMaxEmbeddingInputTokens) {
    err = bad_field(param, "'" + param + "' holds " + std::to_string(a.size()) + " tokens, more than the limit of " +
                               std::to_string(kMaxEmbeddingInputTokens));
    return false;
  }
  ids.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const json& v = a[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > INT32_MAX) {
      const std::string p = param + "[" + std::to_string(i) + "]";
      err = bad_field(p, "'" + p + "' must be a non-negative integer token id");
      return false;
    }
    ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  return true;
}

// input: a string, an array of strings, an array of ids or an array of arrays of ids.
std::optional<ApiError> read_input(const json& body, const char* key, bool allow_ids, EmbeddingsRequest& out) {
  const std::string k = key;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return bad_field(k, "'" + k + "' is required");
  const json& in = *it;
  const std::string expected = allow_ids ? "a string, an array of strings, an array of token ids or an array of "
                                           "arrays of token ids"
                                         : "a string or an array of strings";
  if (in.is_string()) {
    out.inputs.push_back({true, in.get<std::string>(), {}});
    return std::nullopt;
  }
  if (!in.is_array()) return bad_field(k, "'" + k + "' must be " + expected + ", not " + json_type_name(in));
  if (in.empty()) return bad_field(k, "'" + k + "' must not be empty");
  std::optional<ApiError> err;
  if (allow_ids && in[0].is_number()) {
    EmbeddingInput e;
    e.is_text = false;
    if (!read_ids(in, k, e.ids, err)) return err;
    out.inputs.push_back(std::move(e));
    return std::nullopt;
  }
  if (in.size() > kMaxEmbeddingInputs) {
    return bad_field(k, "'" + k + "' holds " + std::to_string(in.size()) + " inputs, more than the limit of " +
                            std::to_string(kMaxEmbeddingInputs));
  }
  const bool strings = in[0].is_string();
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string p = k + "[" + std::to_string(i) + "]";
    const json& v = in[i];
    if (strings) {
      if (!v.is_string()) return bad_field(p, "'" + p + "' must be a string like the other inputs");
      if (v.get_ref<const std::string&>().size() > kMaxInputBytes) return bad_field(p, "'" + p + "' is too long");
      out.inputs.push_back({true, v.get<std::string>(), {}});
    } else if (allow_ids && v.is_array()) {
      EmbeddingInput e;
      e.is_text = false;
      if (v.empty()) return bad_field(p, "'" + p + "' must not be empty");
      if (!read_ids(v, p, e.ids, err)) return err;
      out.inputs.push_back(std::move(e));
    } else {
      return bad_field(p, "'" + k + "' must be " + expected + "; '" + p + "' is " + json_type_name(v));
    }
  }
  return std::nullopt;
}

std::optional<ApiError> read_dimensions(FieldReader& r, EmbeddingsRequest& out) {
  out.dimensions = r.integer("dimensions", 1, 1 << 20);
  return r.error();
}

std::optional<ApiError> read_keep_alive(const json& body, EmbeddingsRequest& out) {
  if (auto k = body.find("keep_alive"); k != body.end() && !k->is_null()) {
    std::string error;
    out.keep_alive_seconds = parse_keep_alive(*k, error);
    if (!out.keep_alive_seconds) return bad_field("keep_alive", "'keep_alive' " + error);
  }
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> parse_openai_embeddings(const json& body, EmbeddingsRequest& out) {
  FieldReader r(body, "");
  out.model = r.string("model", kMaxModelNameBytes).value_or("");
  if (auto fmt = r.string("encoding_format", 16)) {
    if (*fmt == "base64") {
      out.base64 = true;
    } else if (*fmt != "float") {
      return bad_field("encoding_format", "'encoding_format' must be \"float\" or \"base64\", not \"" + *fmt + "\"");
    }
  }
  if (auto err = read_dimensions(r, out)) return err;
  (void)r.string("user", 1024);
  if (auto pooling = r.string("pooling", 16)) {
    model::pooling_type p;
    if (!model::parse_pooling(*pooling, p) || p == model::pooling_type::none) {
      return bad_field("pooling", "'pooling' must be \"mean\", \"cls\" or \"last\", not \"" + *pooling + "\"");
    }
    out.pooling = p;
  }
  out.truncate = r.boolean("truncate").value_or(false);
  if (!r.ok()) return r.error();
  return read_input(body, "input", /*allow_ids=*/true, out);
}

std::optional<ApiError> parse_ollama_embed(const json& body, EmbeddingsRequest& out) {
  FieldReader r(body, "");
  auto model = r.string("model", kMaxModelNameBytes);
  if (!r.ok()) return r.error();
  if (!model || model->empty()) return bad_field("model", "'model' is required");
  out.model = *model;
  out.truncate = r.boolean("truncate").value_or(true);  // Ollama's default
  if (auto err = read_dimensions(r, out)) return err;
  (void)r.object("options");
  if (!r.ok()) return r.error();
  if (auto err = read_keep_alive(body, out)) return err;
  return read_input(body, "input", /*allow_ids=*/false, out);
}

std::optional<ApiError> parse_ollama_embeddings_legacy(const json& body, EmbeddingsRequest& out) {
  FieldReader r(body, "");
  auto model = r.string("model", kMaxModelNameBytes);
  auto prompt = r.string("prompt", kMaxInputBytes);
  (void)r.object("options");
  if (!r.ok()) return r.error();
  if (!model || model->empty()) return bad_field("model", "'model' is required");
  if (!prompt) return bad_field("prompt", "'prompt' is required");
  out.model = *model;
  out.inputs.push_back({true, *prompt, {}});
  out.normalize = false;  // as Ollama's legacy endpoint
  out.truncate = true;
  return read_keep_alive(body, out);
}

std::string base64_floats(const std::vector<float>& v) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uint8_t> bytes(v.size() * 4);
  for (size_t i = 0; i < v.size(); ++i) {
    const uint32_t u = std::bit_cast<uint32_t>(v[i]);
    for (int b = 0; b < 4; ++b) bytes[i * 4 + static_cast<size_t>(b)] = static_cast<uint8_t>(u >> (8 * b));
  }
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(n >> s) & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint32_t{bytes[i]} << 16;
    if (rest == 2) n |= uint32_t{bytes[i + 1]} << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace plexus::server

// Parsing of /v1/embeddings, /api/embed and /api/embeddings bodies (400 naming the field) and
// the base64 encoding of vectors.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>

#include "server/embeddings_request.h"

namespace plexus::server {
namespace {

using json = nlohmann::json;

std::optional<ApiError> openai(const std::string& body, EmbeddingsRequest& out) {
  return parse_openai_embeddings(json::parse(body), out);
}

TEST(EmbeddingsParse, OpenAiInputShapes) {
  EmbeddingsRequest a;
  ASSERT_FALSE(openai(R"({"model":"m","input":"hi"})", a));
  ASSERT_EQ(a.inputs.size(), 1u);
  EXPECT_TRUE(a.inputs[0].is_text);
  EXPECT_EQ(a.inputs[0].text, "hi");
  EXPECT_FALSE(a.base64);
  EXPECT_FALSE(a.truncate);
  EXPECT_TRUE(a.normalize);

  EmbeddingsRequest b;
  ASSERT_FALSE(openai(R"({"input":["a","b",""],"encoding_format":"base64","dimensions":3})", b));
  EXPECT_EQ(b.inputs.size(), 3u);
  EXPECT_TRUE(b.base64);
  EXPECT_EQ(b.dimensions, 3);

  EmbeddingsRequest c;
  ASSERT_FALSE(openai(R"({"input":[101, 7592, 102]})", c));
  ASSERT_EQ(c.inputs.size(), 1u);
  EXPECT_FALSE(c.inputs[0].is_text);
  EXPECT_EQ(c.inputs[0].ids, (std::vector<int32_t>{101, 7592, 102}));

  EmbeddingsRequest d;
  ASSERT_FALSE(openai(R"({"input":[[1,2],[3]],"pooling":"cls","truncate":true})", d));
  ASSERT_EQ(d.inputs.size(), 2u);
  EXPECT_EQ(d.inputs[1].ids, (std::vector<int32_t>{3}));
  EXPECT_EQ(d.pooling, model::pooling_type::cls);
  EXPECT_TRUE(d.truncate);
}

TEST(EmbeddingsParse, OpenAiErrorsNameTheField) {
  struct Case {
    const char* body;
    const char* param;
  };
  for (const Case& c :
       {Case{R"({})", "input"}, Case{R"({"input":null})", "input"}, Case{R"({"input":[]})", "input"},
        Case{R"({"input":5})", "input"}, Case{R"({"input":["a",1]})", "input[1]"},
        Case{R"({"input":[1,-2]})", "input[1]"}, Case{R"({"input":[1,2.5]})", "input[1]"},
        Case{R"({"input":[[1],[]]})", "input[1]"}, Case{R"({"input":[[1],["x"]]})", "input[1][0]"},
        Case{R"({"input":[{"a":1}]})", "input[0]"},
        Case{R"({"input":"x","encoding_format":"int8"})", "encoding_format"},
        Case{R"({"input":"x","dimensions":0})", "dimensions"}, Case{R"({"input":"x","dimensions":"3"})", "dimensions"},
        Case{R"({"input":"x","pooling":"none"})", "pooling"}, Case{R"({"input":"x","pooling":"max"})", "pooling"},
        Case{R"({"input":"x","model":7})", "model"}}) {
    EmbeddingsRequest r;
    auto err = openai(c.body, r);
    ASSERT_TRUE(err) << c.body;
    EXPECT_EQ(err->status, 400) << c.body;
    EXPECT_EQ(err->param, c.param) << c.body << ": " << err->message;
  }
  EmbeddingsRequest many;
  json body = {{"input", json::array()}};
  for (size_t i = 0; i <= kMaxEmbeddingInputs; ++i) body["input"].push_back("x");
  auto err = parse_openai_embeddings(body, many);
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find(std::to_string(kMaxEmbeddingInputs)), std::string::npos);
}

TEST(EmbeddingsParse, Ollama) {
  EmbeddingsRequest a;
  ASSERT_FALSE(parse_ollama_embed(json::parse(R"({"model":"m","input":["x","y"],"keep_alive":"5m"})"), a));
  EXPECT_EQ(a.inputs.size(), 2u);
  EXPECT_TRUE(a.truncate);  // Ollama's default
  EXPECT_EQ(a.keep_alive_seconds, 300);
  EmbeddingsRequest b;
  ASSERT_FALSE(parse_ollama_embed(json::parse(R"({"model":"m","input":"x","truncate":false})"), b));
  EXPECT_FALSE(b.truncate);
  EmbeddingsRequest c;
  auto err = parse_ollama_embed(json::parse(R"({"model":"m","input":[1,2]})"), c);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->param, "input[0]");
  EmbeddingsRequest d;
  err = parse_ollama_embed(json::parse(R"({"input":"x"})"), d);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->param, "model");
  EmbeddingsRequest e;
  ASSERT_FALSE(parse_ollama_embeddings_legacy(json::parse(R"({"model":"m","prompt":"hi"})"), e));
  EXPECT_FALSE(e.normalize);
  EXPECT_EQ(e.inputs[0].text, "hi");
  EmbeddingsRequest f;
  err = parse_ollama_embeddings_legacy(json::parse(R"({"model":"m"})"), f);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->param, "prompt");
}

std::vector<uint8_t> decode_base64(const std::string& s) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : 63;
  };
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    if (c == '=') break;
    acc = (acc << 6) | static_cast<uint32_t>(val(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  return out;
}

TEST(EmbeddingsParse, Base64IsLittleEndianFloat32) {
  EXPECT_EQ(base64_floats({}), "");
  EXPECT_EQ(base64_floats({1.0f}), "AACAPw==");  // 00 00 80 3f
  for (size_t n : {1u, 2u, 3u, 7u}) {
    std::vector<float> v;
    for (size_t i = 0; i < n; ++i) v.push_back(-1.5f + 0.37f * static_cast<float>(i));
    const auto bytes = decode_base64(base64_floats(v));
    ASSERT_EQ(bytes.size(), n * 4);
    for (size_t i = 0; i < n; ++i) {
      uint32_t u = 0;
      for (int b = 0; b < 4; ++b) u |= uint32_t{bytes[i * 4 + static_cast<size_t>(b)]} << (8 * b);
      EXPECT_EQ(std::bit_cast<float>(u), v[i]);
    }
  }
}

}  // namespace
}  // namespace plexus::server

// Embedding routes: POST /v1/embeddings (OpenAI), /api/embed and /api/embeddings (Ollama). The
// I/O strand parses, tokenizes and submits every input of the request to the model's Embedder
// in one go (which batches them with concurrent requests); the result comes back on the
// embedder thread and is posted to the strand to be formatted. The lease is held until then.
#include <chrono>

#include "server/embeddings_request.h"
#include "server/json_body.h"
#include "server/route_util.h"
#include "server/routes.h"

namespace plexus::server {
namespace {

using json = nlohmann::json;

enum class embed_api { openai, ollama, ollama_legacy };

api_flavor flavor_of(embed_api api) { return api == embed_api::openai ? api_flavor::openai : api_flavor::ollama; }

// The first `dims` components, L2-normalized again (the vectors were unit length before).
void apply_dimensions(std::vector<float>& v, int64_t dims, bool normalize) {
  if (dims >= static_cast<int64_t>(v.size())) return;
  v.resize(static_cast<size_t>(dims));
  if (normalize) runtime::l2_normalize(v.data(), dims);
}

void send_result(ResponseChannel& channel, embed_api api, const EmbeddingsRequest& req, const std::string& model_id,
                 runtime::EmbedResult& result, double load_seconds, double total_seconds) {
  for (auto& v : result.embeddings) {
    if (req.dimensions) apply_dimensions(v, *req.dimensions, req.normalize);
  }
  if (api == embed_api::openai) {
    json data = json::array();
    for (size_t i = 0; i < result.embeddings.size(); ++i) {
      json item = {{"object", "embedding"}, {"index", i}};
      if (req.base64) {
        item["embedding"] = base64_floats(result.embeddings[i]);
      } else {
        item["embedding"] = result.embeddings[i];
      }
      data.push_back(std::move(item));
    }
    send_json(channel, {{"object", "list"},
                        {"data", std::move(data)},
                        {"model", model_id},
                        {"usage", {{"prompt_tokens", result.prompt_tokens}, {"total_tokens", result.prompt_tokens}}}});
    return;
  }
  if (api == embed_api::ollama_legacy) {
    send_json(channel, {{"embedding", result.embeddings.at(0)}});
    return;
  }
  auto nanos = [](double s) { return static_cast<int64_t>(s * 1e9); };
  send_json(channel, {{"model", model_id},
                      {"embeddings", result.embeddings},
                      {"total_duration", nanos(total_seconds)},
                      {"load_duration", nanos(load_seconds)},
                      {"prompt_eval_count", result.prompt_tokens}});
}

void embed(const std::shared_ptr<ServerContext>& ctx, const std::shared_ptr<ResponseChannel>& channel, embed_api api,
           EmbeddingsRequest req) {
  const auto t0 = std::chrono::steady_clock::now();
  const api_flavor flavor = flavor_of(api);
  const std::string name = req.model;
  const std::optional<double> keep_alive = req.keep_alive_seconds;
  with_model(
      *ctx, channel, name, keep_alive, flavor,
      [channel, api, flavor, t0, req = std::move(req)](std::shared_ptr<ModelLease> lease) mutable {
        runtime::Embedder* embedder = lease->state().embedder.get();
        if (embedder == nullptr) return send_error(*channel, unavailable("the model is shutting down"), flavor);
        if (req.dimensions && *req.dimensions > embedder->n_embd()) {
          return send_error(
              *channel,
              bad_field("dimensions", "'dimensions' is " + std::to_string(*req.dimensions) + " but the model '" +
                                          lease->id() + "' gives vectors of " + std::to_string(embedder->n_embd())),
              flavor);
        }
        runtime::EmbedRequest er;
        er.pooling = req.pooling;
        er.normalize = req.normalize;
        er.truncate = req.truncate;
        er.inputs.reserve(req.inputs.size());
        for (size_t i = 0; i < req.inputs.size(); ++i) {
          EmbeddingInput& in = req.inputs[i];
          if (in.is_text) {
            er.inputs.push_back(lease->tokenizer().encode(in.text, /*add_special=*/true, /*parse_special=*/true));
            if (er.inputs.back().empty()) {
              const std::string p =
                  req.inputs.size() == 1 && api != embed_api::openai ? "input" : "input[" + std::to_string(i) + "]";
              return send_error(
                  *channel,
                  bad_field(api == embed_api::ollama_legacy ? "prompt" : p, "the input gives no tokens to embed"),
                  flavor);
            }
          } else {
            er.inputs.push_back(std::move(in.ids));
          }
        }
        const double load_seconds = lease->waited_seconds();
        auto request = std::make_shared<EmbeddingsRequest>(std::move(req));
        Status st = embedder->submit(std::move(er), [channel, api, flavor, lease, request, load_seconds,
                                                     t0](Result<runtime::EmbedResult> r) mutable {
          // Embedder thread: hand the result to the strand, where the lease is released.
          auto result = std::make_shared<Result<runtime::EmbedResult>>(std::move(r));
          channel->post([channel, api, flavor, lease = std::move(lease), request, result, load_seconds, t0] {
            if (!result->ok()) {
              return send_error(*channel,
                                from_status(result->status(), api == embed_api::ollama_legacy ? "prompt" : "input"),
                                flavor);
            }
            const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            send_result(*channel, api, *request, lease->id(), result->value(), load_seconds, total);
          });
        });
        if (!st.ok()) {
          const std::string param =
              st.code() == error_code::invalid_argument && st.message().find("pooling") != std::string::npos
                  ? "pooling"
                  : (api == embed_api::ollama_legacy ? "prompt" : "input");
          send_error(*channel, from_status(st, param), flavor);
        }
      });
}

void handle(const std::shared_ptr<ServerContext>& ctx, const HttpRequest& http,
            const std::shared_ptr<ResponseChannel>& channel, embed_api api) {
  const api_flavor flavor = flavor_of(api);
  json body;
  if (auto err = parse_json_object(http.body, body)) return send_error(*channel, *err, flavor);
  EmbeddingsRequest req;
  std::optional<ApiError> err;
  switch (api) {
    case embed_api::openai:
      err = parse_openai_embeddings(body, req);
      break;
    case embed_api::ollama:
      err = parse_ollama_embed(body, req);
      break;
    case embed_api::ollama_legacy:
      err = parse_ollama_embeddings_legacy(body, req);
      break;
  }
  if (err) return send_error(*channel, *err, flavor);
  embed(ctx, channel, api, std::move(req));
}

}  // namespace

void add_embeddings_routes(Router& router, std::shared_ptr<ServerContext> ctx) {
  for (auto [path, api] : {std::pair{"/v1/embeddings", embed_api::openai}, std::pair{"/api/embed", embed_api::ollama},
                           std::pair{"/api/embeddings", embed_api::ollama_legacy}}) {
    router.add("POST", path, flavor_of(api),
               [ctx, api](const HttpRequest& req, std::shared_ptr<ResponseChannel> ch) { handle(ctx, req, ch, api); });
  }
}

}  // namespace plexus::server

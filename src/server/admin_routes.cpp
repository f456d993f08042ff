// Operational routes: GET /health (no API key needed), GET /metrics (Prometheus text),
// POST /tokenize and POST /detokenize (llama.cpp server shapes).
#include "server/chat_prompt.h"
#include "server/json_body.h"
#include "server/routes.h"
#include "tokenizer/tokenizer.h"

namespace plexus::server {
namespace {

using json = nlohmann::json;

void handle_health(const std::shared_ptr<ServerContext>& ctx, const std::shared_ptr<ResponseChannel>& channel) {
  if (!ctx->models->ready()) {
    send_error(*channel, unavailable("loading model", 1), api_flavor::openai);
    return;
  }
  send_json(*channel, {{"status", "ok"}});
}

void handle_metrics(const std::shared_ptr<ServerContext>& ctx, const std::shared_ptr<ResponseChannel>& channel) {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = ctx->metrics->render(ctx->models->list(), ctx->open_connections ? ctx->open_connections() : 0);
  channel->send(std::move(r));
}

void handle_tokenize(const std::shared_ptr<ServerContext>& ctx, const HttpRequest& req,
                     const std::shared_ptr<ResponseChannel>& channel) {
  json body;
  TokenizeRequest tr;
  if (auto err = parse_json_object(req.body, body)) return send_error(*channel, *err, api_flavor::openai);
  if (auto err = parse_tokenize(body, ctx->limits, tr)) return send_error(*channel, *err, api_flavor::openai);
  with_model(*ctx, channel, tr.model, std::nullopt, api_flavor::openai, [channel, tr](std::shared_ptr<ModelLease> lease) {
    const auto& tok = lease->tokenizer();
    const auto ids = tok.encode(tr.content, tr.add_special, /*parse_special=*/true);
    json tokens = json::array();
    for (int32_t id : ids) {
      if (tr.with_pieces) {
        tokens.push_back({{"id", id}, {"piece", tok.token_to_piece(id, true)}});
      } else {
        tokens.push_back(id);
      }
    }
    send_json(*channel, {{"tokens", std::move(tokens)}});
  });
}

void handle_detokenize(const std::shared_ptr<ServerContext>& ctx, const HttpRequest& req,
                       const std::shared_ptr<ResponseChannel>& channel) {
  json body;
  DetokenizeRequest dr;
  if (auto err = parse_json_object(req.body, body)) return send_error(*channel, *err, api_flavor::openai);
  if (auto err = parse_detokenize(body, ctx->limits, dr)) return send_error(*channel, *err, api_flavor::openai);
  with_model(*ctx, channel, dr.model, std::nullopt, api_flavor::openai, [channel, dr](std::shared_ptr<ModelLease> lease) {
    const auto& tok = lease->tokenizer();
    tokenizer::StreamingDecoder decoder(tok, /*render_special=*/false);
    std::string text;
    for (size_t i = 0; i < dr.tokens.size(); ++i) {
      if (dr.tokens[i] >= tok.n_vocab()) {
        const std::string path = "tokens[" + std::to_string(i) + "]";
        return send_error(*channel,
                          bad_field(path, "'" + path + "' is " + std::to_string(dr.tokens[i]) +
                                              ", outside the vocabulary of " + std::to_string(tok.n_vocab()) + " tokens"),
                          api_flavor::openai);
      }
      text += decoder.push(dr.tokens[i]);
    }
    text += decoder.flush();
    send_json(*channel, {{"content", text}});
  });
}

}  // namespace

void add_admin_routes(Router& router, std::shared_ptr<ServerContext> ctx) {
  router.add("GET", "/health", api_flavor::openai,
             [ctx](const HttpRequest&, std::shared_ptr<ResponseChannel> ch) { handle_health(ctx, ch); },
             /*public_route=*/true);
  router.add("GET", "/metrics", api_flavor::openai,
             [ctx](const HttpRequest&, std::shared_ptr<ResponseChannel> ch) { handle_metrics(ctx, ch); });
  router.add("POST", "/tokenize", api_flavor::openai,
             [ctx](const HttpRequest& req, std::shared_ptr<ResponseChannel> ch) { handle_tokenize(ctx, req, ch); });
  router.add("POST", "/detokenize", api_flavor::openai,
             [ctx](const HttpRequest& req, std::shared_ptr<ResponseChannel> ch) { handle_detokenize(ctx, req, ch); });
}

}  // namespace plexus::server

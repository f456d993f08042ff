#include "server/server.h"

#include "server/routes.h"

namespace plexus::server {

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() { stop(); }

Status Server::start() {
  metrics_ = std::make_shared<ServerMetrics>();
  models_ = std::make_unique<ModelManager>(options_.models);
  router_ = std::make_unique<Router>(options_.router, metrics_);
  auto ctx = std::make_shared<ServerContext>();
  ctx->models = models_.get();
  ctx->metrics = metrics_;
  ctx->limits = options_.limits;
  ctx->sampling_defaults = options_.sampling_defaults;
  ctx->started_unix = unix_now();
  add_openai_routes(*router_, ctx);
  add_ollama_routes(*router_, ctx);
  add_admin_routes(*router_, ctx);
  add_embeddings_routes(*router_, ctx);
  Router* router = router_.get();
  http_ = std::make_unique<HttpServer>(options_.http, [router](const HttpRequest& req, std::shared_ptr<ResponseChannel> ch) {
    router->dispatch(req, std::move(ch));
  });
  HttpServer* http = http_.get();
  ctx->open_connections = [http] { return http->open_connections(); };
  PLEXUS_RETURN_IF_ERROR(models_->start());
  return http_->start();
}

uint16_t Server::port() const { return http_ ? http_->port() : 0; }

Status Server::wait_for_models() { return models_->wait_initial_loads(); }

void Server::wait() { http_->wait(); }

void Server::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (http_) http_->stop();
  if (models_) models_->shutdown();
  http_.reset();
  router_.reset();
  models_.reset();
}

}  // namespace plexus::server

// `plexus serve` assembled: the model manager, the router with every API's routes, metrics and
// the HTTP server. Shutdown order matters: the I/O threads stop first, then the engines (their
// last events are posted into the stopped I/O context and dropped), then the I/O context.
// Thread-safe: start()/wait()/stop() from the controlling thread; stop() may also come from a
// signal (handled inside HttpServer).
#pragma once

#include <memory>

#include "core/status.h"
#include "server/http_server.h"
#include "server/model_manager.h"
#include "server/request_types.h"
#include "server/router.h"
#include "sampling/sampler.h"

namespace plexus::server {

struct ServerOptions {
  HttpOptions http;
  RouterOptions router;
  ModelManagerOptions models;
  RequestLimits limits;
  sampling::SamplingParams sampling_defaults;
  bool wait_for_models = false;  // start() returns only once the command-line models are loaded
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Registers the models, starts listening (so /health answers 503 while loading) and starts
  // loading the command-line models.
  Status start();
  uint16_t port() const;
  // Blocks until the command-line models are loaded; their first load error, if any.
  Status wait_for_models();
  // Blocks until SIGINT/SIGTERM or stop().
  void wait();
  void stop();

 private:
  ServerOptions options_;
  std::shared_ptr<ServerMetrics> metrics_;
  std::unique_ptr<ModelManager> models_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> http_;
  bool stopped_ = false;
};

}  // namespace plexus::server

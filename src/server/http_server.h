// HTTP/1.1 server on Boost.Beast/Asio: a listener, a small I/O thread pool, and one connection
// object per client with a bound on everything it reads or buffers:
//   - header bytes (header_limit, else 431) and body bytes (body_limit, else 413), checked as
//     they arrive; a Content-Length over the limit is refused before the body is read;
//   - time: a request must arrive completely within read_timeout of its first byte (a client
//     that trickles its headers is dropped), an idle keep-alive connection is closed after
//     idle_timeout, and each write must make progress within write_timeout;
//   - connections: beyond max_connections a client gets 503 and is closed;
//   - output: more than max_buffered_bytes queued for a client that does not read drops it.
// While a request is being handled the connection keeps reading, so a client that goes away is
// noticed at once and the route's on_client_gone callback runs (which cancels generation).
// Thread-safe: start()/stop() from one controlling thread; the dispatch handler runs on the
// connection's strand (one of the I/O threads), several connections in parallel.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "server/http_types.h"

namespace plexus::server {

struct HttpOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: an ephemeral port (see HttpServer::port())
  int io_threads = 2;
  size_t header_limit = 16 * 1024;           // bytes of request line + headers
  uint64_t body_limit = 8ull * 1024 * 1024;  // bytes of body
  std::chrono::milliseconds read_timeout{15000};   // first byte to last byte of one request
  std::chrono::milliseconds idle_timeout{60000};   // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{30000};  // one write's progress
  int max_connections = 512;
  size_t max_buffered_bytes = 16ull * 1024 * 1024;  // queued output per connection
  // Extra headers on every response (e.g. CORS).
  header_list extra_headers;
};

class HttpServer {
 public:
  HttpServer(HttpOptions options, route_handler dispatch);
  ~HttpServer();  // stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O threads. io_error when the address cannot be bound.
  Status start();
  // The bound port (after start()).
  uint16_t port() const;
  // Blocks until stop() is called from another thread or SIGINT/SIGTERM arrives.
  void wait();
  // Stops accepting, closes every connection and joins the I/O threads. Idempotent.
  void stop();

  int64_t open_connections() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// HTTP reason phrase for a status ("Not Found"); "Unknown" for unlisted codes.
const char* reason_phrase(int status);

}  // namespace plexus::server

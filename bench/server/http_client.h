// A minimal blocking HTTP/1.1 client on POSIX sockets for the server benchmark: one request per
// connection (Connection: close), chunked or Content-Length bodies, and an SSE reader that stamps
// the arrival time of every `data:` event. Loopback only in practice; every read is bounded by a
// receive timeout and every buffer by a size limit, so a misbehaving server ends a request with an
// error instead of hanging the benchmark.
// Thread-safe: free functions with no shared state; run one request per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace plexus::bench {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::chrono::seconds timeout{300};  // per recv()/send(): a stalled server fails the request
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

// One `data:` payload of an SSE stream and the time its last byte arrived.
struct SseEvent {
  std::string data;
  Clock::time_point at;
};

// Sends `method path` with `body` (JSON when non-empty) and reads the whole response.
// io_error when the connection fails; invalid_argument for a malformed response.
Result<HttpResponse> http_request(const Endpoint& ep, std::string_view method, std::string_view path,
                                  std::string_view body);

// POSTs `body` and calls `on_event` for every SSE `data:` payload as it arrives, in order.
// `sent` receives the time the request was written. Returns the HTTP status (a non-200 status
// still delivers its body through on_event as one event). on_event returning false stops reading.
Result<int> http_stream(const Endpoint& ep, std::string_view path, std::string_view body, Clock::time_point& sent,
                        const std::function<bool(const SseEvent&)>& on_event);

}  // namespace plexus::bench

// The HTTP layer's boundary types: a parsed request, a complete response, and the channel a route
// answers through (one full response, or a streamed one written piece by piece).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plexus::server {

using header_list = std::vector<std::pair<std::string, std::string>>;

// Not thread-safe: plain data, owned by the connection that read it.
struct HttpRequest {
  std::string method;   // "GET", "POST", ...
  std::string path;     // target without the query, e.g. "/v1/models"
  std::string query;    // after '?', undecoded ("" when none)
  header_list headers;  // names lower-cased, in arrival order
  std::string body;
  std::string remote;   // "127.0.0.1:54321"

  // First header value with this (lower-case) name, "" when absent.
  std::string_view header(std::string_view lower_name) const;
};

// Not thread-safe: plain data.
struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  header_list headers;  // extra headers (values must not contain CR or LF)
};

// How a route answers one request. Either send() once, or begin_stream(), write()* and
// end_stream(). Calls after the response is complete, or after the client went away, are ignored.
// Thread-safe: every method may be called from any thread; the work is posted to the
// connection's strand, so writes keep their call order.
class ResponseChannel {
 public:
  virtual ~ResponseChannel() = default;

  virtual void send(HttpResponse response) = 0;
  // Starts a streamed 200-class response (chunked for HTTP/1.1 clients).
  virtual void begin_stream(int status, std::string content_type, header_list headers = {}) = 0;
  virtual void write(std::string data) = 0;
  virtual void end_stream() = 0;

  // Called once, on the strand, when the client disconnects (or a write fails or times out)
  // before the response is complete. Replaces any earlier callback.
  virtual void on_client_gone(std::function<void()> callback) = 0;
  virtual bool client_gone() const = 0;
  // Bytes queued for the socket and not yet written (for slow-client limits).
  virtual size_t buffered_bytes() const = 0;
  // Runs `fn` on the connection's strand (dropped if the server is shutting down).
  virtual void post(std::function<void()> fn) = 0;
};

using route_handler = std::function<void(const HttpRequest&, std::shared_ptr<ResponseChannel>)>;

}  // namespace plexus::server

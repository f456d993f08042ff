// Test helpers for the real `plexus serve`: a child process on an ephemeral loopback port, and a
// small blocking HTTP/1.1 client over POSIX sockets (so the tests depend on nothing but libc).
// Not thread-safe per object; separate objects may be used from separate threads.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace plexus::testing {

class ServerProcess {
 public:
  // Starts `plexus serve ARGS --port 0` and waits (up to 30 s) for /health to answer 200
  // (or only for the listening line when wait_ready is false).
  explicit ServerProcess(std::vector<std::string> args, bool wait_ready = true);
  ~ServerProcess();  // SIGTERM, then SIGKILL after 10 s
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  bool alive();
  // Sends SIGTERM and waits; the exit status (-1 if it did not exit normally).
  int stop();
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string stderr_path_;
  int exit_status_ = -1;
  bool reaped_ = false;
};

struct HttpResult {
  bool ok = false;   // a complete response was read
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;  // de-chunked
  std::string error;
  nlohmann::json json() const;  // the body parsed (null when it is not JSON)
};

// One request on a fresh connection (Connection: close). Extra headers as "Name: value".
HttpResult http(uint16_t port, const std::string& method, const std::string& path, const std::string& body = "",
                const std::vector<std::string>& headers = {}, int timeout_ms = 60000);
HttpResult post_json(uint16_t port, const std::string& path, const nlohmann::json& body,
                     const std::vector<std::string>& headers = {});

// Raw sockets for hostile clients.
int connect_loopback(uint16_t port);  // -1 on failure
bool send_all(int fd, const std::string& bytes);
// Reads until the peer closes or timeout_ms passes with nothing new; returns what arrived.
std::string read_until_close(int fd, int timeout_ms, bool* closed = nullptr);
// Parses a raw HTTP/1.1 response (chunked or content-length); nullopt-like ok=false when incomplete.
HttpResult parse_response(const std::string& raw);

// "data: {...}" payloads of an SSE body, in order ("[DONE]" included as the string).
std::vector<std::string> sse_events(const std::string& body);
// Concatenated choices[0].delta.content (chat) or choices[0].text (completions) of SSE chunks.
std::string sse_text(const std::string& body, int choice = 0);

std::string shared_model(const std::string& name);  // ../shared/models/<name>
// Value of a Prometheus sample line (exact name with labels), -1 when absent.
double metric_value(const std::string& metrics_text, const std::string& sample);

}  // namespace plexus::testing

#include "test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "test_paths.h"

namespace plexus::testing {
namespace {

using clock = std::chrono::steady_clock;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> args, bool wait_ready) {
  int out[2];
  if (::pipe(out) != 0) return;
  char tmpl[] = "/tmp/plexus_serve_err_XXXXXX";
  const int err_fd = ::mkstemp(tmpl);
  stderr_path_ = tmpl;
  std::vector<std::string> argv = {plexus_binary().string(), "serve"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--port");
  argv.push_back("0");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    ::dup2(err_fd, 2);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    ::execv(cargs[0], cargs.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err_fd);
  // "listening on http://127.0.0.1:PORT"
  std::string line;
  const auto deadline = clock::now() + std::chrono::seconds(30);
  while (clock::now() < deadline && line.find('\n') == std::string::npos) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 200) > 0) {
      char buf[256];
      const ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(out[0]);  // later stdout writes would get SIGPIPE-free EPIPE only if written; the server writes once
  const size_t colon = line.rfind(':');
  if (line.rfind("listening on ", 0) != 0 || colon == std::string::npos) return;
  port_ = static_cast<uint16_t>(std::stoi(line.substr(colon + 1)));
  if (!wait_ready) return;
  while (clock::now() < deadline) {
    HttpResult r = http(port_, "GET", "/health", "", {}, 2000);
    if (r.ok && r.status == 200) return;
    if (!alive()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  port_ = 0;
}

ServerProcess::~ServerProcess() {
  // A server that started must shut down cleanly on SIGTERM: exit 0 (a sanitizer report or a
  // crash during the test shows up here).
  const bool was_started = port_ != 0;
  const int status = stop();
  if (was_started && status != 0) {
    ADD_FAILURE() << "plexus serve exited with status " << status << "; its stderr:\n" << stderr_text();
  }
  if (!stderr_path_.empty()) ::unlink(stderr_path_.c_str());
}

bool ServerProcess::alive() {
  if (pid_ <= 0 || reaped_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return false;
  }
  return true;
}

int ServerProcess::stop() {
  if (pid_ <= 0 || reaped_) return exit_status_;
  ::kill(pid_, SIGTERM);
  const auto deadline = clock::now() + std::chrono::seconds(10);
  while (clock::now() < deadline) {
    if (!alive()) return exit_status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  reaped_ = true;
  exit_status_ = -1;
  return exit_status_;
}

std::string ServerProcess::stderr_text() const {
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json HttpResult::json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

int connect_loopback(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string read_until_close(int fd, int timeout_ms, bool* closed) {
  std::string out;
  if (closed != nullptr) *closed = false;
  while (true) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r <= 0) return out;  // timeout
    char buf[16384];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed != nullptr) *closed = true;
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

HttpResult parse_response(const std::string& raw) {
  HttpResult r;
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    r.error = "no complete response head in " + std::to_string(raw.size()) + " bytes";
    return r;
  }
  std::istringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) {
    r.error = "bad status line: " + line;
    return r;
  }
  r.status = std::stoi(line.substr(9, 3));
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[lower(line.substr(0, colon))] = value;
  }
  std::string rest = raw.substr(head_end + 4);
  if (lower(r.headers["transfer-encoding"]) == "chunked") {
    size_t pos = 0;
    while (true) {
      const size_t eol = rest.find("\r\n", pos);
      if (eol == std::string::npos) {
        r.error = "truncated chunked body";
        return r;
      }
      const size_t size = std::stoul(rest.substr(pos, eol - pos), nullptr, 16);
      if (size == 0) break;
      if (eol + 2 + size > rest.size()) {
        r.error = "truncated chunk";
        return r;
      }
      r.body += rest.substr(eol + 2, size);
      pos = eol + 2 + size + 2;
    }
  } else if (r.headers.count("content-length") != 0) {
    const size_t len = std::stoul(r.headers["content-length"]);
    if (rest.size() < len) {
      r.error = "truncated body";
      return r;
    }
    r.body = rest.substr(0, len);
  } else {
    r.body = rest;
  }
  r.ok = true;
  return r;
}

HttpResult http(uint16_t port, const std::string& method, const std::string& path, const std::string& body,
                const std::vector<std::string>& headers, int timeout_ms) {
  HttpResult r;
  const int fd = connect_loopback(port);
  if (fd < 0) {
    r.error = "cannot connect";
    return r;
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  if (!body.empty() || method == "POST") {
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  if (!send_all(fd, req)) {
    ::close(fd);
    r.error = "send failed";
    return r;
  }
  bool closed = false;
  const std::string raw = read_until_close(fd, timeout_ms, &closed);
  ::close(fd);
  r = parse_response(raw);
  if (!closed && r.ok) r.error = "connection not closed";
  return r;
}

HttpResult post_json(uint16_t port, const std::string& path, const nlohmann::json& body,
                     const std::vector<std::string>& headers) {
  return http(port, "POST", path, body.dump(), headers);
}

std::vector<std::string> sse_events(const std::string& body) {
  std::vector<std::string> events;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) break;
    events.push_back(body.substr(pos + 6, end - pos - 6));
    pos = end + 2;
  }
  return events;
}

std::string sse_text(const std::string& body, int choice) {
  std::string text;
  for (const auto& e : sse_events(body)) {
    if (e == "[DONE]") continue;
    auto j = nlohmann::json::parse(e, nullptr, false);
    if (!j.is_object() || !j.contains("choices")) continue;
    for (const auto& c : j["choices"]) {
      if (c["index"] != choice) continue;
      if (c.contains("delta") && c["delta"].contains("content") && c["delta"]["content"].is_string()) {
        text += c["delta"]["content"].get<std::string>();
      } else if (c.contains("text") && c["text"].is_string()) {
        text += c["text"].get<std::string>();
      }
    }
  }
  return text;
}

std::string shared_model(const std::string& name) { return (shared_dir() / "models" / name).string(); }

double metric_value(const std::string& text, const std::string& sample) {
  size_t pos = 0;
  while ((pos = text.find(sample + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') return std::stod(text.substr(pos + sample.size() + 1));
    pos += sample.size();
  }
  return -1;
}

}  // namespace plexus::testing

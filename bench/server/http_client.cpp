#include "http_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "core/checked_math.h"

namespace plexus::bench {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr uint64_t kMaxBodyBytes = 64ull << 20;   // whole non-streamed responses
constexpr size_t kMaxEventBytes = 16u << 20;      // one SSE event
constexpr size_t kMaxChunkLineBytes = 1024;       // "hex-size[;ext]\r\n"

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

Result<Socket> connect_to(const Endpoint& ep) {
  if (ep.port <= 0 || ep.port > 65535) return invalid_argument("port " + std::to_string(ep.port) + " is out of range");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(ep.port);
  if (int rc = ::getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return io_error("cannot resolve '" + ep.host + "': " + ::gai_strerror(rc));
  }
  std::string last_error = "no address for '" + ep.host + "'";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    Socket s(::socket(a->ai_family, a->ai_socktype, a->ai_protocol));
    if (s.fd() < 0) {
      last_error = errno_text("socket");
      continue;
    }
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ep.timeout.count());
    ::setsockopt(s.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(s.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    ::setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(s.fd(), a->ai_addr, a->ai_addrlen) == 0) {
      ::freeaddrinfo(found);
      return s;
    }
    last_error = errno_text(("connect to " + ep.host + ":" + port).c_str());
  }
  ::freeaddrinfo(found);
  return io_error(last_error);
}

Status send_all(const Socket& s, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(s.fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(errno_text("send"));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::string build_request(const Endpoint& ep, std::string_view method, std::string_view path, std::string_view body) {
  std::string r;
  r.reserve(256 + body.size());
  r.append(method).append(" ").append(path).append(" HTTP/1.1\r\n");
  r += "Host: " + ep.host + ":" + std::to_string(ep.port) + "\r\n";
  r += "Connection: close\r\nAccept: */*\r\n";
  if (!body.empty() || method == "POST") {
    r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  r += "\r\n";
  r.append(body);
  return r;
}

// Reads a response: the head, then the decoded body handed to on_body as it arrives (with the
// time of the recv that delivered it). on_body returning false stops reading early.
class ResponseReader {
 public:
  using BodyFn = std::function<bool(std::string_view, Clock::time_point)>;
  explicit ResponseReader(const Socket& s) : s_(s) {}

  Result<int> read(const BodyFn& on_body) {
    PLEXUS_ASSIGN_OR_RETURN(const int status, read_head());
    if (chunked_) {
      PLEXUS_RETURN_IF_ERROR(read_chunked(on_body));
    } else if (content_length_) {
      uint64_t left = *content_length_;
      while (left > 0) {
        if (buf_.empty()) {
          PLEXUS_ASSIGN_OR_RETURN(const size_t n, fill());
          if (n == 0) return invalid_argument("connection closed with " + std::to_string(left) + " body bytes missing");
        }
        const size_t take = static_cast<size_t>(std::min<uint64_t>(left, buf_.size()));
        const bool more = on_body(std::string_view(buf_).substr(0, take), last_);
        buf_.erase(0, take);
        left -= take;
        if (!more) break;
      }
    } else {
      for (;;) {
        if (!buf_.empty() && !on_body(buf_, last_)) break;
        buf_.clear();
        PLEXUS_ASSIGN_OR_RETURN(const size_t n, fill());
        if (n == 0) break;
      }
    }
    return status;
  }

 private:
  // Appends what one recv() returns; 0 at end of stream.
  Result<size_t> fill() {
    char tmp[16384];
    for (;;) {
      const ssize_t n = ::recv(s_.fd(), tmp, sizeof tmp, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return io_error("recv: timed out waiting for the server");
        return io_error(errno_text("recv"));
      }
      last_ = Clock::now();
      buf_.append(tmp, static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
  }

  // A line ending in CRLF, without it; fails past `limit` bytes.
  Result<std::string> read_line(size_t limit) {
    for (;;) {
      const size_t eol = buf_.find("\r\n");
      if (eol != std::string::npos) {
        std::string line = buf_.substr(0, eol);
        buf_.erase(0, eol + 2);
        return line;
      }
      if (buf_.size() > limit) return invalid_argument("response line longer than " + std::to_string(limit) + " bytes");
      PLEXUS_ASSIGN_OR_RETURN(const size_t n, fill());
      if (n == 0) return invalid_argument("connection closed inside a response line");
    }
  }

  Result<int> read_head() {
    size_t head_bytes = 0;
    PLEXUS_ASSIGN_OR_RETURN(const std::string status_line, read_line(kMaxHeaderBytes));
    head_bytes += status_line.size();
    if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) {
      return invalid_argument("malformed status line '" + status_line.substr(0, 64) + "'");
    }
    const size_t sp = status_line.find(' ');
    int status = 0;
    for (size_t i = sp + 1; i < sp + 4 && i < status_line.size(); ++i) {
      if (status_line[i] < '0' || status_line[i] > '9') return invalid_argument("malformed status code");
      status = status * 10 + (status_line[i] - '0');
    }
    for (;;) {
      PLEXUS_ASSIGN_OR_RETURN(const std::string line, read_line(kMaxHeaderBytes));
      head_bytes += line.size() + 2;
      if (head_bytes > kMaxHeaderBytes) return invalid_argument("response headers exceed 64 KiB");
      if (line.empty()) break;
      const size_t colon = line.find(':');
      if (colon == std::string::npos) return invalid_argument("malformed header line");
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      if (name == "transfer-encoding" && value.find("chunked") != std::string::npos) chunked_ = true;
      if (name == "content-length") {
        uint64_t v = 0;
        if (value.empty()) return invalid_argument("empty Content-Length");
        for (char c : value) {
          if (c < '0' || c > '9') return invalid_argument("malformed Content-Length");
          auto m = checked_mul(v, 10);
          auto a = m ? checked_add(*m, static_cast<uint64_t>(c - '0')) : std::nullopt;
          if (!a || *a > kMaxBodyBytes) return invalid_argument("Content-Length exceeds 64 MiB");
          v = *a;
        }
        content_length_ = v;
      }
    }
    return status;
  }

  Status read_chunked(const BodyFn& on_body) {
    for (;;) {
      PLEXUS_ASSIGN_OR_RETURN(std::string line, read_line(kMaxChunkLineBytes));
      if (const size_t semi = line.find(';'); semi != std::string::npos) line.resize(semi);
      if (line.empty() || line.size() > 15) return invalid_argument("malformed chunk size line");
      uint64_t size = 0;
      for (char c : line) {
        int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0) return invalid_argument("malformed chunk size '" + line + "'");
        size = size * 16 + static_cast<uint64_t>(d);
      }
      if (size > kMaxBodyBytes) return invalid_argument("chunk larger than 64 MiB");
      if (size == 0) {
        // Trailers end with an empty line.
        for (;;) {
          PLEXUS_ASSIGN_OR_RETURN(const std::string trailer, read_line(kMaxHeaderBytes));
          if (trailer.empty()) return {};
        }
      }
      uint64_t left = size;
      while (left > 0) {
        if (buf_.empty()) {
          PLEXUS_ASSIGN_OR_RETURN(const size_t n, fill());
          if (n == 0) return invalid_argument("connection closed inside a chunk");
        }
        const size_t take = static_cast<size_t>(std::min<uint64_t>(left, buf_.size()));
        const bool more = on_body(std::string_view(buf_).substr(0, take), last_);
        buf_.erase(0, take);
        left -= take;
        if (!more) return {};
      }
      PLEXUS_ASSIGN_OR_RETURN(const std::string end, read_line(kMaxChunkLineBytes));
      if (!end.empty()) return invalid_argument("chunk not followed by CRLF");
    }
  }

  const Socket& s_;
  std::string buf_;
  Clock::time_point last_ = Clock::now();
  bool chunked_ = false;
  std::optional<uint64_t> content_length_;
};

}  // namespace

Result<HttpResponse> http_request(const Endpoint& ep, std::string_view method, std::string_view path,
                                  std::string_view body) {
  PLEXUS_ASSIGN_OR_RETURN(Socket s, connect_to(ep));
  PLEXUS_RETURN_IF_ERROR(send_all(s, build_request(ep, method, path, body)));
  HttpResponse r;
  ResponseReader reader(s);
  Status too_big;
  PLEXUS_ASSIGN_OR_RETURN(r.status, reader.read([&](std::string_view bytes, Clock::time_point) {
    if (r.body.size() + bytes.size() > kMaxBodyBytes) {
      too_big = invalid_argument("response body exceeds 64 MiB");
      return false;
    }
    r.body.append(bytes);
    return true;
  }));
  PLEXUS_RETURN_IF_ERROR(too_big);
  return r;
}

Result<int> http_stream(const Endpoint& ep, std::string_view path, std::string_view body, Clock::time_point& sent,
                        const std::function<bool(const SseEvent&)>& on_event) {
  PLEXUS_ASSIGN_OR_RETURN(Socket s, connect_to(ep));
  sent = Clock::now();
  PLEXUS_RETURN_IF_ERROR(send_all(s, build_request(ep, "POST", path, body)));
  ResponseReader reader(s);
  std::string pending;  // bytes of the event being received
  Status failed;
  bool stopped = false;
  PLEXUS_ASSIGN_OR_RETURN(const int status, reader.read([&](std::string_view bytes, Clock::time_point at) {
    pending.append(bytes);
    // Events end with a blank line ("\n\n"; "\r\n\r\n" is normalised by dropping CRs).
    for (;;) {
      size_t end = pending.find("\n\n");
      size_t skip = 2;
      if (const size_t crlf = pending.find("\r\n\r\n"); crlf != std::string::npos && crlf < end) {
        end = crlf;
        skip = 4;
      }
      if (end == std::string::npos) break;
      SseEvent ev;
      ev.at = at;
      size_t pos = 0;
      const std::string_view block(pending.data(), end);
      while (pos <= block.size()) {
        size_t eol = block.find('\n', pos);
        if (eol == std::string_view::npos) eol = block.size();
        std::string_view line = block.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.substr(0, 5) == "data:") {
          line.remove_prefix(5);
          if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
          if (!ev.data.empty()) ev.data += '\n';
          ev.data.append(line);
        }
        pos = eol + 1;
      }
      pending.erase(0, end + skip);
      if (!ev.data.empty() && !on_event(ev)) {
        stopped = true;
        return false;
      }
    }
    if (pending.size() > kMaxEventBytes) {
      failed = invalid_argument("an SSE event exceeds 16 MiB");
      return false;
    }
    return true;
  }));
  PLEXUS_RETURN_IF_ERROR(failed);
  // A non-SSE body (an error answered as JSON) arrives as one event.
  if (!stopped && !pending.empty()) on_event(SseEvent{pending, Clock::now()});
  return status;
}

}  // namespace plexus::bench

#include "server/http_server.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "server/api_errors.h"

namespace plexus::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::string to_lower(std::string out) {
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Header values we write come from routes; a CR or LF would split the response.
std::string header_safe(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

ApiError header_too_large(size_t limit) {
  ApiError e = bad_field("", "request headers larger than the limit of " + std::to_string(limit) + " bytes");
  e.status = 431;
  e.code = "headers_too_large";
  return e;
}

class Connection;

// The ResponseChannel of one request: forwards every call to its connection's strand, tagged
// with the request's sequence number so that calls for a finished request are ignored.
// Thread-safe.
class Exchange final : public ResponseChannel {
 public:
  Exchange(std::shared_ptr<Connection> conn, uint64_t seq) : conn_(std::move(conn)), seq_(seq) {}
  void send(HttpResponse response) override;
  void begin_stream(int status, std::string content_type, header_list headers) override;
  void write(std::string data) override;
  void end_stream() override;
  void on_client_gone(std::function<void()> callback) override;
  bool client_gone() const override { return gone_.load(); }
  size_t buffered_bytes() const override;
  void post(std::function<void()> fn) override;

  std::atomic<bool> gone_{false};

 private:
  std::shared_ptr<Connection> conn_;
  uint64_t seq_;
};

struct ServerShared {
  HttpOptions options;
  route_handler dispatch;
  std::atomic<int64_t> connections{0};
  std::mutex registry_mutex;
  std::set<std::weak_ptr<Connection>, std::owner_less<std::weak_ptr<Connection>>> registry;
};

// Not thread-safe: every member function runs on the connection's strand.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<ServerShared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)), opts_(shared_->options) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  ~Connection() { release_slot(); }

  net::any_io_executor executor() { return stream_.get_executor(); }
  size_t buffered() const { return buffered_.load(); }

  void start(bool over_capacity) {
    counted_ = true;
    if (over_capacity) {
      keep_alive_ = false;
      state_ = state::handling;
      ++seq_;
      write_full(seq_, error_response(unavailable("too many open connections, retry shortly"), api_flavor::openai));
      return;
    }
    wait_next();
  }

  void close() {
    if (closed_) return;
    mark_gone();
    closed_ = true;
    state_ = state::closed;
    exchange_.reset();
    gone_cb_ = nullptr;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    release_slot();
  }

  // ---- called through Exchange (on the strand) ----
  void write_full(uint64_t seq, HttpResponse r) {
    if (!current(seq) || started_) return;
    started_ = true;
    std::string head = status_line(r.status) + "Content-Type: " + header_safe(r.content_type) + "\r\n" +
                       "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    for (const auto& [k, v] : r.headers) head += header_safe(k) + ": " + header_safe(v) + "\r\n";
    head += common_headers() + "\r\n";
    // A HEAD response carries the headers a GET would, without the body.
    enqueue(head_request_ ? std::move(head) : std::move(head) + r.body);
    finish_when_flushed_ = true;
    maybe_finish();
  }

  void begin_stream(uint64_t seq, int status, const std::string& content_type, const header_list& headers) {
    if (!current(seq) || started_) return;
    started_ = true;
    streaming_ = true;
    chunked_ = version_ >= 11;
    if (!chunked_) keep_alive_ = false;  // HTTP/1.0: the body ends when the connection closes
    std::string head = status_line(status) + "Content-Type: " + header_safe(content_type) + "\r\n" +
                       "Cache-Control: no-cache\r\n";
    if (chunked_) head += "Transfer-Encoding: chunked\r\n";
    for (const auto& [k, v] : headers) head += header_safe(k) + ": " + header_safe(v) + "\r\n";
    head += common_headers() + "\r\n";
    enqueue(std::move(head));
  }

  void write_chunk(uint64_t seq, std::string data) {
    if (!current(seq) || !streaming_ || finish_when_flushed_ || data.empty()) return;
    if (chunked_) {
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", data.size());
      enqueue(size + std::move(data) + "\r\n");
    } else {
      enqueue(std::move(data));
    }
  }

  void end_stream(uint64_t seq) {
    if (!current(seq) || !streaming_ || finish_when_flushed_) return;
    if (chunked_) enqueue("0\r\n\r\n");
    finish_when_flushed_ = true;
    maybe_finish();
  }

  void set_gone_callback(uint64_t seq, std::function<void()> cb) {
    if (seq != seq_) return;
    if (gone_) {
      cb();
      return;
    }
    // A finished response needs no callback (and must not keep its route's state alive).
    if (closed_ || state_ != state::handling || finish_when_flushed_) return;
    gone_cb_ = std::move(cb);
  }

 private:
  enum class state { idle, reading, handling, draining, closed };

  bool current(uint64_t seq) const { return !closed_ && state_ == state::handling && seq == seq_; }

  void release_slot() {
    if (counted_ && !released_) {
      released_ = true;
      shared_->connections.fetch_sub(1);
    }
  }

  std::string status_line(int status) const {
    return std::string("HTTP/1.1 ") + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  }

  std::string common_headers() const {
    std::string h = keep_alive_ ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    for (const auto& [k, v] : opts_.extra_headers) h += header_safe(k) + ": " + header_safe(v) + "\r\n";
    return h;
  }

  // Idle: the next request starts with bytes already buffered (pipelining) or the next read.
  void wait_next() {
    state_ = state::idle;
    if (buffer_.size() > 0) {
      read_request();
      return;
    }
    stream_.expires_after(opts_.idle_timeout);
    if (!reading_) raw_read();
  }

  // A plain read into buffer_: waits for the next request while idle, and watches for the
  // client going away while a request is handled.
  void raw_read() {
    reading_ = true;
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) { self->on_raw_read(ec, n); });
  }

  void on_raw_read(beast::error_code ec, size_t n) {
    reading_ = false;
    if (closed_) return;
    if (ec) {
      close();  // eof, reset or idle timeout; a running request learns through mark_gone()
      return;
    }
    buffer_.commit(n);
    if (state_ == state::draining) return drain();
    if (state_ == state::idle) read_request();
    // While handling: pipelined bytes stay buffered for the next request; reading stops here.
  }

  void read_request() {
    state_ = state::reading;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(opts_.header_limit));
    parser_->body_limit(opts_.body_limit);
    stream_.expires_after(opts_.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (closed_) return;
    if (ec) return on_read_error(ec);
    const auto& msg = parser_->get();
    // A Content-Length over body_limit already failed the header read with error::body_limit.
    auto expect = msg.find(http::field::expect);
    if (expect != msg.end() && beast::iequals(expect->value(), "100-continue") && !parser_->is_done()) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue),
                       [self = shared_from_this()](beast::error_code wec, size_t) {
                         if (self->closed_) return;
                         if (wec) return self->close();
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (closed_) return;
    if (ec) return on_read_error(ec);
    dispatch();
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return reject(error_response(payload_too_large(opts_.body_limit), api_flavor::openai));
    }
    if (ec == http::error::header_limit) {
      return reject(error_response(header_too_large(opts_.header_limit), api_flavor::openai));
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset) {
      return close();
    }
    // Anything else is a malformed request (bad method, target, header or chunk encoding).
    reject(error_response(bad_field("", "malformed HTTP request: " + ec.message()), api_flavor::openai));
  }

  // An error answered by the HTTP layer itself; the connection closes after it (the rest of the
  // request is not read).
  void reject(HttpResponse r) {
    keep_alive_ = false;
    head_request_ = false;
    state_ = state::handling;
    ++seq_;
    started_ = false;
    finish_when_flushed_ = false;
    write_full(seq_, std::move(r));
  }

  void dispatch() {
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    const std::string target(msg.target());
    const size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    for (const auto& field : msg) {
      req.headers.emplace_back(to_lower(std::string(field.name_string())), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    req.remote = remote_;
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    head_request_ = msg.method() == http::verb::head;
    parser_.reset();

    state_ = state::handling;
    ++seq_;
    started_ = streaming_ = chunked_ = finish_when_flushed_ = gone_ = false;
    gone_cb_ = nullptr;
    stream_.expires_never();
    exchange_ = std::make_shared<Exchange>(shared_from_this(), seq_);
    if (buffer_.size() == 0 && !reading_) raw_read();
    auto exchange = exchange_;
    try {
      shared_->dispatch(req, exchange);
    } catch (const std::exception& e) {
      write_full(seq_, error_response(internal(std::string("unhandled error: ") + e.what()), api_flavor::openai));
    }
  }

  void enqueue(std::string data) {
    buffered_ += data.size();
    writes_.push_back(std::move(data));
    if (buffered_.load() > opts_.max_buffered_bytes) {
      close();  // the client reads slower than we produce; mark_gone() cancels the work
      return;
    }
    if (!writing_) do_write();
  }

  void do_write() {
    writing_ = true;
    stream_.expires_after(opts_.write_timeout);
    net::async_write(stream_, net::buffer(writes_.front()),
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (closed_) return;
    if (ec) return close();
    buffered_ -= writes_.front().size();
    writes_.pop_front();
    if (!writes_.empty()) return do_write();
    if (state_ == state::handling && !finish_when_flushed_) stream_.expires_never();  // waiting on the route
    maybe_finish();
  }

  void maybe_finish() {
    if (closed_ || state_ != state::handling || !finish_when_flushed_ || writing_ || !writes_.empty()) return;
    exchange_.reset();
    gone_cb_ = nullptr;
    if (!keep_alive_) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      // Keep reading briefly so the client sees our response rather than a reset.
      state_ = state::draining;
      stream_.expires_after(std::chrono::seconds(2));
      if (!reading_) drain();
      return;
    }
    wait_next();
  }

  // After a Connection: close response: discard input until the client closes (or 2 s pass).
  void drain() {
    buffer_.consume(buffer_.size());
    raw_read();
  }

  void mark_gone() {
    if (state_ != state::handling || gone_ || (finish_when_flushed_ && writes_.empty())) return;
    gone_ = true;
    if (exchange_) exchange_->gone_.store(true);
    if (gone_cb_) {
      auto cb = std::move(gone_cb_);
      gone_cb_ = nullptr;
      cb();
    }
  }

  friend class Exchange;

  beast::tcp_stream stream_;
  std::shared_ptr<ServerShared> shared_;
  const HttpOptions& opts_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  state state_ = state::idle;
  uint64_t seq_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_request_ = false;
  bool started_ = false;
  bool streaming_ = false;
  bool chunked_ = false;
  bool finish_when_flushed_ = false;
  bool gone_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool closed_ = false;
  bool counted_ = false;
  bool released_ = false;
  std::deque<std::string> writes_;
  std::atomic<size_t> buffered_{0};
  std::function<void()> gone_cb_;
  std::shared_ptr<Exchange> exchange_;
};

void Exchange::send(HttpResponse response) {
  net::post(conn_->executor(), [c = conn_, s = seq_, r = std::move(response)]() mutable { c->write_full(s, std::move(r)); });
}

void Exchange::begin_stream(int status, std::string content_type, header_list headers) {
  net::post(conn_->executor(), [c = conn_, s = seq_, status, ct = std::move(content_type), h = std::move(headers)] {
    c->begin_stream(s, status, ct, h);
  });
}

void Exchange::write(std::string data) {
  net::post(conn_->executor(), [c = conn_, s = seq_, d = std::move(data)]() mutable { c->write_chunk(s, std::move(d)); });
}

void Exchange::end_stream() {
  net::post(conn_->executor(), [c = conn_, s = seq_] { c->end_stream(s); });
}

void Exchange::on_client_gone(std::function<void()> callback) {
  net::post(conn_->executor(), [c = conn_, s = seq_, cb = std::move(callback)]() mutable {
    c->set_gone_callback(s, std::move(cb));
  });
}

size_t Exchange::buffered_bytes() const { return conn_->buffered(); }

void Exchange::post(std::function<void()> fn) { net::post(conn_->executor(), std::move(fn)); }

}  // namespace

std::string_view HttpRequest::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return {};
}

struct HttpServer::impl {
  std::shared_ptr<ServerShared> shared = std::make_shared<ServerShared>();
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  net::signal_set signals{ioc};
  std::vector<std::thread> threads;
  uint16_t port = 0;
  std::mutex stop_mutex;
  std::condition_variable stopped_cv;
  bool stopped = false;
  bool started = false;

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        const int64_t open = shared->connections.fetch_add(1) + 1;
        auto conn = std::make_shared<Connection>(std::move(socket), shared);
        {
          std::lock_guard lock(shared->registry_mutex);
          // Forget connections that are gone, so the registry stays as small as the live set.
          for (auto it = shared->registry.begin(); it != shared->registry.end();) {
            it = it->expired() ? shared->registry.erase(it) : std::next(it);
          }
          shared->registry.insert(conn);
        }
        const bool over = open > shared->options.max_connections;
        net::dispatch(conn->executor(), [conn, over] { conn->start(over); });
      }
      accept();
    });
  }
};

HttpServer::HttpServer(HttpOptions options, route_handler dispatch) : impl_(std::make_unique<impl>()) {
  impl_->shared->options = std::move(options);
  impl_->shared->dispatch = std::move(dispatch);
}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  const HttpOptions& o = impl_->shared->options;
  beast::error_code ec;
  auto address = net::ip::make_address(o.host, ec);
  if (ec) return invalid_argument("--host '" + o.host + "' is not an IP address: " + ec.message());
  tcp::endpoint endpoint(address, o.port);
  auto& acc = impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return io_error("cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + ec.message());
  impl_->port = acc.local_endpoint().port();
  impl_->signals.add(SIGINT, ec);
  impl_->signals.add(SIGTERM, ec);
  impl_->signals.async_wait([this](beast::error_code sec, int) {
    if (sec) return;
    std::lock_guard lock(impl_->stop_mutex);
    impl_->stopped = true;
    impl_->stopped_cv.notify_all();
  });
  impl_->accept();
  const int n = std::max(1, o.io_threads);
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->started = true;
  return {};
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::wait() {
  std::unique_lock lock(impl_->stop_mutex);
  impl_->stopped_cv.wait(lock, [this] { return impl_->stopped; });
}

void HttpServer::stop() {
  {
    std::lock_guard lock(impl_->stop_mutex);
    impl_->stopped = true;
    impl_->stopped_cv.notify_all();
  }
  if (!impl_->started) return;
  impl_->started = false;
  net::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->signals.cancel(ec);
  });
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(impl_->shared->registry_mutex);
    for (const auto& w : impl_->shared->registry) {
      if (auto c = w.lock()) live.push_back(std::move(c));
    }
    impl_->shared->registry.clear();
  }
  for (auto& c : live) net::post(c->executor(), [c] { c->close(); });
  live.clear();
  // Let the closes run, then stop whatever is still pending (in-flight generation posts).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

int64_t HttpServer::open_connections() const { return impl_->shared->connections.load(); }

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

}  // namespace plexus::server

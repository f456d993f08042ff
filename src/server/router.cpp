#include "server/router.h"

#include <atomic>
#include <cctype>

namespace plexus::server {
namespace {

// Wraps a route's channel: counts the response status once and adds the CORS headers.
// Thread-safe: forwards to the wrapped channel; the status is recorded under an atomic flag.
class CountingChannel final : public ResponseChannel {
 public:
  CountingChannel(std::shared_ptr<ResponseChannel> inner, std::shared_ptr<ServerMetrics> metrics, std::string route,
                  header_list extra)
      : inner_(std::move(inner)), metrics_(std::move(metrics)), route_(std::move(route)), extra_(std::move(extra)) {}

  void send(HttpResponse response) override {
    count(response.status);
    response.headers.insert(response.headers.end(), extra_.begin(), extra_.end());
    inner_->send(std::move(response));
  }
  void begin_stream(int status, std::string content_type, header_list headers) override {
    count(status);
    headers.insert(headers.end(), extra_.begin(), extra_.end());
    inner_->begin_stream(status, std::move(content_type), std::move(headers));
  }
  void write(std::string data) override { inner_->write(std::move(data)); }
  void end_stream() override { inner_->end_stream(); }
  void on_client_gone(std::function<void()> callback) override { inner_->on_client_gone(std::move(callback)); }
  bool client_gone() const override { return inner_->client_gone(); }
  size_t buffered_bytes() const override { return inner_->buffered_bytes(); }
  void post(std::function<void()> fn) override { inner_->post(std::move(fn)); }

 private:
  void count(int status) {
    if (!counted_.exchange(true) && metrics_) metrics_->count_request(route_, status);
  }

  std::shared_ptr<ResponseChannel> inner_;
  std::shared_ptr<ServerMetrics> metrics_;
  std::string route_;
  header_list extra_;
  std::atomic<bool> counted_{false};
};

}  // namespace

Router::Router(RouterOptions options, std::shared_ptr<ServerMetrics> metrics)
    : options_(std::move(options)), metrics_(std::move(metrics)) {}

void Router::add(const std::string& method, const std::string& path, api_flavor flavor, route_handler handler,
                 bool public_route) {
  Route& r = routes_[path];
  r.flavor = flavor;
  r.public_route = r.public_route || public_route;
  r.by_method[method] = std::move(handler);
}

bool Router::key_matches(std::string_view authorization, const std::vector<std::string>& keys) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() < kBearer.size()) return false;
  // The scheme is case-insensitive (RFC 9110).
  for (size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != std::tolower(static_cast<unsigned char>(kBearer[i]))) {
      return false;
    }
  }
  const std::string_view given = authorization.substr(kBearer.size());
  bool match = false;
  for (const auto& key : keys) {
    // Constant time in the key's content: every byte of equal-length keys is compared.
    if (key.size() != given.size()) continue;
    unsigned char diff = 0;
    for (size_t i = 0; i < key.size(); ++i) diff |= static_cast<unsigned char>(key[i] ^ given[i]);
    match |= diff == 0;
  }
  return match;
}

void Router::dispatch(const HttpRequest& request, std::shared_ptr<ResponseChannel> channel) const {
  header_list cors;
  if (!options_.cors_origin.empty()) {
    cors.emplace_back("Access-Control-Allow-Origin", options_.cors_origin);
    if (options_.cors_origin != "*") cors.emplace_back("Vary", "Origin");
  }
  auto it = routes_.find(request.path);
  const std::string route_label = it == routes_.end() ? "other" : it->first;
  auto out = std::make_shared<CountingChannel>(std::move(channel), metrics_, route_label, cors);
  const api_flavor flavor = it == routes_.end() ? api_flavor::openai : it->second.flavor;

  if (request.method == "OPTIONS" && !options_.cors_origin.empty()) {
    HttpResponse r;
    r.status = 204;
    r.content_type = "text/plain";
    r.headers = {{"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
                 {"Access-Control-Allow-Headers", "Authorization, Content-Type"},
                 {"Access-Control-Max-Age", "600"}};
    out->send(std::move(r));
    return;
  }
  const bool is_public = it != routes_.end() && it->second.public_route;
  if (!options_.api_keys.empty() && !is_public) {
    std::string_view auth = request.header("authorization");
    std::string from_x_api_key;
    if (auth.empty() && !request.header("x-api-key").empty()) {
      from_x_api_key = "Bearer " + std::string(request.header("x-api-key"));
      auth = from_x_api_key;
    }
    if (!key_matches(auth, options_.api_keys)) {
      HttpResponse r = error_response(unauthorized(), flavor);
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      out->send(std::move(r));
      return;
    }
  }
  if (it == routes_.end()) {
    out->send(error_response(route_not_found(request.method, request.path), flavor));
    return;
  }
  auto m = it->second.by_method.find(request.method);
  if (m == it->second.by_method.end()) {
    std::string allow;
    for (const auto& [method, h] : it->second.by_method) allow += (allow.empty() ? "" : ", ") + method;
    HttpResponse r = error_response(method_not_allowed(request.method, request.path), flavor);
    r.headers.emplace_back("Allow", allow);
    out->send(std::move(r));
    return;
  }
  m->second(request, out);
}

}  // namespace plexus::server

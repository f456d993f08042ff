// Routes requests to handlers by exact path and method, after the checks every route shares:
// API-key authentication (every route but the public ones), CORS preflight and headers, 404 for
// unknown paths, 405 (with Allow) for a known path with another method, and the per-route
// request counter in ServerMetrics.
// Thread-safe: routes are added before the server starts; dispatch() may then run concurrently.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server/api_errors.h"
#include "server/http_types.h"
#include "server/metrics.h"

namespace plexus::server {

struct RouterOptions {
  std::vector<std::string> api_keys;  // empty: no authentication
  std::string cors_origin;            // "": no CORS headers
};

class Router {
 public:
  Router(RouterOptions options, std::shared_ptr<ServerMetrics> metrics);

  // public_route: reachable without an API key (/health).
  void add(const std::string& method, const std::string& path, api_flavor flavor, route_handler handler,
           bool public_route = false);
  void dispatch(const HttpRequest& request, std::shared_ptr<ResponseChannel> channel) const;

  // True when `header` ("Bearer K") carries one of the keys (compared in constant time).
  static bool key_matches(std::string_view authorization, const std::vector<std::string>& keys);

 private:
  struct Route {
    api_flavor flavor = api_flavor::openai;
    bool public_route = false;
    std::map<std::string, route_handler> by_method;
  };
  RouterOptions options_;
  std::shared_ptr<ServerMetrics> metrics_;
  std::map<std::string, Route> routes_;
};

}  // namespace plexus::server

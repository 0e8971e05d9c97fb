// server/http_router.h: routes of the HTTP endpoint by method and path pattern, with path
// variables and query parameters percent-decoded for the handlers.
//
// A pattern is a path whose segments are literal or a variable: "{name}" matches one non-empty
// segment, "{name}:stop" one that ends with the literal ":stop" (the part before it is the
// variable). Routes are tried in the order they were added; the first whose pattern and method
// match answers. Answers of the router itself (JSON errors, http_json.h): 404 when no pattern
// matches the path, 405 (with an Allow header) when patterns match but none for the method, 400
// for a path variable or query that is not valid percent-encoding or names a query parameter
// twice. Thread-safety: Add before serving; Handle is const and thread-safe when the handlers
// are.
#ifndef NASQ_SERVER_HTTP_ROUTER_H_
#define NASQ_SERVER_HTTP_ROUTER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/http_server.h"

namespace nasq {

// A request as a route's handler sees it.
struct RouteRequest {
  const HttpRequest& http;
  std::map<std::string, std::string> path;   // variable -> decoded segment
  std::map<std::string, std::string> query;  // decoded name -> decoded value
};

using RouteHandler = std::function<HttpResponse(const RouteRequest& request)>;

// `text` with %XX escapes decoded (and '+' as a space when `plus_is_space`, as in queries).
// INVALID_ARGUMENT for a '%' not followed by two hex digits.
absl::StatusOr<std::string> PercentDecode(absl::string_view text, bool plus_is_space = false);

class HttpRouter {
 public:
  // Adds a route for `method` ("GET", "POST", "DELETE") and `pattern` (see above).
  void Add(std::string method, std::string pattern, RouteHandler handler);
  // The answer of the first matching route, or the router's own error (see above).
  HttpResponse Handle(const HttpRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // the pattern's
    RouteHandler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace nasq

#endif  // NASQ_SERVER_HTTP_ROUTER_H_

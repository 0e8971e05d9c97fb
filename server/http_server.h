// server/http_server.h: a minimal HTTP/1.1 server (Boost.Beast) for /healthz, /metrics and the
// dashboard (docs/dashboard.md).
//
// Every request is answered by the handler and the connection is closed. Before the handler,
// in this order: with HttpSecurity::auth each request's bearer token is checked (route
// "METHOD /path" in auth_role.h): 401 for a missing, unknown or expired token, 403 for a role too
// low; a method other than GET, POST or DELETE gets 405; a POST or DELETE whose Content-Type is
// not application/json gets 415 (so a page on another origin cannot send one without a CORS
// preflight). These refusals are JSON errors (http_json.h). With HttpSecurity::tls it serves
// HTTPS only. Runs on the given io_context's thread; the handler runs inline on it. Connections
// are accepted by a TcpListener, which keeps retrying while accept fails (e.g. out of file
// descriptors). Thread-safety: Start/Stop from the owning thread; health() from any thread.
#ifndef NASQ_SERVER_HTTP_SERVER_H_
#define NASQ_SERVER_HTTP_SERVER_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/auth_authorizer.h"
#include "server/tcp_listener.h"

namespace nasq {

// What the handler sees of a request.
struct HttpRequest {
  std::string method;        // "GET", "POST", "DELETE"
  std::string target;        // "/api/v1/studies/demo/trials?limit=5": path and query, as sent
  std::string content_type;  // the Content-Type header; "" when absent
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Further headers (name, value), e.g. Cache-Control.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpSecurity {
  std::shared_ptr<boost::asio::ssl::context> tls;  // null (default): plain HTTP
  std::shared_ptr<Authorizer> auth;                // null (default): no token check
};

class HttpServer {
 public:
  // Runs on the io_context's thread, for requests that passed the checks above.
  using Handler = std::function<HttpResponse(const HttpRequest& request)>;

  // Listens on `address` ("host:port", port 0 picks one). INVALID_ARGUMENT for a malformed
  // address, UNAVAILABLE when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(boost::asio::io_context& io,
                                                           const std::string& address,
                                                           Handler handler,
                                                           HttpSecurity security = {});
  // The bound port.
  int port() const { return listener_->port(); }
  // The listener's health (TcpListener::health).
  absl::Status health() const { return listener_->health(); }
  // Stops accepting (open connections finish).
  void Stop() { listener_->Stop(); }

 private:
  HttpServer(Handler handler, HttpSecurity security);
  // Serves one accepted connection (over TLS when security_.tls is set).
  void StartSession(boost::asio::ip::tcp::socket socket);

  const Handler handler_;
  const HttpSecurity security_;
  std::unique_ptr<TcpListener> listener_;
};

}  // namespace nasq

#endif  // NASQ_SERVER_HTTP_SERVER_H_

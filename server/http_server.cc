#include "server/http_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>


namespace nasq {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

// One connection: read a request, answer it, close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServer::Handler& handler)
      : stream_(std::move(socket)), handler_(handler) {}

  void Run() {
    stream_.expires_after(std::chrono::seconds(10));
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code error, size_t) {
                       if (!error) self->Respond();
                     });
  }

 private:
  void Respond() {
    HttpResponse answer = handler_(std::string(request_.target()));
    response_.version(request_.version());
    response_.result(static_cast<http::status>(answer.status));
    response_.set(http::field::content_type, answer.content_type);
    response_.keep_alive(false);
    response_.body() = std::move(answer.body);
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, size_t) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                      });
  }

  beast::tcp_stream stream_;
  const HttpServer::Handler& handler_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(boost::asio::io_context& io,
                                                              const std::string& address,
                                                              Handler handler) {
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(handler)));
  const Handler* serve = &server->handler_;
  auto listener = TcpListener::Start(io, address, "HTTP", [serve](tcp::socket socket) {
    std::make_shared<Session>(std::move(socket), *serve)->Run();
  });
  if (!listener.ok()) return listener.status();
  server->listener_ = *std::move(listener);
  return server;
}

}  // namespace nasq

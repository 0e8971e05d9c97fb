#include "server/http_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/str_cat.h"

namespace nasq {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection: (TLS handshake,) read a request, answer it, close. `Stream` is
// beast::tcp_stream or TlsStream.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <typename... StreamArgs>
  Session(const HttpServer::Handler& handler, Authorizer* auth, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...), handler_(handler), auth_(auth) {}

  void Run() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
    if constexpr (kTls) {
      stream_.async_handshake(boost::asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code error) {
                                if (!error) self->Read();
                              });
    } else {
      Read();
    }
  }

 private:
  void Read() {
    http::async_read(stream_, buffer_, request_,
                     [self = this->shared_from_this()](beast::error_code error, size_t) {
                       if (!error) self->Respond();
                     });
  }

  // The handler's answer, or 401/403 when the token does not allow the route.
  HttpResponse Answer() {
    const std::string target(request_.target());
    if (auth_ != nullptr) {
      const std::string route = absl::StrCat(std::string(request_.method_string()), " ",
                                             target.substr(0, target.find('?')));
      const auto authorization = request_[http::field::authorization];
      const absl::Status allowed =
          auth_->Check(absl::string_view(authorization.data(), authorization.size()), route);
      if (absl::IsUnauthenticated(allowed)) return HttpResponse{401, kPlain, "unauthenticated\n"};
      if (!allowed.ok()) return HttpResponse{403, kPlain, "forbidden\n"};
    }
    return handler_(target);
  }

  void Respond() {
    HttpResponse answer = Answer();
    response_.version(request_.version());
    response_.result(static_cast<http::status>(answer.status));
    response_.set(http::field::content_type, answer.content_type);
    if (answer.status == 401) response_.set(http::field::www_authenticate, "Bearer");
    response_.keep_alive(false);
    response_.body() = std::move(answer.body);
    response_.prepare_payload();
    http::async_write(
        stream_, response_,
        [self = this->shared_from_this()](beast::error_code, size_t) { self->Close(); });
  }

  void Close() {
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  static constexpr char kPlain[] = "text/plain; charset=utf-8";

  Stream stream_;
  const HttpServer::Handler& handler_;
  Authorizer* const auth_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

}  // namespace

HttpServer::HttpServer(Handler handler, HttpSecurity security)
    : handler_(std::move(handler)), security_(std::move(security)) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(boost::asio::io_context& io,
                                                              const std::string& address,
                                                              Handler handler,
                                                              HttpSecurity security) {
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(handler), std::move(security)));
  HttpServer* self = server.get();
  auto listener = TcpListener::Start(
      io, address, "HTTP", [self](tcp::socket socket) { self->StartSession(std::move(socket)); });
  if (!listener.ok()) return listener.status();
  server->listener_ = *std::move(listener);
  return server;
}

void HttpServer::StartSession(tcp::socket socket) {
  if (security_.tls) {
    std::make_shared<Session<TlsStream>>(handler_, security_.auth.get(), std::move(socket),
                                         *security_.tls)
        ->Run();
  } else {
    std::make_shared<Session<beast::tcp_stream>>(handler_, security_.auth.get(), std::move(socket))
        ->Run();
  }
}

}  // namespace nasq

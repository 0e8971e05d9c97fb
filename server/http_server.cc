#include "server/http_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/http_json.h"

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

  // The handler's answer, or the refusal of the checks in http_server.h.
  HttpResponse Answer() {
    HttpRequest request;
    request.method = std::string(request_.method_string());
    request.target = std::string(request_.target());
    if (auth_ != nullptr) {
      const std::string route =
          absl::StrCat(request.method, " ", request.target.substr(0, request.target.find('?')));
      const auto authorization = request_[http::field::authorization];
      const absl::Status allowed =
          auth_->Check(absl::string_view(authorization.data(), authorization.size()), route);
      if (absl::IsUnauthenticated(allowed)) {
        HttpResponse refused =
            JsonError(401, "unauthenticated: send Authorization: Bearer <token>");
        refused.headers.emplace_back("WWW-Authenticate", "Bearer");
        return refused;
      }
      if (!allowed.ok()) return JsonError(403, allowed.message());
    }
    const http::verb method = request_.method();
    if (method != http::verb::get && method != http::verb::post && method != http::verb::delete_) {
      return JsonError(
          405, absl::StrCat("method ", request.method, " is not allowed (GET, POST or DELETE)"));
    }
    const auto content_type = request_[http::field::content_type];
    request.content_type = std::string(content_type.data(), content_type.size());
    if (method != http::verb::get && !IsJson(request.content_type)) {
      return JsonError(415,
                       absl::StrCat(request.method, " needs Content-Type: application/json (got '",
                                    request.content_type, "')"));
    }
    request.body = std::move(request_.body());
    return handler_(request);
  }

  // Whether the Content-Type value names application/json (parameters such as charset allowed).
  static bool IsJson(absl::string_view content_type) {
    const absl::string_view media =
        absl::StripAsciiWhitespace(content_type.substr(0, content_type.find(';')));
    return absl::EqualsIgnoreCase(media, "application/json");
  }

  void Respond() {
    HttpResponse answer = Answer();
    response_.version(request_.version());
    response_.result(static_cast<http::status>(answer.status));
    response_.set(http::field::content_type, answer.content_type);
    for (const auto& [name, value] : answer.headers) response_.set(name, value);
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

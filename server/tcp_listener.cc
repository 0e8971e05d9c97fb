// server/tcp_listener.cc: see tcp_listener.h.
#include "server/tcp_listener.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace nasq {
namespace {

using boost::asio::ip::tcp;

// Parses "host:port" or "[v6]:port" and resolves host to its first address.
absl::StatusOr<tcp::endpoint> ResolveAddress(boost::asio::io_context& io,
                                             const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("address '", address, "' is not host:port"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code error;
  const boost::asio::ip::address ip = boost::asio::ip::make_address(host, error);
  if (!error) return tcp::endpoint(ip, static_cast<unsigned short>(port));
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, std::to_string(port), error);
  if (error || results.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address '", address, "': cannot resolve host: ", error ? error.message() : "no address"));
  }
  return results.begin()->endpoint();
}

// Errors about one connection that went away before it was accepted: accept the next at once.
bool IsConnectionError(const boost::system::error_code& error) {
  return error == boost::asio::error::connection_aborted ||
         error == boost::asio::error::interrupted || error == boost::asio::error::would_block ||
         error == boost::asio::error::try_again;
}

}  // namespace

TcpListener::TcpListener(boost::asio::io_context& io, std::string name, OnAccept on_accept,
                         TcpListenerOptions options)
    : name_(std::move(name)),
      on_accept_(std::move(on_accept)),
      options_(options),
      acceptor_(io),
      retry_timer_(io) {}

absl::StatusOr<std::unique_ptr<TcpListener>> TcpListener::Start(boost::asio::io_context& io,
                                                                const std::string& address,
                                                                std::string name,
                                                                OnAccept on_accept,
                                                                TcpListenerOptions options) {
  absl::StatusOr<tcp::endpoint> endpoint = ResolveAddress(io, address);
  if (!endpoint.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " ", endpoint.status().message()));
  }
  std::unique_ptr<TcpListener> listener(
      new TcpListener(io, std::move(name), std::move(on_accept), options));
  boost::system::error_code error;
  listener->acceptor_.open(endpoint->protocol(), error);
  // SO_REUSEADDR only lets a restarted server bind while old connections are in TIME_WAIT; unlike
  // SO_REUSEPORT it never lets two sockets listen on one address.
  if (!error) listener->acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) listener->acceptor_.bind(*endpoint, error);
  if (!error) listener->acceptor_.listen(boost::asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listener->name_, " address '",
                                               address, "': ", error.message()));
  }
  listener->Accept();
  return listener;
}

int TcpListener::port() const { return acceptor_.local_endpoint().port(); }

absl::Status TcpListener::health() const {
  MutexLock lock(&health_mu_);
  if (failure_.empty()) return absl::OkStatus();
  const auto failing_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - failing_since_)
                              .count();
  return absl::UnavailableError(absl::StrCat(name_, " listener cannot accept connections for ",
                                             failing_ms, " ms: ", failure_));
}

void TcpListener::Stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
}

void TcpListener::Accept() {
  acceptor_.async_accept([this](boost::system::error_code error, tcp::socket socket) {
    if (error == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;  // Stop
    if (IsConnectionError(error)) return Accept();
    if (error) return RetryLater(error);
    if (backoff_.count() > 0) {
      backoff_ = std::chrono::milliseconds(0);
      MutexLock lock(&health_mu_);
      failure_.clear();
      spdlog::info("{} listener accepts connections again", name_);
    }
    on_accept_(std::move(socket));
    Accept();
  });
}

void TcpListener::RetryLater(const boost::system::error_code& error) {
  {
    MutexLock lock(&health_mu_);
    if (failure_.empty()) {
      failing_since_ = std::chrono::steady_clock::now();
      spdlog::warn("{} listener cannot accept connections ({}); retrying", name_, error.message());
    }
    failure_ = error.message();
  }
  backoff_ =
      backoff_.count() == 0 ? options_.retry_initial : std::min(backoff_ * 2, options_.retry_max);
  retry_timer_.expires_after(backoff_);
  retry_timer_.async_wait([this](boost::system::error_code timer_error) {
    if (!timer_error && acceptor_.is_open()) Accept();
  });
}

}  // namespace nasq

// server/tcp_listener.h: a listening TCP socket (Boost.Asio) that hands every accepted connection
// to a callback and keeps accepting through transient failures; used for both the gRPC and the
// HTTP port.
//
// accept(2) fails while the process is out of file descriptors (EMFILE, ENFILE) or the kernel is
// out of memory (ENOBUFS, ENOMEM); the connection then waits in the kernel's backlog. Instead of
// giving up (which would leave the port dead while the process lives on), the listener retries
// after a backoff that doubles from retry_initial to retry_max (TcpListenerOptions), and health()
// reports the failure until an accept succeeds again. The socket sets SO_REUSEADDR but never
// SO_REUSEPORT, so binding an address another socket listens on fails.
//
// Thread-safety: accepting and the callback run on the io_context's thread; health() may be
// called from any thread; Start, port and Stop from the owning thread.
#ifndef NASQ_SERVER_TCP_LISTENER_H_
#define NASQ_SERVER_TCP_LISTENER_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/mutex.h"

namespace nasq {

struct TcpListenerOptions {
  // First wait before retrying a failed accept. Default 10 ms.
  std::chrono::milliseconds retry_initial{10};
  // Longest wait between retries. Default 500 ms.
  std::chrono::milliseconds retry_max{500};
};

class TcpListener {
 public:
  // Called on the io_context's thread with each accepted connection; owns it from then on.
  using OnAccept = std::function<void(boost::asio::ip::tcp::socket)>;

  // Listens on `address` ("host:port" or "[v6]:port"; port 0 picks one; a host name is
  // resolved and its first address used) and accepts on `io`. `name` ("gRPC", "HTTP") labels
  // messages. INVALID_ARGUMENT naming the address when it is malformed or does not resolve;
  // UNAVAILABLE naming it when it cannot be bound (e.g. already in use).
  static absl::StatusOr<std::unique_ptr<TcpListener>> Start(boost::asio::io_context& io,
                                                            const std::string& address,
                                                            std::string name, OnAccept on_accept,
                                                            TcpListenerOptions options = {});

  // The bound port.
  int port() const;
  // OK while accepting works; UNAVAILABLE naming the listener, the error and how long it has
  // been failing while accepts fail (until one succeeds again).
  absl::Status health() const;
  // Stops accepting; connections already handed out are unaffected. Call on the io_context's
  // thread or once it has stopped.
  void Stop();

 private:
  TcpListener(boost::asio::io_context& io, std::string name, OnAccept on_accept,
              TcpListenerOptions options);
  void Accept();
  // After a failed accept: records the failure and retries after the current backoff.
  void RetryLater(const boost::system::error_code& error);

  const std::string name_;
  const OnAccept on_accept_;
  const TcpListenerOptions options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::chrono::milliseconds backoff_{0};  // the next retry's wait; 0 while accepting works

  mutable Mutex health_mu_;
  // The last accept error while failing, else empty.
  std::string failure_ ABSL_GUARDED_BY(health_mu_);
  std::chrono::steady_clock::time_point failing_since_ ABSL_GUARDED_BY(health_mu_);
};

}  // namespace nasq

#endif  // NASQ_SERVER_TCP_LISTENER_H_

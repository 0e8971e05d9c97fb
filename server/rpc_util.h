// server/rpc_util.h: helpers shared by the gRPC adapters: timing + status mapping of a handler,
// and AIP paging.
//
// Pure helpers; thread-safe.
#ifndef NASQ_SERVER_RPC_UTIL_H_
#define NASQ_SERVER_RPC_UTIL_H_

#include <chrono>
#include <cstdint>
#include <string>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/grpc_status.h"
#include "server/in_flight_calls.h"
#include "server/rpc_metrics.h"

namespace nasq {

// Runs `handler` (returning absl::Status) as one of `calls`, records its latency under `method`
// and returns the mapped grpc::Status. Once `calls` drains (shutdown), answers UNAVAILABLE
// without running the handler.
template <typename Handler>
grpc::Status RunRpc(RpcMetrics& metrics, InFlightCalls& calls, const char* method,
                    Handler&& handler) {
  if (!calls.Enter()) return ToGrpcStatus(absl::UnavailableError("nasq-server is shutting down"));
  const auto start = std::chrono::steady_clock::now();
  absl::Status status = handler();
  calls.Exit();
  metrics.Observe(method,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                  status.code());
  return ToGrpcStatus(status);
}

// A validated page request: items [offset, offset + size).
struct PageRequest {
  int64_t offset = 0;
  int64_t size = 0;
};

// page_size 0 -> 100, capped at 1000; the token is the offset written by NextPageToken.
// INVALID_ARGUMENT for a negative page_size or a token this server did not write.
absl::StatusOr<PageRequest> ParsePage(int32_t page_size, const std::string& page_token);

// The token of the page after `page` out of `total` items; empty when there is none.
std::string NextPageToken(const PageRequest& page, int64_t total);

}  // namespace nasq

#endif  // NASQ_SERVER_RPC_UTIL_H_

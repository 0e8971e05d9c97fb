// server/rpc_util.h: helpers shared by the gRPC adapters: timing + status mapping of a handler,
// and AIP paging (pages bounded by item count and by bytes).
//
// Pure helpers; thread-safe.
#ifndef NASQ_SERVER_RPC_UTIL_H_
#define NASQ_SERVER_RPC_UTIL_H_

#include <google/protobuf/repeated_ptr_field.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

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

// The token of the page that starts at item `next` out of `total`; empty when there is none.
std::string NextPageToken(int64_t next, int64_t total);

// Largest serialized size of one List page's items, well below the gRPC message limit (16 MiB
// by default): pages are bounded by bytes as well as by count.
inline constexpr size_t kMaxPageBytes = 4 << 20;

// Fills one page: adds items[page.offset ...] to `out`, each converted with `to_proto`, until
// the page holds page.size items or the next item would take its size past `max_bytes`. A page
// always holds at least one item (when any is left), so an item larger than `max_bytes` is still
// listed, alone on its page. Returns the next page token (empty after the last item).
template <typename Item, typename Proto, typename ToProto>
std::string FillPage(const PageRequest& page, const std::vector<Item>& items,
                     google::protobuf::RepeatedPtrField<Proto>* out, const ToProto& to_proto,
                     size_t max_bytes = kMaxPageBytes) {
  const int64_t total = static_cast<int64_t>(items.size());
  int64_t next = page.offset;
  size_t bytes = 0;
  while (next < total && next - page.offset < page.size) {
    Proto proto = to_proto(items[next]);
    const size_t size = proto.ByteSizeLong();
    if (out->size() > 0 && bytes + size > max_bytes) break;
    bytes += size;
    *out->Add() = std::move(proto);
    ++next;
  }
  return NextPageToken(next, total);
}

}  // namespace nasq

#endif  // NASQ_SERVER_RPC_UTIL_H_

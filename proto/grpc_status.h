// proto/grpc_status.h: absl::Status <-> grpc::Status at the RPC edge.
//
// Codes map one to one (both follow google.rpc.Code); messages are kept, except that
// ToGrpcStatus fits them to kMaxStatusMessageBytes of UTF-8 (FitText: a message travels in an
// HTTP/2 header, whose size gRPC limits). Pure functions; thread-safe.
#ifndef NASQ_PROTO_GRPC_STATUS_H_
#define NASQ_PROTO_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <cstddef>

#include "absl/status/status.h"

namespace nasq {

inline constexpr size_t kMaxStatusMessageBytes = 4096;

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace nasq

#endif  // NASQ_PROTO_GRPC_STATUS_H_

// server/server_security.h: turns SecurityOptions into what the listeners need: gRPC server
// credentials (TLS, mutual TLS or plain text, with the token check installed), the HTTP TLS
// context, the exposure check of safe defaults, and CallerHasRole for service code.
//
// Tokens are checked by a grpc::AuthMetadataProcessor before any handler runs: gRPC 1.51 server
// interceptors cannot refuse a call, and the processor cannot be installed on insecure
// credentials, so plain text with tokens uses gRPC's local (loopback-only) credentials, which
// talk to ordinary insecure clients. Thread-safety: functions are thread-safe.
#ifndef NASQ_SERVER_SERVER_SECURITY_H_
#define NASQ_SERVER_SERVER_SECURITY_H_

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_context.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/auth_authorizer.h"
#include "server/auth_role.h"
#include "server/security_options.h"

namespace nasq {

// What the listeners need, built from SecurityOptions by SetUpSecurity.
struct ServerSecurity {
  // TLS (mutual TLS with a client CA), else local credentials with tokens, else insecure; with
  // the token check installed when `auth` is set.
  std::shared_ptr<grpc::ServerCredentials> grpc_credentials;
  // The HTTP endpoint's TLS context (same certificate and key; it does not ask for client
  // certificates, so plain probes of /healthz work); null: plain HTTP.
  std::shared_ptr<boost::asio::ssl::context> http_tls;
  // The token check; null without --auth-tokens.
  std::shared_ptr<Authorizer> auth;
};

// Checks `options` for the server listening on `grpc_address` and `http_address` (empty: no
// HTTP), reads the PEM and token files and builds the credentials. INVALID_ARGUMENT naming the
// flag for: a cert without its key (or the reverse); a client CA without TLS; a non-loopback
// address without tokens or client certificates unless options.insecure; tokens on a
// non-loopback address without TLS (they would cross the network in clear text); a PEM file
// OpenSSL cannot use. Errors of reading the files (NOT_FOUND, ...) and of Authorizer::Open.
// Logs how the server is secured, with a warning for each address --insecure exposes. `clock`
// must outlive the result.
absl::StatusOr<ServerSecurity> SetUpSecurity(const SecurityOptions& options,
                                             const std::string& grpc_address,
                                             const std::string& http_address, const Clock* clock);

// For service code: whether the caller of `context` holds `role` (or a higher one). With `auth`
// null (no token authentication) every caller holds every role.
bool CallerHasRole(Authorizer* auth, const grpc::ServerContext& context, Role role);

}  // namespace nasq

#endif  // NASQ_SERVER_SERVER_SECURITY_H_

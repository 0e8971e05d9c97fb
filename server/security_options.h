// server/security_options.h: SecurityOptions, the TLS and authentication knobs of nasq-server
// (docs/security.md), each with its default.
//
// Plain value type; no synchronisation.
#ifndef NASQ_SERVER_SECURITY_OPTIONS_H_
#define NASQ_SERVER_SECURITY_OPTIONS_H_

#include <string>

namespace nasq {

struct SecurityOptions {
  // PEM files of the server's certificate chain and private key (--tls-cert, --tls-key); give
  // both or neither. Set: gRPC and HTTP serve TLS only. Default: empty, plain text.
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM file of the CA(s) that sign client certificates (--tls-client-ca). Set: every gRPC
  // client must present a certificate signed by it (mutual TLS); needs tls_cert_file. Default:
  // empty, client certificates are not asked for.
  std::string tls_client_ca_file;
  // Token file (--auth-tokens; format in server/auth_token_file.h). Set: every RPC and HTTP
  // route but GET /healthz needs a token whose role allows it (server/auth_role.h). Default:
  // empty, no token authentication.
  std::string auth_tokens_file;
  // Allows serving a non-loopback address without authentication (--insecure). Default false:
  // such an address needs auth_tokens_file or tls_client_ca_file.
  bool insecure = false;
};

}  // namespace nasq

#endif  // NASQ_SERVER_SECURITY_OPTIONS_H_

#include "server/security_flags.h"

namespace nasq {

void AddSecurityFlags(CLI::App& app, SecurityOptions& options) {
  app.add_option("--tls-cert", options.tls_cert_file,
                 "PEM certificate chain: serve gRPC and HTTP over TLS (with --tls-key)");
  app.add_option("--tls-key", options.tls_key_file, "PEM private key of --tls-cert");
  app.add_option("--tls-client-ca", options.tls_client_ca_file,
                 "PEM CA bundle: gRPC clients must present a certificate it signed (mutual TLS)");
  app.add_option("--auth-tokens", options.auth_tokens_file,
                 "token file (NAME ROLE SHA256 [EXPIRES] per line; see docs/security.md): every "
                 "call but /healthz needs a token; re-read when it changes");
  app.add_flag("--insecure", options.insecure,
               "allow a non-loopback --listen/--http address without tokens or client "
               "certificates");
}

}  // namespace nasq

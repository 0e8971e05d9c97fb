#include "client/credential_flags.h"

namespace nasq {

void AddCredentialFlags(CLI::App& app, CredentialFiles& files) {
  app.add_option("--tls-ca", files.tls_ca,
                 "PEM CA that signed the server's certificate: connect over TLS "
                 "(default: $NASQ_TLS_CA)");
  app.add_option("--tls-cert", files.tls_cert,
                 "PEM client certificate for mutual TLS (default: $NASQ_TLS_CERT)");
  app.add_option("--tls-key", files.tls_key,
                 "PEM private key of --tls-cert (default: $NASQ_TLS_KEY)");
  app.add_option("--token-file", files.token_file,
                 "file holding the bearer token (default: the token $NASQ_TOKEN, else the file "
                 "$NASQ_TOKEN_FILE)");
}

}  // namespace nasq

// client/client_credentials.h: what a client presents to nasq-server: TLS trust (the CA that
// signed the server's certificate), an optional client certificate for mutual TLS, and a
// bearer token (docs/security.md); and reading them from files and environment variables.
//
// Pure value type and functions; thread-safe.
#ifndef NASQ_CLIENT_CLIENT_CREDENTIALS_H_
#define NASQ_CLIENT_CLIENT_CREDENTIALS_H_

#include <string>

#include "absl/status/statusor.h"

namespace nasq {

struct ClientCredentials {
  // PEM CA bundle that signed the server's certificate. Non-empty: connect over TLS and verify
  // the server against it. Default: empty, plain text.
  std::string tls_ca_pem;
  // PEM certificate chain and private key presented to a server that asks for client
  // certificates (mutual TLS); both or neither, and only with tls_ca_pem. Default: empty.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // Sent as "authorization: Bearer <token>" with every call. Default: empty, none.
  std::string token;
};

// Paths of the credential files, as given on a command line (empty: not given).
struct CredentialFiles {
  std::string tls_ca;      // --tls-ca, else $NASQ_TLS_CA
  std::string tls_cert;    // --tls-cert, else $NASQ_TLS_CERT
  std::string tls_key;     // --tls-key, else $NASQ_TLS_KEY
  std::string token_file;  // --token-file; else the token $NASQ_TOKEN, else $NASQ_TOKEN_FILE
};

// Fills what `files` leaves empty from the environment (see CredentialFiles) and reads the
// files, for a client of the server at `server` ("host:port"). The token is the file's first
// line without surrounding whitespace. Errors: INVALID_ARGUMENT naming the flag for a cert
// without its key (or the reverse), a client cert without --tls-ca, a token that is empty or
// not printable ASCII without spaces (the message never quotes the token), or a token without
// TLS for a server that is not on this machine (it would cross the network in clear text);
// those of reading a file (NOT_FOUND, ...), naming it.
absl::StatusOr<ClientCredentials> LoadClientCredentials(CredentialFiles files,
                                                        const std::string& server);

}  // namespace nasq

#endif  // NASQ_CLIENT_CLIENT_CREDENTIALS_H_

#include "client/client_credentials.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/net_address.h"
#include "core/status_macros.h"

namespace nasq {
namespace {

// `value` when set, else the environment variable `name` (empty when unset).
std::string OrEnv(std::string value, const char* name) {
  if (!value.empty()) return value;
  const char* env = std::getenv(name);
  return env == nullptr ? std::string() : std::string(env);
}

// The PEM file at `path` ("" when no path is given).
absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view field) {
  if (path.empty()) return std::string();
  return ReadFileToString(path, field);
}

// The token in `text` (first line, trimmed), named `field` in errors.
absl::StatusOr<std::string> ParseToken(absl::string_view text, absl::string_view field) {
  absl::string_view token = absl::StripAsciiWhitespace(text.substr(0, text.find('\n')));
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": the token is empty"));
  for (char c : token) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": the token must be printable ASCII without spaces"));
    }
  }
  return std::string(token);
}

}  // namespace

absl::StatusOr<ClientCredentials> LoadClientCredentials(CredentialFiles files,
                                                        const std::string& server) {
  files.tls_ca = OrEnv(files.tls_ca, "NASQ_TLS_CA");
  files.tls_cert = OrEnv(files.tls_cert, "NASQ_TLS_CERT");
  files.tls_key = OrEnv(files.tls_key, "NASQ_TLS_KEY");
  if (files.tls_cert.empty() != files.tls_key.empty()) {
    return absl::InvalidArgumentError(files.tls_cert.empty() ? "--tls-key: needs --tls-cert"
                                                             : "--tls-cert: needs --tls-key");
  }
  if (!files.tls_cert.empty() && files.tls_ca.empty()) {
    return absl::InvalidArgumentError("--tls-cert: needs --tls-ca (client certificates need TLS)");
  }
  ClientCredentials credentials;
  NASQ_ASSIGN_OR_RETURN(credentials.tls_ca_pem, ReadPem(files.tls_ca, "--tls-ca"));
  NASQ_ASSIGN_OR_RETURN(credentials.tls_cert_pem, ReadPem(files.tls_cert, "--tls-cert"));
  NASQ_ASSIGN_OR_RETURN(credentials.tls_key_pem, ReadPem(files.tls_key, "--tls-key"));

  if (!files.token_file.empty()) {
    NASQ_ASSIGN_OR_RETURN(std::string text, ReadFileToString(files.token_file, "--token-file"));
    NASQ_ASSIGN_OR_RETURN(credentials.token, ParseToken(text, "--token-file"));
  } else if (std::string env = OrEnv("", "NASQ_TOKEN"); !env.empty()) {
    NASQ_ASSIGN_OR_RETURN(credentials.token, ParseToken(env, "NASQ_TOKEN"));
  } else if (std::string path = OrEnv("", "NASQ_TOKEN_FILE"); !path.empty()) {
    NASQ_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, "NASQ_TOKEN_FILE"));
    NASQ_ASSIGN_OR_RETURN(credentials.token, ParseToken(text, "NASQ_TOKEN_FILE"));
  }
  if (!credentials.token.empty() && credentials.tls_ca_pem.empty() && !IsLoopbackAddress(server)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-ca: needed to send a token to ", server,
                     " (not on this machine; the token would cross the network in clear text)"));
  }
  return credentials;
}

}  // namespace nasq

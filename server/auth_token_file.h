// server/auth_token_file.h: the token file of nasq-server (--auth-tokens) and token hashing.
//
// One token per line, fields separated by spaces or tabs:
//   NAME ROLE SHA256-HEX [EXPIRES]
// NAME labels the token in logs, ROLE is reader, worker or admin (auth_role.h), SHA256-HEX is the
// lowercase hex SHA-256 of the token (the file never holds a token itself) and EXPIRES, when
// given, is an RFC 3339 time after which the token is refused (e.g. 2027-01-31T00:00:00Z).
// Blank lines and lines starting with '#' are ignored. scripts/new-token.sh writes such lines.
// Pure functions; thread-safe.
#ifndef NASQ_SERVER_AUTH_TOKEN_FILE_H_
#define NASQ_SERVER_AUTH_TOKEN_FILE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/auth_role.h"

namespace nasq {

struct TokenEntry {
  std::string name;
  Role role = Role::kReader;
  std::string sha256_hex;             // 64 lowercase hex digits
  std::optional<absl::Time> expires;  // none: never expires
};

// Parses a token file's text. INVALID_ARGUMENT naming the line ("line 3: role: ...") for a line
// that is not NAME ROLE SHA256-HEX [EXPIRES]; the message never quotes a hash.
absl::StatusOr<std::vector<TokenEntry>> ParseTokenFile(absl::string_view text);

// The lowercase hex SHA-256 digest of `data`.
std::string Sha256Hex(absl::string_view data);

}  // namespace nasq

#endif  // NASQ_SERVER_AUTH_TOKEN_FILE_H_

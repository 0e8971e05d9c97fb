#include "server/auth_token_file.h"

#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace nasq {
namespace {

bool IsSha256Hex(absl::string_view s) {
  if (s.size() != 2 * SHA256_DIGEST_LENGTH) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

absl::StatusOr<TokenEntry> ParseLine(absl::string_view line) {
  const std::vector<absl::string_view> fields =
      absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (fields.size() < 3 || fields.size() > 4) {
    return absl::InvalidArgumentError("expected NAME ROLE SHA256-HEX [EXPIRES]");
  }
  TokenEntry entry;
  entry.name = std::string(fields[0]);
  auto role = ParseRole(fields[1], "role");
  if (!role.ok()) return role.status();
  entry.role = *role;
  if (!IsSha256Hex(fields[2])) {
    return absl::InvalidArgumentError("sha256: not 64 lowercase hex digits");
  }
  entry.sha256_hex = std::string(fields[2]);
  if (fields.size() == 4) {
    absl::Time expires;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, fields[3], &expires, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("expires: '", fields[3], "' is not an RFC 3339 time"));
    }
    entry.expires = expires;
  }
  return entry;
}

}  // namespace

absl::StatusOr<std::vector<TokenEntry>> ParseTokenFile(absl::string_view text) {
  std::vector<TokenEntry> entries;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    auto entry = ParseLine(line);
    if (!entry.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": ", entry.status().message()));
    }
    entries.push_back(*std::move(entry));
  }
  return entries;
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

}  // namespace nasq

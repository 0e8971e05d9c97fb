// server/lease_token.h: the secret that a lease's holder presents with its epoch.
//
// An epoch is the trial's attempt number and easy to guess, so every lease also carries a token
// of 128 bits from the kernel's CSPRNG (getrandom(2)); StudyManager refuses a report whose token
// does not match. Thread-safe: both functions are reentrant.
#ifndef NASQ_SERVER_LEASE_TOKEN_H_
#define NASQ_SERVER_LEASE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nasq {

// A fresh token: 32 lowercase hex digits. INTERNAL when the kernel gives no random bytes.
absl::StatusOr<std::string> NewLeaseToken();

// True when `presented` equals `expected`, in time that does not depend on where they differ.
// An empty `expected` matches nothing.
bool LeaseTokenMatches(absl::string_view expected, absl::string_view presented);

}  // namespace nasq

#endif  // NASQ_SERVER_LEASE_TOKEN_H_

// server/auth_role.h: the roles of token authentication and the table that says which role each
// gRPC method and HTTP route needs.
//
// Roles are ordered: reader < worker < admin, and a higher role may do everything a lower one
// may (admin implies worker and reader; worker implies reader). Pure functions; thread-safe.
#ifndef NASQ_SERVER_AUTH_ROLE_H_
#define NASQ_SERVER_AUTH_ROLE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nasq {

enum class Role {
  kReader = 0,  // get, list, best, export, watch; GET /metrics and /api/v1/...
  kWorker = 1,  // reader + lease, heartbeat, report, complete, fail; Ask and Tell
  kAdmin = 2,   // worker + create, stop, delete studies (and forced tells); HTTP POST, DELETE
};

// "reader", "worker" or "admin".
absl::string_view RoleName(Role role);
// The role named `name`; INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<Role> ParseRole(absl::string_view name, absl::string_view field);
// Whether a caller holding `held` may do what needs `needed`.
inline bool RoleAllows(Role held, Role needed) { return held >= needed; }

// What calling `resource` needs: a gRPC method path ("/nasq.v1.StudyService/CreateStudy") or an
// HTTP route ("GET /metrics").
struct Requirement {
  // True for what stays open without a token (GET /healthz, so supervisors can probe it).
  bool open = false;
  // The least role that may call it (meaningless when open).
  Role role = Role::kAdmin;
};
// The requirement of `resource`. A gRPC method missing from the table needs admin (fail closed).
// An HTTP route missing from it ("METHOD /path", no query): every method but GET needs admin
// (POST and DELETE change studies; unknown methods fail closed); GET needs reader, except the
// dashboard's built files, which are open: "GET /" and "GET /<file.ext>" (one path segment with a
// dot, outside /api/). They are the same for every server, hold no study data, and the page must
// load before it can ask for a token (docs/dashboard.md "Auth").
Requirement RequirementOf(absl::string_view resource);
// Whether `resource` is listed in the table (tests check that every RPC of the API is).
bool IsListedResource(absl::string_view resource);

}  // namespace nasq

#endif  // NASQ_SERVER_AUTH_ROLE_H_

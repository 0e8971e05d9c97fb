#include "server/auth_role.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace nasq {
namespace {

struct Entry {
  absl::string_view resource;
  Requirement requirement;
};

constexpr Requirement Needs(Role role) { return Requirement{false, role}; }

// Every RPC of nasq.v1 and every HTTP route. docs/security.md shows this table to users.
constexpr Entry kTable[] = {
    {"/nasq.v1.StudyService/CreateStudy", Needs(Role::kAdmin)},
    {"/nasq.v1.StudyService/DeleteStudy", Needs(Role::kAdmin)},
    {"/nasq.v1.StudyService/StopStudy", Needs(Role::kAdmin)},
    {"/nasq.v1.StudyService/ResumeStudy", Needs(Role::kAdmin)},
    {"/nasq.v1.StudyService/EnqueueTrial", Needs(Role::kAdmin)},
    {"/nasq.v1.StudyService/AddTrial", Needs(Role::kAdmin)},
    {"/nasq.v1.StudyService/GetStudy", Needs(Role::kReader)},
    {"/nasq.v1.StudyService/ListStudies", Needs(Role::kReader)},
    {"/nasq.v1.StudyService/GetTrial", Needs(Role::kReader)},
    {"/nasq.v1.StudyService/ListTrials", Needs(Role::kReader)},
    {"/nasq.v1.StudyService/BestTrials", Needs(Role::kReader)},
    {"/nasq.v1.StudyService/Ask", Needs(Role::kWorker)},
    {"/nasq.v1.StudyService/Tell", Needs(Role::kWorker)},
    {"/nasq.v1.WorkerService/LeaseTrial", Needs(Role::kWorker)},
    {"/nasq.v1.WorkerService/Heartbeat", Needs(Role::kWorker)},
    {"/nasq.v1.WorkerService/ReportIntermediate", Needs(Role::kWorker)},
    {"/nasq.v1.WorkerService/CompleteTrial", Needs(Role::kWorker)},
    {"/nasq.v1.WorkerService/FailTrial", Needs(Role::kWorker)},
    {"/nasq.v1.WorkerService/ReleaseTrial", Needs(Role::kWorker)},
    {"GET /healthz", Requirement{true, Role::kReader}},
    {"GET /metrics", Needs(Role::kReader)},
    {"GET /api/v1/studies", Needs(Role::kReader)},
    {"GET /api/v1/workers", Needs(Role::kReader)},
};

constexpr std::pair<Role, absl::string_view> kRoleNames[] = {
    {Role::kReader, "reader"}, {Role::kWorker, "worker"}, {Role::kAdmin, "admin"}};

const Entry* FindEntry(absl::string_view resource) {
  for (const Entry& entry : kTable) {
    if (entry.resource == resource) return &entry;
  }
  return nullptr;
}

// Whether the GET path `path` names one of the dashboard's built files: "/" or "/<name.ext>".
bool IsDashboardFile(absl::string_view path) {
  if (path == "/") return true;
  if (!absl::ConsumePrefix(&path, "/")) return false;
  return !absl::StrContains(path, '/') && absl::StrContains(path, '.');
}

}  // namespace

absl::string_view RoleName(Role role) {
  for (const auto& [r, name] : kRoleNames) {
    if (r == role) return name;
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name, absl::string_view field) {
  for (const auto& [role, role_name] : kRoleNames) {
    if (role_name == name) return role;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": '", name, "' is not a role (reader, worker or admin)"));
}

Requirement RequirementOf(absl::string_view resource) {
  if (const Entry* entry = FindEntry(resource)) return entry->requirement;
  if (!absl::ConsumePrefix(&resource, "GET ")) return Needs(Role::kAdmin);
  if (IsDashboardFile(resource)) return Requirement{true, Role::kReader};
  return Needs(Role::kReader);
}

bool IsListedResource(absl::string_view resource) { return FindEntry(resource) != nullptr; }

}  // namespace nasq

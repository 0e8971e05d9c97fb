#include "server/auth_authorizer.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/file_util.h"

namespace nasq {
namespace {

constexpr absl::string_view kBearer = "Bearer ";

}  // namespace

absl::StatusOr<std::unique_ptr<Authorizer>> Authorizer::Open(std::string path, const Clock* clock) {
  std::unique_ptr<Authorizer> auth(new Authorizer(std::move(path), clock));
  MutexLock lock(&auth->mu_);
  absl::Status loaded = auth->LoadLocked();
  if (!loaded.ok()) return loaded;
  spdlog::info("auth: {} token(s) from {}", auth->tokens_.size(), auth->path_);
  return auth;
}

absl::Status Authorizer::LoadLocked() {
  struct stat st;
  if (stat(path_.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("--auth-tokens: cannot read '", path_, "'"));
  }
  auto text = ReadFileToString(path_, "--auth-tokens");
  if (!text.ok()) return text.status();
  auto entries = ParseTokenFile(*text);
  if (!entries.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--auth-tokens '", path_, "': ", entries.status().message()));
  }
  tokens_.clear();
  for (TokenEntry& entry : *entries) tokens_[entry.sha256_hex] = std::move(entry);
  version_ = FileVersion{st.st_ino, st.st_size, st.st_mtim};
  return absl::OkStatus();
}

void Authorizer::RefreshLocked() {
  struct stat st;
  FileVersion now;
  if (stat(path_.c_str(), &st) == 0) now = FileVersion{st.st_ino, st.st_size, st.st_mtim};
  if (now == version_) return;
  absl::Status loaded = LoadLocked();
  if (!loaded.ok()) {
    tokens_.clear();  // fail closed until the file is fixed
    version_ = now;   // log once per change
    spdlog::error("auth: every token is refused: {}", std::string(loaded.message()));
    return;
  }
  spdlog::info("auth: re-read {}: {} token(s)", path_, tokens_.size());
}

std::optional<Role> Authorizer::RoleOf(absl::string_view authorization) {
  if (!absl::ConsumePrefix(&authorization, kBearer) || authorization.empty()) return std::nullopt;
  const std::string hash = Sha256Hex(authorization);
  MutexLock lock(&mu_);
  RefreshLocked();
  auto it = tokens_.find(hash);
  if (it == tokens_.end()) return std::nullopt;
  const TokenEntry& entry = it->second;
  if (entry.expires && absl::FromUnixMicros(clock_->NowMicros()) >= *entry.expires) {
    return std::nullopt;
  }
  return entry.role;
}

absl::Status Authorizer::Check(absl::string_view authorization, absl::string_view resource) {
  const Requirement requirement = RequirementOf(resource);
  if (requirement.open) return absl::OkStatus();
  const std::optional<Role> role = RoleOf(authorization);
  if (!role) return absl::UnauthenticatedError("missing, unknown or expired token");
  if (!RoleAllows(*role, requirement.role)) {
    return absl::PermissionDeniedError("the token's role may not call this");
  }
  return absl::OkStatus();
}

bool Authorizer::HasRole(absl::string_view authorization, Role role) {
  const std::optional<Role> held = RoleOf(authorization);
  return held && RoleAllows(*held, role);
}

}  // namespace nasq

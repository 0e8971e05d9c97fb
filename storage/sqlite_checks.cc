// storage/sqlite_checks.cc: see sqlite_checks.h.
#include "storage/sqlite_checks.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "storage/sqlite_db.h"

namespace nasq {
namespace {

// How many findings a refusal lists; the rest are counted.
constexpr size_t kMaxFindings = 10;

absl::Status Refuse(const SqliteDb& db, absl::string_view what,
                    const std::vector<std::string>& findings, size_t total) {
  std::string message = absl::StrCat(db.path(), ": ", what, ": ", absl::StrJoin(findings, "; "));
  if (total > findings.size()) {
    absl::StrAppend(&message, "; and ", total - findings.size(), " more");
  }
  absl::StrAppend(&message,
                  "; refusing to serve it (restore a backup, or repair the file with the sqlite3 "
                  "tool)");
  return absl::DataLossError(message);
}

}  // namespace

absl::Status CheckSqliteIntegrity(SqliteDb& db, IntegrityCheck check) {
  const std::string pragma =
      check == IntegrityCheck::kFull ? "PRAGMA integrity_check" : "PRAGMA quick_check";
  const std::string what = absl::StrCat("the database fails ", pragma);
  NASQ_ASSIGN_OR_RETURN(SqliteStatement rows, db.Prepare(pragma));
  std::vector<std::string> findings;
  size_t total = 0;
  while (true) {
    absl::StatusOr<bool> has_row = rows.Step();
    if (!has_row.ok()) {
      if (absl::IsFailedPrecondition(has_row.status())) return has_row.status();  // not SQLite
      // e.g. SQLITE_CORRUPT on a page the check could not even read
      findings.push_back(std::string(has_row.status().message()));
      return Refuse(db, what, findings, findings.size());
    }
    if (!*has_row) break;
    std::string finding = rows.Text(0);
    if (finding == "ok") return absl::OkStatus();
    if (++total <= kMaxFindings) findings.push_back(std::move(finding));
  }
  return Refuse(db, what, findings, total);
}

absl::Status CheckNasqRows(SqliteDb& db) {
  std::vector<std::string> findings;
  size_t total = 0;
  auto add = [&](std::string finding) {
    if (++total <= kMaxFindings) findings.push_back(std::move(finding));
  };
  {
    NASQ_ASSIGN_OR_RETURN(
        SqliteStatement rows,
        db.Prepare("SELECT s.name, t.number FROM trials t JOIN studies s ON s.study_id = "
                   "t.study_id LEFT JOIN leases l ON l.trial_id = t.trial_id WHERE t.state = "
                   "'RUNNING' AND l.trial_id IS NULL ORDER BY s.study_id, t.number"));
    while (true) {
      NASQ_ASSIGN_OR_RETURN(bool has_row, rows.Step());
      if (!has_row) break;
      add(absl::StrCat("study '", rows.Text(0), "' trial ", rows.Int(1),
                       ": RUNNING without a lease row (it could never expire)"));
    }
  }
  {
    // Numbers are unique per study (an index), so they are 0..N-1 exactly when the smallest is
    // 0 and the largest N-1. Then the first missing number follows a number that exists.
    NASQ_ASSIGN_OR_RETURN(
        SqliteStatement rows,
        db.Prepare("SELECT s.name, COUNT(*), MIN(t.number), MAX(t.number), "
                   "(SELECT MIN(u.number + 1) FROM trials u WHERE u.study_id = s.study_id AND "
                   "NOT EXISTS (SELECT 1 FROM trials v WHERE v.study_id = s.study_id AND "
                   "v.number = u.number + 1)) FROM trials t JOIN studies s ON s.study_id = "
                   "t.study_id GROUP BY s.study_id HAVING MIN(t.number) != 0 OR MAX(t.number) != "
                   "COUNT(*) - 1 ORDER BY s.study_id"));
    while (true) {
      NASQ_ASSIGN_OR_RETURN(bool has_row, rows.Step());
      if (!has_row) break;
      const std::string wrong = rows.Int(2) != 0
                                    ? absl::StrCat("the first trial number is ", rows.Int(2))
                                    : absl::StrCat("trial number ", rows.Int(4), " is missing");
      add(absl::StrCat("study '", rows.Text(0), "': ", wrong, " (", rows.Int(1),
                       " trials numbered ", rows.Int(2), "..", rows.Int(3), "; numbers must be 0..",
                       rows.Int(1) - 1, ")"));
    }
  }
  if (total == 0) return absl::OkStatus();
  return Refuse(db, "inconsistent rows", findings, total);
}

}  // namespace nasq

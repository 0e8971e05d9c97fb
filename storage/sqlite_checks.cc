// storage/sqlite_checks.cc: see sqlite_checks.h.
#include "storage/sqlite_checks.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "storage/row_checks.h"
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
  RowFindings findings;
  {
    NASQ_ASSIGN_OR_RETURN(SqliteStatement rows, db.Prepare(kUnleasedRunningTrialsSql));
    while (true) {
      NASQ_ASSIGN_OR_RETURN(bool has_row, rows.Step());
      if (!has_row) break;
      findings.AddUnleasedRunningTrial(rows.Text(0), rows.Int(1));
    }
  }
  {
    NASQ_ASSIGN_OR_RETURN(SqliteStatement rows, db.Prepare(kTrialNumberGapsSql));
    while (true) {
      NASQ_ASSIGN_OR_RETURN(bool has_row, rows.Step());
      if (!has_row) break;
      findings.AddTrialNumberGap(rows.Text(0), rows.Int(1), rows.Int(2), rows.Int(3), rows.Int(4));
    }
  }
  return findings.Verdict(db.path(), "restore a backup, or repair the file with the sqlite3 tool");
}

}  // namespace nasq

// storage/postgres_checks.cc: see postgres_checks.h.
#include "storage/postgres_checks.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "storage/postgres_db.h"

namespace nasq {

absl::Status CheckPostgresNasqRows(PgConnection& db, const std::string& name) {
  constexpr size_t kMaxFindings = 10;  // listed; the rest are counted
  std::vector<std::string> findings;
  size_t total = 0;
  auto add = [&](std::string finding) {
    if (++total <= kMaxFindings) findings.push_back(std::move(finding));
  };
  NASQ_ASSIGN_OR_RETURN(
      PgResult unleased,
      db.Query("SELECT s.name, t.number FROM trials t JOIN studies s ON s.study_id = t.study_id "
               "LEFT JOIN leases l ON l.trial_id = t.trial_id WHERE t.state = 'RUNNING' AND "
               "l.trial_id IS NULL ORDER BY s.study_id, t.number"));
  for (int row = 0; row < unleased.rows(); ++row) {
    add(absl::StrCat("study '", unleased.Text(row, 0), "' trial ", unleased.Text(row, 1),
                     ": RUNNING without a lease row (it could never expire)"));
  }
  // Numbers are unique per study (an index), so they are 0..N-1 exactly when the smallest is 0
  // and the largest N-1. Then the first missing number follows a number that exists.
  NASQ_ASSIGN_OR_RETURN(
      PgResult gaps,
      db.Query("SELECT s.name, COUNT(*), MIN(t.number), MAX(t.number), "
               "(SELECT MIN(u.number + 1) FROM trials u WHERE u.study_id = s.study_id AND "
               "NOT EXISTS (SELECT 1 FROM trials v WHERE v.study_id = s.study_id AND "
               "v.number = u.number + 1)) FROM trials t JOIN studies s ON s.study_id = "
               "t.study_id GROUP BY s.study_id HAVING MIN(t.number) != 0 OR MAX(t.number) != "
               "COUNT(*) - 1 ORDER BY s.study_id"));
  for (int row = 0; row < gaps.rows(); ++row) {
    NASQ_ASSIGN_OR_RETURN(int64_t count, gaps.Int(row, 1));
    const std::string first = gaps.Text(row, 2);
    const std::string wrong = first != "0"
                                  ? absl::StrCat("the first trial number is ", first)
                                  : absl::StrCat("trial number ", gaps.Text(row, 4), " is missing");
    add(absl::StrCat("study '", gaps.Text(row, 0), "': ", wrong, " (", count, " trials numbered ",
                     first, "..", gaps.Text(row, 3), "; numbers must be 0..", count - 1, ")"));
  }
  if (total == 0) return absl::OkStatus();
  std::string message = absl::StrCat(name, ": inconsistent rows: ", absl::StrJoin(findings, "; "));
  if (total > findings.size())
    absl::StrAppend(&message, "; and ", total - findings.size(), " more");
  absl::StrAppend(&message,
                  "; refusing to serve it (restore a backup, or repair the rows with psql)");
  return absl::DataLossError(message);
}

}  // namespace nasq

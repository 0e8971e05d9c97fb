// storage/postgres_checks.cc: see postgres_checks.h.
#include "storage/postgres_checks.h"

#include <cstdint>

#include "core/status_macros.h"
#include "storage/postgres_db.h"
#include "storage/row_checks.h"

namespace nasq {

absl::Status CheckPostgresNasqRows(PgConnection& db, const std::string& name) {
  RowFindings findings;
  NASQ_ASSIGN_OR_RETURN(PgResult unleased, db.Query(kUnleasedRunningTrialsSql));
  for (int row = 0; row < unleased.rows(); ++row) {
    NASQ_ASSIGN_OR_RETURN(int64_t number, unleased.Int(row, 1));
    findings.AddUnleasedRunningTrial(unleased.Text(row, 0), number);
  }
  NASQ_ASSIGN_OR_RETURN(PgResult gaps, db.Query(kTrialNumberGapsSql));
  for (int row = 0; row < gaps.rows(); ++row) {
    int64_t column[5] = {};
    for (int c = 1; c < 5; ++c) {
      NASQ_ASSIGN_OR_RETURN(column[c], gaps.Int(row, c));
    }
    findings.AddTrialNumberGap(gaps.Text(row, 0), column[1], column[2], column[3], column[4]);
  }
  return findings.Verdict(name, "restore a backup, or repair the rows with psql");
}

}  // namespace nasq

// storage/row_checks.h: nasq's row invariants as SQL that SQLite and PostgreSQL both run, and the
// findings they report, shared by CheckNasqRows (storage/sqlite_checks.h) and
// CheckPostgresNasqRows (storage/postgres_checks.h) so that both backends check and word the same
// things: every RUNNING trial has a lease row (so the reaper can expire it) and each study's
// trial numbers are exactly 0..N-1 (so a trial number addresses the right trial).
//
// Thread-safety: RowFindings is used by one thread; the rest are constants and pure functions.
#ifndef NASQ_STORAGE_ROW_CHECKS_H_
#define NASQ_STORAGE_ROW_CHECKS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace nasq {

// Rows (study name, trial number): RUNNING trials without a lease row.
extern const char kUnleasedRunningTrialsSql[];
// Rows (study name, trial count, smallest number, largest number, first missing number):
// studies whose trial numbers are not 0..N-1.
extern const char kTrialNumberGapsSql[];

// The findings of one check run: the first few are listed, the rest counted.
class RowFindings {
 public:
  // A row of kUnleasedRunningTrialsSql.
  void AddUnleasedRunningTrial(absl::string_view study, int64_t number);
  // A row of kTrialNumberGapsSql.
  void AddTrialNumberGap(absl::string_view study, int64_t count, int64_t first, int64_t last,
                         int64_t missing);

  // OK without findings; else DATA_LOSS "`database`: inconsistent rows: FINDINGS; refusing to
  // serve it (`repair`)".
  absl::Status Verdict(absl::string_view database, absl::string_view repair) const;

 private:
  void Add(std::string finding);

  std::vector<std::string> listed_;
  size_t total_ = 0;
};

}  // namespace nasq

#endif  // NASQ_STORAGE_ROW_CHECKS_H_

// storage/row_checks.cc: see row_checks.h.
#include "storage/row_checks.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace nasq {
namespace {

// How many findings a refusal lists; the rest are counted.
constexpr size_t kMaxListedFindings = 10;

}  // namespace

const char kUnleasedRunningTrialsSql[] =
    "SELECT s.name, t.number FROM trials t JOIN studies s ON s.study_id = t.study_id "
    "LEFT JOIN leases l ON l.trial_id = t.trial_id WHERE t.state = 'RUNNING' AND "
    "l.trial_id IS NULL ORDER BY s.study_id, t.number";

// Numbers are unique per study (an index), so they are 0..N-1 exactly when the smallest is 0 and
// the largest N-1. Then the first missing number follows a number that exists.
const char kTrialNumberGapsSql[] =
    "SELECT s.name, COUNT(*), MIN(t.number), MAX(t.number), "
    "(SELECT MIN(u.number + 1) FROM trials u WHERE u.study_id = s.study_id AND "
    "NOT EXISTS (SELECT 1 FROM trials v WHERE v.study_id = s.study_id AND "
    "v.number = u.number + 1)) FROM trials t JOIN studies s ON s.study_id = "
    "t.study_id GROUP BY s.study_id HAVING MIN(t.number) != 0 OR MAX(t.number) != "
    "COUNT(*) - 1 ORDER BY s.study_id";

void RowFindings::AddUnleasedRunningTrial(absl::string_view study, int64_t number) {
  Add(absl::StrCat("study '", study, "' trial ", number,
                   ": RUNNING without a lease row (it could never expire)"));
}

void RowFindings::AddTrialNumberGap(absl::string_view study, int64_t count, int64_t first,
                                    int64_t last, int64_t missing) {
  const std::string wrong = first != 0 ? absl::StrCat("the first trial number is ", first)
                                       : absl::StrCat("trial number ", missing, " is missing");
  Add(absl::StrCat("study '", study, "': ", wrong, " (", count, " trials numbered ", first, "..",
                   last, "; numbers must be 0..", count - 1, ")"));
}

absl::Status RowFindings::Verdict(absl::string_view database, absl::string_view repair) const {
  if (total_ == 0) return absl::OkStatus();
  std::string message =
      absl::StrCat(database, ": inconsistent rows: ", absl::StrJoin(listed_, "; "));
  if (total_ > listed_.size())
    absl::StrAppend(&message, "; and ", total_ - listed_.size(), " more");
  absl::StrAppend(&message, "; refusing to serve it (", repair, ")");
  return absl::DataLossError(message);
}

void RowFindings::Add(std::string finding) {
  if (++total_ <= kMaxListedFindings) listed_.push_back(std::move(finding));
}

}  // namespace nasq

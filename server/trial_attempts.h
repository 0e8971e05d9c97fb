// server/trial_attempts.h: the history of a trial's leases (one attempt per lease), for the
// dashboard's trial timeline (docs/dashboard.md, GET /api/v1/studies/{name}/trials/{number}).
//
// An expired or released lease re-queues its trial with attempt+1 (or FAILs it) and the trial
// forgets the lease, so StudyManager stores every such lease in the trial's system attr
// "attempts" (kAttemptsAttr): a JSON array, oldest first, of
//   {"attempt": <k>, "worker_id": "<holder>", "start_us": <its lease's start>,
//    "end_us": <when it ended>, "outcome": "expired" | "released"}
// where a released one (WorkerService.ReleaseTrial) also has "reason": "<the worker's reason>"
// when it gave one.
// The current attempt (a RUNNING trial's lease, or the lease that finished the trial) is not
// stored: TrialAttempts derives it from the trial.
// Thread-safety: pure functions.
#ifndef NASQ_SERVER_TRIAL_ATTEMPTS_H_
#define NASQ_SERVER_TRIAL_ATTEMPTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/trial.h"
#include "nlohmann/json.hpp"

namespace nasq {

// Trial system attr: the trial's expired and released leases (see top).
inline constexpr char kAttemptsAttr[] = "attempts";
// Trial system attr naming the holder of the trial's latest lease, set when it is leased (see
// StudyManager::LeaseTrial): {"id": <worker_id>, <its labels>} as JSON text.
inline constexpr char kWorkerAttr[] = "worker";

// One lease of a trial.
struct TrialAttempt {
  int64_t attempt = 1;
  std::string worker_id;          // the lease's holder
  int64_t start_us = 0;           // when the lease was granted
  std::optional<int64_t> end_us;  // nullopt while the lease runs
  // kExpiredOutcome (reaped), kReleasedOutcome (given back by its holder), "running" (the
  // current lease) or the state the trial finished in ("COMPLETE", "PRUNED", "FAIL").
  std::string outcome;
  std::string reason;  // why a released lease was given back; "" otherwise
};

// The outcomes of a lease that ended without finishing its trial.
inline constexpr char kExpiredOutcome[] = "expired";
inline constexpr char kReleasedOutcome[] = "released";

// The kAttemptsAttr text of `trial` once its current lease (which it must hold) ends at `now_us`
// with `outcome` (kExpiredOutcome or kReleasedOutcome) and, for a release, `reason` (stored
// when non-empty): the stored attempts (as TrialAttempts reads them) plus that lease.
std::string AttemptsAfterLeaseEnd(const Trial& trial, int64_t now_us, const std::string& outcome,
                                  const std::string& reason = "");

// How many of `trial`'s stored attempts were released (kReleasedOutcome): attempts that do not
// count against the study's max_retries.
int ReleasedAttempts(const Trial& trial);

// Every attempt of `trial`, oldest first: the stored expired ones, then the current one when
// the trial runs under a lease or finished under one (system attr "worker" names who held it;
// the trial's start and completion bound it), unless the last stored attempt is the current
// one already (its lease expired and FAILed the trial). A trial never leased (WAITING, or added
// finished by AddTrial) has only its stored attempts. Stored entries that are not objects of
// the fields above (an attr written by hand, an import) are skipped; an attr that is not a JSON
// array is read as empty.
std::vector<TrialAttempt> TrialAttempts(const Trial& trial);

// Who holds or last held `trial`'s lease: the lease's worker_id, else the kWorkerAttr's "id";
// nullopt when the trial was never leased (or the attr is unreadable).
std::optional<std::string> LatestLeaseHolder(const Trial& trial);

// `attempts` as docs/dashboard.md's Attempt list (end_us null while running; "reason" only
// when non-empty).
nlohmann::json AttemptsToJson(const std::vector<TrialAttempt>& attempts);

}  // namespace nasq

#endif  // NASQ_SERVER_TRIAL_ATTEMPTS_H_

// core/trial.h: trial states and the Trial value type.
//
// State machine (Optuna's, docs/tpe.md 5.1, plus leases): WAITING -> RUNNING -> COMPLETE | PRUNED
// | FAIL, and RUNNING -> WAITING when a lease expires (retries remain) or is released; the last
// three are final: a finished trial is frozen. Plain value type; no internal synchronisation (its
// distributions map may be shared with other trials, immutably: see core/trial_distributions.h).
#ifndef NASQ_CORE_TRIAL_H_
#define NASQ_CORE_TRIAL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/distribution.h"
#include "core/search_space.h"
#include "core/trial_distributions.h"

namespace nasq {

// Numeric values match Optuna's TrialState.
enum class TrialState { kRunning = 0, kComplete = 1, kPruned = 2, kFail = 3, kWaiting = 4 };

// "RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING".
const char* TrialStateName(TrialState s);
// Inverse of TrialStateName, case-insensitive; nullopt for anything else.
std::optional<TrialState> ParseTrialState(const std::string& s);
// COMPLETE, PRUNED and FAIL.
bool IsFinished(TrialState s);

// Who took a lease: a worker through WorkerService.LeaseTrial, or a client through Ask. Only
// the holder of a worker's lease (or a forced tell) may finish its trial; an asked trial may be
// told by number, as in Optuna.
enum class LeaseKind { kWorker = 1, kAsk = 2 };
const char* LeaseKindName(LeaseKind k);                         // "worker" / "ask"
std::optional<LeaseKind> ParseLeaseKind(const std::string& s);  // case-insensitive

// The right to run a trial, held by one worker until `deadline_us`. `epoch` increases every time
// the trial is leased; reports carrying another epoch are stale (fencing). `token` is a secret
// drawn at random when the lease is granted: a report must present it with the epoch, so that
// nobody but the holder can act on a lease by guessing its epoch.
struct Lease {
  std::string worker_id;
  int64_t epoch = 0;
  int64_t deadline_us = 0;  // microseconds since the Unix epoch
  std::string token;        // 32 lowercase hex digits (128 random bits)
  LeaseKind kind = LeaseKind::kWorker;

  friend bool operator==(const Lease&, const Lease&) = default;
};

struct Trial {
  int64_t id = -1;  // unique within a Storage
  int64_t study_id = -1;
  int64_t number = -1;  // 0-based, dense and unique within the study
  TrialState state = TrialState::kWaiting;
  InternalParams params;                            // internal representation
  TrialDistributions distributions;                 // one per key of params (a shared map)
  std::vector<double> values;                       // one per objective once COMPLETE
  std::map<int64_t, double> intermediate_values;    // step -> value (NaN/inf allowed)
  std::map<std::string, std::string> user_attrs;    // key -> JSON text
  std::map<std::string, std::string> system_attrs;  // key -> JSON text
  int64_t datetime_start_us = 0;                    // 0 = not started
  int64_t datetime_complete_us = 0;                 // 0 = not finished
  int attempt = 1;                                  // 1 + expired or released leases
  std::optional<Lease> lease;                       // present while RUNNING under a lease

  // External value of `name`, or nullopt when the trial has no such param.
  std::optional<ParamValue> ExternalParam(const std::string& name) const;
};

}  // namespace nasq

#endif  // NASQ_CORE_TRIAL_H_

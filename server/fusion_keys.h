// server/fusion_keys.h: the fusion keys (task/fusion_key.h) of one study's trials, which the
// coordinator compares when it leases a fused group (LeaseTrial with max_trials > 1): trials with
// equal non-empty keys can be trained as one fused model by a worker started with --fuse.
//
// A trial's key is FusionKey of the study's task with the trial's params bound (BindTrialTask),
// computed once per trial number (a trial's params never change). Empty when the task does not
// parse or the trial's params do not bind (such a trial always runs alone).
// Thread-safety: none; the owner serialises calls (StudyManager holds the study's lock).
#ifndef NASQ_SERVER_FUSION_KEYS_H_
#define NASQ_SERVER_FUSION_KEYS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/study.h"
#include "core/trial.h"
#include "task/task_spec.h"

namespace nasq {

class FusionKeys {
 public:
  // No task: every key is empty.
  FusionKeys() = default;
  // The keys of the trials of a study with `spec` (its task is parsed once, here).
  explicit FusionKeys(const StudySpec& spec);

  // The fusion key of `trial` (numbered, i.e. stored) of this study; see top.
  const std::string& Of(const Trial& trial);

 private:
  std::optional<TaskSpec> task_;
  std::map<int64_t, std::string> keys_;  // by trial number
};

}  // namespace nasq

#endif  // NASQ_SERVER_FUSION_KEYS_H_

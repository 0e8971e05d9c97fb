#include "worker/pipeline/fused_pipeline.h"

#include "absl/strings/str_cat.h"
#include "task/fusion_key.h"

namespace nasq {

// Interim implementation: checks the keys and runs the members one after another. The fused
// engine (worker/fused) replaces it.
std::vector<absl::StatusOr<PipelineMetrics>> RunFusedTaskPipeline(
    const std::vector<FusedMember>& members, const PipelineOptions& options,
    PipelineCache& cache) {
  std::vector<absl::StatusOr<PipelineMetrics>> results;
  const std::string key = members.empty() ? "" : FusionKey(members.front().spec);
  for (const FusedMember& member : members) {
    if (key.empty() || FusionKey(member.spec) != key) {
      return std::vector<absl::StatusOr<PipelineMetrics>>(
          members.size(),
          absl::InvalidArgumentError("the trials cannot be fused: their fusion keys differ"));
    }
  }
  for (const FusedMember& member : members) {
    PipelineOptions own = options;
    own.trial_number = member.trial_number;
    own.cancel_requested = member.cancel_requested;
    own.pruned = member.pruned;
    results.push_back(RunTaskPipeline(member.spec, own, cache, member.progress));
  }
  return results;
}

}  // namespace nasq

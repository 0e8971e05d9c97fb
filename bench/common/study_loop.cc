// bench/common/study_loop.cc: see study_loop.h.
#include "bench/common/study_loop.h"

#include <cstdint>
#include <utility>

#include "core/status_macros.h"

namespace nasq::bench {

ExternalParams ToExternalParams(const SearchSpace& space, const InternalParams& internal) {
  ExternalParams external;
  for (const ParamSpec& param : space.params()) {
    if (auto it = internal.find(param.name); it != internal.end()) {
      external[param.name] = ToExternal(param.distribution, it->second);
    }
  }
  return external;
}

absl::StatusOr<StudyLoop> StudyLoop::Create(StudySpec spec) {
  NASQ_ASSIGN_OR_RETURN(std::unique_ptr<Sampler> sampler, CreateSampler(spec));
  return StudyLoop(std::move(spec), std::move(sampler));
}

absl::StatusOr<InternalParams> StudyLoop::Ask() {
  SamplingContext ctx;
  ctx.spec = &spec_;
  ctx.history = history_;
  ctx.trial_number = static_cast<int64_t>(history_.size());
  return SampleTrial(*sampler_, ctx);
}

void StudyLoop::Tell(InternalParams params, std::vector<double> values) {
  Trial trial;
  trial.id = static_cast<int64_t>(history_.size());
  trial.study_id = 0;
  trial.number = trial.id;
  trial.state = TrialState::kComplete;
  trial.distributions = distributions_.FromSpace(spec_.space, params);
  trial.params = std::move(params);
  trial.values = std::move(values);
  history_.push_back(std::move(trial));
}

}  // namespace nasq::bench

// bench/pruners/pruned_study.cc: see pruned_study.h.
#include "bench/pruners/pruned_study.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/status_macros.h"
#include "server/study_manager.h"
#include "storage/memory_storage.h"

namespace nasq::bench {
namespace {

constexpr char kStudy[] = "pruner_bench";
constexpr int64_t kMicrosPerStep = 1000;

// A worker's current trial and the steps it has trained.
struct WorkerSlot {
  std::optional<LeasedTrial> leased;
  int64_t step = 0;
};

class Simulation {
 public:
  Simulation(const LearningCurveSurrogate& surrogate, const PrunedStudyOptions& options,
             StudyManager& manager, FakeClock& clock)
      : surrogate_(surrogate), options_(options), manager_(manager), clock_(clock) {}

  absl::StatusOr<PrunedStudyResult> Run() {
    std::vector<WorkerSlot> slots(static_cast<size_t>(options_.workers));
    int started = 0;
    for (bool busy = true; busy;) {
      busy = false;
      for (size_t w = 0; w < slots.size(); ++w) {
        WorkerSlot& slot = slots[w];
        if (!slot.leased && started < options_.trials) {
          NASQ_ASSIGN_OR_RETURN(slot.leased, manager_.Ask(kStudy, absl::StrCat("worker-", w)));
          slot.step = 0;
          ++started;
        }
        if (!slot.leased) continue;
        busy = true;
        NASQ_RETURN_IF_ERROR(TrainOneStep(slot));
      }
    }
    NASQ_ASSIGN_OR_RETURN(std::vector<Trial> best, manager_.BestTrials(kStudy));
    if (best.empty()) return absl::InternalError("no trial of the pruner benchmark completed");
    result_.best = best.front().values.front();
    return result_;
  }

 private:
  // Trains `slot`'s trial one step, reports the loss and finishes the trial when it is pruned or
  // has trained max_steps steps.
  absl::Status TrainOneStep(WorkerSlot& slot) {
    const Trial& trial = slot.leased->trial;
    const LeaseKey key{trial.lease->epoch, trial.lease->token};
    const int64_t step = ++slot.step;
    const uint64_t noise_seed = (options_.sampler.seed << 32) ^ static_cast<uint64_t>(trial.number);
    const double loss = surrogate_.Loss(trial.params, noise_seed, step);
    clock_.AdvanceMicros(kMicrosPerStep);
    ++result_.steps;
    NASQ_ASSIGN_OR_RETURN(IntermediateResult report,
                          manager_.ReportIntermediate(kStudy, trial.number, key, step, loss, {}));
    FinishRequest finish;
    finish.lease = key;
    if (report.prune) {
      finish.state = TrialState::kPruned;
      ++result_.pruned;
    } else if (step >= options_.max_steps) {
      finish.values = {loss};
    } else {
      return absl::OkStatus();
    }
    NASQ_RETURN_IF_ERROR(manager_.FinishTrial(kStudy, trial.number, std::move(finish)).status());
    slot.leased.reset();
    return absl::OkStatus();
  }

  const LearningCurveSurrogate& surrogate_;
  const PrunedStudyOptions& options_;
  StudyManager& manager_;
  FakeClock& clock_;
  PrunedStudyResult result_;
};

}  // namespace

absl::StatusOr<PrunedStudyResult> RunPrunedStudy(const LearningCurveSurrogate& surrogate,
                                                 const PrunedStudyOptions& options) {
  StudySpec spec;
  spec.name = kStudy;
  spec.directions = {StudyDirection::kMinimize};
  spec.space = surrogate.space();
  spec.sampler = options.sampler;
  spec.pruner = options.pruner;
  spec.lease_duration_ms = 24LL * 3600 * 1000;  // the fake clock never lets a lease expire
  spec.heartbeat_interval_ms = 1000;
  NASQ_RETURN_IF_ERROR(ValidateStudySpec(spec));
  FakeClock clock;
  std::unique_ptr<Storage> storage = NewMemoryStorage();
  NASQ_ASSIGN_OR_RETURN(std::unique_ptr<StudyManager> manager,
                        StudyManager::Create(storage.get(), &clock));
  NASQ_RETURN_IF_ERROR(manager->CreateStudy(spec).status());
  return Simulation(surrogate, options, *manager, clock).Run();
}

}  // namespace nasq::bench

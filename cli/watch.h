// cli/watch.h: `nasq watch`, a live view of a study's progress.
//
// Polls the server every WatchOptions::interval and shows a progress bar with done (COMPLETE +
// PRUNED), running, waiting and failed counts, the completion rate and ETA, the current best
// trial with its params (for a multi-objective study: the size of the Pareto front and its
// hypervolume, cli/front_hypervolume.h), the latest failed trial's reason and why the study stopped
// (system attr "stop_reason"), when it did so by itself. On a terminal the view redraws in place
// with ANSI escape codes; on anything else it prints one plain line whenever something changed.
// Returns once the study is no longer RUNNING and none of its trials is RUNNING either: a stopped
// study's running trials still report their results, so the view (and whatever reads the study
// after it) waits for them. Thread-safety: RenderWatch is pure; WatchStudy blocks its caller and
// writes only to `out`.
#ifndef NASQ_CLI_WATCH_H_
#define NASQ_CLI_WATCH_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/nasq_client.h"

namespace nasq {

struct WatchOptions {
  std::chrono::milliseconds interval{1000};  // time between polls
  bool tty = false;                          // redraw in place with ANSI codes
  int bar_width = 30;                        // characters of the progress bar
  // The hypervolume's reference point (ParseReferencePoint); nullopt: derived from the front.
  std::optional<std::vector<double>> reference;
};

// What one frame shows.
struct WatchSnapshot {
  v1::Study study;
  std::vector<v1::Trial> best;                   // BestTrials: one trial, or the Pareto front
  std::optional<int64_t> target;                 // trials that end the study, when known
  double elapsed_s = 0;                          // since the watch started
  int64_t finished_at_start = 0;                 // done + failed when the watch started
  std::optional<v1::Trial> last_failure;         // the highest-numbered FAIL trial
  std::optional<std::vector<double>> reference;  // WatchOptions::reference
};

// The frame's lines (no ANSI codes, no newlines).
std::vector<std::string> RenderWatch(const WatchSnapshot& snapshot, int bar_width);

// The number of trials that end `study`: max_trials when set, else the size of a grid study's
// grid; nullopt when unbounded.
std::optional<int64_t> StudyTarget(const v1::Study& study);

// True when the live view of `study` has nothing more to show: the study has left RUNNING and no
// trial of it is RUNNING.
bool WatchHasEnded(const v1::Study& study);

// Runs the live view until WatchHasEnded (OK) or a call fails (its status).
absl::Status WatchStudy(const NasqClient& client, const std::string& study,
                        const WatchOptions& options, std::ostream& out);

}  // namespace nasq

#endif  // NASQ_CLI_WATCH_H_

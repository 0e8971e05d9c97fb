// cli/watch.h: `nasq watch`, a live view of a study's progress.
//
// Polls the server every WatchOptions::interval and shows the study's elapsed time (since its
// creation, else since its first trial started), a progress bar with done (COMPLETE + PRUNED),
// running, waiting and failed counts, the completion rate and ETA, the current best trial with
// its params (for a multi-objective study: the size of the Pareto front and its hypervolume,
// cli/front_hypervolume.h), the latest failed trial's reason, why the study stopped (system attr
// "stop_reason") when it did so by itself, and the running trials (number, worker, last reported
// step, time running; as many as fit, then "+N more running").
//
// On a terminal the view redraws in place with ANSI escape codes: every line is cut to the
// terminal's width (display columns, cli/display_width.h) and the frame to its height, so it
// never wraps or scrolls; a resize (SIGWINCH) redraws at once from the top of the screen. On
// anything else it prints one plain line, without the running trials, whenever something
// changed. Returns once the study is no longer RUNNING and none of its trials is RUNNING either:
// a stopped study's running trials still report their results, so the view (and whatever reads
// the study after it) waits for them. Thread-safety: RenderWatch is pure; WatchStudy blocks its
// caller, writes only to `out` and, on a terminal, handles SIGWINCH while it runs (one at a time).
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
  bool tty = false;                          // stdout is a terminal: redraw in place, fit it
  // The hypervolume's reference point (ParseReferencePoint); nullopt: derived from the front.
  std::optional<std::vector<double>> reference;
};

// What one frame shows.
struct WatchSnapshot {
  v1::Study study;
  std::vector<v1::Trial> best;                   // BestTrials: one trial, or the Pareto front
  std::optional<int64_t> target;                 // trials that end the study, when known
  std::optional<int64_t> started_micros;         // StudyStartMicros; nullopt: not known
  int64_t now_micros = 0;                        // when the snapshot was taken (Unix time)
  double watched_s = 0;                          // since the watch started
  int64_t finished_at_start = 0;                 // done + failed when the watch started
  std::vector<v1::Trial> running;                // the lowest-numbered RUNNING trials
  std::optional<v1::Trial> last_failure;         // the highest-numbered FAIL trial
  std::optional<std::vector<double>> reference;  // WatchOptions::reference
};

// The room a frame has.
struct WatchLayout {
  int columns = 0;  // the most display columns of a line; 0 = no limit
  // The most lines of the frame, leaving one for the cursor: running trials get the lines the
  // rest leaves free. 0 = no limit and no running trial lines (plain output).
  int rows = 0;
  int bar_width = 30;  // the most characters of the progress bar; less when columns is small
};

// The frame's lines (no ANSI codes, no newlines), fitted to `layout`.
std::vector<std::string> RenderWatch(const WatchSnapshot& snapshot, const WatchLayout& layout);

// When `study` started (Unix microseconds): its create_time, else `first_trial`'s start time
// (the trial numbered 0, when given and started); nullopt when neither is known.
std::optional<int64_t> StudyStartMicros(const v1::Study& study,
                                        const std::optional<v1::Trial>& first_trial);

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

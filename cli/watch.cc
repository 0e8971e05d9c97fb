#include "cli/watch.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/display_width.h"
#include "cli/front_hypervolume.h"
#include "cli/output_format.h"
#include "cli/records.h"
#include "cli/terminal.h"
#include "core/budget.h"
#include "core/status_macros.h"
#include "proto/convert.h"

namespace nasq {
namespace {

int64_t Done(const v1::TrialCounts& c) { return c.complete() + c.pruned(); }

std::string BestLine(const WatchSnapshot& s) {
  if (s.best.empty()) return "best: none yet";
  if (s.study.spec().directions_size() > 1) {
    const absl::StatusOr<FrontHypervolume> hv =
        HypervolumeOfFront(s.study.spec(), s.best, s.reference);
    return absl::StrCat("pareto front: ", s.best.size(), " trial", s.best.size() == 1 ? "" : "s",
                        ", ",
                        hv.ok() ? HypervolumeText(*hv, s.study.spec()) : hv.status().message());
  }
  const v1::Trial& best = s.best.front();
  std::vector<std::string> params;
  const nlohmann::ordered_json record = TrialRecord(best, {.multi_objective = true});
  for (const auto& [name, value] : record["params"].items()) {
    params.push_back(
        absl::StrCat(name, "=", value.is_string() ? value.get<std::string>() : DumpJson(value)));
  }
  std::vector<std::string> values;
  for (double v : best.values()) values.push_back(absl::StrFormat("%.6g", v));
  return absl::StrCat("best: ", absl::StrJoin(values, ", "), " (trial ", best.number(), ")  ",
                      absl::StrJoin(params, " "));
}

// "1:02:03" for a span of `micros` (whole seconds; a negative span, from clock skew, as 0).
std::string ElapsedText(double micros) {
  return FormatDuration(static_cast<int64_t>(std::max(0.0, micros) / 1e6) * 1'000'000);
}

// The progress bar's characters: layout.bar_width, less what the counts after it need on a
// narrow line; 0 (no bar) below 5.
int BarWidth(const WatchLayout& layout) {
  constexpr int kCountsWidth = 56;  // " 120/500  24%  done 120  running 8  waiting 0  failed 2"
  int width = layout.bar_width;
  if (layout.columns > 0) width = std::min(width, layout.columns - kCountsWidth);
  return width >= 5 ? width : 0;
}

// "trial 12  worker gpu-3  step 40  running 0:01:05": a RUNNING trial.
std::string RunningLine(const v1::Trial& trial, int64_t now_micros) {
  std::string line = absl::StrCat("trial ", trial.number());
  if (!trial.lease().worker_id().empty()) {
    absl::StrAppend(&line, "  worker ", trial.lease().worker_id());
  }
  if (!trial.intermediate_values().empty()) {
    int64_t step = 0;
    for (const auto& entry : trial.intermediate_values()) step = std::max(step, entry.first);
    absl::StrAppend(&line, "  step ", step);
  }
  if (trial.has_start_time()) {
    absl::StrAppend(&line, "  running ",
                    ElapsedText(now_micros - TimestampToMicros(trial.start_time())));
  }
  return line;
}

// Appends a line per running trial of `s` to `lines` while `room` lines allow; when not all fit,
// the last line says how many more run ("+3 more running").
void AppendRunningLines(const WatchSnapshot& s, int64_t room, std::vector<std::string>& lines) {
  const int64_t running = s.study.trial_counts().running();
  if (running == 0 || room <= 0) return;
  const int64_t listed = std::min<int64_t>(s.running.size(), running);
  const int64_t shown = listed <= room && listed == running ? listed : std::min(listed, room - 1);
  for (int64_t i = 0; i < shown; ++i) lines.push_back(RunningLine(s.running[i], s.now_micros));
  if (shown < running) lines.push_back(absl::StrCat("+", running - shown, " more running"));
}

}  // namespace

std::optional<int64_t> StudyTarget(const v1::Study& study) {
  if (study.spec().max_trials() > 0) return study.spec().max_trials();
  if (study.spec().sampler().kind() != v1::SAMPLER_KIND_GRID) return std::nullopt;
  auto spec = StudySpecFromProto(study.spec());
  if (!spec.ok()) return std::nullopt;
  int64_t cells = 1;
  for (const ParamSpec& p : spec->space.params()) {
    auto size = DiscreteSize(p.distribution);
    if (!size) return std::nullopt;
    cells *= *size;
  }
  return cells;
}

bool WatchHasEnded(const v1::Study& study) {
  return study.state() != v1::STUDY_STATE_RUNNING && study.trial_counts().running() == 0;
}

std::optional<int64_t> StudyStartMicros(const v1::Study& study,
                                        const std::optional<v1::Trial>& first_trial) {
  if (study.has_create_time()) return TimestampToMicros(study.create_time());
  if (first_trial && first_trial->has_start_time()) {
    return TimestampToMicros(first_trial->start_time());
  }
  return std::nullopt;
}

std::vector<std::string> RenderWatch(const WatchSnapshot& s, const WatchLayout& layout) {
  const v1::TrialCounts& c = s.study.trial_counts();
  const int64_t done = Done(c);
  std::vector<std::string> lines;
  std::string header =
      absl::StrCat("study ", s.study.spec().name(), "  ", StudyStateText(s.study.state()));
  if (s.study.state() != v1::STUDY_STATE_RUNNING && c.running() > 0) {
    absl::StrAppend(&header, " (waiting for ", c.running(), " running trial",
                    c.running() == 1 ? "" : "s", " to end)");
  }
  if (s.started_micros) {
    absl::StrAppend(&header, "  elapsed ", ElapsedText(s.now_micros - *s.started_micros));
  }
  lines.push_back(header);
  std::string progress;
  if (s.target && *s.target > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done) / *s.target);
    const int bar_width = BarWidth(layout);
    if (bar_width > 0) {
      const int filled = static_cast<int>(std::round(fraction * bar_width));
      absl::StrAppend(&progress, "[", std::string(filled, '#'),
                      std::string(bar_width - filled, '.'), "] ");
    }
    absl::StrAppend(&progress, absl::StrFormat("%d/%d %3.0f%%  ", done, *s.target, fraction * 100));
  }
  absl::StrAppend(&progress, "done ", done, "  running ", c.running(), "  waiting ", c.waiting(),
                  "  failed ", c.fail());
  if (c.pruned() > 0) absl::StrAppend(&progress, "  (pruned ", c.pruned(), ")");
  lines.push_back(progress);
  const int64_t finished = done + c.fail();
  const double rate = s.watched_s > 0 ? (finished - s.finished_at_start) / s.watched_s : 0.0;
  std::string speed = absl::StrFormat("rate %.2f trials/s", rate);
  if (s.target && rate > 0 && *s.target > done) {
    absl::StrAppend(&speed, "  ETA ", ElapsedText((*s.target - done) / rate * 1e6));
  }
  lines.push_back(speed);
  lines.push_back(BestLine(s));
  if (s.last_failure) {
    lines.push_back(absl::StrCat(
        "last failure: trial ", s.last_failure->number(), ": ",
        AttrText(s.last_failure->system_attrs(), "fail_reason").value_or("no reason given")));
  }
  if (std::optional<std::string> reason = AttrText(s.study.system_attrs(), "stop_reason")) {
    lines.push_back(absl::StrCat("stopped: ", *reason));
  }
  if (std::optional<std::string> error = AttrText(s.study.system_attrs(), kSamplingErrorAttr)) {
    lines.push_back(absl::StrCat("no trial can be sampled: ", *error));
  }
  if (layout.rows > 0) {
    AppendRunningLines(s, layout.rows - 1 - static_cast<int64_t>(lines.size()), lines);
    if (static_cast<int64_t>(lines.size()) > layout.rows - 1) {
      lines.resize(std::max(1, layout.rows - 1));
    }
  }
  if (layout.columns > 0) {
    for (std::string& line : lines) line = TruncateToWidth(line, layout.columns);
  }
  return lines;
}

namespace {

// Sleeps for `interval`, or less when `resize` sees SIGWINCH: true then.
bool SleepUnlessResized(std::chrono::milliseconds interval, ResizeSignal* resize) {
  const auto until = std::chrono::steady_clock::now() + interval;
  while (true) {
    if (resize != nullptr && resize->TakeResized()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(20)));
  }
}

}  // namespace

absl::Status WatchStudy(const NasqClient& client, const std::string& study,
                        const WatchOptions& options, std::ostream& out) {
  const auto start = std::chrono::steady_clock::now();
  std::optional<ResizeSignal> resize;
  if (options.tty) resize.emplace();
  std::optional<int64_t> finished_at_start;
  std::optional<int64_t> started_micros;
  size_t drawn = 0;                   // lines of the frame on the terminal
  bool resized = false;               // the terminal changed size since the last frame
  std::vector<std::string> previous;  // plain output: what the last line showed
  while (true) {
    const TerminalSize size = TerminalSizeOf(STDOUT_FILENO);
    const WatchLayout layout{.columns = options.tty ? size.columns : 0,
                             .rows = options.tty ? size.rows : 0};
    WatchSnapshot snapshot;
    NASQ_ASSIGN_OR_RETURN(snapshot.study, client.GetStudy(study));
    NASQ_ASSIGN_OR_RETURN(snapshot.best, client.BestTrials(study));
    const v1::TrialCounts& c = snapshot.study.trial_counts();
    if (c.fail() > 0) {
      NASQ_ASSIGN_OR_RETURN(
          v1::ListTrialsResponse failed,
          client.ListTrialsPage(study, {{v1::TRIAL_STATE_FAIL}, "number desc"}, "", 1));
      if (failed.trials_size() > 0) snapshot.last_failure = failed.trials(0);
    }
    if (c.running() > 0 && layout.rows > 0) {
      NASQ_ASSIGN_OR_RETURN(
          v1::ListTrialsResponse running,
          client.ListTrialsPage(study, {{v1::TRIAL_STATE_RUNNING}, "number"}, "", layout.rows));
      snapshot.running.assign(running.trials().begin(), running.trials().end());
    }
    if (!started_micros) started_micros = StudyStartMicros(snapshot.study, std::nullopt);
    if (!started_micros) {
      NASQ_ASSIGN_OR_RETURN(v1::ListTrialsResponse first,
                            client.ListTrialsPage(study, {{}, "number"}, "", 1));
      if (first.trials_size() > 0)
        started_micros = StudyStartMicros(snapshot.study, first.trials(0));
    }
    snapshot.started_micros = started_micros;
    snapshot.now_micros = absl::ToUnixMicros(absl::Now());
    if (!finished_at_start) finished_at_start = Done(c) + c.fail();
    snapshot.finished_at_start = *finished_at_start;
    snapshot.target = StudyTarget(snapshot.study);
    snapshot.reference = options.reference;
    snapshot.watched_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::vector<std::string> lines = RenderWatch(snapshot, layout);
    const bool ended = WatchHasEnded(snapshot.study);
    if (options.tty) {
      // Back to the frame's first line: up over the lines drawn (none wrapped: each fits), or,
      // after a resize that may have rewrapped them, the top of the screen. Then each line
      // replaces the old one and what is left of a longer old frame is cleared.
      if (resized) {
        out << "\x1b[H\x1b[J";
      } else if (drawn > 0) {
        out << "\x1b[" << drawn << "A";
      }
      for (const std::string& line : lines) out << "\r\x1b[2K" << line << "\n";
      out << "\x1b[J";
      drawn = lines.size();
    } else {
      // Plain output: one line per change of state, counts or best, ignoring the clock-driven
      // parts.
      std::vector<std::string> stable = {StudyStateText(snapshot.study.state()), lines[1],
                                         lines[3]};
      if (stable != previous || ended) out << absl::StrJoin(lines, " | ") << "\n";
      previous = std::move(stable);
    }
    out.flush();
    if (ended) return absl::OkStatus();
    resized = SleepUnlessResized(options.interval, resize ? &*resize : nullptr);
  }
}

}  // namespace nasq

#include "cli/watch.h"

#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/front_hypervolume.h"
#include "cli/output_format.h"
#include "cli/records.h"
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

std::vector<std::string> RenderWatch(const WatchSnapshot& s, int bar_width) {
  const v1::TrialCounts& c = s.study.trial_counts();
  const int64_t done = Done(c);
  std::vector<std::string> lines;
  std::string state = StudyStateText(s.study.state());
  if (s.study.state() != v1::STUDY_STATE_RUNNING && c.running() > 0) {
    absl::StrAppend(&state, " (waiting for ", c.running(), " running trial",
                    c.running() == 1 ? "" : "s", " to end)");
  }
  lines.push_back(absl::StrCat("study ", s.study.spec().name(), "  ", state, "  elapsed ",
                               FormatDuration(static_cast<int64_t>(s.elapsed_s) * 1'000'000)));
  std::string progress;
  if (s.target && *s.target > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done) / *s.target);
    const int filled = static_cast<int>(std::round(fraction * bar_width));
    progress =
        absl::StrFormat("[%s%s] %d/%d %3.0f%%  ", std::string(filled, '#'),
                        std::string(bar_width - filled, '.'), done, *s.target, fraction * 100);
  }
  absl::StrAppend(&progress, "done ", done, "  running ", c.running(), "  waiting ", c.waiting(),
                  "  failed ", c.fail());
  if (c.pruned() > 0) absl::StrAppend(&progress, "  (pruned ", c.pruned(), ")");
  lines.push_back(progress);
  const int64_t finished = done + c.fail();
  const double rate = s.elapsed_s > 0 ? (finished - s.finished_at_start) / s.elapsed_s : 0.0;
  std::string speed = absl::StrFormat("rate %.2f trials/s", rate);
  if (s.target && rate > 0 && *s.target > done) {
    const double eta_s = (*s.target - done) / rate;
    absl::StrAppend(&speed, "  ETA ", FormatDuration(static_cast<int64_t>(eta_s) * 1'000'000));
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
  return lines;
}

absl::Status WatchStudy(const NasqClient& client, const std::string& study,
                        const WatchOptions& options, std::ostream& out) {
  const auto start = std::chrono::steady_clock::now();
  std::optional<int64_t> finished_at_start;
  std::vector<std::string> previous;
  while (true) {
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
    if (!finished_at_start) finished_at_start = Done(c) + c.fail();
    snapshot.finished_at_start = *finished_at_start;
    snapshot.target = StudyTarget(snapshot.study);
    snapshot.reference = options.reference;
    snapshot.elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::vector<std::string> lines = RenderWatch(snapshot, options.bar_width);
    const bool ended = WatchHasEnded(snapshot.study);
    if (options.tty) {
      if (!previous.empty()) out << "\x1b[" << previous.size() << "A";
      for (const std::string& line : lines) out << "\r\x1b[2K" << line << "\n";
      previous = lines;
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
    std::this_thread::sleep_for(options.interval);
  }
}

}  // namespace nasq

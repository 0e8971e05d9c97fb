// cli/cli_commands.h: the commands of the `nasq` CLI, one function each.
//
// cli_main.cc parses the command line (CLI11) and calls these; each writes its result to
// `ctx.out` and returns a Status whose message CliErrorLine turns into the one line printed on
// stderr. Thread-safety: none needed (one command per process).
#ifndef NASQ_CLI_CLI_COMMANDS_H_
#define NASQ_CLI_CLI_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/output_format.h"
#include "client/nasq_client.h"

namespace nasq {

struct CliContext {
  const NasqClient* client = nullptr;
  std::string server;  // the address, for messages
  std::ostream* out = nullptr;
  bool tty = false;  // stdout is a terminal
  // The columns of the tables the commands print: --columns, and the width to fit (--width, or
  // the terminal's on a terminal; 0 = no limit). Commands fill in the priority.
  TableColumns columns;
};

absl::Status StudyCreateCommand(const CliContext& ctx, const std::string& spec_file);
absl::Status StudyListCommand(const CliContext& ctx, OutputFormat format);
absl::Status StudyShowCommand(const CliContext& ctx, const std::string& study);
absl::Status StudyStopCommand(const CliContext& ctx, const std::string& study);
// `study resume NAME` (max_trials nullopt) and `study extend NAME --max-trials N`.
absl::Status StudyResumeCommand(const CliContext& ctx, const std::string& study,
                                std::optional<int64_t> max_trials);
absl::Status StudyDeleteCommand(const CliContext& ctx, const std::string& study);

struct TrialsArgs {
  std::string study;
  std::string state;            // "" = any; else a trial state name (case-insensitive)
  std::string sort = "number";  // a sort key (cli/record_sort.h): "number", "value", a metric
  OutputFormat format = OutputFormat::kTable;
};
absl::Status TrialsCommand(const CliContext& ctx, const TrialsArgs& args);
absl::Status BestCommand(const CliContext& ctx, const std::string& study, OutputFormat format);

struct ParetoArgs {
  std::string study;
  // "r1,r2,..." (one number per objective); "" = the study's reference_point, else derived.
  std::string reference;
  OutputFormat format = OutputFormat::kTable;
};
// Prints the feasible Pareto front (BestTrials) with each objective named by its metric, then its
// hypervolume and the reference point used (cli/front_hypervolume.h): as a line after the table
// (a "# " comment line after csv), or as fields of one object (json, yaml): objectives,
// directions, trials, hypervolume, reference_point (by objective), reference_point_derived,
// reference_point_source ("given", "spec" or "derived").
// NOT_FOUND when no feasible trial is COMPLETE; INVALID_ARGUMENT naming --reference for a bad
// point.
absl::Status ParetoCommand(const CliContext& ctx, const ParetoArgs& args);

struct WatchArgs {
  std::string study;
  double interval_s = 1.0;
  std::string reference;  // as ParetoArgs::reference, for a multi-objective study's hypervolume
};
absl::Status WatchCommand(const CliContext& ctx, const WatchArgs& args);

// Enqueues a trial with `params_json`, a JSON object of param name -> value (number, string or
// bool), and prints its number. INVALID_ARGUMENT naming --params for text that is not such an
// object; the server names a param it refuses.
absl::Status EnqueueCommand(const CliContext& ctx, const std::string& study,
                            const std::string& params_json);

struct AskArgs {
  std::string study;
  // How long the lease lasts ("90s", "30m", "2h", spec/spec_yaml.h ParseDurationMs); "" = the
  // study's lease.duration. The server takes 1 s to 7 days.
  std::string lease;
  OutputFormat format = OutputFormat::kJson;
};
// Prints AskRecord, {"number": N, "params": {...}, "lease": {"epoch", "token", "expires"}}
// (json), or the same record in another format. INVALID_ARGUMENT naming --lease for text that is
// not a duration; the server names lease_duration_ms when it is out of bounds.
absl::Status AskCommand(const CliContext& ctx, const AskArgs& args);

struct HeartbeatArgs {
  std::string study;
  int64_t number = -1;
  int64_t epoch = 0;  // the lease's, as `ask` printed it
  std::string token;  // likewise
  std::string lease;  // as AskArgs::lease; "" = the study's lease.duration (never shortening)
  OutputFormat format = OutputFormat::kJson;
};
// Renews the lease and prints HeartbeatRecord, {"number", "epoch", "expires", "stop"}: stop is
// true when the study no longer runs and the trial should be abandoned. FAILED_PRECONDITION
// (from the server) when the lease expired or the token is not the lease's.
absl::Status HeartbeatCommand(const CliContext& ctx, const HeartbeatArgs& args);

struct TellArgs {
  std::string study;
  int64_t number = -1;
  std::vector<std::string> values;  // as typed; each must be a number ("inf", "nan" included)
  std::string state;   // "" (the server decides: COMPLETE with values), complete, pruned or fail
  bool force = false;  // finish a trial that a worker holds (an admin's call)
  bool skip_if_finished = false;
  // The lease the teller holds (as `ask` printed it); needed for a worker's trial unless force.
  std::optional<int64_t> epoch;
  std::string token;
  // Outcome constraints as typed, "NAME=VALUE" each: the trial is feasible when every value is
  // <= 0 (Optuna's constraints_func); stored as system attrs "constraints:<name>".
  std::vector<std::string> constraints;
};
// Sends the state, values and constraints as given: the server refuses contradictions (values
// with pruned or fail, complete without values) and non-finite constraints. Prints the stored
// values, constraints (with the trial's feasibility) and state. INVALID_ARGUMENT naming
// --values, --state or --constraint for a value that is not a number (an empty string
// included), an unknown state, a constraint without NAME= or a name given twice.
absl::Status TellCommand(const CliContext& ctx, const TellArgs& args);

// Writes every trial as csv or json to `out_file` ("" = stdout).
absl::Status ExportCommand(const CliContext& ctx, const std::string& study, OutputFormat format,
                           const std::string& out_file);

struct PlotArgs {
  std::string study;
  std::string kind = "history";  // "history" (value and best so far by trial), "sweep",
                                 // "pareto" (the first two objectives) or "importance"
  std::string param;             // sweep: the parameter on the x axis
  int objective = 0;             // history, sweep, importance: which objective
  std::string reference;         // pareto: as ParetoArgs::reference
  std::string out_file;          // the SVG file to write
};
// Writes an SVG chart of the study's COMPLETE trials (objective --objective; pareto: the first
// two), axes titled with the metric's name and direction; see svg_plot.h. Importance: the
// params' PED-ANOVA importances (analysis/param_importance.h), most important first. Pareto:
// the front's hypervolume and its reference point (cli/front_hypervolume.h) are written under
// the title and printed. INVALID_ARGUMENT for an --objective the study does not have.
absl::Status PlotCommand(const CliContext& ctx, const PlotArgs& args);

// The one line printed on stderr for a failed command: "nasq: <readable message>".
std::string CliErrorLine(const absl::Status& status, const std::string& server);

}  // namespace nasq

#endif  // NASQ_CLI_CLI_COMMANDS_H_

#include "cli/cli_commands.h"

#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "analysis/param_importance.h"
#include "cli/front_hypervolume.h"
#include "cli/output_format.h"
#include "cli/record_sort.h"
#include "cli/records.h"
#include "cli/svg_plot.h"
#include "cli/watch.h"
#include "core/budget.h"
#include "core/pareto.h"
#include "core/status_macros.h"
#include "core/trial.h"
#include "core/trial_distributions.h"
#include "nlohmann/json.hpp"
#include "proto/convert.h"
#include "proto/resource_names.h"
#include "spec/spec_yaml.h"

namespace nasq {
namespace {

using Json = nlohmann::ordered_json;

Json TrialRecords(const std::vector<v1::Trial>& trials, const TrialRecordOptions& options) {
  Json records = Json::array();
  for (const v1::Trial& t : trials) records.push_back(TrialRecord(t, options));
  return records;
}

// "1, 0.5, inf": numbers as ParamValueToString writes them.
template <typename Numbers>
std::string NumbersText(const Numbers& numbers) {
  std::vector<std::string> texts;
  for (double v : numbers) texts.push_back(ParamValueToString(v));
  return absl::StrJoin(texts, ", ");
}

std::string ConditionText(const Condition& c) {
  std::vector<std::string> values;
  for (const ParamValue& v : c.values) values.push_back(ParamValueToString(v));
  const bool list = c.op == CompareOp::kIn || c.op == CompareOp::kNotIn;
  return absl::StrCat(
      c.parent, " ", CompareOpName(c.op), " ",
      list ? absl::StrCat("[", absl::StrJoin(values, ", "), "]") : absl::StrJoin(values, ", "));
}

std::string ConstraintText(const Constraint& c) {
  std::string rhs = c.rhs.empty() ? ParamValueToString(c.offset) : c.rhs;
  if (!c.rhs.empty() && c.offset != 0) {
    absl::StrAppend(&rhs, c.offset > 0 ? " + " : " - ", ParamValueToString(std::abs(c.offset)));
  }
  return absl::StrCat(c.lhs, " ", CompareOpName(c.op), " ", rhs);
}

// Writes `records` in `format`. A table shows the columns ctx.columns chooses, keeping `priority`
// first when it fits a width, followed by a line naming the columns the width hid. INVALID_ARGUMENT
// naming --columns for an unknown column.
absl::Status PrintRecords(const CliContext& ctx, const Json& records, OutputFormat format,
                          std::vector<std::string> priority = {}, bool single = false) {
  if (format != OutputFormat::kTable) {
    *ctx.out << FormatRecords(records, format, single);
    return absl::OkStatus();
  }
  TableColumns columns = ctx.columns;
  columns.priority = std::move(priority);
  NASQ_ASSIGN_OR_RETURN(FittedTable table, FitTable(records, columns));
  *ctx.out << table.text;
  if (columns.selection.empty()) *ctx.out << HiddenColumnsNote(table.hidden, columns.width);
  return absl::OkStatus();
}

}  // namespace

absl::Status StudyCreateCommand(const CliContext& ctx, const std::string& spec_file) {
  NASQ_ASSIGN_OR_RETURN(StudySpec spec, LoadStudySpecFile(spec_file));
  NASQ_ASSIGN_OR_RETURN(v1::Study study, ctx.client->CreateStudy(spec));
  *ctx.out << study.spec().name() << "\n";
  return absl::OkStatus();
}

absl::Status StudyListCommand(const CliContext& ctx, OutputFormat format) {
  NASQ_ASSIGN_OR_RETURN(std::vector<v1::Study> studies, ctx.client->ListStudies());
  Json records = Json::array();
  for (const v1::Study& s : studies) records.push_back(StudyRecord(s));
  return PrintRecords(ctx, records, format);
}

absl::Status StudyShowCommand(const CliContext& ctx, const std::string& study) {
  NASQ_ASSIGN_OR_RETURN(v1::Study proto, ctx.client->GetStudy(study));
  NASQ_ASSIGN_OR_RETURN(StudySpec spec, StudySpecFromProto(proto.spec()));
  NASQ_ASSIGN_OR_RETURN(std::vector<v1::Trial> best, ctx.client->BestTrials(study));
  std::ostream& out = *ctx.out;
  const v1::TrialCounts& c = proto.trial_counts();
  out << "name: " << spec.name << "\n"
      << "state: " << StudyStateText(proto.state()) << "\n";
  if (std::optional<std::string> reason = AttrText(proto.system_attrs(), "stop_reason")) {
    out << "stop_reason: " << *reason << "\n";
  }
  if (std::optional<std::string> error = AttrText(proto.system_attrs(), kSamplingErrorAttr)) {
    out << "sampling_error: " << *error << "\n";
  }
  out << "created: " << FormatTime(TimestampToMicros(proto.create_time())) << "\n"
      << "directions: " << DirectionsText(proto.spec()) << "\n";
  if (!spec.metric_names.empty()) {
    out << "metrics: " << absl::StrJoin(spec.metric_names, ", ") << "\n";
  }
  if (!spec.reference_point.empty()) {
    out << "reference_point: [" << NumbersText(spec.reference_point) << "]\n";
  }
  out << "sampler: " << SamplerText(spec.sampler) << "\n";
  if (spec.pruner.kind != PrunerKind::kNone) out << "pruner: " << PrunerText(spec.pruner) << "\n";
  if (!spec.budgets.empty()) {
    std::vector<std::string> budgets;
    for (const auto& [metric, budget] : spec.budgets) budgets.push_back(BudgetText(metric, budget));
    out << "budgets: " << absl::StrJoin(budgets, ", ") << "\n";
  }
  for (const Field<StudySpec>& field : kStudyLimitFields) out << LimitText(spec, field) << "\n";
  out << "trials: " << c.complete() << " complete, " << c.pruned() << " pruned, " << c.fail()
      << " failed, " << c.running() << " running, " << c.waiting() << " waiting\n";
  for (const v1::Trial& t : best) {
    out << "best: trial " << t.number() << " values [" << NumbersText(t.values()) << "]\n";
  }
  out << "params:\n";
  for (const ParamSpec& p : spec.space.params()) {
    out << "  " << p.name << ": " << DistributionToString(p.distribution);
    std::vector<std::string> conditions;
    for (const Condition& cond : p.conditions) conditions.push_back(ConditionText(cond));
    if (!conditions.empty()) out << "  when " << absl::StrJoin(conditions, " and ");
    out << "\n";
  }
  if (!spec.space.constraints().empty()) {
    out << "constraints:\n";
    for (const Constraint& k : spec.space.constraints()) out << "  " << ConstraintText(k) << "\n";
  }
  out << "task: " << spec.task_json << "\n";
  return absl::OkStatus();
}

absl::Status StudyStopCommand(const CliContext& ctx, const std::string& study) {
  NASQ_ASSIGN_OR_RETURN(v1::Study stopped, ctx.client->StopStudy(study));
  *ctx.out << "study " << study << " is " << StudyStateText(stopped.state()) << "\n";
  return absl::OkStatus();
}

absl::Status StudyResumeCommand(const CliContext& ctx, const std::string& study,
                                std::optional<int64_t> max_trials) {
  NASQ_ASSIGN_OR_RETURN(v1::Study resumed, ctx.client->ResumeStudy(study, max_trials));
  *ctx.out << "study " << study << " is " << StudyStateText(resumed.state()) << " (max_trials "
           << resumed.spec().max_trials() << ")\n";
  return absl::OkStatus();
}

absl::Status StudyDeleteCommand(const CliContext& ctx, const std::string& study) {
  NASQ_RETURN_IF_ERROR(ctx.client->DeleteStudy(study));
  *ctx.out << "deleted study " << study << "\n";
  return absl::OkStatus();
}

absl::Status TrialsCommand(const CliContext& ctx, const TrialsArgs& args) {
  NASQ_ASSIGN_OR_RETURN(v1::Study study, ctx.client->GetStudy(args.study));
  TrialQuery query;
  if (!args.state.empty()) {
    auto state = ParseTrialState(args.state);
    if (!state) {
      return absl::InvalidArgumentError(
          absl::StrCat("--state: expected RUNNING, COMPLETE, PRUNED, FAIL or WAITING, got \"",
                       args.state, "\""));
    }
    query.states.push_back(TrialStateToProto(*state));
  }
  query.order_by = "number";
  NASQ_ASSIGN_OR_RETURN(std::vector<v1::Trial> trials, ctx.client->ListTrials(args.study, query));
  Json records = TrialRecords(trials, RecordOptionsFor(study.spec()));
  NASQ_RETURN_IF_ERROR(SortTrialRecords(args.sort, study.spec(), records));
  return PrintRecords(ctx, records, args.format, TrialColumnPriority(study.spec()));
}

absl::Status BestCommand(const CliContext& ctx, const std::string& study, OutputFormat format) {
  NASQ_ASSIGN_OR_RETURN(v1::Study proto, ctx.client->GetStudy(study));
  NASQ_ASSIGN_OR_RETURN(std::vector<v1::Trial> best, ctx.client->BestTrials(study));
  if (best.empty()) {
    return absl::NotFoundError(absl::StrCat("study '", study, "' has no COMPLETE trial yet"));
  }
  const TrialRecordOptions options = RecordOptionsFor(proto.spec());
  return PrintRecords(ctx, TrialRecords(best, options), format, TrialColumnPriority(proto.spec()),
                      /*single=*/!options.multi_objective);
}

absl::Status ParetoCommand(const CliContext& ctx, const ParetoArgs& args) {
  NASQ_ASSIGN_OR_RETURN(v1::Study proto, ctx.client->GetStudy(args.study));
  std::optional<std::vector<double>> reference;
  if (!args.reference.empty()) {
    NASQ_ASSIGN_OR_RETURN(reference, ParseReferencePoint(args.reference, proto.spec()));
  }
  NASQ_ASSIGN_OR_RETURN(std::vector<v1::Trial> front, ctx.client->BestTrials(args.study));
  if (front.empty()) {
    return absl::NotFoundError(
        absl::StrCat("study '", args.study, "' has no feasible COMPLETE trial yet"));
  }
  NASQ_ASSIGN_OR_RETURN(FrontHypervolume hv, HypervolumeOfFront(proto.spec(), front, reference));
  const Json records = TrialRecords(front, RecordOptionsFor(proto.spec()));
  if (args.format == OutputFormat::kTable || args.format == OutputFormat::kCsv) {
    const char* prefix = args.format == OutputFormat::kCsv ? "# " : "";
    NASQ_RETURN_IF_ERROR(
        PrintRecords(ctx, records, args.format, TrialColumnPriority(proto.spec())));
    *ctx.out << prefix << front.size() << (front.size() == 1 ? " trial" : " trials")
             << " on the Pareto front; " << HypervolumeText(hv, proto.spec()) << "\n";
    return absl::OkStatus();
  }
  const std::vector<std::string> objectives = ObjectiveColumns(proto.spec());
  Json report = Json::object();
  report["objectives"] = objectives;
  report["directions"] = DirectionNames(proto.spec());
  report["trials"] = records;
  report["hypervolume"] = hv.value;
  report["reference_point"] = Json::object();
  for (size_t i = 0; i < objectives.size(); ++i) {
    report["reference_point"][objectives[i]] = hv.reference[i];
  }
  report["reference_point_derived"] = hv.source == ReferenceSource::kDerived;
  report["reference_point_source"] = ReferenceSourceName(hv.source);
  *ctx.out << FormatRecords(Json::array({report}), args.format, /*single=*/true);
  return absl::OkStatus();
}

absl::Status WatchCommand(const CliContext& ctx, const WatchArgs& args) {
  WatchOptions options;
  options.tty = ctx.tty;
  options.interval = std::chrono::milliseconds(static_cast<int64_t>(args.interval_s * 1000));
  if (!args.reference.empty()) {
    NASQ_ASSIGN_OR_RETURN(v1::Study proto, ctx.client->GetStudy(args.study));
    NASQ_ASSIGN_OR_RETURN(options.reference, ParseReferencePoint(args.reference, proto.spec()));
  }
  return WatchStudy(*ctx.client, args.study, options, *ctx.out);
}

namespace {

// Prints one record: as Python-style JSON, or as a single-record table or YAML.
absl::Status PrintRecord(const CliContext& ctx, const Json& record, OutputFormat format) {
  if (format != OutputFormat::kJson) {
    return PrintRecords(ctx, Json::array({record}), format, {}, /*single=*/true);
  }
  *ctx.out << PythonStyleJson(record) << "\n";
  return absl::OkStatus();
}

// --lease DURATION in milliseconds; nullopt when not given.
absl::StatusOr<std::optional<int64_t>> ParseLeaseFlag(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const std::optional<int64_t> ms = ParseDurationMs(text);
  if (!ms) {
    return absl::InvalidArgumentError(
        absl::StrCat("--lease: expected a duration such as 90s, 30m or 2h, got \"", text, "\""));
  }
  return ms;
}

}  // namespace

absl::Status AskCommand(const CliContext& ctx, const AskArgs& args) {
  NASQ_ASSIGN_OR_RETURN(std::optional<int64_t> lease_ms, ParseLeaseFlag(args.lease));
  NASQ_ASSIGN_OR_RETURN(v1::Trial trial, ctx.client->Ask(args.study, lease_ms));
  return PrintRecord(ctx, AskRecord(trial), args.format);
}

absl::Status HeartbeatCommand(const CliContext& ctx, const HeartbeatArgs& args) {
  NASQ_ASSIGN_OR_RETURN(std::optional<int64_t> lease_ms, ParseLeaseFlag(args.lease));
  v1::HeartbeatRequest request;
  request.set_name(TrialResourceName(args.study, args.number));
  request.set_epoch(args.epoch);
  request.set_lease_token(args.token);
  if (lease_ms) request.set_lease_duration_ms(*lease_ms);
  NASQ_ASSIGN_OR_RETURN(v1::HeartbeatResponse response, ctx.client->Heartbeat(request));
  return PrintRecord(ctx, HeartbeatRecord(args.number, response), args.format);
}

absl::Status EnqueueCommand(const CliContext& ctx, const std::string& study,
                            const std::string& params_json) {
  const nlohmann::json json =
      nlohmann::json::parse(params_json, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--params: expected a JSON object such as {\"x\": 1}, got ", params_json));
  }
  std::map<std::string, ParamValue> params;
  for (const auto& [name, value] : json.items()) {
    if (value.is_boolean()) {
      params[name] = value.get<bool>();
    } else if (value.is_number_integer()) {
      params[name] = value.get<int64_t>();
    } else if (value.is_number()) {
      params[name] = value.get<double>();
    } else if (value.is_string()) {
      params[name] = value.get<std::string>();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--params.", name, ": expected a number, string or bool, got ", value.dump()));
    }
  }
  NASQ_ASSIGN_OR_RETURN(v1::Trial trial, ctx.client->EnqueueTrial(study, params));
  *ctx.out << "Enqueued trial " << trial.number() << " (WAITING).\n";
  return absl::OkStatus();
}

namespace {

// --constraint NAME=VALUE arguments by name (the value after the last '=').
absl::StatusOr<std::map<std::string, double>> ParseConstraintArgs(
    const std::vector<std::string>& args) {
  std::map<std::string, double> constraints;
  for (const std::string& arg : args) {
    const size_t equals = arg.rfind('=');
    if (equals == std::string::npos || equals == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--constraint: expected NAME=VALUE such as memory=0.5, got \"", arg, "\""));
    }
    const std::string name = arg.substr(0, equals);
    const std::string text = arg.substr(equals + 1);
    double value = 0;
    if (!absl::SimpleAtod(text, &value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--constraint ", name, ": \"", text, "\" is not a number"));
    }
    if (!constraints.emplace(name, value).second) {
      return absl::InvalidArgumentError(absl::StrCat("--constraint ", name, ": given twice"));
    }
  }
  return constraints;
}

// ", constraints memory=1.5, latency=-2 (infeasible)" for a trial with outcome constraints
// (system attrs "constraints:<name>"; feasible when every value is <= 0), else "".
std::string ConstraintsText(const v1::Trial& trial) {
  constexpr absl::string_view kPrefix = "constraints:";
  std::map<std::string, std::string> stored;  // by name, in order
  std::vector<double> values;
  for (const auto& [key, json] : trial.system_attrs()) {
    double value = 0;
    if (!absl::StartsWith(key, kPrefix) || !absl::SimpleAtod(json, &value)) continue;
    stored[key.substr(kPrefix.size())] = json;
    values.push_back(value);
  }
  if (stored.empty()) return "";
  std::vector<std::string> texts;
  for (const auto& [name, json] : stored) texts.push_back(absl::StrCat(name, "=", json));
  return absl::StrCat(", constraints ", absl::StrJoin(texts, ", "),
                      ConstraintPenalty(values) > 0 ? " (infeasible)" : " (feasible)");
}

}  // namespace

absl::Status TellCommand(const CliContext& ctx, const TellArgs& args) {
  v1::TrialState state = v1::TRIAL_STATE_UNSPECIFIED;
  if (!args.state.empty()) {
    const std::optional<TrialState> parsed = ParseTrialState(args.state);
    if (!parsed || !IsFinished(*parsed)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--state: expected complete, pruned or fail, got \"", args.state, "\""));
    }
    state = TrialStateToProto(*parsed);
  }
  std::vector<double> values;
  for (const std::string& text : args.values) {
    double v = 0;
    if (!absl::SimpleAtod(text, &v)) {
      return absl::InvalidArgumentError(absl::StrCat("--values: \"", text, "\" is not a number"));
    }
    values.push_back(v);
  }
  NASQ_ASSIGN_OR_RETURN(auto constraints, ParseConstraintArgs(args.constraints));
  NASQ_ASSIGN_OR_RETURN(v1::Trial told, ctx.client->Tell(args.study, args.number, state, values,
                                                         {.epoch = args.epoch,
                                                          .lease_token = args.token,
                                                          .force = args.force,
                                                          .skip_if_finished = args.skip_if_finished,
                                                          .constraints = std::move(constraints)}));
  *ctx.out << "Told trial " << told.number() << " with values [" << NumbersText(told.values())
           << "]" << ConstraintsText(told) << " and state " << TrialStateText(told.state())
           << ".\n";
  return absl::OkStatus();
}

namespace {

absl::Status WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write file"));
  return absl::OkStatus();
}

// The sweep point of `trial` for `param` and objective `k`, or nullopt when the trial lacks it.
std::optional<SweepPoint> SweepPointOf(const v1::Trial& trial, const std::string& param, int k) {
  auto it = trial.params().find(param);
  if (it == trial.params().end()) return std::nullopt;
  const v1::ParamValue& v = it->second;
  SweepPoint point{.label = DumpJson(ParamValueToJson(v)), .value = trial.values(k)};
  if (v.kind_case() == v1::ParamValue::kStringValue) point.label = v.string_value();
  if (v.kind_case() == v1::ParamValue::kIntValue) {
    point.numeric = true;
    point.x = static_cast<double>(v.int_value());
  } else if (v.kind_case() == v1::ParamValue::kDoubleValue) {
    point.numeric = true;
    point.x = v.double_value();
  }
  return point;
}

// Objective `k` of a study with `spec` as an axis names it: its metric name, "value" for the one
// objective of a study without metric names, "values_<k>" for one of several.
ObjectiveAxis ObjectiveAxisOf(const v1::StudySpec& spec, int k) {
  ObjectiveAxis axis{.maximize = spec.directions(k) == v1::STUDY_DIRECTION_MAXIMIZE};
  if (spec.metric_names_size() == spec.directions_size()) {
    axis.name = spec.metric_names(k);
  } else if (spec.directions_size() > 1) {
    axis.name = absl::StrCat("values_", k);
  }
  return axis;
}

// True for a float or int distribution on a log scale.
bool IsLogScale(const Distribution& d) {
  if (const auto* f = std::get_if<FloatDistribution>(&d)) return f->log;
  if (const auto* i = std::get_if<IntDistribution>(&d)) return i->log;
  return false;
}

// The trials as core values, sharing their distributions maps.
absl::StatusOr<std::vector<Trial>> CoreTrials(const std::vector<v1::Trial>& trials) {
  std::vector<Trial> converted;
  DistributionsInterner interner;
  for (const v1::Trial& t : trials) {
    NASQ_ASSIGN_OR_RETURN(converted.emplace_back(), TrialFromProto(t, &interner));
  }
  return converted;
}

// The first two objectives of the COMPLETE trials of a study with `spec` and their roles in its
// Pareto front, whose trials are appended to `front`. INVALID_ARGUMENT for a study with fewer
// than two objectives.
absl::StatusOr<std::vector<ParetoPoint>> ParetoPointsOf(const v1::StudySpec& spec,
                                                        const std::vector<v1::Trial>& trials,
                                                        std::vector<v1::Trial>& front) {
  if (spec.directions_size() < 2) {
    return absl::InvalidArgumentError(
        "--kind pareto needs a study with at least two objectives (this one has one)");
  }
  NASQ_ASSIGN_OR_RETURN(const std::vector<Trial> converted, CoreTrials(trials));
  const std::vector<ParetoRole> roles = ParetoRoles(converted, DirectionsOf(spec));
  std::vector<ParetoPoint> points;
  for (size_t i = 0; i < trials.size(); ++i) {
    if (roles[i] == ParetoRole::kNone) continue;
    if (roles[i] == ParetoRole::kFront) front.push_back(trials[i]);
    points.push_back({.number = trials[i].number(),
                      .x = trials[i].values(0),
                      .y = trials[i].values(1),
                      .role = roles[i]});
  }
  return points;
}

}  // namespace

absl::Status ExportCommand(const CliContext& ctx, const std::string& study, OutputFormat format,
                           const std::string& out_file) {
  NASQ_ASSIGN_OR_RETURN(v1::Study proto, ctx.client->GetStudy(study));
  NASQ_ASSIGN_OR_RETURN(std::vector<v1::Trial> trials,
                        ctx.client->ListTrials(study, {.order_by = "number"}));
  TrialRecordOptions options = RecordOptionsFor(proto.spec());
  options.with_system = true;
  const std::string text = FormatRecords(TrialRecords(trials, options), format);
  if (out_file.empty()) {
    *ctx.out << text;
    return absl::OkStatus();
  }
  NASQ_RETURN_IF_ERROR(WriteTextFile(out_file, text));
  *ctx.out << "exported " << trials.size() << " trials to " << out_file << "\n";
  return absl::OkStatus();
}

absl::Status PlotCommand(const CliContext& ctx, const PlotArgs& args) {
  NASQ_ASSIGN_OR_RETURN(v1::Study proto, ctx.client->GetStudy(args.study));
  const v1::StudySpec& spec = proto.spec();
  if (args.objective < 0 || args.objective >= spec.directions_size()) {
    return absl::InvalidArgumentError(absl::StrCat("--objective must be between 0 and ",
                                                   spec.directions_size() - 1, " (got ",
                                                   args.objective, ")"));
  }
  NASQ_ASSIGN_OR_RETURN(std::vector<v1::Trial> trials,
                        ctx.client->ListTrials(args.study, {.order_by = "number"}));
  const int k = args.objective;
  const ObjectiveAxis objective = ObjectiveAxisOf(spec, k);
  const std::string title = absl::StrCat(args.study, " (", trials.size(), " trials)");
  auto has_value = [k](const v1::Trial& t) {
    return t.state() == v1::TRIAL_STATE_COMPLETE && t.values_size() > k;
  };
  absl::StatusOr<std::string> svg;
  std::string hypervolume;  // pareto: "; hypervolume ..." when the front has a trial
  if (args.kind == "pareto") {
    std::optional<std::vector<double>> reference;
    if (!args.reference.empty()) {
      NASQ_ASSIGN_OR_RETURN(reference, ParseReferencePoint(args.reference, spec));
    }
    std::vector<v1::Trial> front;
    NASQ_ASSIGN_OR_RETURN(const std::vector<ParetoPoint> points,
                          ParetoPointsOf(spec, trials, front));
    if (!front.empty()) {
      NASQ_ASSIGN_OR_RETURN(const FrontHypervolume hv, HypervolumeOfFront(spec, front, reference));
      hypervolume = HypervolumeText(hv, spec);
    }
    svg = RenderParetoSvg(title,
                          {.x = ObjectiveAxisOf(spec, 0),
                           .y = ObjectiveAxisOf(spec, 1),
                           .step_line = spec.directions_size() == 2},
                          points, hypervolume);
  } else if (args.kind == "history") {
    std::vector<HistoryPoint> points;
    for (const v1::Trial& t : trials) {
      if (has_value(t)) points.push_back({t.number(), t.values(k)});
    }
    svg = RenderHistorySvg(title, objective, points);
  } else if (args.kind == "importance") {
    NASQ_ASSIGN_OR_RETURN(const StudySpec core_spec, StudySpecFromProto(spec));
    NASQ_ASSIGN_OR_RETURN(const std::vector<Trial> core_trials, CoreTrials(trials));
    const ImportanceOptions options{.objective = k};
    NASQ_ASSIGN_OR_RETURN(const std::vector<ParamImportance> importances,
                          ComputeParamImportances(core_spec, core_trials, options));
    svg = RenderImportanceSvg(
        absl::StrCat(args.study, ": parameter importance for ", ObjectiveAxisTitle(objective)),
        absl::StrCat("PED-ANOVA importance (top ", options.target_quantile * 100,
                     "% of trials vs all)"),
        importances);
  } else {
    if (args.param.empty()) return absl::InvalidArgumentError("--kind sweep needs --param NAME");
    std::vector<SweepPoint> points;
    for (const v1::Trial& t : trials) {
      if (!has_value(t)) continue;
      if (std::optional<SweepPoint> p = SweepPointOf(t, args.param, k)) points.push_back(*p);
    }
    NASQ_ASSIGN_OR_RETURN(const SearchSpace space, SearchSpaceFromProto(spec.space(), "space"));
    const ParamSpec* swept = space.Find(args.param);
    const bool log_x = swept != nullptr && IsLogScale(swept->distribution);
    svg = RenderSweepSvg(title, args.param, objective, points, log_x);
  }
  if (!svg.ok()) return svg.status();
  NASQ_RETURN_IF_ERROR(WriteTextFile(args.out_file, *svg));
  *ctx.out << "wrote " << args.kind << " plot of " << args.study << " to " << args.out_file
           << (hypervolume.empty() ? "" : "; ") << hypervolume << "\n";
  return absl::OkStatus();
}

std::string CliErrorLine(const absl::Status& status, const std::string& server) {
  std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      message = absl::StrCat("cannot reach nasq-server at ", server, " (", message, ")");
      break;
    case absl::StatusCode::kDeadlineExceeded:
      message = absl::StrCat("nasq-server at ", server, " did not answer in time");
      break;
    case absl::StatusCode::kUnauthenticated:
      message = absl::StrCat("nasq-server at ", server,
                             " refused the token (missing, unknown or expired); give one with "
                             "--token-file or NASQ_TOKEN");
      break;
    case absl::StatusCode::kPermissionDenied:
      message = "the token's role may not do this (see docs/security.md)";
      break;
    case absl::StatusCode::kResourceExhausted:
      if (message.empty()) message = "the server refused the request (resource exhausted)";
      break;
    default:
      if (message.empty()) message = absl::StatusCodeToString(status.code());
  }
  return absl::StrCat("nasq: ", absl::StrReplaceAll(message, {{"\r", " "}, {"\n", " "}}));
}

}  // namespace nasq

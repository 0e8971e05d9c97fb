#include "cli/optuna_commands.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "interop/optuna_space.h"
#include "interop/optuna_storage.h"
#include "nlohmann/json.hpp"
#include "proto/convert.h"

namespace nasq {
namespace {

constexpr char kSqliteScheme[] = "sqlite:///";

// Where an imported trial came from, as its system attr.
constexpr char kOptunaTrialAttr[] = "optuna_trial";

absl::StatusOr<std::string> SqlitePath(const std::string& url) {
  if (!absl::StartsWith(url, kSqliteScheme) || url.size() == sizeof(kSqliteScheme) - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--from: '", url, "' is not an Optuna SQLite storage URL; give ",
                     kSqliteScheme, "FILE.db (relative) or ", kSqliteScheme, "/abs/FILE.db"));
  }
  return url.substr(sizeof(kSqliteScheme) - 1);
}

absl::StatusOr<SamplerKind> ImportSampler(const std::string& name) {
  std::optional<SamplerKind> kind = ParseSamplerKind(name);
  if (!kind || *kind == SamplerKind::kGrid) {
    return absl::InvalidArgumentError(
        absl::StrCat("--sampler: '", name,
                     "' is not tpe, random or nsga2 (a grid study cannot hold added "
                     "trials)"));
  }
  return *kind;
}

// The spec of the nasq study an Optuna study becomes.
absl::StatusOr<StudySpec> ImportedSpec(const OptunaStudy& optuna, const ImportArgs& args) {
  StudySpec spec;
  spec.name = args.as.empty() ? optuna.name : args.as;
  spec.directions = optuna.directions;
  spec.metric_names = optuna.metric_names;
  spec.user_attrs = optuna.user_attrs;
  NASQ_ASSIGN_OR_RETURN(spec.sampler.kind, ImportSampler(args.sampler));
  spec.sampler.seed = args.seed;
  if (optuna.nasq_spec) {
    spec.space = optuna.nasq_spec->space;  // exported by nasq: the exact space, conditions too
  } else {
    NASQ_ASSIGN_OR_RETURN(spec.space, InferSearchSpace(optuna.trials));
  }
  if (absl::Status valid = ValidateStudySpec(spec); !valid.ok()) {
    if (args.as.empty() && absl::StartsWith(valid.message(), "name:")) {
      return absl::InvalidArgumentError(
          absl::StrCat(valid.message(), "; name the new study with --as"));
    }
    return valid;
  }
  return spec;
}

}  // namespace

absl::Status ExportOptunaCommand(const CliContext& ctx, const std::string& study,
                                 const std::string& out_file) {
  if (out_file.empty()) {
    return absl::InvalidArgumentError("--out: required with --format optuna (the .db file)");
  }
  NASQ_ASSIGN_OR_RETURN(v1::Study proto, ctx.client->GetStudy(study));
  NASQ_ASSIGN_OR_RETURN(Study core_study, StudyFromProto(proto));
  NASQ_ASSIGN_OR_RETURN(std::vector<v1::Trial> trials,
                        ctx.client->ListTrials(study, {.order_by = "number"}));
  std::vector<Trial> core_trials;
  DistributionsInterner interner;
  for (const v1::Trial& t : trials) {
    NASQ_ASSIGN_OR_RETURN(core_trials.emplace_back(), TrialFromProto(t, &interner));
  }
  NASQ_RETURN_IF_ERROR(WriteOptunaStudy(out_file, core_study, core_trials));
  *ctx.out << "exported study " << study << " with " << trials.size()
           << " trials to Optuna storage sqlite:///" << out_file << "\n";
  return absl::OkStatus();
}

absl::Status ImportOptunaCommand(const CliContext& ctx, const ImportArgs& args) {
  NASQ_ASSIGN_OR_RETURN(std::string path, SqlitePath(args.from));
  NASQ_ASSIGN_OR_RETURN(OptunaStudy optuna, ReadOptunaStudy(path, args.study));
  NASQ_ASSIGN_OR_RETURN(StudySpec spec, ImportedSpec(optuna, args));
  std::vector<v1::Trial> finished;
  int64_t skipped = 0;
  for (Trial& trial : optuna.trials) {
    if (!IsFinished(trial.state)) {
      ++skipped;
      continue;
    }
    trial.system_attrs[kOptunaTrialAttr] =
        nlohmann::json{{"study", optuna.name}, {"number", trial.number}}.dump();
    finished.push_back(TrialToProto(trial, spec.name));
  }
  NASQ_RETURN_IF_ERROR(ctx.client->CreateStudy(spec).status());
  for (const v1::Trial& trial : finished) {
    absl::Status added = ctx.client->AddTrial(spec.name, trial).status();
    if (!added.ok()) {
      absl::Status deleted = ctx.client->DeleteStudy(spec.name);
      return absl::Status(
          added.code(),
          absl::StrCat(
              "Optuna trial ", trial.number(), ": ", added.message(), "; study ", spec.name,
              deleted.ok() ? " deleted again" : absl::StrCat(" left behind: ", deleted.message())));
    }
  }
  *ctx.out << "imported " << finished.size() << " finished trials of Optuna study " << optuna.name
           << " into study " << spec.name << " (sampler " << SamplerKindName(spec.sampler.kind)
           << ")";
  if (skipped > 0) *ctx.out << "; skipped " << skipped << " running or waiting trials";
  *ctx.out << "\n";
  return absl::OkStatus();
}

}  // namespace nasq

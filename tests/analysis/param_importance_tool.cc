// param_importance_tool: prints ComputeParamImportances of a study given as files, for
// tests/python/test_param_importance.py to compare with Optuna's PedAnovaImportanceEvaluator.
//
// Usage: param_importance_tool SPEC.yaml TRIALS.json OBJECTIVE TARGET_QUANTILE REGION_QUANTILE
// TRIALS.json: [{"params": {"name": value, ...}, "values": [v, ...]}, ...], every trial
// COMPLETE, each param's distribution the space's. Prints {"param": importance, ...} (JSON,
// doubles round-trip) most important first; exit status 1 with the error on stderr otherwise.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "analysis/param_importance.h"
#include "nlohmann/json.hpp"
#include "spec/spec_yaml.h"

namespace nasq {
namespace {

absl::StatusOr<ParamValue> ValueOf(const nlohmann::json& j) {
  if (j.is_boolean()) return ParamValue(j.get<bool>());
  if (j.is_number_integer()) return ParamValue(j.get<int64_t>());
  if (j.is_number()) return ParamValue(j.get<double>());
  if (j.is_string()) return ParamValue(j.get<std::string>());
  return absl::InvalidArgumentError(absl::StrCat("not a param value: ", j.dump()));
}

absl::StatusOr<std::vector<Trial>> ReadTrials(const StudySpec& spec, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  const nlohmann::json rows = nlohmann::json::parse(in);
  std::vector<Trial> trials;
  for (const nlohmann::json& row : rows) {
    Trial t;
    t.number = t.id = static_cast<int64_t>(trials.size());
    t.state = TrialState::kComplete;
    TrialDistributions::Map dists;
    for (const auto& [name, value] : row.at("params").items()) {
      const ParamSpec* p = spec.space.Find(name);
      if (p == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown param ", name));
      absl::StatusOr<ParamValue> external = ValueOf(value);
      if (!external.ok()) return external.status();
      absl::StatusOr<double> internal = ToInternal(p->distribution, *external);
      if (!internal.ok()) return internal.status();
      t.params[name] = *internal;
      dists.emplace(name, p->distribution);
    }
    t.distributions = TrialDistributions(std::move(dists));
    t.values = row.at("values").get<std::vector<double>>();
    trials.push_back(std::move(t));
  }
  return trials;
}

absl::Status Run(int argc, char** argv) {
  if (argc != 6) {
    return absl::InvalidArgumentError(
        "usage: param_importance_tool SPEC.yaml TRIALS.json OBJECTIVE TARGET_QUANTILE "
        "REGION_QUANTILE");
  }
  absl::StatusOr<StudySpec> spec = LoadStudySpecFile(argv[1]);
  if (!spec.ok()) return spec.status();
  absl::StatusOr<std::vector<Trial>> trials = ReadTrials(*spec, argv[2]);
  if (!trials.ok()) return trials.status();
  const ImportanceOptions options{.objective = std::stoi(argv[3]),
                                  .target_quantile = std::stod(argv[4]),
                                  .region_quantile = std::stod(argv[5])};
  absl::StatusOr<std::vector<ParamImportance>> importances =
      ComputeParamImportances(*spec, *trials, options);
  if (!importances.ok()) return importances.status();
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const ParamImportance& p : *importances) out[p.param] = p.importance;
  std::cout << out.dump() << "\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace nasq

int main(int argc, char** argv) {
  try {
    const absl::Status status = nasq::Run(argc, argv);
    if (status.ok()) return 0;
    std::cerr << status << "\n";
  } catch (const std::exception& e) {  // malformed JSON or numbers
    std::cerr << e.what() << "\n";
  }
  return 1;
}

// bench/mo/bench_mo_quality.cc: multi-objective search quality of nasq versus Optuna.
//
// For every problem (problems.h) and seed s in [0, seeds) it runs nasq's NSGA-II, TPE and
// random samplers (CreateSampler with seed s and default options) for the last checkpoint's
// number of trials and records the hypervolume (core/pareto.h, the problem's fixed reference
// point) of the trials up to each checkpoint (default 100 and 200). In the same run it starts
// optuna_mo.py twice (Optuna's NSGAIISampler(seed=s) and TPESampler(seed=s), Optuna 5.0 from the
// venv of bench/common/make_venv.sh), or reads saved outputs of it, checks that both
// implementations of the problems agree on the points Optuna evaluated, and computes Optuna's
// hypervolumes from its trials' values with the same code. Verdicts: one-sided Mann-Whitney U
// tests over the per-seed hypervolumes at level --alpha, nasq against Optuna's same algorithm
// at every checkpoint: WORSE when nasq is stochastically worse (p < alpha), BETTER when
// stochastically better, otherwise TIE (within noise).
// Exit status 0 when no verdict is WORSE; 1 otherwise (2 on errors).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/common/python_json.h"
#include "bench/common/stats.h"
#include "bench/common/study_loop.h"
#include "bench/mo/problems.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace nasq::bench {
namespace {

struct MoOptions {
  int seeds = 20;                             // studies per sampler and problem (seeds 0..seeds-1)
  std::vector<int> checkpoints = {100, 200};  // trials after which the hypervolume is taken
  std::string problems = absl::StrJoin(MoProblemNames(), ",");
  double alpha = 0.05;  // significance level of the Mann-Whitney U tests
  std::string python = NASQ_BENCH_QUALITY_PYTHON;
  std::string script = NASQ_BENCH_MO_DIR "/optuna_mo.py";
  // Saved outputs of optuna_mo.py (any samplers and problems, same seeds, at least as many
  // trials); the (sampler, problem) pairs they lack are run.
  std::vector<std::string> optuna_json;

  int trials() const { return checkpoints.back(); }
};

// Optuna's samplers as optuna_mo.py names them, with the nasq sampler of the same algorithm.
struct Algorithm {
  const char* optuna_name;  // optuna_mo.py --sampler
  const char* label;        // in the tables
  SamplerKind nasq_kind;
};
constexpr Algorithm kAlgorithms[] = {{"nsga2", "NSGA-II", SamplerKind::kNsga2},
                                     {"tpe", "TPE", SamplerKind::kTpe}};

// Per-seed hypervolumes of one sampler on one problem: at[c][s] after checkpoint c, seed s.
struct SeedHypervolumes {
  std::vector<std::vector<double>> at;
  double seconds = 0.0;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Adds the hypervolumes of one study (its trials' `values`) at every checkpoint to `result`.
absl::Status AddStudy(const MoProblem& problem, const std::vector<std::vector<double>>& values,
                      const MoOptions& options, SeedHypervolumes& result) {
  result.at.resize(options.checkpoints.size());
  for (size_t c = 0; c < options.checkpoints.size(); ++c) {
    NASQ_ASSIGN_OR_RETURN(double hv, problem.HypervolumeOfFirst(values, options.checkpoints[c]));
    result.at[c].push_back(hv);
  }
  return absl::OkStatus();
}

// Runs the nasq sampler `kind` (default options, seed set to each of 0..seeds-1) on `problem`.
absl::StatusOr<SeedHypervolumes> RunNasq(const MoProblem& problem, SamplerKind kind,
                                         const MoOptions& options) {
  SeedHypervolumes result;
  const auto start = std::chrono::steady_clock::now();
  for (int seed = 0; seed < options.seeds; ++seed) {
    StudySpec spec;
    spec.name = "bench_" + problem.name;
    spec.directions = problem.directions;
    spec.space = problem.space;
    spec.sampler = {.kind = kind, .seed = static_cast<uint64_t>(seed)};
    NASQ_ASSIGN_OR_RETURN(StudyLoop loop, StudyLoop::Create(std::move(spec)));
    std::vector<std::vector<double>> values;
    for (int t = 0; t < options.trials(); ++t) {
      NASQ_ASSIGN_OR_RETURN(InternalParams params, loop.Ask());
      values.push_back(problem.Evaluate(params));
      loop.Tell(std::move(params), values.back());
    }
    NASQ_RETURN_IF_ERROR(AddStudy(problem, values, options, result));
  }
  result.seconds = SecondsSince(start);
  return result;
}

// Checks that `problem` evaluates Optuna's probe points to the values Optuna reported.
absl::Status CheckProbes(const MoProblem& problem, const nlohmann::json& probes) {
  if (probes.empty()) return absl::InternalError(problem.name + ": Optuna reported no probes");
  for (const nlohmann::json& probe : probes) {
    NASQ_ASSIGN_OR_RETURN(ExternalParams params, ExternalParamsFromJson(probe.at("params")));
    const std::vector<double> ours = problem.objective(params);
    const std::vector<double> theirs = probe.at("values").get<std::vector<double>>();
    bool agree = ours.size() == theirs.size();
    for (size_t i = 0; agree && i < ours.size(); ++i) {
      agree = std::abs(ours[i] - theirs[i]) <= 1e-9 * std::max(1.0, std::abs(theirs[i]));
    }
    if (!agree) {
      return absl::InternalError(absl::StrFormat(
          "%s: C++ and Python problem definitions disagree at %s: [%s] vs [%s]", problem.name,
          probe.at("params").dump(), absl::StrJoin(ours, ", "), absl::StrJoin(theirs, ", ")));
    }
  }
  return absl::OkStatus();
}

// Optuna's results, by sampler and problem: {"nsga2": {"zdt1": {...}, ...}, "tpe": {...}}, and
// its version.
struct OptunaResults {
  std::map<std::string, std::map<std::string, nlohmann::json>> by_sampler;
  std::string version = "?";
};

// Adds one optuna_mo.py output to `results`; INVALID_ARGUMENT (naming `source`) when it has
// fewer trials than the bench needs or an unknown sampler.
absl::Status AddOptunaOutput(const std::string& source, const nlohmann::json& output,
                             const MoOptions& options, OptunaResults& results) {
  const std::string sampler = output.at("sampler").get<std::string>();
  if (std::none_of(std::begin(kAlgorithms), std::end(kAlgorithms),
                   [&](const Algorithm& a) { return sampler == a.optuna_name; })) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": unknown sampler '", sampler, "'"));
  }
  if (output.at("trials").get<int>() < options.trials()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", output.at("trials").get<int>(),
                                                   " trials per study, need ", options.trials()));
  }
  results.version = output.value("optuna_version", "?");
  for (const auto& [problem, result] : output.at("problems").items()) {
    results.by_sampler[sampler][problem] = result;
  }
  return absl::OkStatus();
}

// Reads the saved outputs, then runs optuna_mo.py for every sampler with the problems they lack.
absl::StatusOr<OptunaResults> LoadOrRunOptuna(const std::vector<std::string>& problems,
                                              const MoOptions& options) {
  OptunaResults results;
  for (const std::string& path : options.optuna_json) {
    NASQ_ASSIGN_OR_RETURN(nlohmann::json output, ReadJsonFile("--optuna-json", path));
    NASQ_RETURN_IF_ERROR(
        AddOptunaOutput(absl::StrCat("--optuna-json ", path), output, options, results));
  }
  for (const Algorithm& algorithm : kAlgorithms) {
    std::vector<std::string> missing;
    for (const std::string& problem : problems) {
      if (!results.by_sampler[algorithm.optuna_name].contains(problem)) missing.push_back(problem);
    }
    if (missing.empty()) continue;
    const std::string list = absl::StrJoin(missing, ",");
    std::cerr << "Running Optuna " << algorithm.label << " (" << options.script
              << "): " << options.seeds << " seeds x " << options.trials() << " trials x " << list
              << " ..." << std::endl;
    NASQ_ASSIGN_OR_RETURN(
        nlohmann::json output,
        RunPythonJson(options.python, options.script,
                      {"--sampler", algorithm.optuna_name, "--seeds", std::to_string(options.seeds),
                       "--trials", std::to_string(options.trials()), "--problems", list}));
    NASQ_RETURN_IF_ERROR(AddOptunaOutput(options.script, output, options, results));
  }
  return results;
}

// Optuna's per-seed hypervolumes of `problem` in `result` (one problem of optuna_mo.py's
// output), after checking its probe points against the C++ definition of the problem.
absl::StatusOr<SeedHypervolumes> OptunaHypervolumes(const MoProblem& problem,
                                                    const nlohmann::json& result,
                                                    const MoOptions& options) {
  NASQ_RETURN_IF_ERROR(CheckProbes(problem, result.at("probes")));
  const auto studies = result.at("values").get<std::vector<std::vector<std::vector<double>>>>();
  if (studies.size() != static_cast<size_t>(options.seeds)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("Optuna results for %s have %d seeds, expected %d", problem.name,
                        studies.size(), options.seeds));
  }
  SeedHypervolumes hv;
  for (const auto& values : studies) NASQ_RETURN_IF_ERROR(AddStudy(problem, values, options, hv));
  hv.seconds = result.at("seconds").get<double>();
  return hv;
}

// Everything measured on one problem: per algorithm nasq's and Optuna's hypervolumes.
struct ProblemResult {
  const MoProblem* problem;
  std::vector<SeedHypervolumes> nasq, optuna;  // by kAlgorithms
  SeedHypervolumes random;
};

absl::StatusOr<ProblemResult> Measure(const MoProblem& problem, const OptunaResults& optuna,
                                      const MoOptions& options) {
  ProblemResult r{.problem = &problem};
  for (const Algorithm& algorithm : kAlgorithms) {
    NASQ_ASSIGN_OR_RETURN(
        SeedHypervolumes theirs,
        OptunaHypervolumes(problem, optuna.by_sampler.at(algorithm.optuna_name).at(problem.name),
                           options));
    r.optuna.push_back(std::move(theirs));
    NASQ_ASSIGN_OR_RETURN(SeedHypervolumes ours, RunNasq(problem, algorithm.nasq_kind, options));
    r.nasq.push_back(std::move(ours));
  }
  NASQ_ASSIGN_OR_RETURN(r.random, RunNasq(problem, SamplerKind::kRandom, options));
  return r;
}

// "median [q25, q75]" of the hypervolumes.
std::string MedianIqr(const std::vector<double>& hv) {
  return absl::StrFormat("%.5g [%.5g, %.5g]", Median(hv), Quantile(hv, 0.25), Quantile(hv, 0.75));
}

std::vector<double> Negated(std::vector<double> values) {
  for (double& v : values) v = -v;
  return values;
}

// Prints the timings, the hypervolume table and the verdicts (the table last but for the
// result line); returns whether no verdict is WORSE.
bool Report(const std::vector<ProblemResult>& results, const std::string& optuna,
            const MoOptions& options) {
  std::cout << "Wall time of all seeds per problem:\n";
  for (const ProblemResult& r : results) {
    std::cout << "  " << r.problem->name << ":";
    for (size_t a = 0; a < std::size(kAlgorithms); ++a) {
      std::cout << absl::StrFormat(" nasq %s %.2f s, %s %s %.1f s,", kAlgorithms[a].label,
                                   r.nasq[a].seconds, optuna, kAlgorithms[a].label,
                                   r.optuna[a].seconds);
    }
    std::cout << absl::StrFormat(" nasq random %.2f s\n", r.random.seconds);
  }
  std::cout << absl::StrFormat(
      "\nMulti-objective quality: hypervolume (larger is better; fixed reference point per "
      "problem, bench/mo/README.md), median [IQR] over %d seeds; verdicts: nasq vs %s, same "
      "algorithm, one-sided Mann-Whitney U, alpha=%.2g\n\n",
      options.seeds, optuna, options.alpha);
  std::cout << "| problem | trials | nasq NSGA-II | " << optuna << " NSGA-II | nasq TPE | "
            << optuna << " TPE | nasq random | NSGA-II verdict | TPE verdict |\n"
            << "|---|---|---|---|---|---|---|---|---|\n";
  bool all_pass = true;
  for (const ProblemResult& r : results) {
    for (size_t c = 0; c < options.checkpoints.size(); ++c) {
      std::string row = absl::StrFormat("| %s | %d |", r.problem->name, options.checkpoints[c]);
      std::string verdicts;
      for (size_t a = 0; a < std::size(kAlgorithms); ++a) {
        absl::StrAppend(&row, " ", MedianIqr(r.nasq[a].at[c]), " | ", MedianIqr(r.optuna[a].at[c]),
                        " |");
        const Comparison comparison =
            CompareLosses(Negated(r.nasq[a].at[c]), Negated(r.optuna[a].at[c]), options.alpha);
        absl::StrAppend(&verdicts, " ", comparison.Text(), " |");
        all_pass = all_pass && comparison.outcome != Comparison::kWorse;
      }
      std::cout << row << " " << MedianIqr(r.random.at[c]) << " |" << verdicts << "\n";
    }
  }
  std::cout << "\nRESULT: " << (all_pass ? "PASS" : "FAIL")
            << " (passing needs no nasq sampler stochastically worse than " << optuna
            << "'s same algorithm on any problem and checkpoint)\n";
  return all_pass;
}

absl::StatusOr<bool> Run(const MoOptions& options) {
  std::vector<std::string> names = absl::StrSplit(options.problems, ',');
  std::vector<MoProblem> problems;
  for (const std::string& name : names) {
    NASQ_ASSIGN_OR_RETURN(MoProblem problem, MakeMoProblem(name));
    problems.push_back(std::move(problem));
  }
  NASQ_ASSIGN_OR_RETURN(OptunaResults optuna, LoadOrRunOptuna(names, options));
  std::vector<ProblemResult> results;
  for (const MoProblem& problem : problems) {
    NASQ_ASSIGN_OR_RETURN(ProblemResult r, Measure(problem, optuna, options));
    results.push_back(std::move(r));
  }
  return Report(results, "Optuna " + optuna.version, options);
}

}  // namespace
}  // namespace nasq::bench

int main(int argc, char** argv) {
  nasq::bench::MoOptions options;
  CLI::App app{
      "Multi-objective quality: hypervolume of nasq NSGA-II / TPE / random vs Optuna 5.0 "
      "NSGA-II / TPE"};
  bool quick = false;
  app.add_option("--seeds", options.seeds, "Seeds per sampler and problem")
      ->check(CLI::PositiveNumber);
  app.add_option("--checkpoints", options.checkpoints,
                 "Increasing trial counts at which the hypervolume is taken (the last is the "
                 "trials per study)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  app.add_option("--problems", options.problems, "Comma-separated problems");
  app.add_option("--alpha", options.alpha, "Significance level")->check(CLI::Range(0.0, 1.0));
  app.add_option("--python", options.python,
                 "Python interpreter with optuna (default: the venv of make_venv.sh)");
  app.add_option("--script", options.script, "Path of optuna_mo.py");
  app.add_option("--optuna-json", options.optuna_json,
                 "Saved optuna_mo.py output to use instead of running it (repeatable; same seeds, "
                 "at least as many trials); missing sampler/problem pairs are run");
  app.add_flag("--quick", quick, "Smoke run: 3 seeds, checkpoints 20,40");
  CLI11_PARSE(app, argc, argv);
  if (quick) {
    options.seeds = 3;
    options.checkpoints = {20, 40};
  }
  if (!std::is_sorted(options.checkpoints.begin(), options.checkpoints.end())) {
    std::cerr << "bench_mo_quality: --checkpoints must be increasing\n";
    return 2;
  }
  return nasq::bench::RunBenchmarkMain("bench_mo_quality",
                                       [&] { return nasq::bench::Run(options); });
}

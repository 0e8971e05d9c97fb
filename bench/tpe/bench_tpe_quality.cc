// bench/tpe/bench_tpe_quality.cc: TPE search quality of nasq versus random search and Optuna.
//
// For every problem (problems.h) and seed s in [0, seeds) it runs nasq's TPE and random
// samplers for `trials` trials and records the best value; in the same run it starts
// optuna_quality.py (Optuna 3.1's TPESampler(seed=s), same budget) and first checks that both
// implementations of the problems agree on the points Optuna evaluated. Verdicts use one-sided
// Mann-Whitney U tests over the per-seed best values at level --alpha:
//   * vs random: PASS when nasq's median best is better and nasq is stochastically better
//     (p < alpha);
//   * vs Optuna: WORSE when nasq is stochastically worse (p < alpha), BETTER when
//     stochastically better, otherwise TIE (within noise); PASS unless WORSE.
// Exit status 0 when every verdict passes, 1 otherwise (2 on errors).
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/tpe/bench_study.h"
#include "bench/tpe/problems.h"
#include "bench/tpe/python_json.h"
#include "bench/tpe/stats.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace nasq::bench {
namespace {

struct QualityOptions {
  int seeds = 20;                 // studies per sampler and problem (seeds 0..seeds-1)
  int trials = 200;               // trials per study
  std::string problems = absl::StrJoin(QualityProblemNames(), ",");
  double alpha = 0.05;            // significance level of the Mann-Whitney U tests
  std::string python = NASQ_BENCH_PYTHON;
  std::string script = NASQ_BENCH_TPE_DIR "/optuna_quality.py";
  // Run Optuna 3.1 with the fix of Optuna PR #5110 (optuna_quality.py --fix-logpdf-scale).
  bool fix_logpdf_scale = false;
  // When set, Optuna's results are read from this file (saved output of optuna_quality.py run
  // with the same seeds, trials and problems) instead of running the script.
  std::string optuna_json;
};

// Per-seed best values of one sampler on one problem.
struct SeedBests {
  std::vector<double> best;
  double seconds = 0.0;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

absl::StatusOr<SeedBests> RunNasq(const BenchProblem& problem, SamplerKind kind,
                                  const QualityOptions& options) {
  SeedBests result;
  const auto start = std::chrono::steady_clock::now();
  for (int seed = 0; seed < options.seeds; ++seed) {
    NASQ_ASSIGN_OR_RETURN(BenchStudy study,
                          BenchStudy::Create(&problem, kind, static_cast<uint64_t>(seed)));
    for (int t = 0; t < options.trials; ++t) NASQ_RETURN_IF_ERROR(study.RunTrial().status());
    result.best.push_back(study.best());
  }
  result.seconds = SecondsSince(start);
  return result;
}

absl::StatusOr<ExternalParams> ParamsFromJson(const nlohmann::json& json) {
  ExternalParams params;
  for (const auto& [name, value] : json.items()) {
    if (value.is_number_integer()) {
      params[name] = value.get<int64_t>();
    } else if (value.is_number()) {
      params[name] = value.get<double>();
    } else if (value.is_string()) {
      params[name] = value.get<std::string>();
    } else {
      return absl::InternalError(absl::StrCat("probe param '", name, "' has an unsupported type"));
    }
  }
  return params;
}

// Checks that `problem` evaluates Optuna's probe points to the values Optuna reported.
absl::Status CheckProbes(const BenchProblem& problem, const nlohmann::json& probes) {
  if (probes.empty()) return absl::InternalError(problem.name + ": Optuna reported no probes");
  for (const nlohmann::json& probe : probes) {
    NASQ_ASSIGN_OR_RETURN(ExternalParams params, ParamsFromJson(probe.at("params")));
    const double ours = problem.objective(params);
    const double theirs = probe.at("value").get<double>();
    if (std::abs(ours - theirs) > 1e-9 * std::max(1.0, std::abs(theirs))) {
      return absl::InternalError(absl::StrFormat(
          "%s: C++ and Python problem definitions disagree at %s: %.17g vs %.17g", problem.name,
          probe.at("params").dump(), ours, theirs));
    }
  }
  return absl::OkStatus();
}

// Values in "smaller is better" form, so the tests need not know the direction.
std::vector<double> AsLosses(StudyDirection direction, std::vector<double> values) {
  if (direction == StudyDirection::kMaximize) {
    for (double& v : values) v = -v;
  }
  return values;
}

struct Verdicts {
  std::string vs_random, vs_optuna;
  bool pass = true;
};

Verdicts Judge(StudyDirection direction, const SeedBests& tpe, const SeedBests& random,
               const SeedBests& optuna, double alpha) {
  const std::vector<double> tpe_loss = AsLosses(direction, tpe.best);
  const std::vector<double> random_loss = AsLosses(direction, random.best);
  const std::vector<double> optuna_loss = AsLosses(direction, optuna.best);
  Verdicts v;
  const double p_random = MannWhitneyLessP(tpe_loss, random_loss);
  const bool beats_random = Median(tpe_loss) < Median(random_loss) && p_random < alpha;
  v.vs_random = absl::StrFormat("%s (p=%.2g)", beats_random ? "BEATS" : "NOT BETTER", p_random);
  const double p_worse = MannWhitneyLessP(optuna_loss, tpe_loss);
  const double p_better = MannWhitneyLessP(tpe_loss, optuna_loss);
  if (p_worse < alpha) {
    v.vs_optuna = absl::StrFormat("WORSE (p=%.2g)", p_worse);
  } else if (p_better < alpha) {
    v.vs_optuna = absl::StrFormat("BETTER (p=%.2g)", p_better);
  } else {
    v.vs_optuna = absl::StrFormat("TIE (p_worse=%.2g)", p_worse);
  }
  v.pass = beats_random && p_worse >= alpha;
  return v;
}

absl::StatusOr<nlohmann::json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("--optuna-json: cannot read '", path, "'"));
  nlohmann::json parsed = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat("--optuna-json: '", path, "' is not JSON"));
  }
  return parsed;
}

// Optuna's results, from --optuna-json or by running optuna_quality.py.
absl::StatusOr<nlohmann::json> OptunaResults(const QualityOptions& options) {
  if (!options.optuna_json.empty()) return ReadJsonFile(options.optuna_json);
  std::cerr << "Running Optuna (" << options.script << "): " << options.seeds << " seeds x "
            << options.trials << " trials x " << options.problems << " ..." << std::endl;
  std::vector<std::string> args = {"--seeds", std::to_string(options.seeds), "--trials",
                                   std::to_string(options.trials), "--problems",
                                   options.problems};
  if (options.fix_logpdf_scale) args.push_back("--fix-logpdf-scale");
  return RunPythonJson(options.python, options.script, args);
}

absl::StatusOr<bool> Run(const QualityOptions& options) {
  std::vector<BenchProblem> problems;
  for (absl::string_view name : absl::StrSplit(options.problems, ',')) {
    NASQ_ASSIGN_OR_RETURN(BenchProblem problem, MakeQualityProblem(std::string(name)));
    problems.push_back(std::move(problem));
  }
  const auto optuna_start = std::chrono::steady_clock::now();
  NASQ_ASSIGN_OR_RETURN(nlohmann::json optuna, OptunaResults(options));
  const double optuna_seconds = SecondsSince(optuna_start);

  std::cout << absl::StrFormat(
      "TPE quality: median over %d seeds of the best value after %d trials (reference: %s; "
      "Mann-Whitney U one-sided, alpha=%.2g)\n\n",
      options.seeds, options.trials, optuna.value("variant", "Optuna ?"), options.alpha);
  std::cout << "| problem | direction | nasq TPE median best | random median best | "
               "Optuna TPE median best | nasq vs random | nasq vs Optuna |\n"
               "|---|---|---|---|---|---|---|\n";
  bool all_pass = true;
  std::string timings;
  for (const BenchProblem& problem : problems) {
    if (!optuna.at("problems").contains(problem.name)) {
      return absl::InvalidArgumentError("Optuna's results lack problem " + problem.name);
    }
    const nlohmann::json& theirs = optuna.at("problems").at(problem.name);
    NASQ_RETURN_IF_ERROR(CheckProbes(problem, theirs.at("probes")));
    SeedBests optuna_bests{theirs.at("best").get<std::vector<double>>(),
                           theirs.at("seconds").get<double>()};
    if (optuna_bests.best.size() != static_cast<size_t>(options.seeds)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "Optuna's results for %s have %d seeds, expected %d", problem.name,
          optuna_bests.best.size(), options.seeds));
    }
    NASQ_ASSIGN_OR_RETURN(SeedBests tpe, RunNasq(problem, SamplerKind::kTpe, options));
    NASQ_ASSIGN_OR_RETURN(SeedBests random, RunNasq(problem, SamplerKind::kRandom, options));
    const Verdicts v = Judge(problem.direction, tpe, random, optuna_bests, options.alpha);
    all_pass = all_pass && v.pass;
    std::cout << absl::StrFormat("| %s | %s | %.6g | %.6g | %.6g | %s | %s |\n", problem.name,
                                 StudyDirectionName(problem.direction), Median(tpe.best),
                                 Median(random.best), Median(optuna_bests.best), v.vs_random,
                                 v.vs_optuna);
    absl::StrAppendFormat(&timings, "  %s: nasq TPE %.2f s, Optuna TPE %.2f s (x%.0f)\n",
                          problem.name, tpe.seconds, optuna_bests.seconds,
                          optuna_bests.seconds / tpe.seconds);
  }
  std::cout << "\nWall time of all seeds per problem:\n" << timings;
  if (options.optuna_json.empty()) {
    std::cout << absl::StrFormat("  Optuna script total (incl. interpreter start): %.1f s\n",
                                 optuna_seconds);
  }
  std::cout << "\nRESULT: " << (all_pass ? "PASS" : "FAIL")
            << " (nasq TPE beats random and is not worse than Optuna on every problem)\n";
  return all_pass;
}

}  // namespace
}  // namespace nasq::bench

int main(int argc, char** argv) {
  nasq::bench::QualityOptions options;
  CLI::App app{"TPE search quality: nasq TPE vs random search vs Optuna 3.1 TPE"};
  bool quick = false;
  app.add_option("--seeds", options.seeds, "Seeds per sampler and problem")
      ->check(CLI::PositiveNumber);
  app.add_option("--trials", options.trials, "Trials per study")->check(CLI::PositiveNumber);
  app.add_option("--problems", options.problems, "Comma-separated problems");
  app.add_option("--alpha", options.alpha, "Significance level")->check(CLI::Range(0.0, 1.0));
  app.add_option("--python", options.python, "Python interpreter with optuna");
  app.add_option("--script", options.script, "Path of optuna_quality.py");
  app.add_option("--optuna-json", options.optuna_json,
                 "Read Optuna's results from this file (saved optuna_quality.py output for the "
                 "same seeds/trials/problems) instead of running the script");
  app.add_flag("--fix-logpdf-scale", options.fix_logpdf_scale,
               "Diagnosis: run Optuna 3.1 with the truncnorm logpdf fix of Optuna PR #5110");
  app.add_flag("--quick", quick, "Smoke run: 5 seeds x 60 trials (overrides --seeds/--trials)");
  CLI11_PARSE(app, argc, argv);
  if (quick) {
    options.seeds = 5;
    options.trials = 60;
  }
  absl::StatusOr<bool> pass = absl::InternalError("not run");
  try {
    pass = nasq::bench::Run(options);
  } catch (const nlohmann::json::exception& e) {  // .at()/.get() on a malformed document
    pass = absl::InternalError(absl::StrCat("malformed Optuna results: ", e.what()));
  }
  if (!pass.ok()) {
    std::cerr << "bench_tpe_quality: " << pass.status() << std::endl;
    return 2;
  }
  return *pass ? 0 : 1;
}

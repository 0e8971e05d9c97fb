// bench/tpe/bench_tpe_quality.cc: TPE search quality of nasq versus random search and Optuna.
//
// For every problem (problems.h) and seed s in [0, seeds) it runs nasq's TPE (univariate, the
// default; multivariate; univariate with skip_duplicates) and random samplers for `trials` trials
// and records the best value and the number of duplicate trials (params equal to an earlier
// trial's); in the same run it starts optuna_quality.py twice (Optuna's TPESampler(seed=s) and
// TPESampler(seed=s, multivariate=True), same budget, by default Optuna 5.0 from the venv of
// make_venv.sh) and first checks that both implementations of the problems agree on the points
// Optuna evaluated. For the finite problems it also reports the fraction of seeds whose best
// value is the global optimum. Verdicts use one-sided Mann-Whitney U tests over the per-seed
// best values at level --alpha:
//   * vs random: BEATS when nasq's median best is better and nasq is stochastically better
//     (p < alpha);
//   * vs Optuna: WORSE when nasq is stochastically worse (p < alpha), BETTER when
//     stochastically better, otherwise TIE (within noise); "not worse" unless WORSE.
// Both nasq modes are judged against Optuna in the same mode, and nasq TPE with skip_duplicates
// (univariate) against Optuna's univariate TPE (Optuna has no such option). Shown but not judged:
// nasq multivariate against Optuna univariate, and nasq skip_duplicates against Optuna
// multivariate (Optuna 5.0's default for single-objective studies).
// Exit status 0 when, on every problem, the three nasq TPE variants beat random and none is
// worse than its Optuna reference; 1 otherwise (2 on errors).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/common/python_json.h"
#include "bench/common/stats.h"
#include "bench/tpe/bench_study.h"
#include "bench/tpe/problems.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace nasq::bench {
namespace {

struct QualityOptions {
  int seeds = 20;    // studies per sampler and problem (seeds 0..seeds-1)
  int trials = 200;  // trials per study
  std::string problems = absl::StrJoin(QualityProblemNames(), ",");
  double alpha = 0.05;  // significance level of the Mann-Whitney U tests
  std::string python = NASQ_BENCH_QUALITY_PYTHON;
  std::string script = NASQ_BENCH_TPE_DIR "/optuna_quality.py";
  // Run Optuna 3.1 with the fix of Optuna PR #5110 (optuna_quality.py --fix-logpdf-scale; needs
  // --python with Optuna 3.1).
  bool fix_logpdf_scale = false;
  // When set, Optuna's univariate (resp. multivariate) results are read from this file (saved
  // output of optuna_quality.py [--multivariate] run with the same seeds, trials and problems)
  // instead of running the script.
  std::string optuna_json;
  std::string optuna_multivariate_json;
};

// Per-seed best values and duplicate trials of one sampler on one problem.
struct SeedBests {
  std::vector<double> best;
  std::vector<int> duplicates;
  double seconds = 0.0;
};

// Trials of `history` whose params equal those of an earlier trial.
int CountDuplicates(const std::vector<Trial>& history) {
  std::set<InternalParams> seen;
  int duplicates = 0;
  for (const Trial& trial : history) duplicates += !seen.insert(trial.params).second;
  return duplicates;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs `sampler` (its seed set to each of 0..seeds-1) on `problem`.
absl::StatusOr<SeedBests> RunNasq(const BenchProblem& problem, SamplerConfig sampler,
                                  const QualityOptions& options) {
  SeedBests result;
  const auto start = std::chrono::steady_clock::now();
  for (int seed = 0; seed < options.seeds; ++seed) {
    sampler.seed = static_cast<uint64_t>(seed);
    NASQ_ASSIGN_OR_RETURN(BenchStudy study, BenchStudy::Create(&problem, sampler));
    for (int t = 0; t < options.trials; ++t) NASQ_RETURN_IF_ERROR(study.RunTrial().status());
    result.best.push_back(study.best());
    result.duplicates.push_back(CountDuplicates(study.history()));
  }
  result.seconds = SecondsSince(start);
  return result;
}

// Checks that `problem` evaluates Optuna's probe points to the values Optuna reported.
absl::Status CheckProbes(const BenchProblem& problem, const nlohmann::json& probes) {
  if (probes.empty()) return absl::InternalError(problem.name + ": Optuna reported no probes");
  for (const nlohmann::json& probe : probes) {
    NASQ_ASSIGN_OR_RETURN(ExternalParams params, ExternalParamsFromJson(probe.at("params")));
    const double ours = problem.objective(params);
    const double theirs = probe.at("value").get<double>();
    if (std::abs(ours - theirs) > 1e-9 * std::max(1.0, std::abs(theirs))) {
      return absl::InternalError(
          absl::StrFormat("%s: C++ and Python problem definitions disagree at %s: %.17g vs %.17g",
                          problem.name, probe.at("params").dump(), ours, theirs));
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

// One comparison of a nasq sampler with a baseline: the text printed and whether it passes.
struct Verdict {
  std::string text;
  bool pass = false;
};

// BEATS when `ours` has the better median and is stochastically better than `random`.
Verdict VersusRandom(StudyDirection direction, const SeedBests& ours, const SeedBests& random,
                     double alpha) {
  const std::vector<double> our_loss = AsLosses(direction, ours.best);
  const std::vector<double> random_loss = AsLosses(direction, random.best);
  const double p = MannWhitneyLessP(our_loss, random_loss);
  const bool beats = Median(our_loss) < Median(random_loss) && p < alpha;
  return {absl::StrFormat("%s (p=%.2g)", beats ? "BEATS" : "NOT BETTER", p), beats};
}

// WORSE / BETTER / TIE of `ours` against `optuna`; passes unless WORSE.
Verdict VersusOptuna(StudyDirection direction, const SeedBests& ours, const SeedBests& optuna,
                     double alpha) {
  const Comparison comparison =
      CompareLosses(AsLosses(direction, ours.best), AsLosses(direction, optuna.best), alpha);
  return {comparison.Text(), comparison.outcome != Comparison::kWorse};
}

// Optuna's results in one mode, from the saved file of that mode or by running
// optuna_quality.py. INVALID_ARGUMENT when a saved file is of the other mode.
absl::StatusOr<nlohmann::json> OptunaResults(const QualityOptions& options, bool multivariate) {
  const std::string& saved = multivariate ? options.optuna_multivariate_json : options.optuna_json;
  if (!saved.empty()) {
    const std::string flag = multivariate ? "--optuna-multivariate-json" : "--optuna-json";
    NASQ_ASSIGN_OR_RETURN(nlohmann::json results, ReadJsonFile(flag, saved));
    if (results.value("multivariate", false) != multivariate) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": '", saved, "' holds Optuna ",
                                                     multivariate ? "univariate" : "multivariate",
                                                     " results"));
    }
    return results;
  }
  std::cerr << "Running Optuna " << (multivariate ? "multivariate" : "univariate") << " TPE ("
            << options.script << "): " << options.seeds << " seeds x " << options.trials
            << " trials x " << options.problems << " ..." << std::endl;
  std::vector<std::string> args = {"--seeds",    std::to_string(options.seeds),
                                   "--trials",   std::to_string(options.trials),
                                   "--problems", options.problems};
  if (multivariate) args.push_back("--multivariate");
  if (options.fix_logpdf_scale) args.push_back("--fix-logpdf-scale");
  return RunPythonJson(options.python, options.script, args);
}

// The per-seed bests of `problem` in Optuna's `results`, after checking Optuna's probe points
// against the C++ definition of the problem.
absl::StatusOr<SeedBests> OptunaBests(const nlohmann::json& results, const BenchProblem& problem,
                                      int seeds) {
  const std::string variant = results.value("variant", "Optuna ?");
  if (!results.at("problems").contains(problem.name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(variant, ": results lack problem ", problem.name));
  }
  const nlohmann::json& theirs = results.at("problems").at(problem.name);
  NASQ_RETURN_IF_ERROR(CheckProbes(problem, theirs.at("probes")));
  SeedBests bests{theirs.at("best").get<std::vector<double>>(),
                  theirs.at("duplicates").get<std::vector<int>>(),
                  theirs.at("seconds").get<double>()};
  if (bests.best.size() != static_cast<size_t>(seeds) ||
      bests.duplicates.size() != static_cast<size_t>(seeds)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: results for %s have %d seeds, expected %d", variant, problem.name,
                        bests.best.size(), seeds));
  }
  return bests;
}

// Everything measured on one problem.
struct ProblemResult {
  const BenchProblem* problem;
  SeedBests tpe, tpe_multivariate, tpe_skip_duplicates, random, optuna, optuna_multivariate;
};

absl::StatusOr<ProblemResult> Measure(const BenchProblem& problem, const nlohmann::json& optuna,
                                      const nlohmann::json& optuna_multivariate,
                                      const QualityOptions& options) {
  ProblemResult r{.problem = &problem};
  NASQ_ASSIGN_OR_RETURN(r.optuna, OptunaBests(optuna, problem, options.seeds));
  NASQ_ASSIGN_OR_RETURN(r.optuna_multivariate,
                        OptunaBests(optuna_multivariate, problem, options.seeds));
  const SamplerConfig tpe{.kind = SamplerKind::kTpe};
  SamplerConfig multivariate = tpe;
  multivariate.tpe.multivariate = true;
  SamplerConfig skip_duplicates = tpe;
  skip_duplicates.skip_duplicates = true;
  NASQ_ASSIGN_OR_RETURN(r.tpe, RunNasq(problem, tpe, options));
  NASQ_ASSIGN_OR_RETURN(r.tpe_multivariate, RunNasq(problem, multivariate, options));
  NASQ_ASSIGN_OR_RETURN(r.tpe_skip_duplicates, RunNasq(problem, skip_duplicates, options));
  NASQ_ASSIGN_OR_RETURN(r.random, RunNasq(problem, {.kind = SamplerKind::kRandom}, options));
  return r;
}

// "<duplicate trials, % of all> / <seeds whose best is the optimum>" ("-" for the latter when
// the problem has no enumerated optimum).
std::string DuplicatesAndOptimum(const BenchProblem& problem, const SeedBests& bests, int trials) {
  double duplicates = 0.0;
  for (int d : bests.duplicates) duplicates += d;
  const double percent = 100.0 * duplicates / (static_cast<double>(trials) * bests.best.size());
  if (!problem.optimum) return absl::StrFormat("%.1f%% / -", percent);
  const double optimum = *problem.optimum;
  int reached = 0;
  for (double best : bests.best) {
    reached += std::abs(best - optimum) <= 1e-9 * std::max(1.0, std::abs(optimum));
  }
  return absl::StrFormat("%.1f%% / %d/%d", percent, reached, bests.best.size());
}

// Prints the tables and the verdict section; returns whether every target holds. `optuna` names
// the reference ("Optuna 5.0.0").
bool Report(const std::vector<ProblemResult>& results, const std::string& optuna,
            const std::string& variant, const std::string& variant_multivariate,
            const QualityOptions& options) {
  std::cout << absl::StrFormat(
      "TPE quality: median over %d seeds of the best value after %d trials\n"
      "(references: %s; %s; verdicts: one-sided Mann-Whitney U, alpha=%.2g)\n\n",
      options.seeds, options.trials, variant, variant_multivariate, options.alpha);
  const std::string samplers = absl::StrFormat(
      "nasq TPE | nasq TPE multivariate | nasq TPE skip_duplicates | random | %s TPE | %s TPE "
      "multivariate |",
      optuna, optuna);
  std::cout << "| problem | direction | " << samplers << "\n|---|---|---|---|---|---|---|---|\n";
  for (const ProblemResult& r : results) {
    std::cout << absl::StrFormat("| %s | %s | %.6g | %.6g | %.6g | %.6g | %.6g | %.6g |\n",
                                 r.problem->name, StudyDirectionName(r.problem->direction),
                                 Median(r.tpe.best), Median(r.tpe_multivariate.best),
                                 Median(r.tpe_skip_duplicates.best), Median(r.random.best),
                                 Median(r.optuna.best), Median(r.optuna_multivariate.best));
  }
  std::cout << "\nDuplicate trials (% of all trials) / seeds whose best is the global optimum:\n\n"
            << "| problem | " << samplers << "\n|---|---|---|---|---|---|---|\n";
  for (const ProblemResult& r : results) {
    const auto cell = [&](const SeedBests& bests) {
      return DuplicatesAndOptimum(*r.problem, bests, options.trials);
    };
    std::cout << absl::StrFormat("| %s | %s | %s | %s | %s | %s | %s |\n", r.problem->name,
                                 cell(r.tpe), cell(r.tpe_multivariate), cell(r.tpe_skip_duplicates),
                                 cell(r.random), cell(r.optuna), cell(r.optuna_multivariate));
  }
  std::cout << "\n| problem | nasq TPE vs random | nasq TPE mv vs random | "
               "nasq TPE skip vs random | nasq TPE vs Optuna TPE | "
               "nasq TPE mv vs Optuna TPE mv | nasq TPE skip vs Optuna TPE | "
               "nasq TPE mv vs Optuna TPE | nasq TPE skip vs Optuna TPE mv |\n"
               "|---|---|---|---|---|---|---|---|---|\n";
  bool all_pass = true;
  std::string verdicts, timings;
  for (const ProblemResult& r : results) {
    const StudyDirection direction = r.problem->direction;
    const double alpha = options.alpha;
    const Verdict uni_random = VersusRandom(direction, r.tpe, r.random, alpha);
    const Verdict mv_random = VersusRandom(direction, r.tpe_multivariate, r.random, alpha);
    const Verdict skip_random = VersusRandom(direction, r.tpe_skip_duplicates, r.random, alpha);
    const Verdict uni_optuna = VersusOptuna(direction, r.tpe, r.optuna, alpha);
    const Verdict mv_optuna_mv =
        VersusOptuna(direction, r.tpe_multivariate, r.optuna_multivariate, alpha);
    const Verdict skip_optuna = VersusOptuna(direction, r.tpe_skip_duplicates, r.optuna, alpha);
    const Verdict mv_optuna = VersusOptuna(direction, r.tpe_multivariate, r.optuna, alpha);
    const Verdict skip_optuna_mv =
        VersusOptuna(direction, r.tpe_skip_duplicates, r.optuna_multivariate, alpha);
    std::cout << absl::StrFormat("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                                 r.problem->name, uni_random.text, mv_random.text, skip_random.text,
                                 uni_optuna.text, mv_optuna_mv.text, skip_optuna.text,
                                 mv_optuna.text, skip_optuna_mv.text);
    all_pass = all_pass && uni_random.pass && mv_random.pass && skip_random.pass &&
               uni_optuna.pass && mv_optuna_mv.pass && skip_optuna.pass;
    absl::StrAppendFormat(&verdicts,
                          "  %-16s univariate: %-3s %-24s multivariate: %-3s %-24s "
                          "skip_duplicates: %-3s %s\n",
                          r.problem->name, uni_optuna.pass ? "YES" : "NO", "- " + uni_optuna.text,
                          mv_optuna_mv.pass ? "YES" : "NO", "- " + mv_optuna_mv.text,
                          skip_optuna.pass ? "YES" : "NO", "- " + skip_optuna.text);
    absl::StrAppendFormat(&timings,
                          "  %s: nasq TPE %.2f s, nasq TPE mv %.2f s, nasq TPE skip %.2f s, "
                          "Optuna TPE %.1f s, Optuna TPE mv %.1f s\n",
                          r.problem->name, r.tpe.seconds, r.tpe_multivariate.seconds,
                          r.tpe_skip_duplicates.seconds, r.optuna.seconds,
                          r.optuna_multivariate.seconds);
  }
  std::cout << absl::StrFormat(
      "\nVERDICT: is nasq TPE not worse than %s TPE in the same mode (skip_duplicates: against "
      "univariate TPE), beyond noise (one-sided Mann-Whitney U, alpha=%.2g)?\n%s",
      optuna, options.alpha, verdicts);
  if (absl::StartsWith(optuna, "Optuna 3.1")) {
    std::cout << "  Note: Optuna 3.1's univariate TPE uses unnormalised Parzen kernels (truncnorm "
                 "logpdf without -log(scale), Optuna issue #5109 / PR #5110), which favours "
                 "unimodal problems with a centred optimum; in multivariate mode it over-weights "
                 "the prior kernel by about (range/sigma)^d and flattens l/g. Against 3.1 with the "
                 "fix (--fix-logpdf-scale) nasq multivariate ties; univariate ties once 3.1's "
                 "bandwidth rule also matches 4.9's. See bench/tpe/README.md.\n";
  }
  std::cout << "\nWall time of all seeds per problem:\n" << timings;
  std::cout << "\nRESULT: " << (all_pass ? "PASS" : "FAIL")
            << " (passing needs, on every problem, the three nasq TPE variants to beat random and "
               "none to be worse than "
            << optuna << " TPE in the same mode; see VERDICT above for which failed)\n";
  return all_pass;
}

absl::StatusOr<bool> Run(const QualityOptions& options) {
  std::vector<BenchProblem> problems;
  for (absl::string_view name : absl::StrSplit(options.problems, ',')) {
    NASQ_ASSIGN_OR_RETURN(BenchProblem problem, MakeQualityProblem(std::string(name)));
    problems.push_back(std::move(problem));
  }
  NASQ_ASSIGN_OR_RETURN(nlohmann::json optuna, OptunaResults(options, /*multivariate=*/false));
  NASQ_ASSIGN_OR_RETURN(nlohmann::json optuna_multivariate,
                        OptunaResults(options, /*multivariate=*/true));
  std::vector<ProblemResult> results;
  for (const BenchProblem& problem : problems) {
    NASQ_ASSIGN_OR_RETURN(ProblemResult r, Measure(problem, optuna, optuna_multivariate, options));
    results.push_back(std::move(r));
  }
  return Report(results, "Optuna " + optuna.value("optuna_version", "?"),
                optuna.value("variant", "Optuna ?"),
                optuna_multivariate.value("variant", "Optuna ?"), options);
}

}  // namespace
}  // namespace nasq::bench

int main(int argc, char** argv) {
  nasq::bench::QualityOptions options;
  CLI::App app{
      "TPE search quality: nasq TPE (univariate, multivariate) vs random search vs Optuna 3.1 TPE"};
  bool quick = false;
  app.add_option("--seeds", options.seeds, "Seeds per sampler and problem")
      ->check(CLI::PositiveNumber);
  app.add_option("--trials", options.trials, "Trials per study")->check(CLI::PositiveNumber);
  app.add_option("--problems", options.problems, "Comma-separated problems");
  app.add_option("--alpha", options.alpha, "Significance level")->check(CLI::Range(0.0, 1.0));
  app.add_option("--python", options.python,
                 "Python interpreter with optuna (default: the venv of bench/common/make_venv.sh)");
  app.add_option("--script", options.script, "Path of optuna_quality.py");
  app.add_option("--optuna-json", options.optuna_json,
                 "Read Optuna's univariate results from this file (saved optuna_quality.py "
                 "output for the same seeds/trials/problems) instead of running the script");
  app.add_option("--optuna-multivariate-json", options.optuna_multivariate_json,
                 "Same for Optuna's multivariate results (optuna_quality.py --multivariate)");
  app.add_flag("--fix-logpdf-scale", options.fix_logpdf_scale,
               "Diagnosis: run Optuna 3.1 with the truncnorm logpdf fix of Optuna PR #5110");
  app.add_flag("--quick", quick, "Smoke run: 5 seeds x 60 trials (overrides --seeds/--trials)");
  CLI11_PARSE(app, argc, argv);
  if (quick) {
    options.seeds = 5;
    options.trials = 60;
  }
  return nasq::bench::RunBenchmarkMain("bench_tpe_quality",
                                       [&] { return nasq::bench::Run(options); });
}

// bench/pruners/bench_pruners.cc: compute saved and quality kept by each pruner on the
// learning-curve surrogate (learning_curve.h), in one run.
//
// For both curve families (crossing and ordered, learning_curve.h), every pruner (none, median,
// percentile, successive_halving = ASHA, hyperband, threshold, patient; settings in Pruners()
// below) and seed s in [0, seeds) it runs a study of `trials` trials of at most `max_steps`
// steps through the StudyManager (pruned_study.h), once with one worker (sequential) and once
// with `workers` simulated parallel workers. Per mode and pruner it
// prints the median over seeds of the training steps spent and of the best final loss, the
// median of the per-seed step ratio to the unpruned study with the same seed, and a one-sided
// Mann-Whitney U test (scipy's asymptotic method) of "the pruner's best losses are stochastically
// larger (worse) than those without pruning".
//
// Verdict for each ASHA setting, per mode: "saves >= 50% of steps at a best value within noise"
// when the median step ratio is <= 0.5 and the test does not find ASHA worse (p >= alpha). Exit
// status 0 when every verdict holds, 1 when not, 2 on errors. The table is printed last.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "bench/common/stats.h"
#include "bench/pruners/learning_curve.h"
#include "bench/pruners/pruned_study.h"
#include "core/status_macros.h"

namespace nasq::bench {
namespace {

struct BenchOptions {
  int seeds = 20;
  int trials = 100;
  int max_steps = 100;
  int workers = 4;  // the parallel mode's workers
  double noise = 0.01;
  std::string sampler = "tpe";
  double alpha = 0.05;
};

struct NamedPruner {
  std::string label;
  PrunerConfig config;
};

// The pruners compared, with Optuna's defaults where Optuna has them, and ASHA also with a
// first rung at a tenth of a trial's steps (Optuna's "auto" puts it at a hundredth).
std::vector<NamedPruner> Pruners(int max_steps) {
  std::vector<NamedPruner> pruners;
  const auto add = [&](std::string label, PrunerKind kind) -> PrunerConfig& {
    PrunerConfig config;
    config.kind = kind;
    pruners.push_back({std::move(label), config});
    return pruners.back().config;
  };
  add("none", PrunerKind::kNone);
  add("median", PrunerKind::kMedian);
  add("percentile(25)", PrunerKind::kPercentile).percentile.percentile = 25.0;
  add("asha", PrunerKind::kSuccessiveHalving);
  const int tenth = std::max(1, max_steps / 10);
  add(absl::StrFormat("asha(min_resource %d)", tenth), PrunerKind::kSuccessiveHalving)
      .successive_halving.min_resource = tenth;
  add("hyperband", PrunerKind::kHyperband);
  PrunerConfig& threshold = add("threshold(>0.5@20)", PrunerKind::kThreshold);
  threshold.threshold.upper = 0.5;
  threshold.threshold.n_warmup_steps = 20;
  PrunerConfig& patient = add("patient(10,median)", PrunerKind::kPatient);
  patient.patient.patience = 10;
  patient.wrapped = PrunerKind::kMedian;
  return pruners;
}

// Per-seed results of one pruner in one mode.
struct SeedRuns {
  std::vector<double> steps;
  std::vector<double> best;
  std::vector<double> pruned_fraction;
};

absl::StatusOr<SeedRuns> RunSeeds(const LearningCurveSurrogate& surrogate,
                                  const BenchOptions& options, const SamplerKind sampler,
                                  const PrunerConfig& pruner, int workers) {
  SeedRuns runs;
  PrunedStudyOptions study;
  study.sampler.kind = sampler;
  study.pruner = pruner;
  study.trials = options.trials;
  study.max_steps = options.max_steps;
  study.workers = workers;
  for (int seed = 0; seed < options.seeds; ++seed) {
    study.sampler.seed = static_cast<uint64_t>(seed);
    NASQ_ASSIGN_OR_RETURN(PrunedStudyResult result, RunPrunedStudy(surrogate, study));
    runs.steps.push_back(static_cast<double>(result.steps));
    runs.best.push_back(result.best);
    runs.pruned_fraction.push_back(static_cast<double>(result.pruned) / options.trials);
  }
  return runs;
}

// Median over seeds of steps(pruned) / steps(none) with the same seed.
double MedianStepRatio(const SeedRuns& pruned, const SeedRuns& none) {
  std::vector<double> ratios;
  for (size_t i = 0; i < pruned.steps.size(); ++i)
    ratios.push_back(pruned.steps[i] / none.steps[i]);
  return Median(ratios);
}

// Runs every pruner in both modes on `family`; appends the table rows to `rows` and prints the
// ASHA verdicts. Returns whether every verdict holds.
absl::StatusOr<bool> RunFamily(CurveFamily family, const BenchOptions& options,
                               std::vector<std::string>& rows) {
  const LearningCurveSurrogate surrogate(family, options.noise);
  const SamplerKind sampler =
      options.sampler == "random" ? SamplerKind::kRandom : SamplerKind::kTpe;
  const std::vector<NamedPruner> pruners = Pruners(options.max_steps);
  bool all_pass = true;
  for (const int workers : {1, options.workers}) {
    const std::string mode =
        absl::StrFormat("%s, %s", CurveFamilyName(family),
                        workers == 1 ? "sequential" : absl::StrFormat("%d workers", workers));
    std::vector<SeedRuns> runs;
    for (const NamedPruner& pruner : pruners) {
      std::cerr << "Running " << mode << ", pruner " << pruner.label << " ..." << std::endl;
      NASQ_ASSIGN_OR_RETURN(SeedRuns seed_runs,
                            RunSeeds(surrogate, options, sampler, pruner.config, workers));
      runs.push_back(std::move(seed_runs));
    }
    const SeedRuns& none = runs.front();
    for (size_t i = 0; i < pruners.size(); ++i) {
      const double ratio = MedianStepRatio(runs[i], none);
      const double p_worse = MannWhitneyLessP(none.best, runs[i].best);
      rows.push_back(
          absl::StrFormat("| %s | %s | %.0f | %.3f | %.0f%% | %.4f | %.4f..%.4f | %.2g |", mode,
                          pruners[i].label, Median(runs[i].steps), ratio,
                          100.0 * Median(runs[i].pruned_fraction), Median(runs[i].best),
                          Quantile(runs[i].best, 0.25), Quantile(runs[i].best, 0.75), p_worse));
      if (pruners[i].config.kind != PrunerKind::kSuccessiveHalving) continue;
      const bool pass = ratio <= 0.5 && p_worse >= options.alpha;
      all_pass = all_pass && pass;
      std::cout << absl::StrFormat(
          "VERDICT %s, %s: ASHA saves >= 50%% of steps at a best value within noise: %s "
          "(steps ratio %.3f, best %.4f vs %.4f without pruning, Mann-Whitney p(worse)=%.2g, "
          "alpha %.2g)\n",
          mode, pruners[i].label, pass ? "YES" : "NO", ratio, Median(runs[i].best),
          Median(none.best), p_worse, options.alpha);
    }
  }
  return all_pass;
}

absl::StatusOr<bool> Run(const BenchOptions& options) {
  std::vector<std::string> rows;
  bool all_pass = true;
  for (const CurveFamily family : {CurveFamily::kCrossing, CurveFamily::kOrdered}) {
    NASQ_ASSIGN_OR_RETURN(const bool pass, RunFamily(family, options, rows));
    all_pass = all_pass && pass;
  }
  std::cout << absl::StrFormat(
      "\nPruners on the learning-curve surrogate (%s sampler, %d seeds x %d trials x <= %d steps, "
      "noise %.3g); medians over seeds; p(worse) = one-sided Mann-Whitney U p-value of 'best "
      "loss worse than without pruning'\n\n",
      options.sampler, options.seeds, options.trials, options.max_steps, options.noise);
  std::cout << "| curves, mode | pruner | steps | steps vs none | pruned | best loss | best IQR | "
               "p(worse) |\n|---|---|---|---|---|---|---|---|\n";
  for (const std::string& row : rows) std::cout << row << "\n";
  return all_pass;
}

}  // namespace
}  // namespace nasq::bench

int main(int argc, char** argv) {
  nasq::bench::BenchOptions options;
  CLI::App app{"Steps saved and best value kept by nasq's pruners on a learning-curve surrogate"};
  app.add_option("--seeds", options.seeds, "studies per pruner and mode")
      ->check(CLI::Range(1, 1000));
  app.add_option("--trials", options.trials, "trials per study")->check(CLI::Range(1, 100000));
  app.add_option("--max-steps", options.max_steps, "steps of an unpruned trial")
      ->check(CLI::Range(1, 100000));
  app.add_option("--workers", options.workers, "simulated workers of the parallel mode")
      ->check(CLI::Range(2, 1000));
  app.add_option("--noise", options.noise, "standard deviation of the per-step loss noise")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--sampler", options.sampler, "tpe or random")
      ->check(CLI::IsMember({"tpe", "random"}));
  app.add_option("--alpha", options.alpha, "significance level of the Mann-Whitney U test")
      ->check(CLI::Range(0.0, 1.0));
  CLI11_PARSE(app, argc, argv);
  const absl::StatusOr<bool> pass = nasq::bench::Run(options);
  if (!pass.ok()) {
    std::cerr << pass.status() << "\n";
    return 2;
  }
  return *pass ? 0 : 1;
}

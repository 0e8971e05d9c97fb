// bench/tpe/bench_tpe_speed.cc: per-trial latency and memory of nasq's TPE versus Optuna.
//
// On the 46-param seed-lab space (problems.h MakeSpeedProblem) and for every history size N it
// builds a study holding N COMPLETE trials (uniformly random params, synthetic objective) and
// times ask/tell rounds: SampleTrial over the history + evaluation + appending the COMPLETE
// trial (what the coordinator does per trial, minus storage and RPC). The first round after
// the history is built is reported apart ("cold": the TPE sampler's per-study cache is filled
// then); the median and p90 are over the following rounds, in wall-clock time, plus the p90 of
// the thread's CPU time (on a loaded machine wall-clock tails include preemption). In the same run
// optuna_speed.py times study.ask() + 46 suggest_categorical + study.tell() on the identical space,
// with the Optuna of --python (default NASQ_BENCH_PYTHON, Debian's 3.1; build/venv/bin/python3
// from bench/common/make_venv.sh has 5.0, the reference of issue 14).
// Memory is allocation accounting with glibc mallinfo2 (bytes in use, arena + mmap), as the
// delta around recording 1000 trials (the Trial history; trials share their distributions map
// as the coordinator's do, see core/trial_distributions.h, and the bench counts the distinct
// maps) and the delta around the first TPE round on that history (the sampler's cache).
// Exit status 0 when both targets hold (median <= 1 ms at 1000 trials, >= 100x faster than
// Optuna at every size), 1 otherwise, 2 on errors.
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/common/python_json.h"
#include "bench/common/stats.h"
#include "bench/tpe/bench_study.h"
#include "bench/tpe/problems.h"
#include "core/status_macros.h"
#include "core/trial.h"
#include "core/trial_distributions.h"
#include "nlohmann/json.hpp"

namespace nasq::bench {
namespace {

struct SpeedOptions {
  std::string sizes = "100,1000,5000";     // completed trials in the history
  int measure = 200;                       // nasq rounds timed per size (after the cold one)
  std::string optuna_measure = "20,10,3";  // Optuna rounds timed per size
  uint64_t seed = 0;                       // sampler seed and synthetic-history seed
  double target_ms = 1.0;                  // nasq median target at target_trials
  int target_trials = 1000;
  double target_ratio = 100.0;  // Optuna median / nasq median, at every size
  std::string python = NASQ_BENCH_PYTHON;
  std::string script = NASQ_BENCH_TPE_DIR "/optuna_speed.py";
};

struct Latencies {
  int completed = 0;
  double cold_ms = 0.0;
  std::vector<double> trial_ms;      // wall clock
  std::vector<double> trial_cpu_ms;  // this thread's CPU time (excludes preemption)
};

absl::StatusOr<std::vector<int>> ParseInts(const std::string& flag, const std::string& csv) {
  std::vector<int> values;
  for (absl::string_view part : absl::StrSplit(csv, ',')) {
    int v = 0;
    if (!absl::SimpleAtoi(part, &v) || v < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": '", part, "' is not a non-negative integer"));
    }
    values.push_back(v);
  }
  return values;
}

// Records `n` COMPLETE trials with uniformly random categorical params (the speed space has
// only categoricals) and the problem's objective.
void RecordRandomHistory(const BenchProblem& problem, int n, std::mt19937_64& rng,
                         BenchStudy& study) {
  for (int t = 0; t < n; ++t) {
    InternalParams params;
    for (const ParamSpec& param : problem.space.params()) {
      const int64_t k = *DiscreteSize(param.distribution);
      params[param.name] =
          static_cast<double>(std::uniform_int_distribution<int64_t>(0, k - 1)(rng));
    }
    const double value = problem.Evaluate(params);
    study.Record(std::move(params), value);
  }
}

double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

struct TrialTime {
  double wall_ms = 0.0;
  double cpu_ms = 0.0;
};

absl::StatusOr<TrialTime> TimedTrial(BenchStudy& study) {
  const double cpu_start = ThreadCpuMs();
  const auto start = std::chrono::steady_clock::now();
  NASQ_RETURN_IF_ERROR(study.RunTrial().status());
  const auto end = std::chrono::steady_clock::now();
  return TrialTime{std::chrono::duration<double, std::milli>(end - start).count(),
                   ThreadCpuMs() - cpu_start};
}

absl::StatusOr<Latencies> MeasureNasq(const BenchProblem& problem, int completed,
                                      const SpeedOptions& options) {
  NASQ_ASSIGN_OR_RETURN(BenchStudy study, BenchStudy::Create(&problem, {.kind = SamplerKind::kTpe,
                                                                        .seed = options.seed}));
  study.Reserve(completed + options.measure + 1);
  std::mt19937_64 rng(options.seed);
  RecordRandomHistory(problem, completed, rng, study);
  Latencies result{completed};
  NASQ_ASSIGN_OR_RETURN(const TrialTime cold, TimedTrial(study));
  result.cold_ms = cold.wall_ms;
  for (int i = 0; i < options.measure; ++i) {
    NASQ_ASSIGN_OR_RETURN(const TrialTime t, TimedTrial(study));
    result.trial_ms.push_back(t.wall_ms);
    result.trial_cpu_ms.push_back(t.cpu_ms);
  }
  return result;
}

int64_t HeapBytesInUse() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

struct MemoryFigures {
  int64_t history_bytes = 0;              // 1000 recorded trials
  size_t distinct_distribution_maps = 0;  // among them (1 when they all share one)
  int64_t sampler_cache_bytes = 0;        // growth during the first TPE round on them
};

// How many distinct distributions maps (not merely unequal ones: objects) `trials` hold.
size_t DistinctDistributionMaps(const std::vector<Trial>& trials) {
  std::vector<const TrialDistributions*> distinct;
  for (const Trial& trial : trials) {
    const bool seen = std::any_of(distinct.begin(), distinct.end(), [&](const auto* d) {
      return d->SharesMapWith(trial.distributions);
    });
    if (!seen) distinct.push_back(&trial.distributions);
  }
  return distinct.size();
}

absl::StatusOr<MemoryFigures> MeasureNasqMemory(const BenchProblem& problem,
                                                const SpeedOptions& options) {
  constexpr int kTrials = 1000;
  MemoryFigures figures;
  NASQ_ASSIGN_OR_RETURN(BenchStudy study, BenchStudy::Create(&problem, {.kind = SamplerKind::kTpe,
                                                                        .seed = options.seed}));
  std::mt19937_64 rng(options.seed);
  const int64_t before = HeapBytesInUse();
  study.Reserve(kTrials + 1);
  RecordRandomHistory(problem, kTrials, rng, study);
  const int64_t recorded = HeapBytesInUse();
  figures.history_bytes = recorded - before;
  figures.distinct_distribution_maps = DistinctDistributionMaps(study.history());
  NASQ_RETURN_IF_ERROR(study.RunTrial().status());
  figures.sampler_cache_bytes = HeapBytesInUse() - recorded;
  return figures;
}

absl::StatusOr<bool> Run(const SpeedOptions& options) {
  NASQ_ASSIGN_OR_RETURN(std::vector<int> sizes, ParseInts("--sizes", options.sizes));
  NASQ_ASSIGN_OR_RETURN(std::vector<int> optuna_measure,
                        ParseInts("--optuna-measure", options.optuna_measure));
  if (sizes.size() != optuna_measure.size()) {
    return absl::InvalidArgumentError("--optuna-measure needs one count per entry of --sizes");
  }
  const BenchProblem problem = MakeSpeedProblem();
  std::cerr << "Running Optuna (" << options.script << ") ..." << std::endl;
  NASQ_ASSIGN_OR_RETURN(nlohmann::json optuna, RunPythonJson(options.python, options.script,
                                                             {"--sizes", options.sizes, "--measure",
                                                              options.optuna_measure, "--seed",
                                                              std::to_string(options.seed)}));
  std::cerr << "Timing nasq ..." << std::endl;
  std::vector<Latencies> nasq;
  for (int n : sizes) {
    NASQ_ASSIGN_OR_RETURN(Latencies latencies, MeasureNasq(problem, n, options));
    nasq.push_back(std::move(latencies));
  }
  NASQ_ASSIGN_OR_RETURN(MemoryFigures memory, MeasureNasqMemory(problem, options));

  std::cout << absl::StrFormat(
      "TPE per-trial latency on the %d-param seed-lab space (ask + suggest all + tell; nasq: %d "
      "timed rounds per size after one cold round, Optuna %s: %s rounds)\n\n",
      problem.space.size(), options.measure, optuna.value("optuna_version", "?"),
      options.optuna_measure);
  std::cout << "| completed trials | nasq median ms | nasq p90 ms | nasq p90 CPU ms | "
               "nasq cold ms | Optuna median ms | Optuna p90 ms | Optuna/nasq (median) |\n"
               "|---|---|---|---|---|---|---|---|\n";
  bool latency_ok = true, ratio_ok = true;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const nlohmann::json& theirs = optuna.at("sizes").at(i);
    const std::vector<double> optuna_ms = theirs.at("trial_ms").get<std::vector<double>>();
    const double nasq_median = Median(nasq[i].trial_ms);
    const double ratio = Median(optuna_ms) / nasq_median;
    ratio_ok = ratio_ok && ratio >= options.target_ratio;
    if (sizes[i] == options.target_trials) latency_ok = nasq_median <= options.target_ms;
    std::cout << absl::StrFormat("| %d | %.3f | %.3f | %.3f | %.3f | %.1f | %.1f | %.0fx |\n",
                                 sizes[i], nasq_median, Quantile(nasq[i].trial_ms, 0.9),
                                 Quantile(nasq[i].trial_cpu_ms, 0.9), nasq[i].cold_ms,
                                 Median(optuna_ms), Quantile(optuna_ms, 0.9), ratio);
  }
  const double optuna_bytes = optuna.at("bytes_per_1000_trials").get<double>();
  std::cout << absl::StrFormat(
      "\nMemory per 1000 COMPLETE trials (46 params each):\n"
      "  nasq Trial history: %.2f MiB (glibc mallinfo2 in-use delta while recording them)\n"
      "    distinct distributions maps the trials hold: %d\n"
      "  nasq TPE sampler cache: %.2f MiB (mallinfo2 delta over the first round on them)\n"
      "  Optuna %s in-memory storage: %.2f MiB (tracemalloc delta of a study holding them)\n"
      "  nasq history / Optuna storage: x%.2f\n",
      memory.history_bytes / 1048576.0, memory.distinct_distribution_maps,
      memory.sampler_cache_bytes / 1048576.0, optuna.value("optuna_version", "?"),
      optuna_bytes / 1048576.0, static_cast<double>(memory.history_bytes) / optuna_bytes);
  std::cout << absl::StrFormat(
      "\nTargets: nasq median <= %.1f ms at %d trials: %s; >= %.0fx faster than Optuna at every "
      "size: %s\nRESULT: %s\n",
      options.target_ms, options.target_trials, latency_ok ? "PASS" : "FAIL", options.target_ratio,
      ratio_ok ? "PASS" : "FAIL", latency_ok && ratio_ok ? "PASS" : "FAIL");
  return latency_ok && ratio_ok;
}

}  // namespace
}  // namespace nasq::bench

int main(int argc, char** argv) {
  nasq::bench::SpeedOptions options;
  CLI::App app{"TPE per-trial latency and memory: nasq vs Optuna"};
  bool quick = false;
  app.add_option("--sizes", options.sizes, "Comma-separated history sizes (completed trials)");
  app.add_option("--measure", options.measure, "nasq rounds timed per size")
      ->check(CLI::PositiveNumber);
  app.add_option("--optuna-measure", options.optuna_measure,
                 "Comma-separated Optuna rounds timed per size");
  app.add_option("--seed", options.seed, "Sampler and history seed");
  app.add_option("--python", options.python, "Python interpreter with optuna");
  app.add_option("--script", options.script, "Path of optuna_speed.py");
  app.add_flag("--quick", quick,
               "Smoke run: sizes 100,1000, 50 nasq and 3,2 Optuna rounds (overrides those flags)");
  CLI11_PARSE(app, argc, argv);
  if (quick) {
    options.sizes = "100,1000";
    options.measure = 50;
    options.optuna_measure = "3,2";
  }
  return nasq::bench::RunBenchmarkMain("bench_tpe_speed",
                                       [&] { return nasq::bench::Run(options); });
}

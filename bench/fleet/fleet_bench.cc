// bench/fleet/fleet_bench.cc: how many workers one coordinator holds. Starts one nasq-server
// (SQLite with synchronous=FULL, in a temporary folder) and, for each fleet size in turn, creates
// a fresh study (random sampler on x in [0, 1], no trial limit, a heartbeat interval of
// --heartbeat-seconds, a lease of 3 intervals but at least 30 s, a task of kind "fleet-sleep"
// that no real worker runs) and a Fleet (bench/fleet/fleet.h) of that many simulated workers:
// threads of this process, each with its own gRPC connection, that lease, heartbeat at that
// interval while they sleep for the trial's duration and complete. After the
// warm-up, for the window, it measures:
//   * the round trips of LeaseTrial, Heartbeat and CompleteTrial (p50 and p99, in ms). The study
//     has no trial limit, so a new trial is always ready and a LeaseTrial never waits for work:
//     its round trip is the time from request to trial in hand. A LeaseTrial that still came
//     back empty (it waited 2 s) is counted apart and not timed;
//   * the CPU of the server, of this process (it shares the machine with the server) and of the
//     rest of the machine: CPU seconds over the window divided by its wall time, in cores
//     (/proc/PID/stat utime+stime, /proc/stat);
//   * the server's resident memory, threads and open file descriptors at the window's end.
// Then it stops the fleet (trials in hand are given back with ReleaseTrial), checks that the
// server stored exactly the trials the fleet completed as COMPLETE and those it released as
// WAITING, and no other, and deletes the study. It prints one table and, last, the largest fleet
// size with no failed call whose heartbeat p99 stayed at or under 50 ms.
//
// Usage: fleet_bench [--workers 100,250,500,750,1000] [--trial-seconds 5] [--heartbeat-seconds 1]
//                    [--warmup-seconds 10] [--window-seconds 20] | --quick
// --quick is a smoke run (20 workers, 1.5 s trials, 2 s warm-up, 3 s window).
// Exit status: 0 when every size passed its checks (no failed call, the server's counts match,
// every kind of call was timed in the window), 1 otherwise or when the server cannot be started.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/common/proc_usage.h"
#include "bench/common/stats.h"
#include "bench/fleet/fleet.h"
#include "spec/spec_yaml.h"
#include "testing/local_server.h"

namespace nasq::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The heartbeat p99 a fleet size must keep to count as held.
constexpr double kHeldHeartbeatP99Ms = 50;
// File descriptors this process needs beside one per worker connection (gRPC, logs, /proc).
constexpr int kSpareFiles = 256;

struct BenchOptions {
  std::vector<int> workers;
  double trial_seconds = 5;
  double heartbeat_seconds = 1;
  double warmup_seconds = 10;
  double window_seconds = 20;
};

// --quick: a smoke run of a few seconds.
constexpr int kQuickWorkers = 20;
const BenchOptions kQuick{.trial_seconds = 1.5, .warmup_seconds = 2, .window_seconds = 3};

// What the server, this process and the machine have used so far.
struct Snapshot {
  Clock::time_point taken;
  ProcessUsage server;
  ProcessUsage bench;
  double machine_busy_seconds = 0;
};

struct SizeResult {
  int workers = 0;
  double window_seconds = 0;
  FleetTally tally;
  ProcessUsage server_at_end;
  double server_cores = 0;
  double bench_cores = 0;
  double other_cores = 0;             // the rest of the machine (other processes), never below 0
  std::vector<std::string> problems;  // failed checks; empty when the size passed
};

absl::StatusOr<std::vector<int>> ParseSizes(const std::string& list) {
  std::vector<int> sizes;
  for (absl::string_view text : absl::StrSplit(list, ',')) {
    int size = 0;
    if (!absl::SimpleAtoi(text, &size) || size <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--workers: '", text, "' is not a positive integer"));
    }
    sizes.push_back(size);
  }
  return sizes;
}

// Raises this process's soft RLIMIT_NOFILE to its hard limit (the server, its child, raises its
// own likewise); FAILED_PRECONDITION when the hard limit is below `needed`.
absl::Status RaiseFileLimit(int needed) {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) return absl::InternalError("getrlimit failed");
  if (files.rlim_max < static_cast<rlim_t>(needed)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the hard RLIMIT_NOFILE is ", files.rlim_max, " but the largest fleet needs ",
                     needed, " file descriptors; raise it (ulimit -Hn) or use fewer --workers"));
  }
  files.rlim_cur = files.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &files) != 0) return absl::InternalError("setrlimit failed");
  return absl::OkStatus();
}

absl::StatusOr<Snapshot> TakeSnapshot(pid_t server) {
  Snapshot snapshot;
  snapshot.taken = Clock::now();
  absl::StatusOr<ProcessUsage> usage = ReadProcessUsage(server);
  if (!usage.ok()) return usage.status();
  snapshot.server = *usage;
  usage = ReadProcessUsage(getpid());
  if (!usage.ok()) return usage.status();
  snapshot.bench = *usage;
  absl::StatusOr<double> busy = ReadMachineBusySeconds();
  if (!busy.ok()) return busy.status();
  snapshot.machine_busy_seconds = *busy;
  return snapshot;
}

std::chrono::milliseconds Milliseconds(double seconds) {
  return std::chrono::milliseconds(std::llround(seconds * 1000));
}

std::string StudyYaml(const std::string& name, double heartbeat_seconds) {
  // Long enough that a heartbeat delayed by an overloaded server does not lose the lease.
  const std::chrono::milliseconds heartbeat = Milliseconds(heartbeat_seconds);
  const std::chrono::milliseconds lease =
      std::max<std::chrono::milliseconds>(std::chrono::seconds(30), 3 * heartbeat);
  return absl::StrCat("name: ", name, R"(
space:
  params:
    x: {type: float, low: 0, high: 1}
sampler: {type: random, seed: 0}
lease: {duration: )",
                      lease.count(), "ms, heartbeat_interval: ", heartbeat.count(), R"(ms}
task: {kind: fleet-sleep}
)");
}

// The checks of a finished size: no failed call, every kind of call timed in the window, and
// the server's counts equal to what the fleet did (`study` read back after Stop()).
std::vector<std::string> Check(const FleetTally& tally, const v1::Study& study) {
  std::vector<std::string> problems;
  if (tally.errors > 0) {
    problems.push_back(absl::StrCat(tally.errors, " calls failed, e.g. ",
                                    absl::StrJoin(tally.error_samples, "; ")));
  }
  if (tally.lease_ms.empty() || tally.heartbeat_ms.empty() || tally.complete_ms.empty()) {
    problems.push_back(absl::StrCat("calls timed in the window: ", tally.lease_ms.size(),
                                    " leases, ", tally.heartbeat_ms.size(), " heartbeats, ",
                                    tally.complete_ms.size(), " completions (each must be > 0)"));
  }
  const v1::TrialCounts& counts = study.trial_counts();
  const int64_t released = static_cast<int64_t>(tally.released.size());
  if (counts.complete() != tally.completed || counts.waiting() != released ||
      counts.running() != 0 || counts.fail() != 0 || counts.pruned() != 0) {
    problems.push_back(absl::StrCat("the server stored ", counts.complete(), " COMPLETE, ",
                                    counts.waiting(), " WAITING, ", counts.running(), " RUNNING, ",
                                    counts.fail(), " FAIL and ", counts.pruned(),
                                    " PRUNED trials; the fleet completed ", tally.completed,
                                    " and released ", released, " (and no other)"));
  }
  return problems;
}

absl::StatusOr<SizeResult> MeasureFleet(const ServerProcess& server, const BenchOptions& options,
                                        int index, int workers) {
  const std::string study = absl::StrCat("fleet-", index, "-", workers);
  absl::StatusOr<StudySpec> spec =
      ParseStudySpecYaml(StudyYaml(study, options.heartbeat_seconds), "fleet_bench");
  if (!spec.ok()) return spec.status();
  const std::unique_ptr<NasqClient> admin = server.Client();
  absl::StatusOr<v1::Study> created = admin->CreateStudy(*spec);
  if (!created.ok()) return created.status();

  FleetOptions fleet_options;
  fleet_options.address = server.address();
  fleet_options.study = study;
  fleet_options.workers = workers;
  fleet_options.trial_duration = Milliseconds(options.trial_seconds);
  fleet_options.stagger = Milliseconds(std::min(options.trial_seconds, options.warmup_seconds));
  fleet_options.window_begin = Clock::now() + Milliseconds(options.warmup_seconds);
  fleet_options.window_end = fleet_options.window_begin + Milliseconds(options.window_seconds);
  Fleet fleet(fleet_options);

  std::this_thread::sleep_until(fleet_options.window_begin);
  absl::StatusOr<Snapshot> begin = TakeSnapshot(server.pid());
  if (!begin.ok()) return begin.status();
  std::this_thread::sleep_until(fleet_options.window_end);
  absl::StatusOr<Snapshot> end = TakeSnapshot(server.pid());
  if (!end.ok()) return end.status();

  SizeResult result;
  result.workers = workers;
  result.window_seconds = options.window_seconds;
  result.tally = fleet.Stop();
  result.server_at_end = end->server;
  const double wall_seconds = std::chrono::duration<double>(end->taken - begin->taken).count();
  result.server_cores = (end->server.cpu_seconds - begin->server.cpu_seconds) / wall_seconds;
  result.bench_cores = (end->bench.cpu_seconds - begin->bench.cpu_seconds) / wall_seconds;
  result.other_cores =
      std::max(0.0, (end->machine_busy_seconds - begin->machine_busy_seconds) / wall_seconds -
                        result.server_cores - result.bench_cores);

  absl::StatusOr<v1::Study> stored = admin->GetStudy(study);
  if (!stored.ok()) return stored.status();
  result.problems = Check(result.tally, *stored);
  absl::Status deleted = admin->DeleteStudy(study);
  if (!deleted.ok()) return deleted;
  return result;
}

// "rate  p50 / p99" of one kind of call.
std::string CallColumns(const std::vector<double>& latencies_ms, double window_seconds) {
  return absl::StrFormat("%7.1f %6.2f / %7.2f", latencies_ms.size() / window_seconds,
                         Quantile(latencies_ms, 0.5), Quantile(latencies_ms, 0.99));
}

void PrintHeader() {
  std::cout << absl::StrFormat("%7s | %-24s | %-24s | %-24s | %6s | %-31s | %5s | %5s\n", "",
                               "LeaseTrial", "Heartbeat", "CompleteTrial", "", "nasq-server",
                               "bench", "other")
            << absl::StrFormat("%7s | %-24s | %-24s | %-24s | %6s | %6s %8s %7s %6s | %5s | %5s\n",
                               "workers", "   /s   p50 / p99 ms", "   /s   p50 / p99 ms",
                               "   /s   p50 / p99 ms", "errors", "cores", "RSS MiB", "threads",
                               "fds", "cores", "cores")
            << std::string(154, '-') << "\n";
}

void PrintRow(const SizeResult& r) {
  const FleetTally& t = r.tally;
  std::cout << absl::StrFormat(
                   "%7d | %-24s | %-24s | %-24s | %6d | %6.2f %8.1f %7d %6d | %5.2f | %5.2f\n",
                   r.workers, CallColumns(t.lease_ms, r.window_seconds),
                   CallColumns(t.heartbeat_ms, r.window_seconds),
                   CallColumns(t.complete_ms, r.window_seconds), t.errors, r.server_cores,
                   r.server_at_end.rss_bytes / (1024.0 * 1024.0), r.server_at_end.threads,
                   r.server_at_end.open_files, r.bench_cores, r.other_cores)
            << std::flush;
  if (t.empty_leases > 0) {
    std::cout << "        " << t.empty_leases << " LeaseTrial calls came back without a trial\n";
  }
  for (const std::string& problem : r.problems) {
    std::cerr << "fleet_bench: " << r.workers << " workers: " << problem << "\n";
  }
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return absl::StrCat(one, " ", five, " ", fifteen);
}

int Main(int argc, char** argv) {
  CLI::App app{"Simulated worker fleets against one nasq-server: latencies and server CPU"};
  std::string sizes_text = "100,250,500,750,1000";
  BenchOptions options;
  bool quick = false;
  CLI::Option* sizes_option =
      app.add_option("--workers", sizes_text, "Comma-separated fleet sizes, measured in turn")
          ->capture_default_str();
  CLI::Option* trial_option =
      app.add_option("--trial-seconds", options.trial_seconds, "Mean trial duration (+-10 %)")
          ->check(CLI::PositiveNumber)
          ->capture_default_str();
  CLI::Option* heartbeat_option = app.add_option("--heartbeat-seconds", options.heartbeat_seconds,
                                                 "The study's heartbeat interval")
                                      ->check(CLI::PositiveNumber)
                                      ->capture_default_str();
  CLI::Option* warmup_option =
      app.add_option("--warmup-seconds", options.warmup_seconds,
                     "Unmeasured start of each size; workers start spread over "
                     "min(trial, warm-up)")
          ->check(CLI::NonNegativeNumber)
          ->capture_default_str();
  CLI::Option* window_option =
      app.add_option("--window-seconds", options.window_seconds, "Measured window of each size")
          ->check(CLI::PositiveNumber)
          ->capture_default_str();
  app.add_flag("--quick", quick,
               absl::StrFormat("Smoke run: %d workers, %.1f s trials, %.0f s warm-up, %.0f s "
                               "window",
                               kQuickWorkers, kQuick.trial_seconds, kQuick.warmup_seconds,
                               kQuick.window_seconds))
      ->excludes(sizes_option, trial_option, heartbeat_option, warmup_option, window_option);
  CLI11_PARSE(app, argc, argv);
  if (quick) {
    sizes_text = absl::StrCat(kQuickWorkers);
    options = kQuick;
  }
  absl::StatusOr<std::vector<int>> sizes = ParseSizes(sizes_text);
  if (!sizes.ok()) {
    std::cerr << "fleet_bench: " << sizes.status().message() << "\n";
    return 1;
  }
  options.workers = *sizes;
  const absl::Status limit = RaiseFileLimit(
      *std::max_element(options.workers.begin(), options.workers.end()) + kSpareFiles);
  if (!limit.ok()) {
    std::cerr << "fleet_bench: " << limit.message() << "\n";
    return 1;
  }

  const TempDir dir;
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start(NASQ_SERVER_BIN, dir.path() + "/nasq.db", FreeLoopbackPort());
  if (!server.ok()) {
    std::cerr << "fleet_bench: " << server.status() << "\n";
    return 1;
  }
  std::cout << absl::StrFormat(
      "nasq-server with SQLite (synchronous=FULL) in %s; workers are threads of this process, "
      "one gRPC connection each; trials of %.1f s (+-10 %%), heartbeat every %.1f s; warm-up "
      "%.0f s and window %.0f s per size; %d CPUs, load average %s at start\n",
      dir.path(), options.trial_seconds, options.heartbeat_seconds, options.warmup_seconds,
      options.window_seconds, std::thread::hardware_concurrency(), LoadAverage());
  PrintHeader();
  std::optional<int> held;
  bool passed = true;
  for (size_t i = 0; i < options.workers.size(); ++i) {
    absl::StatusOr<SizeResult> result = MeasureFleet(**server, options, i, options.workers[i]);
    if (!result.ok()) {
      std::string log = (*server)->Log();
      if (log.size() > 4000) log = log.substr(log.size() - 4000);
      std::cerr << "fleet_bench: " << options.workers[i] << " workers: " << result.status()
                << "\nserver log (end):\n"
                << log << "\n";
      return 1;
    }
    PrintRow(*result);
    passed = passed && result->problems.empty();
    if (result->problems.empty() &&
        Quantile(result->tally.heartbeat_ms, 0.99) <= kHeldHeartbeatP99Ms) {
      held = std::max(held.value_or(0), result->workers);
    }
  }
  std::cout << "cores: CPU seconds (user+system) in the window / its wall time; other: the rest "
               "of the machine; RSS, threads and fds of the server at the window's end\n";
  if (held) {
    std::cout << "largest fleet with no failed call and heartbeat p99 <= " << kHeldHeartbeatP99Ms
              << " ms: " << *held << " workers\n";
  } else {
    std::cout << "no measured fleet size kept heartbeat p99 <= " << kHeldHeartbeatP99Ms
              << " ms without failed calls\n";
  }
  return passed ? 0 : 1;
}

}  // namespace
}  // namespace nasq::bench

int main(int argc, char** argv) { return nasq::bench::Main(argc, argv); }

// bench/ask_tell/ask_tell_bench.cc: ask+tell round trips per second against a real nasq-server
// (loopback gRPC) with 1, 8 and 32 concurrent clients on each of its durable storages: SQLite
// (every acknowledged change fsync'ed), and PostgreSQL 15 (a server the benchmark starts on
// loopback, testing/postgres_server.h, with fsync and synchronous_commit on); and Optuna 3.1's
// ask/tell on its SQLite storage with the same space, trial count and client count, in the same
// run; prints one table with the ratio of nasq on SQLite to Optuna.
//
// With the SQLite figures it prints what bounds them, measured in the same run: the same calls
// against a server with no storage (the in-memory default: gRPC and the coordinator alone), the
// CPU time nasq-server and the clients (this process) spent per ask+tell, and the fdatasync
// latency of the disk under --dir. One client waits for at least one fdatasync per ask+tell (Tell's
// result); any number of clients together cannot exceed cores / (server + client CPU per
// ask+tell).
//
// Usage: ask_tell_bench [--trials N] [--clients 1,8,32] [--dir DIR] [--skip-optuna]
//                       [--skip-postgres]
// Both sides use a random sampler on x float [-10, 10], y int [0, 10], c categorical [a, b, c],
// so the numbers measure the service and its storage, not the sampler.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/common/disk_sync.h"
#include "bench/common/proc_usage.h"
#include "bench/common/stats.h"
#include "nlohmann/json.hpp"
#include "spec/spec_yaml.h"
#include "testing/local_server.h"
#include "testing/postgres_server.h"

namespace nasq {
namespace {

struct RunResult {
  int64_t trials = 0;
  double seconds = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t errors = 0;
  // CPU milliseconds per ask+tell of nasq-server and of the clients (this process); 0 where not
  // measured (Optuna).
  double server_cpu_ms = 0;
  double client_cpu_ms = 0;

  double rate() const { return seconds > 0 ? trials / seconds : 0; }
};

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  return values[index];
}

RunResult Summarise(const std::vector<double>& latencies_ms, double seconds, int64_t errors) {
  return {static_cast<int64_t>(latencies_ms.size()), seconds, Percentile(latencies_ms, 0.5),
          Percentile(latencies_ms, 0.99), errors};
}

std::string StudyYaml(const std::string& name) {
  return absl::StrCat("name: ", name, R"(
space:
  params:
    x: {type: float, low: -10, high: 10}
    y: {type: int, low: 0, high: 10}
    c: [a, b, c]
sampler: {type: random, seed: 0}
)");
}

double Objective(const v1::Trial& trial) {
  const double x = trial.params().at("x").double_value();
  return x * x + trial.params().at("y").int_value() +
         (trial.params().at("c").string_value() == "b" ? 0.5 : 0.0);
}

// The cell of a run: trials/s (p50 / p99 ms), and the errors when there were any.
std::string Cell(const RunResult& run) {
  std::string text = absl::StrFormat("%8.1f (%6.2f / %7.2f)", run.rate(), run.p50_ms, run.p99_ms);
  if (run.errors > 0) absl::StrAppend(&text, " ", run.errors, " errors");
  return text;
}

// `clients` threads, each with its own NasqClient (own connection), share `trials` round trips.
// CPU seconds of process `pid` so far.
absl::StatusOr<double> CpuSeconds(pid_t pid) {
  absl::StatusOr<bench::ProcessUsage> usage = bench::ReadProcessUsage(pid);
  if (!usage.ok()) return usage.status();
  return usage->cpu_seconds;
}

absl::StatusOr<RunResult> RunNasq(const ServerProcess& server, int trials, int clients) {
  const std::string study = absl::StrCat("bench-", clients);
  auto spec = ParseStudySpecYaml(StudyYaml(study), "bench");
  if (!spec.ok()) return spec.status();
  auto created = server.Client()->CreateStudy(*spec);
  if (!created.ok()) return created.status();

  std::atomic<int> started{0};
  std::atomic<int64_t> errors{0};
  std::mutex mu;
  std::vector<double> latencies;
  absl::StatusOr<double> server_cpu_before = CpuSeconds(server.pid());
  absl::StatusOr<double> client_cpu_before = CpuSeconds(getpid());
  if (!server_cpu_before.ok()) return server_cpu_before.status();
  if (!client_cpu_before.ok()) return client_cpu_before.status();
  const auto begin = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      auto client = server.Client();
      std::vector<double> mine;
      while (started.fetch_add(1) < trials) {
        const auto t0 = std::chrono::steady_clock::now();
        auto trial = client->Ask(study);
        if (!trial.ok() ||
            !client->Tell(study, trial->number(), v1::TRIAL_STATE_COMPLETE, {Objective(*trial)})
                 .ok()) {
          errors.fetch_add(1);
          continue;
        }
        mine.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  absl::StatusOr<double> server_cpu_after = CpuSeconds(server.pid());
  absl::StatusOr<double> client_cpu_after = CpuSeconds(getpid());
  if (!server_cpu_after.ok()) return server_cpu_after.status();
  if (!client_cpu_after.ok()) return client_cpu_after.status();
  RunResult run = Summarise(latencies, seconds, errors.load());
  if (run.trials > 0) {
    run.server_cpu_ms = (*server_cpu_after - *server_cpu_before) * 1e3 / run.trials;
    run.client_cpu_ms = (*client_cpu_after - *client_cpu_before) * 1e3 / run.trials;
  }
  return run;
}

// "server / client" CPU ms per ask+tell, and the most ask+tell per second that `cores` give at
// that cost.
std::string CpuCell(const RunResult& run, int cores) {
  const double per_trial_ms = run.server_cpu_ms + run.client_cpu_ms;
  return absl::StrFormat("%.2f / %.2f (%6.0f/s)", run.server_cpu_ms, run.client_cpu_ms,
                         per_trial_ms > 0 ? cores * 1e3 / per_trial_ms : 0.0);
}

absl::StatusOr<RunResult> RunOptuna(const std::string& dir, int trials, int clients) {
  const std::string db = absl::StrCat(dir, "/optuna-", clients, ".db");
  std::filesystem::remove(db);
  const CommandResult r =
      RunCommand({"/usr/bin/python3", OPTUNA_ASK_TELL_SCRIPT, "--db", db, "--trials",
                  std::to_string(trials), "--clients", std::to_string(clients)},
                 std::chrono::minutes(30));
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("optuna_ask_tell.py failed: ", r.err));
  }
  const nlohmann::json out = nlohmann::json::parse(r.out, nullptr, false);
  if (out.is_discarded()) return absl::InternalError("optuna_ask_tell.py printed no JSON");
  return Summarise(out["latency_ms"].get<std::vector<double>>(), out["seconds"].get<double>(),
                   out["errors"].get<int64_t>());
}

int Main(int argc, char** argv) {
  CLI::App app{"ask+tell throughput of nasq-server (SQLite and PostgreSQL) versus Optuna 3.1"};
  int trials = 200;
  std::string clients_list = "1,8,32";
  std::string dir = std::filesystem::temp_directory_path() / "nasq_ask_tell_bench";
  bool skip_optuna = false;
  bool skip_postgres = false;
  app.add_option("--trials", trials, "Trials per run (every column)")->capture_default_str();
  app.add_option("--clients", clients_list, "Comma-separated client counts")->capture_default_str();
  app.add_option("--dir", dir, "Directory for the SQLite files")->capture_default_str();
  app.add_flag("--skip-optuna", skip_optuna, "Measure nasq only");
  app.add_flag("--skip-postgres", skip_postgres, "Measure nasq on SQLite only");
  CLI11_PARSE(app, argc, argv);

  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto server = ServerProcess::Start(NASQ_SERVER_BIN, dir + "/nasq.db", FreeLoopbackPort());
  auto in_memory = ServerProcess::Start(NASQ_SERVER_BIN, "", FreeLoopbackPort());
  for (const auto* started : {&server, &in_memory}) {
    if (!started->ok()) {
      std::cerr << "ask_tell_bench: " << started->status() << "\n";
      return 1;
    }
  }
  // PostgreSQL as durable as SQLite: every commit is fsync'ed.
  std::unique_ptr<PostgresServer> postgres;
  std::unique_ptr<ServerProcess> postgres_server;
  if (!skip_postgres) {
    auto started = PostgresServer::Start(PostgresServerOptions{.durable = true});
    auto url = started.ok() ? (*started)->CreateDatabase("bench") : started.status();
    auto serving =
        url.ok() ? ServerProcess::Start(NASQ_SERVER_BIN, *url, FreeLoopbackPort()) : url.status();
    if (!serving.ok()) {
      std::cerr << "ask_tell_bench: PostgreSQL: " << serving.status()
                << " (--skip-postgres measures SQLite only)\n";
      return 1;
    }
    postgres = *std::move(started);
    postgres_server = *std::move(serving);
  }
  const int cores = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  absl::StatusOr<std::vector<double>> sync_ms = bench::MeasureAppendSyncMs(dir, 200);
  if (!sync_ms.ok()) {
    std::cerr << "ask_tell_bench: " << sync_ms.status() << "\n";
    return 1;
  }
  std::cout << absl::StrFormat("%-8s | %-28s | %-28s | %-28s | %-28s | %-13s | %-30s | %s\n",
                               "clients", "SQLite trials/s (p50/p99 ms)",
                               "PostgreSQL trials/s (p50/p99)", "in memory trials/s (p50/p99)",
                               "optuna trials/s (p50/p99 ms)", "SQLite/optuna",
                               "SQLite CPU ms/trial srv / cli", "in memory CPU ms/trial srv / cli");
  std::cout << std::string(210, '-') << "\n";
  for (absl::string_view c : absl::StrSplit(clients_list, ',')) {
    const int clients = std::stoi(std::string(c));
    auto nasq = RunNasq(**server, trials, clients);
    if (!nasq.ok()) {
      std::cerr << "ask_tell_bench: nasq run failed: " << nasq.status() << "\n";
      return 1;
    }
    auto no_storage = RunNasq(**in_memory, trials, clients);
    if (!no_storage.ok()) {
      std::cerr << "ask_tell_bench: nasq run in memory failed: " << no_storage.status() << "\n";
      return 1;
    }
    std::string postgres_text = "skipped";
    if (postgres_server != nullptr) {
      auto on_postgres = RunNasq(*postgres_server, trials, clients);
      if (!on_postgres.ok()) {
        std::cerr << "ask_tell_bench: nasq run on PostgreSQL failed: " << on_postgres.status()
                  << "\n";
        return 1;
      }
      postgres_text = Cell(*on_postgres);
    }
    std::string optuna_text = "skipped", ratio_text = "-";
    if (!skip_optuna) {
      auto optuna = RunOptuna(dir, trials, clients);
      if (!optuna.ok()) {
        std::cerr << "ask_tell_bench: " << optuna.status() << "\n";
        return 1;
      }
      optuna_text = Cell(*optuna);
      ratio_text = absl::StrFormat("%.1fx", nasq->rate() / optuna->rate());
    }
    std::cout << absl::StrFormat("%-8d | %-28s | %-28s | %-28s | %-28s | %-13s | %-30s | %s\n",
                                 clients, Cell(*nasq), postgres_text, Cell(*no_storage),
                                 optuna_text, ratio_text, CpuCell(*nasq, cores),
                                 CpuCell(*no_storage, cores))
              << std::flush;
  }
  std::cout << "CPU cells: nasq-server / client threads, ms per ask+tell (in brackets: the most "
               "ask+tell per second the cores give at that cost)\n";
  std::cout << absl::StrFormat(
      "fdatasync of a 4 KiB append in %s: p50 %.3f ms, p99 %.3f ms (one client waits for at "
      "least one per ask+tell: at most %.0f/s); %d cores\n",
      dir, bench::Quantile(*sync_ms, 0.5), bench::Quantile(*sync_ms, 0.99),
      1e3 / bench::Quantile(*sync_ms, 0.5), cores);
  std::cout << "trials per run: " << trials << "; SQLite files in " << dir
            << (postgres != nullptr
                    ? absl::StrCat("; PostgreSQL 15 on 127.0.0.1:", postgres->port(),
                                   " (fsync, synchronous_commit on)")
                    : "")
            << "\n";
  return 0;
}

}  // namespace
}  // namespace nasq

int main(int argc, char** argv) { return nasq::Main(argc, argv); }

// The real binaries together: a nasq-server on a SQLite file and nasq-worker processes (CPU,
// one LibTorch thread each) run small studies on a few hundred embedded SpamAssassin e-mails.
//  * Two workers finish a 4-trial study although one is SIGKILLed while it holds a trial; every
//    trial's metrics are in the database file afterwards.
//  * A worker keeps its trial across a coordinator outage longer than the lease and reaches the
//    restarted coordinator within a second.
//  * Chaos: SIGKILLs of the coordinator under ask/tell clients and a worker lose, duplicate and
//    corrupt nothing.
//  * A trial the task cannot run (heads not dividing hidden, a missing dataset) ends FAILED with
//    the reason while the same worker goes on completing other trials.
//  * `nasq-worker --once` prints the metrics the same params produce through the server.
//  * A worker with --slots 2 runs each slot as a process of its own: concurrent trials give the
//    metrics they give alone, and one SIGTERM stops every slot.
//  * With --on-sigterm release ($NASQ_ON_SIGTERM) a SIGTERM mid-trial gives the trial back at
//    once, and another worker completes it.
// Skipped when the SpamAssassin package has not been fetched (scripts/fetch-data.sh).
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spec/spec_yaml.h"
#include "storage/sqlite_storage.h"
#include "testing/ask_tell_load.h"
#include "testing/local_server.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

constexpr char kServerBin[] = NASQ_SERVER_BIN;
constexpr char kWorkerBin[] = NASQ_WORKER_BIN;
constexpr char kSpamData[] = NASQ_SOURCE_DIR "/third_party/spam-assassin/data";

// Every metric a task with train, prune and quantise stages reports (docs/task-spec.md).
constexpr const char* kExpectedMetrics[] = {"accuracy",
                                            "f1",
                                            "loss",
                                            "accuracy_before_compression",
                                            "accuracy_after_compression",
                                            "macs",
                                            "bitops",
                                            "weight_bits",
                                            "effective_size_bits",
                                            "avg_bitwidth",
                                            "sparsity",
                                            "activation_sparsity",
                                            "train_seconds",
                                            "eval_seconds",
                                            "samples_per_second"};

// Metrics that are wall-clock measurements, so differ between two runs of the same trial.
bool IsTiming(const std::string& metric) {
  return metric == "train_seconds" || metric == "eval_seconds" || metric == "samples_per_second";
}

// The lease of StudyYaml's studies unless a test needs another: short, so that a killed
// worker's trial is re-queued within seconds.
constexpr char kShortLease[] = "{duration: 2s, heartbeat_interval: 200ms}";

// A study over `params` (YAML lines under `space.params`) whose trials train a tiny BERT for a
// few seconds, prune it and quantise it. `dataset_path` empty = the embedded SpamAssassin data;
// `lease` is the spec's lease section.
std::string StudyYaml(const std::string& name, const std::string& params, int max_trials,
                      const std::string& dataset_path = "",
                      const std::string& lease = kShortLease) {
  const std::string path = dataset_path.empty() ? "" : ", path: " + dataset_path;
  return "name: " + name + R"(
direction: maximize
metric: accuracy
space:
  params:
)" + params +
         R"(
sampler: {type: grid, seed: 0}
max_trials: )" +
         std::to_string(max_trials) + R"(
lease: )" +
         lease + R"(
task:
  kind: bert-classify
  dataset: {max_examples: 400, max_length: 32)" +
         path + R"(}
  tokenizer: {vocab_size: 500}
  model: {num_layers: 1, num_heads: 2, hidden_size: 16, intermediate_size: 32}
  stages:
    - {stage: train, epochs: 3, batch_size: 16}
    - {stage: prune, method: l1, sparsity: 0.5}
    - {stage: quantise, type: integer, width: 8, frac_width: 4}
)";
}

class WorkerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kSpamData)) {
      GTEST_SKIP() << "SpamAssassin data not found at " << kSpamData;
    }
    db_path_ = dir_.path() + "/nasq.db";
    auto server =
        ServerProcess::Start(kServerBin, db_path_, FreeLoopbackPort(), {"--reaper-tick-ms", "100"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = server_->Client();
  }

  // The worker arguments shared by lease-loop and --once runs.
  std::vector<std::string> CommonWorkerArgs() const {
    return {"--threads", "1", "--cache-dir", dir_.path() + "/cache"};
  }

  // Starts a nasq-worker process called `id` against the server, with `extra_args` and the
  // environment variables `env` ("NAME=VALUE", set through env(1), which execs the worker in
  // its own process).
  ChildProcess& StartWorker(const std::string& id, std::vector<std::string> extra_args = {},
                            const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv;
    if (!env.empty()) argv.push_back("/usr/bin/env");
    argv.insert(argv.end(), env.begin(), env.end());
    for (const char* arg :
         {kWorkerBin, "--server", server_->address().c_str(), "--worker-id", id.c_str()}) {
      argv.push_back(arg);
    }
    argv.push_back("--lease-wait-ms");
    argv.push_back("300");
    for (std::string& arg : CommonWorkerArgs()) argv.push_back(std::move(arg));
    for (std::string& arg : extra_args) argv.push_back(std::move(arg));
    workers_.push_back(
        std::make_unique<ChildProcess>(argv, dir_.path() + "/worker-" + id + ".log"));
    workers_.back()->Start();
    return *workers_.back();
  }

  void CreateStudy(const std::string& yaml) {
    auto spec = ParseStudySpecYaml(yaml, "study.yaml");
    ASSERT_TRUE(spec.ok()) << spec.status();
    auto created = client_->CreateStudy(*spec);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  std::vector<v1::Trial> Trials(const std::string& study) {
    auto trials = client_->ListTrials(study);
    EXPECT_TRUE(trials.ok()) << trials.status();
    return trials.ok() ? *std::move(trials) : std::vector<v1::Trial>{};
  }

  // Polls the study's trials until `done` holds for them; false after `timeout`.
  bool WaitFor(const std::string& study,
               const std::function<bool(const std::vector<v1::Trial>&)>& done,
               std::chrono::seconds timeout = std::chrono::seconds(180)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done(Trials(study))) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  static int CountIn(const std::vector<v1::Trial>& trials, v1::TrialState state) {
    int n = 0;
    for (const v1::Trial& trial : trials) n += trial.state() == state;
    return n;
  }

  // The metrics `nasq-worker --once` prints for the study file `yaml` and `params` (JSON).
  nlohmann::json OnceMetrics(const std::string& yaml, const std::string& params) {
    std::vector<std::string> argv = {
        kWorkerBin, "--once", "--task", dir_.WriteFile("once.yaml", yaml), "--params", params};
    for (std::string& arg : CommonWorkerArgs()) argv.push_back(std::move(arg));
    const CommandResult once = RunCommand(argv, std::chrono::seconds(180));
    EXPECT_EQ(once.exit_code, 0) << once.err;
    return once.exit_code == 0 ? nlohmann::json::parse(once.out) : nlohmann::json::object();
  }

  // Expects `served` (a trial's recorded metrics) to equal `local` (--once) in every metric that
  // is not a timing, and the same metric names.
  static void ExpectSameMetrics(const nlohmann::json& local, const nlohmann::json& served) {
    ASSERT_EQ(local.size(), served.size()) << local.dump() << "\n" << served.dump();
    int compared = 0;
    for (const auto& [metric, value] : local.items()) {
      ASSERT_TRUE(served.contains(metric)) << metric;
      if (IsTiming(metric)) continue;
      EXPECT_EQ(value.get<double>(), served.at(metric).get<double>()) << metric;
      ++compared;
    }
    EXPECT_EQ(compared, static_cast<int>(std::size(kExpectedMetrics)) - 3);
  }

  // The worker logs, for failure messages.
  std::string WorkerLogs() const {
    std::string logs;
    for (const auto& worker : workers_) logs += worker->Log();
    return logs;
  }

  TempDir dir_;
  std::string db_path_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<NasqClient> client_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
};

TEST_F(WorkerProcessTest, TwoWorkersCompleteAStudyWhenOneIsKilledMidTrial) {
  CreateStudy(
      StudyYaml("kill", "    hidden_size: [16, 32]\n    train.learning_rate: [1.0e-3, 3.0e-3]", 4));
  ChildProcess& doomed = StartWorker("doomed");
  ChildProcess& survivor = StartWorker("survivor");

  auto held_by_doomed = [](const std::vector<v1::Trial>& trials) {
    for (const v1::Trial& trial : trials) {
      if (trial.state() == v1::TRIAL_STATE_RUNNING && trial.lease().worker_id() == "doomed") {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(WaitFor("kill", held_by_doomed)) << WorkerLogs();
  doomed.Kill();
  // The killed worker's lease outlives it until it expires: that trial was cut off mid-run.
  int64_t orphan = -1;
  for (const v1::Trial& trial : Trials("kill")) {
    if (trial.state() == v1::TRIAL_STATE_RUNNING && trial.lease().worker_id() == "doomed") {
      orphan = trial.number();
    }
  }
  ASSERT_GE(orphan, 0) << "the worker finished its trial before the kill landed";

  ASSERT_TRUE(WaitFor("kill",
                      [](const std::vector<v1::Trial>& trials) {
                        return CountIn(trials, v1::TRIAL_STATE_COMPLETE) == 4;
                      }))
      << WorkerLogs() << server_->Log();
  const std::vector<v1::Trial> trials = Trials("kill");
  ASSERT_EQ(trials.size(), 4u);
  EXPECT_EQ(trials[orphan].attempt(), 2) << "the orphaned trial is re-run after its lease expires";
  EXPECT_FALSE(survivor.HasExited());
  EXPECT_EQ(survivor.Terminate(std::chrono::seconds(30)), 0) << survivor.Log();
  ASSERT_EQ(server_->Terminate(std::chrono::seconds(10)), 0) << server_->Log();

  // Everything is in the database file, read without the server.
  auto storage = OpenSqliteStorage(db_path_);
  ASSERT_TRUE(storage.ok()) << storage.status();
  auto study = (*storage)->GetStudyByName("kill");
  ASSERT_TRUE(study.ok()) << study.status();
  auto stored = (*storage)->GetAllTrials(study->id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 4u);
  std::set<std::pair<double, double>> cells;
  for (const Trial& trial : *stored) {
    SCOPED_TRACE("trial " + std::to_string(trial.number));
    EXPECT_EQ(trial.state, TrialState::kComplete);
    ASSERT_TRUE(trial.user_attrs.contains("metrics"));
    const auto metrics = nlohmann::json::parse(trial.user_attrs.at("metrics"));
    for (const char* name : kExpectedMetrics) {
      EXPECT_TRUE(metrics.contains(name)) << name << " missing from " << metrics.dump();
    }
    ASSERT_EQ(trial.values.size(), 1u);
    EXPECT_EQ(trial.values[0], metrics.at("accuracy").get<double>());
    EXPECT_EQ(metrics.at("sparsity").get<double>(), 0.5);
    EXPECT_EQ(metrics.at("avg_bitwidth").get<double>(), 8.0);
    // The last worker to lease it, as it described itself.
    const auto worker = nlohmann::json::parse(trial.system_attrs.at("worker"));
    EXPECT_EQ(worker.at("device"), "cpu");
    EXPECT_EQ(worker.at("threads"), "1");
    if (trial.number == orphan) {
      EXPECT_EQ(worker.at("id"), "survivor");
    }
    cells.emplace(trial.params.at("hidden_size"), trial.params.at("train.learning_rate"));
  }
  EXPECT_EQ(cells.size(), 4u) << "each grid cell ran once";
}

// The coordinator is SIGKILLed while a worker trains a trial and stays down for longer than the
// lease (2 s). The worker's heartbeats reach it again within a second of the restarted server
// answering, and the lease survives the outage (the restart's grace period), so the trial
// completes on its first attempt instead of being re-queued.
TEST_F(WorkerProcessTest, WorkerKeepsItsTrialAcrossACoordinatorOutage) {
  CreateStudy(StudyYaml("outage", "    train.epochs: [60]", 1));
  ChildProcess& worker = StartWorker("steady");
  ASSERT_TRUE(WaitFor("outage", [](const std::vector<v1::Trial>& trials) {
    return CountIn(trials, v1::TRIAL_STATE_RUNNING) == 1;
  })) << WorkerLogs();
  server_->Kill();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_TRUE(server_->Restart().ok());
  const auto answering = std::chrono::steady_clock::now();
  const v1::Trial loaded = Trials("outage").at(0);
  ASSERT_EQ(loaded.state(), v1::TRIAL_STATE_RUNNING) << "the lease expired at the restart";
  // A heartbeat renews the lease beyond the grace deadline set at load.
  std::chrono::milliseconds reconnect{-1};
  while (std::chrono::steady_clock::now() - answering < std::chrono::seconds(5)) {
    const v1::Trial now = Trials("outage").at(0);
    if (now.lease().expire_time().seconds() * 1'000'000'000 + now.lease().expire_time().nanos() >
        loaded.lease().expire_time().seconds() * 1'000'000'000 +
            loaded.lease().expire_time().nanos()) {
      reconnect = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - answering);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::cout << "worker's first heartbeat after the restart: " << reconnect.count() << " ms"
            << std::endl;
  EXPECT_GE(reconnect.count(), 0) << "no heartbeat within 5 s\n" << worker.Log();
  EXPECT_LT(reconnect.count(), 1000) << worker.Log();
  ASSERT_TRUE(WaitFor("outage",
                      [](const std::vector<v1::Trial>& trials) {
                        return CountIn(trials, v1::TRIAL_STATE_COMPLETE) == 1;
                      }))
      << WorkerLogs() << server_->Log();
  EXPECT_EQ(Trials("outage").at(0).attempt(), 1) << "the trial was re-run";
  EXPECT_EQ(worker.Terminate(std::chrono::seconds(30)), 0) << worker.Log();
}

// Chaos: the coordinator is SIGKILLed and restarted kChaosKills times while kChaosClients
// ask/tell client threads work through one study and a worker runs the trials of another. Each
// client tells a value that is a function of the trial's params and number, so every stored
// value can be checked, acknowledged or not. At the end each study holds exactly max_trials
// COMPLETE trials with the right values, no number twice, the live worker lost none of its
// trials to the outages, and the file passes integrity_check.
constexpr int kChaosKills = 6;
constexpr int kChaosClients = 6;
constexpr int kChaosTrials = 150;

double ChaosValue(double x, int64_t number) { return x * static_cast<double>(number + 1); }

TEST_F(WorkerProcessTest, ChaosSigkillLoopLosesAndDuplicatesNothing) {
  CreateStudy(
      absl::StrCat("name: chaos\nspace:\n  params:\n    x: {type: float, low: -5, high: 5}\n"
                   "sampler: {type: random, seed: 3}\nmax_trials: ",
                   kChaosTrials, "\nlease: {duration: 2s, heartbeat_interval: 500ms}\n"));
  CreateStudy(StudyYaml("chaos-worker", "    hidden_size: [16, 32]", 2));
  ChildProcess& worker = StartWorker("chaos");
  // The first kills land while the worker trains a trial.
  ASSERT_TRUE(WaitFor("chaos-worker", [](const std::vector<v1::Trial>& trials) {
    return CountIn(trials, v1::TRIAL_STATE_RUNNING) == 1;
  })) << WorkerLogs();

  AskTellLoadOptions options;
  options.threads = kChaosClients;
  options.give_up = std::chrono::seconds(150);
  AskTellLoad load(
      *server_, "chaos",
      [](const v1::Trial& trial) {
        return ChaosValue(trial.params().at("x").double_value(), trial.number());
      },
      options);

  std::string at_kills;  // told counts at each kill, for the log
  for (int kill = 0; kill < kChaosKills; ++kill) {
    const int target = load.told() + kChaosTrials / (2 * kChaosKills);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (load.told() < target && !load.finished() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    server_->Kill();
    at_kills += absl::StrCat(kill == 0 ? "" : ", ", load.told());
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * (kill % 3)));
    ASSERT_TRUE(server_->Restart().ok()) << server_->Log();
  }
  load.Join();
  EXPECT_THAT(load.errors(), ::testing::IsEmpty());
  ASSERT_TRUE(WaitFor("chaos-worker",
                      [](const std::vector<v1::Trial>& trials) {
                        return CountIn(trials, v1::TRIAL_STATE_COMPLETE) == 2;
                      }))
      << WorkerLogs() << server_->Log();
  EXPECT_EQ(worker.Terminate(std::chrono::seconds(30)), 0) << worker.Log();
  ASSERT_EQ(server_->Terminate(std::chrono::seconds(10)), 0) << server_->Log();

  // The file, read without the server: it opens (quick_check and nasq's row checks pass) ...
  auto storage = OpenSqliteStorage(db_path_);
  ASSERT_TRUE(storage.ok()) << storage.status();
  for (const auto& [name, max_trials] : {std::pair{"chaos", kChaosTrials}, {"chaos-worker", 2}}) {
    SCOPED_TRACE(name);
    auto study = (*storage)->GetStudyByName(name);
    ASSERT_TRUE(study.ok()) << study.status();
    EXPECT_EQ(study->state, StudyState::kCompleted);
    auto trials = (*storage)->GetAllTrials(study->id);
    ASSERT_TRUE(trials.ok()) << trials.status();
    std::set<int64_t> numbers;
    std::set<int64_t> complete;
    for (const Trial& trial : *trials) {
      EXPECT_TRUE(numbers.insert(trial.number).second) << "number used twice: " << trial.number;
      if (trial.state != TrialState::kComplete) continue;
      complete.insert(trial.number);
      ASSERT_EQ(trial.values.size(), 1u);
      if (std::string(name) == "chaos") {
        EXPECT_EQ(trial.values[0], ChaosValue(trial.params.at("x"), trial.number))
            << "trial " << trial.number;
      } else {
        const auto metrics = nlohmann::json::parse(trial.user_attrs.at("metrics"));
        EXPECT_EQ(trial.values[0], metrics.at("accuracy").get<double>());
        EXPECT_EQ(trial.attempt, 1) << "the live worker lost trial " << trial.number;
      }
    }
    EXPECT_EQ(complete.size(), static_cast<size_t>(max_trials));
    int rerun = 0;
    for (const Trial& trial : *trials) rerun += trial.attempt > 1;
    std::cout << name << ": " << trials->size() << " trials, " << complete.size() << " COMPLETE, "
              << rerun << " re-run after a lost lease; acknowledged tells at "
              << "the kills: " << at_kills << std::endl;
    if (std::string(name) != "chaos") continue;
    for (const auto& [number, value] : load.acknowledged()) {
      EXPECT_TRUE(complete.contains(number)) << "acknowledged trial " << number << " lost";
    }
  }
  storage->reset();
  // ... and SQLite's full check finds nothing.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::string check;
  sqlite3_exec(
      db, "PRAGMA integrity_check",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) += values[0] ? values[0] : "NULL";
        return 0;
      },
      &check, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(check, "ok");
}

TEST_F(WorkerProcessTest, FailsTrialsItCannotRunAndServesTheRest) {
  CreateStudy(StudyYaml("heads", "    num_heads: [2, 3]", 2));
  CreateStudy(StudyYaml("nodata", "    hidden_size: [16]", 1, dir_.path() + "/no-such-folder"));
  ChildProcess& worker = StartWorker("solo");

  ASSERT_TRUE(WaitFor("heads", [](const std::vector<v1::Trial>& trials) {
    return CountIn(trials, v1::TRIAL_STATE_COMPLETE) + CountIn(trials, v1::TRIAL_STATE_FAIL) == 2;
  })) << WorkerLogs();
  ASSERT_TRUE(WaitFor("nodata", [](const std::vector<v1::Trial>& trials) {
    return CountIn(trials, v1::TRIAL_STATE_FAIL) >= 1;
  })) << WorkerLogs();

  for (const v1::Trial& trial : Trials("heads")) {
    const int64_t heads = trial.params().at("num_heads").int_value();
    if (heads == 3) {
      ASSERT_EQ(trial.state(), v1::TRIAL_STATE_FAIL);
      EXPECT_THAT(trial.system_attrs().at("fail_reason"),
                  HasSubstr("num_heads (3) must divide hidden_size (16)"));
    } else {
      EXPECT_EQ(trial.state(), v1::TRIAL_STATE_COMPLETE) << WorkerLogs();
    }
  }
  const v1::Trial nodata = Trials("nodata").at(0);
  EXPECT_EQ(nodata.state(), v1::TRIAL_STATE_FAIL);
  EXPECT_THAT(nodata.system_attrs().at("fail_reason"), HasSubstr("task.dataset.path"));
  EXPECT_THAT(nodata.system_attrs().at("fail_reason"), HasSubstr("no-such-folder"));
  EXPECT_FALSE(worker.HasExited()) << worker.Log();
  EXPECT_EQ(worker.Terminate(std::chrono::seconds(30)), 0) << worker.Log();
}

TEST_F(WorkerProcessTest, OnceModePrintsTheMetricsTheServerRecords) {
  const std::string yaml = StudyYaml("same", "    hidden_size: [32]", 1);
  const nlohmann::json local = OnceMetrics(yaml, R"({"hidden_size": 32})");

  CreateStudy(yaml);
  StartWorker("served");
  ASSERT_TRUE(WaitFor("same", [](const std::vector<v1::Trial>& trials) {
    return CountIn(trials, v1::TRIAL_STATE_COMPLETE) == 1;
  })) << WorkerLogs();
  ExpectSameMetrics(local, nlohmann::json::parse(Trials("same").at(0).user_attrs().at("metrics")));
}

// Two trials with dropout train at the same time in one --slots 2 worker. Were the slots threads
// of one process, their dropout masks would come from one shared LibTorch generator and neither
// trial would reproduce its single run.
TEST_F(WorkerProcessTest, SlotsAreProcessesWhoseTrialsMatchTheirSingleRuns) {
  const std::string yaml = StudyYaml("slots", "    train.learning_rate: [1.0e-3, 3.0e-3]", 2);
  CreateStudy(yaml);
  ChildProcess& worker = StartWorker("pair", {"--slots", "2"});
  ASSERT_TRUE(WaitFor("slots", [](const std::vector<v1::Trial>& trials) {
    return CountIn(trials, v1::TRIAL_STATE_COMPLETE) == 2;
  })) << WorkerLogs();
  EXPECT_FALSE(worker.HasExited()) << worker.Log();
  EXPECT_EQ(worker.Terminate(std::chrono::seconds(30)), 0) << worker.Log();
  EXPECT_THAT(worker.Log(), HasSubstr("slot 0 runs as process"));
  EXPECT_THAT(worker.Log(), HasSubstr("slot 1 runs as process"));
  EXPECT_THAT(worker.Log(), HasSubstr("slot 1 stopped (exit code 0)"));

  std::set<std::string> holders;
  for (const v1::Trial& trial : Trials("slots")) {
    SCOPED_TRACE("trial " + std::to_string(trial.number()));
    const auto worker_label = nlohmann::json::parse(trial.system_attrs().at("worker"));
    holders.insert(worker_label.at("id").get<std::string>());
    EXPECT_EQ(worker_label.at("slots"), "2");
    const double lr = trial.params().at("train.learning_rate").double_value();
    ExpectSameMetrics(OnceMetrics(yaml, nlohmann::json{{"train.learning_rate", lr}}.dump()),
                      nlohmann::json::parse(trial.user_attrs().at("metrics")));
  }
  for (const std::string& id : holders) EXPECT_THAT(id, ::testing::MatchesRegex("pair/[01]"));
}

// Slurm's clean stop (deploy/slurm/): a worker started with $NASQ_ON_SIGTERM=release (the
// environment form of --on-sigterm release) gets SIGTERM mid-trial, cancels the trial, gives it
// back and exits 0. The trial is WAITING again by then, its attempt recorded as released,
// although its lease (60 s) is far from expiring, and a second worker completes it.
TEST_F(WorkerProcessTest, ReleaseOnSigtermRequeuesTheTrialAtOnce) {
  CreateStudy(StudyYaml("release", "    hidden_size: [16]", 1, "",
                        "{duration: 60s, heartbeat_interval: 200ms}"));
  ChildProcess& leaving = StartWorker("leaving", {}, {"NASQ_ON_SIGTERM=release"});
  ASSERT_TRUE(WaitFor("release", [](const std::vector<v1::Trial>& trials) {
    return CountIn(trials, v1::TRIAL_STATE_RUNNING) == 1;
  })) << WorkerLogs();
  const auto signalled = std::chrono::steady_clock::now();
  EXPECT_EQ(leaving.Terminate(std::chrono::seconds(20)), 0) << leaving.Log();
  const auto stopped_after = std::chrono::steady_clock::now() - signalled;
  std::cout << "SIGTERM to exit with the trial released: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(stopped_after).count() << " ms"
            << std::endl;
  EXPECT_LT(stopped_after, std::chrono::seconds(20));
  EXPECT_THAT(leaving.Log(), HasSubstr("released"));

  const v1::Trial released = Trials("release").at(0);
  ASSERT_EQ(released.state(), v1::TRIAL_STATE_WAITING) << leaving.Log();
  EXPECT_EQ(released.attempt(), 2);
  const auto attempts = nlohmann::json::parse(released.system_attrs().at("attempts"));
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].at("worker_id"), "leaving");
  EXPECT_EQ(attempts[0].at("outcome"), "released");
  EXPECT_THAT(attempts[0].at("reason").get<std::string>(), HasSubstr("SIGTERM"));

  ChildProcess& staying = StartWorker("staying", {"--on-sigterm", "finish"});
  ASSERT_TRUE(WaitFor("release", [](const std::vector<v1::Trial>& trials) {
    return CountIn(trials, v1::TRIAL_STATE_COMPLETE) == 1;
  })) << WorkerLogs();
  const v1::Trial done = Trials("release").at(0);
  EXPECT_EQ(done.attempt(), 2);
  EXPECT_EQ(nlohmann::json::parse(done.system_attrs().at("worker")).at("id"), "staying");
  EXPECT_EQ(staying.Terminate(std::chrono::seconds(30)), 0) << staying.Log();

  const CommandResult bad =
      RunCommand({kWorkerBin, "--server", server_->address(), "--on-sigterm", "later"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.out + bad.err, HasSubstr("--on-sigterm"));
}

}  // namespace
}  // namespace nasq

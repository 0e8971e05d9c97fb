// tests/storage/sqlite_storage_test.cc: behaviour specific to the SQLite storage: persistence
// across reopen, schema and pragmas, refusal of foreign files (leaving them untouched), and
// crash safety under SIGKILL. The shared contract is in storage_conformance_test.cc.
#include "storage/sqlite_storage.h"

#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/sqlite_schema.h"
#include "storage/trial_checks.h"
#include "tests/storage/storage_test_util.h"

namespace nasq {
namespace {

using ::nasq::testing::CorruptMiddlePage;
using ::nasq::testing::ExpectSameSpec;
using ::nasq::testing::ExpectSameTrial;
using ::nasq::testing::ReadFileBytes;
using ::nasq::testing::RemoveDbFiles;
using ::nasq::testing::SampleSpec;
using ::nasq::testing::SampleTrialTemplate;
using ::nasq::testing::TempDbPath;

constexpr double kInf = std::numeric_limits<double>::infinity();

std::unique_ptr<Storage> MustOpen(const std::string& path) {
  absl::StatusOr<std::unique_ptr<Storage>> storage = OpenSqliteStorage(path);
  EXPECT_TRUE(storage.ok()) << storage.status();
  return storage.ok() ? *std::move(storage) : nullptr;
}

// Runs `sql` on a separate raw connection; returns the rows, columns joined by '|', rows by ';'.
std::string RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  std::string out;
  char* error = nullptr;
  const int rc = sqlite3_exec(
      db, sql.c_str(),
      [](void* acc, int n, char** values, char**) {
        std::string& s = *static_cast<std::string*>(acc);
        if (!s.empty()) s += ";";
        for (int i = 0; i < n; ++i) {
          if (i > 0) s += "|";
          s += values[i] == nullptr ? "NULL" : values[i];
        }
        return 0;
      },
      &out, &error);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
  return out;
}

TEST(SqliteStorage, ReopenPersistsEverything) {
  const std::string path = TempDbPath("reopen");
  std::vector<Study> studies_before;
  std::vector<std::vector<Trial>> trials_before;
  {
    std::unique_ptr<Storage> storage = MustOpen(path);
    ASSERT_NE(storage, nullptr);
    const int64_t rich = *storage->CreateStudy(testing::RichSpec("rich"), 11);
    const int64_t plain = *storage->CreateStudy(SampleSpec("plain"), 22);
    ASSERT_TRUE(storage->SetStudySystemAttr(rich, "sampler_state", "{\"n\":3}").ok());
    ASSERT_TRUE(storage->SetStudyState(plain, StudyState::kStopped).ok());
    for (int i = 0; i < 3; ++i) {
      const Trial trial = *storage->CreateTrial(plain, SampleTrialTemplate());
      if (i == 1) {
        TrialUpdate update;
        update.state = TrialState::kComplete;
        update.values = std::vector<double>{-kInf};
        update.clear_lease = true;
        update.datetime_complete_us = 5;
        ASSERT_TRUE(storage->UpdateTrial(trial.id, update).ok());
      }
    }
    studies_before = *storage->ListStudies();
    for (const Study& s : studies_before) trials_before.push_back(*storage->GetAllTrials(s.id));
  }
  std::unique_ptr<Storage> storage = MustOpen(path);
  ASSERT_NE(storage, nullptr);
  const std::vector<Study> studies_after = *storage->ListStudies();
  ASSERT_EQ(studies_after.size(), studies_before.size());
  for (size_t i = 0; i < studies_before.size(); ++i) {
    const Study& before = studies_before[i];
    const Study& after = studies_after[i];
    EXPECT_EQ(before.id, after.id);
    EXPECT_EQ(before.state, after.state);
    EXPECT_EQ(before.created_us, after.created_us);
    EXPECT_EQ(before.system_attrs, after.system_attrs);
    ExpectSameSpec(before.spec, after.spec);
    const std::vector<Trial> trials_after = *storage->GetAllTrials(after.id);
    ASSERT_EQ(trials_after.size(), trials_before[i].size());
    for (size_t t = 0; t < trials_after.size(); ++t) {
      ExpectSameTrial(trials_before[i][t], trials_after[t]);
    }
  }
  // Numbering and ids continue after a reopen.
  const Trial next = *storage->CreateTrial(studies_after[1].id, SampleTrialTemplate());
  EXPECT_EQ(next.number, 3);
  EXPECT_GT(next.id, trials_before[1].back().id);
  storage.reset();
  RemoveDbFiles(path);
}

TEST(SqliteStorage, DeferredWritesShareOneCommitMadeByWaitDurable) {
  const std::string path = TempDbPath("group");
  std::unique_ptr<Storage> storage = MustOpen(path);
  ASSERT_NE(storage, nullptr);
  const int64_t study_id = *storage->CreateStudy(SampleSpec("group"), 0);
  CommitTicket first = 0;
  CommitTicket second = 0;
  ASSERT_TRUE(storage->CreateTrialDeferred(study_id, SampleTrialTemplate(), &first).ok());
  ASSERT_TRUE(storage->CreateTrialDeferred(study_id, SampleTrialTemplate(), &second).ok());
  EXPECT_EQ(first, second);  // both wait for the same commit
  // Another connection sees only committed data: nothing yet.
  EXPECT_EQ(RawQuery(path, "SELECT COUNT(*) FROM trials"), "0");
  ASSERT_TRUE(storage->WaitDurable(first).ok());
  EXPECT_EQ(RawQuery(path, "SELECT COUNT(*) FROM trials"), "2");

  // What nobody waited for is committed when the storage is closed.
  CommitTicket third = 0;
  ASSERT_TRUE(storage->CreateTrialDeferred(study_id, SampleTrialTemplate(), &third).ok());
  EXPECT_GT(third, first);
  storage.reset();
  EXPECT_EQ(
      RawQuery(path,
               "SELECT group_concat(number) FROM (SELECT number FROM trials ORDER BY number)"),
      "0,1,2");
  RemoveDbFiles(path);
}

TEST(SqliteStorage, WaitDurableBeforeFollowersCommitsItselfWhenNoFollowerComes) {
  const std::string path = TempDbPath("no_follower");
  std::unique_ptr<Storage> storage = MustOpen(path);
  ASSERT_NE(storage, nullptr);
  const int64_t study_id = *storage->CreateStudy(SampleSpec("no_follower"), 0);
  CommitTicket ticket = 0;
  ASSERT_TRUE(storage->CreateTrialDeferred(study_id, SampleTrialTemplate(), &ticket).ok());
  ASSERT_TRUE(storage->WaitDurableBeforeFollowers(ticket).ok());
  EXPECT_EQ(RawQuery(path, "SELECT COUNT(*) FROM trials"), "1");
  RemoveDbFiles(path);
}

TEST(SqliteStorage, WaitDurableBeforeFollowersReturnsWithTheFollowersCommit) {
  const std::string path = TempDbPath("follower");
  std::unique_ptr<Storage> storage = MustOpen(path);
  ASSERT_NE(storage, nullptr);
  const int64_t study_id = *storage->CreateStudy(SampleSpec("follower"), 0);
  CommitTicket leader = 0;
  ASSERT_TRUE(storage->CreateTrialDeferred(study_id, SampleTrialTemplate(), &leader).ok());
  absl::Status waited;
  std::string seen_by_leader;
  std::thread first([&] {
    waited = storage->WaitDurableBeforeFollowers(leader);
    seen_by_leader = RawQuery(path, "SELECT COUNT(*) FROM trials");
  });
  CommitTicket follower = 0;
  ASSERT_TRUE(storage->CreateTrialDeferred(study_id, SampleTrialTemplate(), &follower).ok());
  ASSERT_TRUE(storage->WaitDurable(follower).ok());
  first.join();
  ASSERT_TRUE(waited.ok()) << waited;
  EXPECT_GE(follower, leader);
  // However the two waits interleaved, the first write is durable when its wait returns.
  EXPECT_NE(seen_by_leader, "0");
  RemoveDbFiles(path);
}

TEST(SqliteStorage, ConcurrentDeferredWritesAreAllDurableAfterReopen) {
  const std::string path = TempDbPath("concurrent");
  std::unique_ptr<Storage> storage = MustOpen(path);
  ASSERT_NE(storage, nullptr);
  const int64_t study_id = *storage->CreateStudy(SampleSpec("concurrent"), 0);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20;
  std::vector<std::vector<Trial>> acknowledged(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        CommitTicket ticket = 0;
        absl::StatusOr<Trial> trial =
            storage->CreateTrialDeferred(study_id, SampleTrialTemplate(), &ticket);
        ASSERT_TRUE(trial.ok()) << trial.status();
        ASSERT_TRUE(storage->WaitDurable(ticket).ok());
        TrialUpdate update;
        update.expected_epoch = trial->lease->epoch;
        update.state = TrialState::kComplete;
        update.values = std::vector<double>{static_cast<double>(trial->number) * 0.25};
        update.clear_lease = true;
        update.user_attrs["thread"] = absl::StrCat(t);
        ASSERT_TRUE(storage->UpdateTrialDeferred(trial->id, update, &ticket).ok());
        ASSERT_TRUE(storage->WaitDurable(ticket).ok());
        ApplyTrialUpdate(update, *trial);
        acknowledged[t].push_back(*trial);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  storage.reset();

  storage = MustOpen(path);
  ASSERT_NE(storage, nullptr);
  absl::StatusOr<std::vector<Trial>> stored = storage->GetAllTrials(study_id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), static_cast<size_t>(kThreads * kPerThread));
  for (const auto& per_thread : acknowledged) {
    for (const Trial& trial : per_thread) {
      ASSERT_LT(trial.number, static_cast<int64_t>(stored->size()));
      ExpectSameTrial(trial, (*stored)[trial.number]);  // dense numbers, every field durable
    }
  }
  storage.reset();
  RemoveDbFiles(path);
}

TEST(SqliteStorage, UsesWalSchemaVersionAndIndexes) {
  const std::string path = TempDbPath("schema");
  std::unique_ptr<Storage> storage = MustOpen(path);
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(RawQuery(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawQuery(path, "PRAGMA application_id"), std::to_string(kNasqApplicationId));
  EXPECT_EQ(RawQuery(path, "SELECT group_concat(version) FROM schema_version"), "1,2");
  EXPECT_EQ(LatestSchemaVersion(), static_cast<int64_t>(SchemaMigrations().size()));
  EXPECT_EQ(RawQuery(path,
                     "SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE "
                     "'trials_study_%' ORDER BY name"),
            "trials_study_number;trials_study_state");
  EXPECT_EQ(RawQuery(path, "PRAGMA integrity_check"), "ok");
  storage.reset();
  // Reopening a current database applies nothing.
  storage = MustOpen(path);
  EXPECT_EQ(RawQuery(path, "SELECT COUNT(*) FROM schema_version"),
            std::to_string(LatestSchemaVersion()));
  storage.reset();
  RemoveDbFiles(path);
}

// Schema 2 adds each lease's token and kind. A lease stored by schema 1 gets a fresh random
// token (its holder, who never had one, is fenced off) and counts as a worker's.
TEST(SqliteStorage, MigrationGivesVersion1LeasesRandomTokens) {
  const std::string path = TempDbPath("migrate_v1");
  std::unique_ptr<Storage> storage = MustOpen(path);
  ASSERT_NE(storage, nullptr);
  const int64_t study = *storage->CreateStudy(SampleSpec("s"), 0);
  Trial tmpl = SampleTrialTemplate();
  tmpl.lease->kind = LeaseKind::kAsk;
  const int64_t first = storage->CreateTrial(study, tmpl)->id;
  const int64_t second = storage->CreateTrial(study, tmpl)->id;
  storage.reset();
  // Back to schema 1, as an older nasq left it.
  RawQuery(path,
           "ALTER TABLE leases DROP COLUMN token; ALTER TABLE leases DROP COLUMN kind; "
           "DELETE FROM schema_version WHERE version = 2");

  storage = MustOpen(path);
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(RawQuery(path, "SELECT group_concat(version) FROM schema_version"), "1,2");
  const Lease a = *storage->GetTrial(first)->lease;
  const Lease b = *storage->GetTrial(second)->lease;
  for (const Lease& lease : {a, b}) {
    EXPECT_EQ(lease.epoch, tmpl.lease->epoch);
    EXPECT_EQ(lease.kind, LeaseKind::kWorker);
    EXPECT_EQ(lease.token.size(), 32u);
    EXPECT_EQ(lease.token.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(lease.token, tmpl.lease->token);
  }
  EXPECT_NE(a.token, b.token);
  storage.reset();
  RemoveDbFiles(path);
}

TEST(SqliteStorage, StoresObjectiveAndIntermediateFloatsLikeOptuna) {
  const std::string path = TempDbPath("floats");
  std::unique_ptr<Storage> storage = MustOpen(path);
  ASSERT_NE(storage, nullptr);
  const int64_t study = *storage->CreateStudy(SampleSpec("s"), 0);
  Trial tmpl = SampleTrialTemplate();
  tmpl.values = {kInf, -kInf, 2.5};
  ASSERT_TRUE(storage->CreateTrial(study, tmpl).ok());
  EXPECT_EQ(RawQuery(path, "SELECT value, value_type FROM trial_values ORDER BY objective"),
            "NULL|INF_POS;NULL|INF_NEG;2.5|FINITE");
  EXPECT_EQ(RawQuery(path,
                     "SELECT step, intermediate_value, intermediate_value_type FROM "
                     "trial_intermediate_values ORDER BY step"),
            "0|1.5|FINITE;1|NULL|NAN;2|NULL|INF_POS;3|NULL|INF_NEG");
  EXPECT_EQ(RawQuery(path, "SELECT distribution_json FROM trial_params WHERE param_name = 'act'"),
            R"({"name":"CategoricalDistribution","attributes":{"choices":["relu","gelu"]}})");
  storage.reset();
  RemoveDbFiles(path);
}

// Creates an SQLite file at `path` with a raw connection and runs `sql` on it.
void MakeRawSqlite(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql;
  sqlite3_close(db);
}

// Existing empty files: a 0-byte file and an SQLite database without any table.
const std::vector<std::pair<std::string, std::function<void(const std::string&)>>>&
EmptyFileMakers() {
  static const auto* makers =
      new std::vector<std::pair<std::string, std::function<void(const std::string&)>>>{
          {"0-byte file", [](const std::string& path) { std::ofstream(path).close(); }},
          {"empty sqlite database",
           [](const std::string& path) { MakeRawSqlite(path, "PRAGMA user_version = 7"); }},
      };
  return *makers;
}

TEST(SqliteStorage, InitialisesAnExistingEmptyFileOnlyWhenAsked) {
  for (const auto& [name, make] : EmptyFileMakers()) {
    SCOPED_TRACE(name);
    const std::string path = TempDbPath("empty");
    make(path);
    const std::string before = ReadFileBytes(path);
    absl::StatusOr<std::unique_ptr<Storage>> refused = OpenSqliteStorage(path);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
    EXPECT_THAT(refused.status().message(), ::testing::HasSubstr(path));
    EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("empty"));
    EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("--init"));
    EXPECT_TRUE(ReadFileBytes(path) == before) << "the refused file was modified";

    SqliteOptions options;
    options.initialize_empty_file = true;
    absl::StatusOr<std::unique_ptr<Storage>> storage = OpenSqliteStorage(path, options);
    ASSERT_TRUE(storage.ok()) << storage.status();
    EXPECT_EQ(RawQuery(path, "SELECT MAX(version) FROM schema_version"),
              std::to_string(LatestSchemaVersion()));
    EXPECT_TRUE((*storage)->CreateStudy(SampleSpec("s"), 0).ok());
    storage->reset();
    RemoveDbFiles(path);
  }
}

// A nasq database with study "s" holding `trials` RUNNING trials (each with a lease), closed.
void MakeNasqDb(const std::string& path, int trials) {
  std::unique_ptr<Storage> storage = MustOpen(path);
  ASSERT_NE(storage, nullptr);
  const int64_t study = *storage->CreateStudy(SampleSpec("s"), 0);
  for (int i = 0; i < trials; ++i) {
    ASSERT_TRUE(storage->CreateTrial(study, SampleTrialTemplate()).ok());
  }
}

TEST(SqliteStorage, RefusesDamagedOrInconsistentDatabasesAndLeavesThemUntouched) {
  struct Case {
    std::string name;
    std::function<void(const std::string& path)> damage;  // applied to a closed nasq database
    std::vector<std::string> message_parts;               // besides the path
  };
  const std::vector<Case> cases = {
      {"a page overwritten in the middle", CorruptMiddlePage, {"quick_check"}},
      {"RUNNING trial without lease row",
       [](const std::string& path) {
         RawQuery(path,
                  "DELETE FROM leases WHERE trial_id = (SELECT trial_id FROM trials WHERE number "
                  "= 1)");
       },
       {"study 's' trial 1", "RUNNING without a lease row"}},
      {"numbering gap",
       [](const std::string& path) {
         RawQuery(path, "UPDATE trials SET number = 99 WHERE number = 2");
       },
       {"study 's'", "trial number 2 is missing"}},
      {"numbers not starting at 0",
       [](const std::string& path) { RawQuery(path, "UPDATE trials SET number = number + 100"); },
       {"study 's'", "the first trial number is 100"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = TempDbPath("damaged");
    MakeNasqDb(path, 40);
    c.damage(path);
    const std::string before = ReadFileBytes(path);
    absl::StatusOr<std::unique_ptr<Storage>> storage = OpenSqliteStorage(path);
    EXPECT_EQ(storage.status().code(), absl::StatusCode::kDataLoss) << storage.status();
    EXPECT_THAT(storage.status().message(), ::testing::HasSubstr(path));
    for (const std::string& part : c.message_parts) {
      EXPECT_THAT(storage.status().message(), ::testing::HasSubstr(part));
    }
    EXPECT_TRUE(ReadFileBytes(path) == before) << "the refused file was modified";
    RemoveDbFiles(path);
  }
}

TEST(SqliteStorage, FullIntegrityCheckFindsAnIndexThatDisagreesWithItsTable) {
  const std::string path = TempDbPath("index");
  MakeNasqDb(path, 3);
  // Redeclare an index over other columns without rebuilding it: its entries no longer match
  // the table, which only the full check compares.
  RawQuery(path,
           "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE INDEX "
           "trials_study_state ON trials(state, study_id)' WHERE name = 'trials_study_state'; "
           "PRAGMA writable_schema = OFF;");
  ASSERT_NE(MustOpen(path), nullptr);  // quick_check does not compare index contents
  SqliteOptions options;
  options.integrity_check = IntegrityCheck::kFull;
  EXPECT_EQ(OpenSqliteStorage(path, options).status().code(), absl::StatusCode::kDataLoss);
  RemoveDbFiles(path);
}

TEST(SqliteStorage, MissingFileIsNotFoundWithoutCreate) {
  const std::string path = TempDbPath("missing");
  SqliteOptions options;
  options.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<Storage>> storage = OpenSqliteStorage(path, options);
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kNotFound) << storage.status();
  EXPECT_FALSE(std::ifstream(path).good());
}

TEST(SqliteStorage, RefusesForeignFilesAndLeavesThemUntouched) {
  struct Case {
    std::string name;
    std::function<void(const std::string& path)> make;
    std::vector<std::string> message_parts;  // besides the path
  };
  const std::vector<Case> cases = {
      {"text file",
       [](const std::string& path) {
         std::ofstream(path) << std::string(3000, 'x') << "\nnot a database\n";
       },
       {"not a nasq database", "not an SQLite database"}},
      {"other sqlite database",
       [](const std::string& path) {
         sqlite3* db = nullptr;
         sqlite3_open(path.c_str(), &db);
         sqlite3_exec(db, "CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ana');",
                      nullptr, nullptr, nullptr);
         sqlite3_close(db);
       },
       {"not a nasq database", "marker"}},
      {"marker without schema_version",
       [](const std::string& path) {
         sqlite3* db = nullptr;
         sqlite3_open(path.c_str(), &db);
         sqlite3_exec(
             db,
             absl::StrCat("PRAGMA application_id = ", kNasqApplicationId, "; CREATE TABLE t (x);")
                 .c_str(),
             nullptr, nullptr, nullptr);
         sqlite3_close(db);
       },
       {"not a nasq database", "schema_version"}},
      {"newer schema version",
       [](const std::string& path) {
         ASSERT_NE(MustOpen(path), nullptr);
         RawQuery(path, absl::StrCat("INSERT INTO schema_version VALUES (",
                                     LatestSchemaVersion() + 1, ", 0)"));
       },
       {absl::StrCat("schema version ", LatestSchemaVersion() + 1),
        absl::StrCat("up to ", LatestSchemaVersion()), "newer"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = TempDbPath("foreign");
    c.make(path);
    const std::string before = ReadFileBytes(path);
    ASSERT_FALSE(before.empty());
    absl::StatusOr<std::unique_ptr<Storage>> storage = OpenSqliteStorage(path);
    EXPECT_EQ(storage.status().code(), absl::StatusCode::kFailedPrecondition) << storage.status();
    const std::string message(storage.status().message());
    EXPECT_NE(message.find(path), std::string::npos) << message;
    for (const std::string& part : c.message_parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "missing \"" << part << "\": " << message;
    }
    EXPECT_TRUE(ReadFileBytes(path) == before) << "the file was modified";
    RemoveDbFiles(path);
  }
}

// The child: opens the database and creates + completes trials until killed, writing each
// completed trial's number to `progress_fd` after its transaction committed.
[[noreturn]] void RunCrashChild(const std::string& path, int64_t study_id, int progress_fd) {
  absl::StatusOr<std::unique_ptr<Storage>> storage = OpenSqliteStorage(path);
  if (!storage.ok()) _exit(2);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < give_up) {
    Trial tmpl = SampleTrialTemplate();
    tmpl.values.clear();
    absl::StatusOr<Trial> trial = (*storage)->CreateTrial(study_id, tmpl);
    if (!trial.ok()) _exit(3);
    TrialUpdate done;
    done.expected_epoch = tmpl.lease->epoch;
    done.state = TrialState::kComplete;
    done.values = std::vector<double>{static_cast<double>(trial->number) * 0.5};
    done.clear_lease = true;
    done.datetime_complete_us = trial->number + 1;
    done.user_attrs["result"] = absl::StrCat(trial->number);
    if (!(*storage)->UpdateTrial(trial->id, done).ok()) _exit(4);
    if (write(progress_fd, &trial->number, sizeof(trial->number)) != sizeof(trial->number)) {
      _exit(5);
    }
  }
  _exit(6);  // never killed: the parent is gone or stuck
}

// Reads every complete int64 available on `fd` until `deadline` (or EOF when no deadline).
void DrainProgress(int fd, std::optional<std::chrono::steady_clock::time_point> deadline,
                   std::set<int64_t>& committed) {
  while (true) {
    int timeout_ms = -1;
    if (deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      timeout_ms = static_cast<int>(left.count());
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return;
    int64_t number = 0;
    const ssize_t n = read(fd, &number, sizeof(number));
    if (n <= 0) return;  // EOF: the child is dead
    ASSERT_EQ(n, static_cast<ssize_t>(sizeof(number)));
    committed.insert(number);
  }
}

TEST(SqliteStorage, SurvivesSigkillMidWriteWithCommittedTrialsIntact) {
  for (int kill_after_ms : {0, 30, 120, 300}) {
    SCOPED_TRACE(absl::StrCat("kill after ", kill_after_ms, " ms"));
    const std::string path = TempDbPath(absl::StrCat("crash", kill_after_ms));
    int64_t study_id = -1;
    {
      std::unique_ptr<Storage> storage = MustOpen(path);
      ASSERT_NE(storage, nullptr);
      study_id = *storage->CreateStudy(SampleSpec("crash"), 0);
    }  // no connection is open across fork()
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunCrashChild(path, study_id, fds[1]);
    }
    close(fds[1]);
    std::set<int64_t> committed;
    // Wait for the first commit so the kill lands inside the loop, then let it run on.
    int64_t first = -1;
    ASSERT_EQ(read(fds[0], &first, sizeof(first)), static_cast<ssize_t>(sizeof(first)));
    committed.insert(first);
    DrainProgress(fds[0],
                  std::chrono::steady_clock::now() + std::chrono::milliseconds(kill_after_ms),
                  committed);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited early with " << WEXITSTATUS(wstatus);
    DrainProgress(fds[0], std::nullopt, committed);
    close(fds[0]);

    EXPECT_EQ(RawQuery(path, "PRAGMA integrity_check"), "ok");
    std::unique_ptr<Storage> storage = MustOpen(path);
    ASSERT_NE(storage, nullptr);
    absl::StatusOr<std::vector<Trial>> trials = storage->GetAllTrials(study_id);
    ASSERT_TRUE(trials.ok()) << trials.status();
    // At most one trial past the last report: created, or completed but not yet reported.
    ASSERT_GE(trials->size(), committed.size());
    EXPECT_LE(trials->size(), committed.size() + 1);
    const Trial tmpl = SampleTrialTemplate();
    for (size_t n = 0; n < trials->size(); ++n) {
      const Trial& t = (*trials)[n];
      SCOPED_TRACE(absl::StrCat("trial number ", t.number));
      EXPECT_EQ(t.number, static_cast<int64_t>(n));
      EXPECT_EQ(t.params, tmpl.params);  // no trial without its params
      EXPECT_EQ(t.distributions.size(), tmpl.distributions.size());
      EXPECT_EQ(t.intermediate_values.size(), tmpl.intermediate_values.size());
      if (t.state == TrialState::kComplete) {
        EXPECT_EQ(t.values, std::vector<double>{static_cast<double>(t.number) * 0.5});
        EXPECT_EQ(t.user_attrs.at("result"), absl::StrCat(t.number));
        EXPECT_FALSE(t.lease.has_value());
      } else {
        EXPECT_FALSE(committed.contains(t.number)) << "a reported commit was lost";
        EXPECT_EQ(t.state, TrialState::kRunning);
        EXPECT_TRUE(t.values.empty());
        EXPECT_EQ(t.lease, tmpl.lease);
      }
    }
    storage.reset();
    RemoveDbFiles(path);
  }
}

}  // namespace
}  // namespace nasq

// tests/storage/postgres_storage_test.cc: behaviour specific to the PostgreSQL storage, against
// a real PostgreSQL 15 (testing/postgres_server.h): persistence across reopen, migrations and
// the refusal of newer and foreign schemas, the advisory lock (a second storage refused naming
// the holder, released when the holder is SIGKILLed), connection loss (UNAVAILABLE, nothing
// changed, then recovery), row checks, and passwords kept out of messages; and the watchdog of
// testing/postgres_server.h. The shared contract is in storage_conformance_test.cc (compiled
// into the same executable).
#include "storage/postgres_storage.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/postgres_db.h"
#include "storage/postgres_lock.h"
#include "storage/postgres_schema.h"
#include "testing/postgres_server.h"
#include "tests/storage/storage_test_util.h"

namespace nasq {
namespace {

using ::nasq::testing::ExpectSameTrial;
using ::nasq::testing::SampleSpec;
using ::nasq::testing::SampleTrialTemplate;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class PostgresStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PostgresServer::Installed()) GTEST_SKIP() << "PostgreSQL 15 is not installed";
    absl::StatusOr<PostgresServer*> server = PostgresServer::Shared();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *server;
    absl::StatusOr<std::string> url = server_->CreateDatabase("pgtest");
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
  }

  std::unique_ptr<Storage> MustOpen() {
    absl::StatusOr<std::unique_ptr<Storage>> storage = OpenPostgresStorage(url_);
    EXPECT_TRUE(storage.ok()) << storage.status();
    return storage.ok() ? *std::move(storage) : nullptr;
  }

  // A plain connection to the test's database, for SQL the storage would never run.
  std::unique_ptr<PgConnection> Raw() {
    absl::StatusOr<std::unique_ptr<PgConnection>> conn =
        PgConnection::Connect(url_, url_, "nasq test");
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() ? *std::move(conn) : nullptr;
  }

  // Ends every session on the test's database except `keep`'s (as a PostgreSQL restart or a
  // network failure would end them).
  void TerminateSessions(PgConnection& keep) {
    ASSERT_TRUE(keep.Run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                         "datname = current_database() AND pid <> pg_backend_pid()")
                    .ok());
  }

  PostgresServer* server_ = nullptr;
  std::string url_;
};

TEST_F(PostgresStorageTest, ReopenPersistsEverythingAndIdsAreNeverReused) {
  int64_t study_id = 0;
  Trial trial;
  int64_t deleted_trial_id = 0;
  {
    std::unique_ptr<Storage> storage = MustOpen();
    ASSERT_NE(storage, nullptr);
    study_id = *storage->CreateStudy(SampleSpec("kept"), 5);
    ASSERT_TRUE(storage->SetStudySystemAttr(study_id, "k", "[1]").ok());
    trial = *storage->CreateTrial(study_id, SampleTrialTemplate());
    const int64_t doomed = *storage->CreateStudy(SampleSpec("doomed"), 6);
    deleted_trial_id = storage->CreateTrial(doomed, SampleTrialTemplate())->id;
    ASSERT_TRUE(storage->DeleteStudy(doomed).ok());
  }
  std::unique_ptr<Storage> storage = MustOpen();
  ASSERT_NE(storage, nullptr);
  absl::StatusOr<Study> study = storage->GetStudyByName("kept");
  ASSERT_TRUE(study.ok()) << study.status();
  EXPECT_EQ(study->id, study_id);
  EXPECT_EQ(study->system_attrs.at("k"), "[1]");
  ExpectSameTrial(trial, *storage->GetTrial(trial.id));
  // Identity sequences never hand out a deleted id again, not even after a reopen.
  const int64_t reborn = *storage->CreateStudy(SampleSpec("doomed"), 7);
  EXPECT_GT(reborn, study_id + 1);
  EXPECT_GT(storage->CreateTrial(reborn, SampleTrialTemplate())->id, deleted_trial_id);
}

TEST_F(PostgresStorageTest, MigratesAnEmptyDatabaseAndRecordsTheVersion) {
  ASSERT_NE(MustOpen(), nullptr);
  std::unique_ptr<PgConnection> raw = Raw();
  ASSERT_NE(raw, nullptr);
  absl::StatusOr<PgResult> versions =
      raw->Query("SELECT version FROM nasq_schema_version ORDER BY version");
  ASSERT_TRUE(versions.ok()) << versions.status();
  ASSERT_EQ(versions->rows(), LatestPostgresSchemaVersion());
  EXPECT_EQ(versions->Text(versions->rows() - 1, 0), absl::StrCat(LatestPostgresSchemaVersion()));
  ASSERT_NE(MustOpen(), nullptr);  // opening again migrates nothing
  EXPECT_EQ(raw->Query("SELECT version FROM nasq_schema_version")->rows(),
            LatestPostgresSchemaVersion());
}

TEST_F(PostgresStorageTest, RefusesANewerSchemaNamingBothVersions) {
  ASSERT_NE(MustOpen(), nullptr);
  std::unique_ptr<PgConnection> raw = Raw();
  ASSERT_NE(raw, nullptr);
  const int64_t newer = LatestPostgresSchemaVersion() + 7;
  ASSERT_TRUE(raw->Run("INSERT INTO nasq_schema_version (version, applied_us) VALUES ($1, 0)",
                       PgParams().Add(newer))
                  .ok());
  absl::StatusOr<std::unique_ptr<Storage>> refused = OpenPostgresStorage(url_);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()),
              AllOf(HasSubstr(absl::StrCat("version ", newer)),
                    HasSubstr(absl::StrCat("up to ", LatestPostgresSchemaVersion())),
                    HasSubstr("newer nasq")));
}

TEST_F(PostgresStorageTest, RefusesAForeignDatabaseAndLeavesItAlone) {
  std::unique_ptr<PgConnection> raw = Raw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Run("CREATE TABLE invoices (id INT)").ok());
  absl::StatusOr<std::unique_ptr<Storage>> refused = OpenPostgresStorage(url_);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("is not a nasq database"));
  EXPECT_EQ(*raw->Query("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'")->Int(0, 0),
            1);
}

TEST_F(PostgresStorageTest, WithoutCreateIfMissingAnEmptyDatabaseIsNotFound) {
  absl::StatusOr<std::unique_ptr<Storage>> missing =
      OpenPostgresStorage(url_, PostgresOptions{.create_if_missing = false});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("no nasq schema"));
}

TEST_F(PostgresStorageTest, RefusesRowsThatBreakNasqInvariants) {
  {
    std::unique_ptr<Storage> storage = MustOpen();
    ASSERT_NE(storage, nullptr);
    const int64_t id = *storage->CreateStudy(SampleSpec("broken"), 1);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(storage->CreateTrial(id, SampleTrialTemplate()).ok());
  }
  std::unique_ptr<PgConnection> raw = Raw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Run("DELETE FROM trials WHERE number = 1").ok());
  ASSERT_TRUE(raw->Run("DELETE FROM leases WHERE trial_id = (SELECT trial_id FROM trials "
                       "WHERE number = 2)")
                  .ok());
  absl::StatusOr<std::unique_ptr<Storage>> refused = OpenPostgresStorage(url_);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()),
              AllOf(HasSubstr("study 'broken' trial 2: RUNNING without a lease row"),
                    HasSubstr("trial number 1 is missing")));
}

TEST_F(PostgresStorageTest, ASecondStorageIsRefusedNamingTheHolderUntilItCloses) {
  std::unique_ptr<Storage> first = MustOpen();
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<Storage>> second = OpenPostgresStorage(url_);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  EXPECT_THAT(std::string(second.status().message()),
              AllOf(HasSubstr(absl::StrCat("database ", url_, " is in use by another nasq-server")),
                    HasSubstr(NasqApplicationName()), HasSubstr("127.0.0.1")));
  // Another database of the same server is not affected.
  absl::StatusOr<std::string> other = server_->CreateDatabase("pgtest_other");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_TRUE(OpenPostgresStorage(*other).ok());
  first.reset();
  EXPECT_TRUE(OpenPostgresStorage(url_).ok());
}

TEST_F(PostgresStorageTest, TheLockIsReleasedWhenItsHolderIsKilled) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // As another coordinator (another process, as if on another host) would.
    absl::StatusOr<std::unique_ptr<Storage>> storage = OpenPostgresStorage(url_);
    const char byte = storage.ok() ? '1' : '0';
    (void)!::write(ready[1], &byte, 1);
    if (storage.ok()) ::pause();  // holds the lock until SIGKILLed
    ::_exit(1);
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(byte, '1') << "the child could not open the storage";
  EXPECT_EQ(OpenPostgresStorage(url_).status().code(), absl::StatusCode::kFailedPrecondition);

  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  // PostgreSQL ends the session when it sees the connection close (at once on one host).
  absl::StatusOr<std::unique_ptr<Storage>> taken = OpenPostgresStorage(url_);
  for (int i = 0; i < 100 && absl::IsFailedPrecondition(taken.status()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    taken = OpenPostgresStorage(url_);
  }
  EXPECT_TRUE(taken.ok()) << taken.status();
}

TEST_F(PostgresStorageTest, ALostConnectionIsUnavailableChangesNothingAndTheNextCallReconnects) {
  std::unique_ptr<Storage> storage = MustOpen();
  ASSERT_NE(storage, nullptr);
  const int64_t id = *storage->CreateStudy(SampleSpec("s"), 1);
  const Trial trial = *storage->CreateTrial(id, SampleTrialTemplate());
  std::unique_ptr<PgConnection> raw = Raw();
  ASSERT_NE(raw, nullptr);
  TerminateSessions(*raw);

  TrialUpdate complete;
  complete.state = TrialState::kComplete;
  complete.values = std::vector<double>{1.0};
  complete.clear_lease = true;
  const absl::Status lost = storage->UpdateTrial(trial.id, complete);
  EXPECT_EQ(lost.code(), absl::StatusCode::kUnavailable) << lost;
  EXPECT_EQ(storage->CommitHealth().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(storage->CommitFailures(), 0);  // nothing was in doubt: the write never ran

  // The next call connects again (and takes the advisory lock again: the lock's session was
  // ended as well) and sees the trial unchanged.
  ExpectSameTrial(trial, *storage->GetTrial(trial.id));
  ASSERT_TRUE(storage->UpdateTrial(trial.id, complete).ok());
  EXPECT_EQ(storage->GetTrial(trial.id)->state, TrialState::kComplete);
  EXPECT_TRUE(storage->CommitHealth().ok());
  EXPECT_EQ(OpenPostgresStorage(url_).status().code(), absl::StatusCode::kFailedPrecondition)
      << "the lock was not taken again";
}

TEST_F(PostgresStorageTest, DeferredWritesShareAFlushAndAFailedFlushStopsWrites) {
  std::unique_ptr<Storage> storage = MustOpen();
  ASSERT_NE(storage, nullptr);
  const int64_t id = *storage->CreateStudy(SampleSpec("s"), 1);
  CommitTicket first = 0, second = 0;
  ASSERT_TRUE(storage->CreateTrialDeferred(id, SampleTrialTemplate(), &first).ok());
  ASSERT_TRUE(storage->CreateTrialDeferred(id, SampleTrialTemplate(), &second).ok());
  EXPECT_GT(first, 0u);
  EXPECT_GT(second, first);
  ASSERT_TRUE(storage->WaitDurable(second).ok());
  EXPECT_TRUE(storage->WaitDurable(first).ok());  // covered by the same flush

  CommitTicket pending = 0;
  ASSERT_TRUE(storage->CreateTrialDeferred(id, SampleTrialTemplate(), &pending).ok());
  std::unique_ptr<PgConnection> raw = Raw();
  ASSERT_NE(raw, nullptr);
  TerminateSessions(*raw);
  // The flush cannot confirm the pending commit (a PostgreSQL crash could have lost it).
  const absl::Status lost = storage->WaitDurable(pending);
  EXPECT_EQ(lost.code(), absl::StatusCode::kUnavailable) << lost;
  EXPECT_EQ(storage->CommitFailures(), 1);
  EXPECT_EQ(storage->WaitDurable(pending).code(), absl::StatusCode::kUnavailable);  // stays lost
  EXPECT_TRUE(storage->WaitDurable(second).ok());  // durable before the failure
  const absl::Status refused = storage->CreateTrial(id, SampleTrialTemplate()).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("re-read"));
  EXPECT_EQ(storage->GetAllTrials(id)->size(), 3u);  // reads go on (nothing crashed here)

  storage->ResumeWrites();
  CommitTicket next = 0;
  ASSERT_TRUE(storage->CreateTrialDeferred(id, SampleTrialTemplate(), &next).ok());
  EXPECT_TRUE(storage->WaitDurable(next).ok());
  EXPECT_EQ(storage->WaitDurable(pending).code(), absl::StatusCode::kUnavailable);
}

TEST_F(PostgresStorageTest, AConnectionLostDuringCommitStopsWritesUntilResumed) {
  std::unique_ptr<Storage> storage = MustOpen();
  ASSERT_NE(storage, nullptr);
  const int64_t id = *storage->CreateStudy(SampleSpec("s"), 1);
  std::unique_ptr<PgConnection> raw = Raw();
  ASSERT_NE(raw, nullptr);
  // A deferred trigger makes COMMIT itself take a while, so that the session can be ended
  // while COMMIT is in flight: the storage cannot know whether the change was committed.
  ASSERT_TRUE(raw->RunScript("CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS "
                             "$$ BEGIN PERFORM pg_sleep(3); RETURN NULL; END $$; "
                             "CREATE CONSTRAINT TRIGGER slow AFTER INSERT ON "
                             "study_system_attributes DEFERRABLE INITIALLY DEFERRED FOR EACH "
                             "ROW EXECUTE FUNCTION slow_commit()")
                  .ok());
  std::thread cut([&] {
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<PgResult> ended = raw->Query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
          "current_database() AND state = 'active' AND query = 'COMMIT'");
      if (ended.ok() && ended->rows() > 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const absl::Status in_doubt = storage->SetStudySystemAttr(id, "k", "1");
  cut.join();
  EXPECT_EQ(in_doubt.code(), absl::StatusCode::kUnavailable) << in_doubt;
  EXPECT_EQ(storage->CommitFailures(), 1);
  const absl::Status refused = storage->SetStudyState(id, StudyState::kStopped);
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("outcome of a commit is unknown"));
  ASSERT_TRUE(raw->Run("DROP TRIGGER slow ON study_system_attributes").ok());
  storage->ResumeWrites();  // after the caller re-read what it cached
  EXPECT_TRUE(storage->SetStudyState(id, StudyState::kStopped).ok());
  EXPECT_EQ(storage->GetStudy(id)->state, StudyState::kStopped);
}

TEST_F(PostgresStorageTest, WritesAreRefusedOnceAnotherCoordinatorTookTheLock) {
  std::unique_ptr<Storage> storage = MustOpen();
  ASSERT_NE(storage, nullptr);
  const int64_t id = *storage->CreateStudy(SampleSpec("s"), 1);
  std::unique_ptr<PgConnection> raw = Raw();
  ASSERT_NE(raw, nullptr);
  TerminateSessions(*raw);
  // While the first storage is cut off, a second one takes the database over.
  absl::StatusOr<std::unique_ptr<Storage>> successor = OpenPostgresStorage(url_);
  ASSERT_TRUE(successor.ok()) << successor.status();

  (void)storage->CreateTrial(id, SampleTrialTemplate());  // may fail on a dropped connection
  const absl::Status refused = storage->CreateTrial(id, SampleTrialTemplate()).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("in use by another nasq-server"));
  EXPECT_TRUE((*successor)->GetAllTrials(id)->empty());
  EXPECT_TRUE((*successor)->CreateTrial(id, SampleTrialTemplate()).ok());
}

TEST_F(PostgresStorageTest, ThirtyTwoThreadsShareThePool) {
  std::unique_ptr<Storage> storage = MustOpen();
  ASSERT_NE(storage, nullptr);
  const int64_t id = *storage->CreateStudy(SampleSpec("busy"), 1);
  constexpr int kThreads = 32;
  constexpr int kPerThread = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<Trial> trial = storage->CreateTrial(id, SampleTrialTemplate());
        ASSERT_TRUE(trial.ok()) << trial.status();
        TrialUpdate done;
        done.expected_epoch = trial->lease->epoch;
        done.state = TrialState::kComplete;
        done.values = std::vector<double>{static_cast<double>(trial->number)};
        done.clear_lease = true;
        EXPECT_TRUE(storage->UpdateTrial(trial->id, done).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  absl::StatusOr<std::vector<Trial>> trials = storage->GetAllTrials(id, {TrialState::kComplete});
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t n = 0; n < trials->size(); ++n) {
    EXPECT_EQ((*trials)[n].number, static_cast<int64_t>(n));
    EXPECT_EQ((*trials)[n].values, std::vector<double>{static_cast<double>(n)});
  }
}

bool AcceptsConnections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

// A test binary killed by ctest's timeout runs no destructor: the watchdog stops its server.
TEST(PostgresServerWatchdog, StopsTheServerOfAKilledProcessAndRemovesItsFolder) {
  if (!PostgresServer::Installed()) GTEST_SKIP() << "PostgreSQL 15 is not installed";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<std::unique_ptr<PostgresServer>> server = PostgresServer::Start();
    const std::string line =
        server.ok() ? absl::StrCat((*server)->port(), " ", (*server)->dir(), "\n") : "0\n";
    (void)!::write(ready[1], line.data(), line.size());
    ::pause();  // until SIGKILLed: the server is never stopped by this process
    ::_exit(1);
  }
  ::close(ready[1]);
  char buffer[256] = {};
  ASSERT_GT(::read(ready[0], buffer, sizeof buffer - 1), 0);
  ::close(ready[0]);
  int port = 0;
  char dir[200] = {};
  ASSERT_GE(std::sscanf(buffer, "%d %199s", &port, dir), 1);
  ASSERT_GT(port, 0) << "the child could not start a server";
  ASSERT_TRUE(AcceptsConnections(port));
  ASSERT_TRUE(std::filesystem::exists(dir)) << dir;

  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((AcceptsConnections(port) || std::filesystem::exists(dir)) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(AcceptsConnections(port)) << "the server outlived its owner by 20 s";
  EXPECT_FALSE(std::filesystem::exists(dir)) << dir << " outlived its owner by 20 s";
}

TEST(PostgresUrl, PasswordsAreRedacted) {
  struct Case {
    std::string url;
    std::string redacted;
  };
  const std::vector<Case> cases = {
      {"postgresql://nasq:s3cret@db.example:5432/nasq",
       "postgresql://nasq:***@db.example:5432/nasq"},
      {"postgres://u:p%40ss@h/db?sslmode=require", "postgres://u:***@h/db?sslmode=require"},
      {"postgresql://u@h/db?sslmode=require&password=s3cret&connect_timeout=3",
       "postgresql://u@h/db?sslmode=require&password=***&connect_timeout=3"},
      {"postgresql://h1:5432,h2:5433/db", "postgresql://h1:5432,h2:5433/db"},
      {"postgresql:///db", "postgresql:///db"},
      {"nasq.db", "nasq.db"},
  };
  for (const Case& c : cases) EXPECT_EQ(RedactPostgresUrl(c.url), c.redacted) << c.url;
  EXPECT_TRUE(IsPostgresUrl("postgresql://h/db"));
  EXPECT_TRUE(IsPostgresUrl("postgres://h/db"));
  EXPECT_FALSE(IsPostgresUrl("/var/lib/nasq/postgresql.db"));
}

TEST_F(PostgresStorageTest, ErrorsNeverShowThePassword) {
  const std::string secret = "pw-that-must-not-leak";
  const std::string url =
      absl::StrCat("postgresql://nasq:", secret, "@127.0.0.1:", server_->port(), "/no_such_db");
  absl::StatusOr<std::unique_ptr<Storage>> refused = OpenPostgresStorage(url);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  EXPECT_THAT(
      std::string(refused.status().message()),
      AllOf(HasSubstr("nasq:***@127.0.0.1"), HasSubstr("no_such_db"), Not(HasSubstr(secret))));
  absl::StatusOr<std::unique_ptr<Storage>> not_postgres =
      OpenPostgresStorage(absl::StrCat("mysql://root:", secret, "@h/db"));
  EXPECT_EQ(not_postgres.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(not_postgres.status().message()), Not(HasSubstr(secret)));
}

}  // namespace
}  // namespace nasq

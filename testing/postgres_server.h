// testing/postgres_server.h: a real PostgreSQL 15 server for tests and benchmarks, started from
// Debian's packages (postgresql-15) in a fresh folder on a free loopback port, and the choice
// of database for the server integration tests (SQLite, or PostgreSQL when NASQ_TEST_DB says
// so).
//
// The server runs initdb (trust authentication, superuser `nasq`) and pg_ctl as the user
// `postgres` when the process runs as root (PostgreSQL refuses to run as root), listens on
// 127.0.0.1 and a Unix socket in its folder only, and is stopped (fast shutdown) and its folder
// removed on destruction. A test binary shares one server (Shared(), about 2 s to start) and
// makes a fresh database per test (CreateDatabase, milliseconds). When the process ends without
// that destruction (a test binary killed by ctest's timeout), a watchdog does it within about a
// second: a shell in a session of its own that polls the process (pg_ctl puts the server out of
// reach of a kill of the test's process group).
//
// Thread-safety: Shared() and CreateDatabase may be called from several threads; Stop/Start
// from one thread at a time.
#ifndef NASQ_TESTING_POSTGRES_SERVER_H_
#define NASQ_TESTING_POSTGRES_SERVER_H_

#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nasq {

struct PostgresServerOptions {
  // fsync and synchronous_commit on, full_page_writes on: commits as durable as a production
  // server's (for benchmarks of durable commits). Off (the default) for tests: faster, and
  // they test nasq, not PostgreSQL's crash safety.
  bool durable = false;
};

class PostgresServer {
 public:
  // PostgreSQL 15's programs (initdb, pg_ctl, createdb) as Debian installs them.
  static constexpr char kBinDir[] = "/usr/lib/postgresql/15/bin";

  // Whether PostgreSQL 15 is installed (kBinDir/initdb exists). Tests skip without it.
  static bool Installed();

  // Creates a cluster in a fresh folder and starts it; returns once it accepts connections.
  // FAILED_PRECONDITION when PostgreSQL 15 is not installed; INTERNAL with the program's output
  // when initdb or pg_ctl fails.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start(
      const PostgresServerOptions& options = {});
  // This process's shared server (default options), started on first use and stopped when the
  // process exits. Errors as Start (also on later calls).
  static absl::StatusOr<PostgresServer*> Shared();
  // Stops the server (fast shutdown) and removes its folder.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Creates a new, empty database named `prefix`_N (N unique in this process) and returns its
  // URL. INTERNAL with createdb's output when that fails.
  absl::StatusOr<std::string> CreateDatabase(const std::string& prefix = "test");
  // postgresql://nasq@127.0.0.1:<port>/<database>
  std::string Url(const std::string& database) const;
  int port() const { return port_; }
  // The server's folder (data/ and the socket).
  const std::string& dir() const { return dir_; }

  // Stops the server (fast shutdown: every connection is closed) / starts it again on the same
  // port and data. INTERNAL with pg_ctl's output on failure.
  absl::Status Stop();
  absl::Status Restart();

 private:
  PostgresServer(std::string dir, int port, PostgresServerOptions options)
      : dir_(std::move(dir)), port_(port), options_(options) {}
  // Runs a PostgreSQL program (kBinDir/`program`) with `args`; with `as_server_user` as the
  // user `postgres` when this process runs as root. INTERNAL with its output when it fails.
  absl::Status RunProgram(const std::string& program, const std::vector<std::string>& args,
                          bool as_server_user) const;
  // pg_ctl start with this server's settings.
  absl::Status Launch();
  // Starts the watchdog (see the file comment). INTERNAL when it cannot be started.
  absl::Status StartWatchdog() const;
  // The command line of a PostgreSQL program as RunProgram runs it.
  std::vector<std::string> ProgramArgv(const std::string& program,
                                       const std::vector<std::string>& args,
                                       bool as_server_user) const;

  const std::string dir_;  // data/ and the socket; owned by the user running the server
  const int port_;
  const PostgresServerOptions options_;
  const pid_t owner_ = ::getpid();  // a forked child must not stop its parent's server
  bool running_ = false;
  std::atomic<int> databases_{0};
};

// The database a server integration test runs on: "`dir`/nasq.db" (SQLite), or, when the
// environment variable NASQ_TEST_DB is "postgres", the URL of a fresh database on the shared
// PostgreSQL server (ctest registers the PostgreSQL runs of those tests with it).
// FAILED_PRECONDITION when PostgreSQL is asked for but not installed (tests skip then); the
// errors of Shared() and CreateDatabase otherwise.
absl::StatusOr<std::string> TestDatabase(const std::string& dir);

}  // namespace nasq

// In a test body or SetUp: assigns TestDatabase(dir) to `lhs`, skips the test when PostgreSQL
// is asked for but not installed, and fails it on another error.
#define NASQ_ASSIGN_TEST_DATABASE_OR_SKIP(lhs, dir)                        \
  do {                                                                     \
    absl::StatusOr<std::string> nasq_test_db_ = ::nasq::TestDatabase(dir); \
    if (absl::IsFailedPrecondition(nasq_test_db_.status())) {              \
      GTEST_SKIP() << nasq_test_db_.status();                              \
    }                                                                      \
    ASSERT_TRUE(nasq_test_db_.ok()) << nasq_test_db_.status();             \
    lhs = *std::move(nasq_test_db_);                                       \
  } while (0)

#endif  // NASQ_TESTING_POSTGRES_SERVER_H_

// testing/postgres_server.cc: see postgres_server.h.
#include "testing/postgres_server.h"

#include <pwd.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "testing/local_server.h"

namespace nasq {
namespace {

constexpr char kServerUser[] = "postgres";
constexpr char kRunuser[] = "/usr/sbin/runuser";
constexpr std::chrono::seconds kProgramTimeout(60);

bool RunningAsRoot() { return ::geteuid() == 0; }

}  // namespace

bool PostgresServer::Installed() {
  std::error_code ignored;
  return std::filesystem::exists(absl::StrCat(kBinDir, "/initdb"), ignored);
}

std::vector<std::string> PostgresServer::ProgramArgv(const std::string& program,
                                                     const std::vector<std::string>& args,
                                                     bool as_server_user) const {
  std::vector<std::string> argv;
  if (as_server_user && RunningAsRoot()) argv = {kRunuser, "-u", kServerUser, "--"};
  argv.push_back(absl::StrCat(kBinDir, "/", program));
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

absl::Status PostgresServer::RunProgram(const std::string& program,
                                        const std::vector<std::string>& args,
                                        bool as_server_user) const {
  const std::vector<std::string> argv = ProgramArgv(program, args, as_server_user);
  const CommandResult result = RunCommand(argv, kProgramTimeout);
  if (result.exit_code == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(absl::StrJoin(argv, " "), " failed (exit ",
                                          result.exit_code, "): ", result.out, result.err));
}

absl::Status PostgresServer::Launch() {
  // Only loopback and a socket in our own folder: nothing outside the machine can connect.
  std::string settings = absl::StrCat("-c listen_addresses=127.0.0.1 -p ", port_, " -k ", dir_);
  if (!options_.durable) {
    absl::StrAppend(&settings, " -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
  }
  absl::Status started = RunProgram(
      "pg_ctl",
      {"-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w", "-t", "60", "-o", settings, "start"},
      /*as_server_user=*/true);
  running_ = started.ok();
  return started;
}

absl::Status PostgresServer::StartWatchdog() const {
  // $1: this process, $2: the folder, then the stop command. setsid -f returns at once and
  // leaves the shell in a new session, outside whatever kills this process and its group.
  constexpr char kScript[] =
      "exec >/dev/null 2>&1 </dev/null; owner=$1 dir=$2; shift 2; "
      "while kill -0 \"$owner\"; do sleep 1; done; "
      "if [ -d \"$dir/data\" ]; then \"$@\"; fi; rm -rf \"$dir\"";
  std::vector<std::string> argv = {
      "/usr/bin/setsid",      "-f", "/bin/sh", "-c", kScript, "nasq-postgres-watchdog",
      std::to_string(owner_), dir_};
  for (std::string& arg : ProgramArgv("pg_ctl", {"-D", dir_ + "/data", "-m", "immediate", "stop"},
                                      /*as_server_user=*/true)) {
    argv.push_back(std::move(arg));
  }
  const CommandResult result = RunCommand(argv, kProgramTimeout);
  if (result.exit_code == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("cannot start the PostgreSQL watchdog (exit ",
                                          result.exit_code, "): ", result.out, result.err));
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(
    const PostgresServerOptions& options) {
  if (!Installed()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "PostgreSQL 15 is not installed (no ", kBinDir, "/initdb; apt-get install postgresql-15)"));
  }
  std::string dir = (std::filesystem::temp_directory_path() / "nasq_pg_XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", std::strerror(errno)));
  }
  if (RunningAsRoot()) {
    // initdb and postgres refuse to run as root: the folder becomes the server user's.
    const passwd* user = ::getpwnam(kServerUser);
    if (user == nullptr || ::chown(dir.c_str(), user->pw_uid, user->pw_gid) != 0) {
      std::filesystem::remove_all(dir);
      return absl::InternalError(
          absl::StrCat("running as root, but cannot hand ", dir, " to the user ", kServerUser));
    }
  }
  std::unique_ptr<PostgresServer> server(new PostgresServer(dir, FreeLoopbackPort(), options));
  absl::Status ready = server->RunProgram(
      "initdb",
      {"-A", "trust", "-U", "nasq", "-N", "-E", "UTF8", "--locale=C", "-D", dir + "/data"},
      /*as_server_user=*/true);
  if (ready.ok()) ready = server->Launch();
  if (ready.ok()) ready = server->StartWatchdog();
  if (!ready.ok()) return ready;  // the destructor stops the server and removes the folder
  return server;
}

absl::StatusOr<PostgresServer*> PostgresServer::Shared() {
  // Destroyed (the server stopped) when the process exits.
  static const absl::StatusOr<std::unique_ptr<PostgresServer>> shared = Start();
  if (!shared.ok()) return shared.status();
  return shared->get();
}

PostgresServer::~PostgresServer() {
  if (::getpid() != owner_) return;
  if (running_) (void)Stop();
  std::error_code ignored;  // best effort: nothing to report to
  std::filesystem::remove_all(dir_, ignored);
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase(const std::string& prefix) {
  const std::string name = absl::StrCat(prefix, "_", databases_.fetch_add(1));
  absl::Status created =
      RunProgram("createdb", {"-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "nasq", name},
                 /*as_server_user=*/false);
  if (!created.ok()) return created;
  return Url(name);
}

std::string PostgresServer::Url(const std::string& database) const {
  return absl::StrCat("postgresql://nasq@127.0.0.1:", port_, "/", database);
}

absl::Status PostgresServer::Stop() {
  absl::Status stopped = RunProgram("pg_ctl", {"-D", dir_ + "/data", "-m", "fast", "-w", "stop"},
                                    /*as_server_user=*/true);
  if (stopped.ok()) running_ = false;
  return stopped;
}

absl::Status PostgresServer::Restart() { return Launch(); }

absl::StatusOr<std::string> TestDatabase(const std::string& dir) {
  const char* choice = std::getenv("NASQ_TEST_DB");
  const std::string db = choice != nullptr ? choice : "";
  if (db.empty() || db == "sqlite") return dir + "/nasq.db";
  if (db != "postgres") {
    return absl::InvalidArgumentError(
        absl::StrCat("NASQ_TEST_DB: \"", db, "\" is neither \"sqlite\" nor \"postgres\""));
  }
  absl::StatusOr<PostgresServer*> server = PostgresServer::Shared();
  if (!server.ok()) return server.status();
  return (*server)->CreateDatabase("it");
}

}  // namespace nasq

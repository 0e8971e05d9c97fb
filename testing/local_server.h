// testing/local_server.h: runs a nasq-server binary as a child process on a loopback port
// (integration tests, benchmarks), other long-running children (e.g. nasq-worker), and one-shot
// commands with captured output.
//
// Thread-safety: RunCommand and TempDir may be used from several threads; a ChildProcess or
// ServerProcess is driven by one thread (a server's Client()s may be shared).
#ifndef NASQ_TESTING_LOCAL_SERVER_H_
#define NASQ_TESTING_LOCAL_SERVER_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/nasq_client.h"

namespace nasq {

struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is the program path) with stdin from /dev/null, waits at most `timeout`
// (then SIGKILLs it), and returns what it printed.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A fresh folder under the process's scratch root (testing/scratch_dir.h), removed with its
// contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `contents` to path()/name and returns the full path.
  std::string WriteFile(const std::string& name, const std::string& contents) const;

 private:
  std::string path_;
};

// A port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

// A child process running `argv` (argv[0] is the program path) with stdin from /dev/null and
// stdout and stderr appended to one log file. The destructor SIGKILLs it if it still runs.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts it (again, after it ended); the argv and log file stay the same.
  void Start();
  // True from Start() until the child is known to have ended (HasExited, Kill, Terminate).
  bool running() const { return pid_ > 0; }
  // Whether the child has ended; reaps it and stores its exit code (-1 for a signal) if so.
  bool HasExited();
  // The exit code of the child that ended last (-1 when killed by a signal).
  int exit_code() const { return exit_code_; }
  // SIGKILL and reap.
  void Kill();
  // SIGTERM; waits at most `timeout` for the exit. Returns the exit code, or -1 when it was
  // killed by a signal or did not exit in time (it is SIGKILLed then).
  int Terminate(std::chrono::milliseconds timeout);
  // What the child logged (stdout and stderr) so far, across starts.
  std::string Log() const;
  // The running child's process id (for /proc); -1 when not running().
  pid_t pid() const { return pid_; }

 private:
  std::vector<std::string> argv_;
  std::string log_path_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// A nasq-server child process. The destructor SIGKILLs it if it still runs.
class ServerProcess {
 public:
  // Starts `server_bin` --db `db_path` --listen 127.0.0.1:`port` --log-level warn plus
  // `extra_args`, logging to `db_path`.server.log (for a database URL such as postgresql://...,
  // or an empty `db_path`, the in-memory storage, to server_`port`.log in the scratch root), and
  // waits until it answers RPCs (a refusal such as UNAUTHENTICATED counts as an answer), connecting
  // with `credentials` (for a TLS server: its CA). DEADLINE_EXCEEDED when it does not answer within
  // 10 s, INTERNAL when it exits (both with its log in the message).
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      std::string server_bin, std::string db_path, int port,
      std::vector<std::string> extra_args = {}, ClientCredentials credentials = {});
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& address() const { return address_; }
  bool running() const { return process_.running(); }
  // The server's process id (for /proc); -1 when not running().
  pid_t pid() const { return process_.pid(); }

  // Starts the server again (same arguments) after Kill/Terminate; errors as Start.
  absl::Status Restart();
  // SIGKILL and reap.
  void Kill();
  // SIGTERM; waits at most `timeout` for the exit. Returns the exit code, or -1 when it was
  // killed by a signal or did not exit in time (it is SIGKILLed then).
  int Terminate(std::chrono::milliseconds timeout, std::chrono::milliseconds* took = nullptr);

  // A client for this server with the given options.
  std::unique_ptr<NasqClient> Client(ClientOptions options = {}) const;

  // What the server logged (stdout and stderr).
  std::string Log() const;

 private:
  ServerProcess(std::string server_bin, std::string address, std::vector<std::string> argv,
                std::string log_path, ClientCredentials credentials);
  absl::Status Launch();

  std::string server_bin_;
  std::string address_;
  ClientCredentials credentials_;  // of the readiness probe
  ChildProcess process_;
};

}  // namespace nasq

#endif  // NASQ_TESTING_LOCAL_SERVER_H_

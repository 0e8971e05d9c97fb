#include "testing/local_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "testing/scratch_dir.h"

namespace nasq {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Forks and execs `argv` with stdout/stderr redirected to the given files (opened for append).
pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_path,
            const std::string& err_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Waits for `pid` at most `timeout`; SIGKILLs it past that. Returns the exit code or -1.
int WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  static std::atomic<int> counter{0};
  const std::string base =
      testing_scratch::ScratchRootPath() / ("cmd_" + std::to_string(counter.fetch_add(1)));
  const std::string out_path = base + ".out", err_path = base + ".err";
  CommandResult result;
  result.exit_code = WaitFor(Spawn(argv, out_path, err_path), timeout);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return result;
}

TempDir::TempDir() {
  std::string pattern = (testing_scratch::ScratchRootPath() / "temp_XXXXXX").string();
  path_ = mkdtemp(pattern.data());
}

TempDir::~TempDir() {
  std::error_code ignored;  // the scratch root may be gone already at exit
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::WriteFile(const std::string& name, const std::string& contents) const {
  const std::string path = path_ + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_path)
    : argv_(std::move(argv)), log_path_(std::move(log_path)) {}

ChildProcess::~ChildProcess() {
  if (running()) Kill();
}

void ChildProcess::Start() {
  if (!running()) pid_ = Spawn(argv_, log_path_, log_path_);
}

bool ChildProcess::HasExited() {
  if (!running()) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  pid_ = -1;
  return true;
}

void ChildProcess::Kill() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  exit_code_ = -1;
  pid_ = -1;
}

int ChildProcess::Terminate(std::chrono::milliseconds timeout) {
  if (!running()) return exit_code_;
  kill(pid_, SIGTERM);
  exit_code_ = WaitFor(pid_, timeout);
  pid_ = -1;
  return exit_code_;
}

std::string ChildProcess::Log() const { return ReadFile(log_path_); }

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    std::string server_bin, std::string db_path, int port, std::vector<std::string> extra_args,
    ClientCredentials credentials) {
  std::string address = "127.0.0.1:" + std::to_string(port);
  std::vector<std::string> argv = {server_bin, "--db",        db_path, "--listen",
                                   address,    "--log-level", "warn"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  // A database URL (PostgreSQL), or none (the in-memory storage), names no folder to log
  // beside: such a log goes to the scratch root.
  std::string log_path =
      !db_path.empty() && db_path.find("://") == std::string::npos
          ? db_path + ".server.log"
          : (testing_scratch::ScratchRootPath() / absl::StrCat("server_", port, ".log")).string();
  std::unique_ptr<ServerProcess> server(new ServerProcess(std::move(server_bin), std::move(address),
                                                          std::move(argv), std::move(log_path),
                                                          std::move(credentials)));
  absl::Status launched = server->Launch();
  if (!launched.ok()) return launched;
  return server;
}

ServerProcess::ServerProcess(std::string server_bin, std::string address,
                             std::vector<std::string> argv, std::string log_path,
                             ClientCredentials credentials)
    : server_bin_(std::move(server_bin)),
      address_(std::move(address)),
      credentials_(std::move(credentials)),
      process_(std::move(argv), std::move(log_path)) {}

absl::Status ServerProcess::Launch() {
  process_.Start();
  // Ready when an RPC gets an answer (an empty study list, or a refusal of the probe's token).
  ClientOptions options;
  options.credentials = credentials_;
  options.max_attempts = 1;
  options.deadline = std::chrono::milliseconds(500);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    // A fresh channel each time: a channel that failed to connect waits out its own backoff.
    const absl::StatusCode code = Client(options)->ListStudies().status().code();
    if (code != absl::StatusCode::kUnavailable && code != absl::StatusCode::kDeadlineExceeded) {
      return absl::OkStatus();
    }
    if (process_.HasExited()) {
      return absl::InternalError(absl::StrCat(server_bin_, " exited at start: ", Log()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(server_bin_, " did not answer within 10 s: ", Log()));
}

absl::Status ServerProcess::Restart() {
  if (running()) return absl::FailedPreconditionError("the server is still running");
  return Launch();
}

void ServerProcess::Kill() { process_.Kill(); }

int ServerProcess::Terminate(std::chrono::milliseconds timeout, std::chrono::milliseconds* took) {
  const auto start = std::chrono::steady_clock::now();
  const int code = process_.Terminate(timeout);
  if (took != nullptr) {
    *took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start);
  }
  return code;
}

std::unique_ptr<NasqClient> ServerProcess::Client(ClientOptions options) const {
  return std::make_unique<NasqClient>(address_, options);
}

std::string ServerProcess::Log() const { return process_.Log(); }

}  // namespace nasq

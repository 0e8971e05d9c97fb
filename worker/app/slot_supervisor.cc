#include "worker/app/slot_supervisor.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace nasq {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kFirstBackoff{1};
constexpr std::chrono::seconds kMaxBackoff{60};
// A child that ran at least this long before ending restarts after kFirstBackoff again.
constexpr std::chrono::seconds kHealthyRun{60};

// What the signal handler reads and writes: a handler can reach only static, lock-free state.
static_assert(std::atomic<pid_t>::is_always_lock_free && std::atomic<int>::is_always_lock_free);
std::array<std::atomic<pid_t>, kMaxSlots> g_child_pids{};  // 0 = slot not running
std::atomic<int> g_num_slots{0};
std::atomic<int> g_stop_requests{0};

// Counts a stop and passes it on to every running child (async-signal-safe).
void StopAllSlots(int /*signal*/) {
  g_stop_requests.fetch_add(1);
  const int slots = g_num_slots.load();
  for (int k = 0; k < slots; ++k) {
    const pid_t pid = g_child_pids[k].load();
    if (pid > 0) kill(pid, SIGTERM);
  }
}

void SetStopHandler(void (*handler)(int)) {
  struct sigaction action = {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

// Forks the child of `slot` and records its pid. The stop signals stay blocked across the fork,
// so the child never runs the supervisor's handler and a stop that arrives meanwhile reaches the
// new child too. Returns the pid, or -1 with errno set.
pid_t ForkSlot(int slot, const std::function<int(int)>& run_slot) {
  sigset_t stop_signals, previous;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigprocmask(SIG_BLOCK, &stop_signals, &previous);
  const pid_t supervisor = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != supervisor) _exit(1);  // the supervisor died before prctl took effect
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    std::exit(run_slot(slot));
  }
  const int fork_errno = errno;
  if (pid > 0) g_child_pids[slot].store(pid);
  sigprocmask(SIG_SETMASK, &previous, nullptr);
  errno = fork_errno;
  return pid;
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exit code ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return absl::StrCat("signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)), ")");
  }
  return "unknown status";
}

// Sleeps `duration` in short steps; returns early once a stop was requested.
void SleepUnlessStopped(std::chrono::milliseconds duration) {
  const auto until = Clock::now() + duration;
  while (g_stop_requests.load() == 0 && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

int SuperviseSlots(int slots, const std::function<int(int slot)>& run_slot, std::ostream& log) {
  if (slots < 1 || slots > kMaxSlots) {
    log << "nasq-worker: --slots must be between 1 and " << kMaxSlots << std::endl;
    return 1;
  }
  struct Slot {
    pid_t pid = 0;
    Clock::time_point started;
    std::chrono::seconds backoff = kFirstBackoff;
  };
  std::vector<Slot> state(slots);
  g_num_slots.store(slots);
  SetStopHandler(StopAllSlots);

  bool failed = false;
  int running = 0;
  auto start = [&](int k) {
    const pid_t pid = ForkSlot(k, run_slot);
    if (pid < 0) {
      log << "nasq-worker: cannot start slot " << k << ": " << strerror(errno) << std::endl;
      failed = true;
      StopAllSlots(0);
      return;
    }
    state[k].pid = pid;
    state[k].started = Clock::now();
    ++running;
    log << "nasq-worker: slot " << k << " runs as process " << pid << std::endl;
  };
  for (int k = 0; k < slots && !failed; ++k) start(k);

  while (running > 0) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: nothing left to wait for
    }
    const auto it =
        std::find_if(state.begin(), state.end(), [pid](const Slot& s) { return s.pid == pid; });
    if (it == state.end()) continue;
    const int k = static_cast<int>(it - state.begin());
    g_child_pids[k].store(0);
    it->pid = 0;
    --running;
    if (g_stop_requests.load() > 0) {
      log << "nasq-worker: slot " << k << " stopped (" << DescribeExit(status) << ")" << std::endl;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = true;
      continue;
    }
    if (Clock::now() - it->started >= kHealthyRun) it->backoff = kFirstBackoff;
    log << "nasq-worker: slot " << k << " ended unexpectedly (" << DescribeExit(status)
        << "); restarting it in " << it->backoff.count() << " s" << std::endl;
    SleepUnlessStopped(it->backoff);
    it->backoff = std::min(it->backoff * 2, kMaxBackoff);
    if (g_stop_requests.load() == 0) start(k);
  }

  SetStopHandler(SIG_DFL);
  g_num_slots.store(0);
  return failed ? 1 : 0;
}

}  // namespace nasq

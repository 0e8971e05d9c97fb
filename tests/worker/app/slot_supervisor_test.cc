// SuperviseSlots with slot bodies that stand in for lease loops: each records its start and its
// stop in files and waits for SIGTERM. The supervisor runs in a forked child of the test, so the
// signals it receives and forwards are real ones.
#include "worker/app/slot_supervisor.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/scratch_dir.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

volatile sig_atomic_t g_sigterms = 0;
void CountSigterm(int) { g_sigterms = g_sigterms + 1; }

void AppendLine(const std::filesystem::path& path, const std::string& line) {
  std::ofstream(path, std::ios::app) << line << "\n";
}

std::vector<std::string> Lines(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A slot body: appends its pid to dir/starts-<slot>, waits for SIGTERM, waits 300 ms more
// (so that a second signal would be counted), appends the number of SIGTERMs it got to
// dir/stopped-<slot> and returns `code`.
int WaitForSigterm(const std::filesystem::path& dir, int slot, int code) {
  signal(SIGTERM, CountSigterm);
  AppendLine(dir / ("starts-" + std::to_string(slot)), std::to_string(getpid()));
  while (g_sigterms == 0) usleep(10'000);
  usleep(300'000);
  AppendLine(dir / ("stopped-" + std::to_string(slot)), std::to_string(g_sigterms));
  return code;
}

class SlotSupervisorTest : public ::testing::Test {
 protected:
  // Forks a supervisor of `slots` slots running `body`, in a process group of its own, logging
  // to dir_/supervisor.log.
  void StartSupervisor(int slots, std::function<int(int)> body) {
    supervisor_ = fork();
    ASSERT_GE(supervisor_, 0);
    if (supervisor_ == 0) {
      setpgid(0, 0);
      std::ofstream log(dir_ / "supervisor.log");
      const int code = SuperviseSlots(slots, body, log);
      log.flush();
      _exit(code);
    }
    setpgid(supervisor_, supervisor_);  // also here, so it holds before the test signals
  }

  // Waits up to 10 s for the supervisor to exit; its exit code, or -1.
  int WaitForSupervisor() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(supervisor_, &status, WNOHANG) == supervisor_) {
        supervisor_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

  // Polls `done` every 10 ms for up to 10 s.
  static bool WaitUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::filesystem::path File(const std::string& kind, int slot) const {
    return dir_ / (kind + "-" + std::to_string(slot));
  }

  void TearDown() override {
    if (supervisor_ > 0) {
      kill(supervisor_, SIGKILL);
      waitpid(supervisor_, nullptr, 0);
    }
  }

  std::filesystem::path dir_ =
      testing_scratch::ScratchDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  pid_t supervisor_ = -1;
};

TEST_F(SlotSupervisorTest, EachSlotIsAProcessOfItsOwnAndOneSigtermStopsThemAll) {
  StartSupervisor(3, [this](int slot) { return WaitForSigterm(dir_, slot, 0); });
  ASSERT_TRUE(WaitUntil([&] {
    for (int k = 0; k < 3; ++k) {
      if (Lines(File("starts", k)).size() != 1) return false;
    }
    return true;
  })) << ReadText(dir_ / "supervisor.log");

  std::set<pid_t> pids;
  for (int k = 0; k < 3; ++k) {
    const pid_t pid = std::stoi(Lines(File("starts", k)).at(0));
    EXPECT_NE(pid, supervisor_);
    EXPECT_EQ(getpgid(pid), pid) << "slot " << k << " leads a process group of its own";
    pids.insert(pid);
  }
  EXPECT_EQ(pids.size(), 3u);

  ASSERT_EQ(kill(supervisor_, SIGTERM), 0);
  EXPECT_EQ(WaitForSupervisor(), 0) << ReadText(dir_ / "supervisor.log");
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(Lines(File("stopped", k)), std::vector<std::string>{"1"}) << "slot " << k;
    EXPECT_EQ(Lines(File("starts", k)).size(), 1u) << "slot " << k << " was never restarted";
  }
  for (pid_t pid : pids) EXPECT_NE(kill(pid, 0), 0) << "slot process " << pid << " still exists";
}

// Ctrl-C at a terminal signals the whole foreground process group; the slots are outside it and
// get the supervisor's one SIGTERM, so running trials finish instead of being abandoned.
TEST_F(SlotSupervisorTest, SigintToTheSupervisorsGroupReachesEachSlotOnce) {
  StartSupervisor(2, [this](int slot) { return WaitForSigterm(dir_, slot, 0); });
  ASSERT_TRUE(WaitUntil([&] {
    return Lines(File("starts", 0)).size() == 1 && Lines(File("starts", 1)).size() == 1;
  })) << ReadText(dir_ / "supervisor.log");

  ASSERT_EQ(kill(-supervisor_, SIGINT), 0);
  EXPECT_EQ(WaitForSupervisor(), 0) << ReadText(dir_ / "supervisor.log");
  EXPECT_EQ(Lines(File("stopped", 0)), std::vector<std::string>{"1"});
  EXPECT_EQ(Lines(File("stopped", 1)), std::vector<std::string>{"1"});
}

TEST_F(SlotSupervisorTest, ASlotThatDiesIsRestartedAndAFailedStopIsReported) {
  StartSupervisor(2, [this](int slot) {
    if (slot == 0 && !std::filesystem::exists(File("starts", 0))) {
      AppendLine(File("starts", 0), std::to_string(getpid()));
      raise(SIGKILL);  // as the OOM killer would
    }
    return WaitForSigterm(dir_, slot, slot == 1 ? 3 : 0);
  });
  ASSERT_TRUE(WaitUntil([&] {
    return Lines(File("starts", 0)).size() == 2 && Lines(File("starts", 1)).size() == 1;
  })) << ReadText(dir_ / "supervisor.log");

  ASSERT_EQ(kill(supervisor_, SIGTERM), 0);
  EXPECT_EQ(WaitForSupervisor(), 1) << "slot 1 ended with exit code 3";
  const std::string log = ReadText(dir_ / "supervisor.log");
  EXPECT_THAT(log, HasSubstr("slot 0 ended unexpectedly (signal 9"));
  EXPECT_THAT(log, HasSubstr("restarting it in 1 s"));
  EXPECT_THAT(log, HasSubstr("slot 0 stopped (exit code 0)"));
  EXPECT_THAT(log, HasSubstr("slot 1 stopped (exit code 3)"));
}

TEST_F(SlotSupervisorTest, SlotsStopWhenTheSupervisorIsKilled) {
  StartSupervisor(2, [this](int slot) { return WaitForSigterm(dir_, slot, 0); });
  ASSERT_TRUE(WaitUntil([&] {
    return Lines(File("starts", 0)).size() == 1 && Lines(File("starts", 1)).size() == 1;
  })) << ReadText(dir_ / "supervisor.log");

  ASSERT_EQ(kill(supervisor_, SIGKILL), 0);
  EXPECT_EQ(WaitForSupervisor(), -1);
  EXPECT_TRUE(WaitUntil([&] {
    return Lines(File("stopped", 0)).size() == 1 && Lines(File("stopped", 1)).size() == 1;
  })) << "the slots did not get SIGTERM when their supervisor died";
}

TEST(SlotSupervisor, RefusesASlotCountOutOfRange) {
  std::ostringstream log;
  EXPECT_EQ(SuperviseSlots(
                0, [](int) { return 0; }, log),
            1);
  EXPECT_EQ(SuperviseSlots(
                kMaxSlots + 1, [](int) { return 0; }, log),
            1);
  EXPECT_THAT(log.str(), HasSubstr("--slots must be between 1 and 256"));
}

}  // namespace
}  // namespace nasq

// tests/storage/sqlite_commit_failure_test.cc: the SQLite storage when a commit fails for real
// (every write(2) to a file fails with EFBIG under a file size limit of 0, as writes fail on a
// full disk): the lost changes are reported to every waiter, writes are refused until
// ResumeWrites, reads show the durable state, and writes work again afterwards.
#include <signal.h>
#include <sys/resource.h>

#include "gtest/gtest.h"
#include "storage/sqlite_storage.h"
#include "tests/storage/storage_test_util.h"

namespace nasq {
namespace {

using ::nasq::testing::RemoveDbFiles;
using ::nasq::testing::SampleSpec;
using ::nasq::testing::SampleTrialTemplate;
using ::nasq::testing::TempDbPath;

// Sets this process's soft RLIMIT_FSIZE to 0 with SIGXFSZ ignored (writes then fail with EFBIG
// instead of killing the process); restores both on destruction.
class NoFileWrites {
 public:
  NoFileWrites() {
    getrlimit(RLIMIT_FSIZE, &saved_limit_);
    rlimit none = saved_limit_;
    none.rlim_cur = 0;
    ok_ = setrlimit(RLIMIT_FSIZE, &none) == 0;
    saved_handler_ = signal(SIGXFSZ, SIG_IGN);
  }
  ~NoFileWrites() {
    setrlimit(RLIMIT_FSIZE, &saved_limit_);
    signal(SIGXFSZ, saved_handler_);
  }
  NoFileWrites(const NoFileWrites&) = delete;
  NoFileWrites& operator=(const NoFileWrites&) = delete;
  bool ok() const { return ok_; }

 private:
  rlimit saved_limit_{};
  sighandler_t saved_handler_ = SIG_DFL;
  bool ok_ = false;
};

TEST(SqliteCommitFailure, LostChangesFailTheirWaitersAndWritesResumeAfterResumeWrites) {
  const std::string path = TempDbPath("commit_failure");
  auto opened = OpenSqliteStorage(path);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Storage& storage = **opened;
  auto study = storage.CreateStudy(SampleSpec("s"), 1);
  ASSERT_TRUE(study.ok()) << study.status();
  ASSERT_TRUE(storage.CreateTrial(*study, SampleTrialTemplate()).ok());

  CommitTicket lost = 0;
  {
    NoFileWrites no_writes;
    ASSERT_TRUE(no_writes.ok());
    auto trial = storage.CreateTrialDeferred(*study, SampleTrialTemplate(), &lost);
    ASSERT_TRUE(trial.ok()) << trial.status();  // not on disk yet
    EXPECT_EQ(trial->number, 1);
    const absl::Status failed = storage.WaitDurable(lost);
    EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
    EXPECT_EQ(storage.CommitFailures(), 1);
    EXPECT_EQ(storage.CommitHealth().code(), absl::StatusCode::kUnavailable);
    CommitTicket refused = 0;
    EXPECT_EQ(storage.CreateTrialDeferred(*study, SampleTrialTemplate(), &refused).status().code(),
              absl::StatusCode::kUnavailable);
    auto trials = storage.GetAllTrials(*study);  // the durable state, without the lost trial
    ASSERT_TRUE(trials.ok()) << trials.status();
    EXPECT_EQ(trials->size(), 1u);
  }

  storage.ResumeWrites();
  CommitTicket again = 0;
  auto trial = storage.CreateTrialDeferred(*study, SampleTrialTemplate(), &again);
  ASSERT_TRUE(trial.ok()) << trial.status();
  EXPECT_EQ(trial->number, 1);  // the lost trial's number: it was never durable
  EXPECT_TRUE(storage.WaitDurable(again).ok());
  EXPECT_TRUE(storage.CommitHealth().ok());
  // A late waiter on the lost change never reads success, even once later commits succeed.
  EXPECT_EQ(storage.WaitDurable(lost).code(), absl::StatusCode::kUnavailable);

  opened->reset();
  auto reopened = OpenSqliteStorage(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto trials = (*reopened)->GetAllTrials(*study);
  ASSERT_TRUE(trials.ok()) << trials.status();
  EXPECT_EQ(trials->size(), 2u);
  reopened->reset();
  RemoveDbFiles(path);
}

}  // namespace
}  // namespace nasq

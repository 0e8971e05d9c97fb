// tests/storage/sqlite_group_commit_test.cc: SqliteGroupCommit with a sync function (the SQLite
// storage's synchronous=NORMAL + WAL fsync): every commit is synced before its waiters return,
// writes go on while a commit is being synced, and a failed sync fails its waiters and refuses
// writes until ResumeWrites; and SqliteWalFile, which syncs the WAL.
#include "storage/sqlite_group_commit.h"

#include <atomic>
#include <future>
#include <thread>

#include "gtest/gtest.h"
#include "storage/sqlite_wal_file.h"
#include "tests/storage/storage_test_util.h"

namespace nasq {
namespace {

using ::nasq::testing::RemoveDbFiles;
using ::nasq::testing::TempDbPath;

// A WAL database with one table `t`, as the SQLite storage opens it.
std::unique_ptr<SqliteDb> OpenTestDb(const std::string& path) {
  RemoveDbFiles(path);
  auto db = SqliteDb::Open(path, /*create=*/true);
  EXPECT_TRUE(db.ok()) << db.status();
  auto wal = (*db)->EnableWal();
  EXPECT_TRUE(wal.ok() && *wal) << wal.status();
  EXPECT_TRUE((*db)->Exec("PRAGMA synchronous = NORMAL; CREATE TABLE t (x INTEGER)").ok());
  return *std::move(db);
}

absl::Status Insert(SqliteGroupCommit& commits, CommitTicket* ticket) {
  return commits.Write(ticket, [&] { return commits.db().Exec("INSERT INTO t VALUES (1)"); });
}

int64_t Rows(SqliteGroupCommit& commits) {
  auto rows = commits.Read([&]() -> absl::StatusOr<int64_t> {
    auto count = commits.db().Prepare("SELECT COUNT(*) FROM t");
    if (!count.ok()) return count.status();
    auto row = count->Step();
    if (!row.ok()) return row.status();
    return count->Int(0);
  });
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.value_or(-1);
}

TEST(SqliteGroupCommit, EveryCommitIsSyncedBeforeItsWaitersReturn) {
  const std::string path = TempDbPath("group_commit_sync");
  std::atomic<int> syncs{0};
  SqliteGroupCommit commits(OpenTestDb(path), [&] {
    syncs.fetch_add(1);
    return absl::OkStatus();
  });
  CommitTicket first = 0, second = 0;
  ASSERT_TRUE(Insert(commits, &first).ok());
  ASSERT_TRUE(Insert(commits, &second).ok());
  EXPECT_EQ(first, second);  // one open transaction
  EXPECT_EQ(syncs.load(), 0);
  ASSERT_TRUE(commits.WaitDurable(second).ok());
  EXPECT_EQ(syncs.load(), 1);
  ASSERT_TRUE(commits.WaitDurable(first).ok());
  EXPECT_EQ(syncs.load(), 1) << "an already durable ticket needs no new commit";
  RemoveDbFiles(path);
}

TEST(SqliteGroupCommit, WritesGoOnWhileACommitIsBeingSynced) {
  const std::string path = TempDbPath("group_commit_overlap");
  std::promise<void> sync_entered, sync_may_finish;
  std::shared_future<void> may_finish = sync_may_finish.get_future().share();
  std::atomic<int> syncs{0};
  SqliteGroupCommit commits(OpenTestDb(path), [&] {
    if (syncs.fetch_add(1) == 0) {
      sync_entered.set_value();
      may_finish.wait();
    }
    return absl::OkStatus();
  });
  CommitTicket first = 0;
  ASSERT_TRUE(Insert(commits, &first).ok());
  auto waiter = std::async(std::launch::async, [&] { return commits.WaitDurable(first); });
  sync_entered.get_future().wait();

  // The first commit is being synced: the connection is free for the next transaction.
  CommitTicket second = 0;
  auto writer = std::async(std::launch::async, [&] { return Insert(commits, &second); });
  if (writer.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    sync_may_finish.set_value();
    FAIL() << "a write waited for the sync of the previous commit";
  }
  ASSERT_TRUE(writer.get().ok());
  EXPECT_GT(second, first);
  EXPECT_EQ(Rows(commits), 2);
  EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout)
      << "WaitDurable returned before its commit was synced";

  sync_may_finish.set_value();
  EXPECT_TRUE(waiter.get().ok());
  ASSERT_TRUE(commits.WaitDurable(second).ok());
  EXPECT_EQ(syncs.load(), 2);
  RemoveDbFiles(path);
}

TEST(SqliteGroupCommit, AFailedSyncFailsItsWaitersAndRefusesWritesUntilResumeWrites) {
  const std::string path = TempDbPath("group_commit_sync_failure");
  std::atomic<bool> fail{true};
  SqliteGroupCommit commits(OpenTestDb(path), [&] {
    return fail.load() ? absl::UnavailableError("fdatasync: Input/output error") : absl::OkStatus();
  });
  CommitTicket in_doubt = 0;
  ASSERT_TRUE(Insert(commits, &in_doubt).ok());
  absl::Status waited = commits.WaitDurable(in_doubt);
  EXPECT_TRUE(absl::IsUnavailable(waited)) << waited;
  EXPECT_NE(waited.message().find("may be lost"), absl::string_view::npos) << waited;
  EXPECT_NE(waited.message().find("Input/output error"), absl::string_view::npos) << waited;
  EXPECT_EQ(commits.WaitDurable(in_doubt).message(), waited.message()) << "also later";
  EXPECT_FALSE(commits.health().ok());
  EXPECT_EQ(commits.failures(), 1);
  EXPECT_EQ(Rows(commits), 1) << "committed: SQLite shows the write whose sync failed";

  CommitTicket refused = 0;
  absl::Status write = Insert(commits, &refused);
  EXPECT_TRUE(absl::IsUnavailable(write)) << write;
  EXPECT_NE(write.message().find("writes refused"), absl::string_view::npos) << write;

  fail = false;
  commits.ResumeWrites();
  CommitTicket next = 0;
  ASSERT_TRUE(Insert(commits, &next).ok());
  EXPECT_TRUE(commits.WaitDurable(next).ok());
  EXPECT_TRUE(commits.health().ok());
  EXPECT_EQ(Rows(commits), 2);
  RemoveDbFiles(path);
}

TEST(SqliteWalFile, SyncsTheWalAndNamesThePathWhenItCannot) {
  const std::string path = TempDbPath("wal_file");
  std::unique_ptr<SqliteDb> db = OpenTestDb(path);
  ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)").ok());
  SqliteWalFile wal(db->WalPath());
  EXPECT_EQ(wal.path(), path + "-wal");
  EXPECT_TRUE(wal.Sync().ok());
  EXPECT_TRUE(wal.Sync().ok());

  SqliteWalFile missing(path + "-no-such-wal");
  absl::Status status = missing.Sync();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_NE(status.message().find(path + "-no-such-wal"), absl::string_view::npos) << status;
  db.reset();
  RemoveDbFiles(path);
}

}  // namespace
}  // namespace nasq

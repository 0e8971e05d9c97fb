// Tests that two coordinators can never share a database or a gRPC port: the second
// NasqServer::Start is refused with an error naming what is taken, and the database lock goes
// with the server that held it.
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/nasq_server.h"
#include "storage/db_lock.h"
#include "testing/scratch_dir.h"

namespace nasq {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

ServerOptions Options(const std::string& db_path) {
  ServerOptions options;
  options.db_path = db_path;
  options.listen_address = "127.0.0.1:0";
  return options;
}

TEST(ExclusiveStart, SecondServerOnOneDatabaseIsRefusedUntilTheFirstStops) {
  const std::string db = (testing_scratch::ScratchDir("one_db") / "nasq.db").string();
  auto first = NasqServer::Start(Options(db));
  ASSERT_TRUE(first.ok()) << first.status();

  auto second = NasqServer::Start(Options(db));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(),
              AllOf(HasSubstr(db), HasSubstr("pid " + std::to_string(::getpid()))));

  (*first)->Shutdown();
  auto third = NasqServer::Start(Options(db));
  EXPECT_TRUE(third.ok()) << third.status();
}

TEST(ExclusiveStart, SecondServerOnOnePortIsRefused) {
  auto first = NasqServer::Start(Options(""));
  ASSERT_TRUE(first.ok()) << first.status();
  ServerOptions options = Options("");
  options.listen_address = "127.0.0.1:" + std::to_string((*first)->grpc_port());

  auto second = NasqServer::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr(options.listen_address));
}

TEST(DbLock, RefusesASecondHolderAndReleasesOnDestruction) {
  const std::string db = (testing_scratch::ScratchDir("db_lock") / "x.db").string();
  auto held = DbLock::Acquire(db);
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ((*held)->path(), db + ".lock");
  EXPECT_EQ(DbLock::Acquire(db).status().code(), absl::StatusCode::kFailedPrecondition);
  held->reset();
  EXPECT_TRUE(DbLock::Acquire(db).ok());
}

TEST(DbLock, UnopenableLockFileIsUnavailable) {
  const auto status = DbLock::Acquire("/nonexistent-dir/x.db").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("/nonexistent-dir/x.db.lock"));
}

}  // namespace
}  // namespace nasq

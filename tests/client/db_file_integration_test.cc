// Integration test: nasq-server and the database file it is given. A file that is not what it
// seems (an existing empty file, a corrupted one) makes the server exit non-zero with a message
// that says why, and stays byte-for-byte unchanged; `--init` initialises an existing empty file;
// `--check` runs the full check and exits 0 or 1.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/test_env.h"
#include "tests/storage/storage_test_util.h"

namespace nasq {
namespace {

using ::nasq::testing::CorruptMiddlePage;
using ::nasq::testing::ReadFileBytes;
using ::testing::HasSubstr;

// Runs nasq-server on `db` with `extra` arguments, expecting it to exit at once. Its log (on
// stdout) and stderr are both in `err`.
CommandResult RunServer(const std::string& db, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {kServerBin, "--db", db, "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  CommandResult result = RunCommand(argv, std::chrono::seconds(10));
  result.err = result.out + result.err;
  return result;
}

TEST(DbFileIntegration, AnExistingEmptyFileIsInitialisedOnlyWithInit) {
  TempDir dir;
  const std::string db = dir.WriteFile("empty.db", "");
  const CommandResult refused = RunServer(db);
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("empty"));
  EXPECT_THAT(refused.err, HasSubstr("--init"));
  EXPECT_EQ(ReadFileBytes(db), "") << "the refused file was written to";

  auto server = ServerProcess::Start(kServerBin, db, FreeLoopbackPort(), {"--init"});
  ASSERT_TRUE(server.ok()) << server.status();
  const CommandResult created =
      RunCli((*server)->address(), {"study", "create", dir.WriteFile("spec.yaml", R"(name: s
space: {params: {x: {type: float, low: 0, high: 1}}}
)")});
  EXPECT_EQ(created.exit_code, 0) << created.err;
  ASSERT_EQ((*server)->Terminate(std::chrono::seconds(5)), 0) << (*server)->Log();

  const CommandResult check = RunServer(db, {"--check"});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_THAT(check.out, HasSubstr("ok"));
  EXPECT_EQ(RunServer(dir.path() + "/missing.db", {"--check"}).exit_code, 1);
}

TEST(DbFileIntegration, ACorruptedFileIsRefusedAndReportedByCheck) {
  TempDir dir;
  const std::string db = dir.path() + "/nasq.db";
  {
    auto server = ServerProcess::Start(kServerBin, db, FreeLoopbackPort());
    ASSERT_TRUE(server.ok()) << server.status();
    ASSERT_EQ((*server)->Terminate(std::chrono::seconds(5)), 0) << (*server)->Log();
  }
  CorruptMiddlePage(db);
  const std::string before = ReadFileBytes(db);

  const CommandResult refused = RunServer(db);
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("quick_check"));
  const CommandResult check = RunServer(db, {"--check"});
  EXPECT_EQ(check.exit_code, 1) << check.err;
  EXPECT_THAT(check.err, HasSubstr("integrity_check"));
  EXPECT_TRUE(ReadFileBytes(db) == before) << "the refused file was written to";
}

}  // namespace
}  // namespace nasq

// Tests of cli/slurm_workers.h (the sbatch command line of `nasq workers slurm` and its job
// environment) and cli/run_program.h. The submission itself runs against a real Slurm in
// tests/python/test_slurm_workers.py.
#include "cli/slurm_workers.h"

#include <filesystem>

#include "cli/run_program.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

SlurmWorkersArgs Args(int64_t count, std::vector<std::string> sbatch_options = {}) {
  SlurmWorkersArgs args;
  args.study = "demo";
  args.count = count;
  args.sbatch_options = std::move(sbatch_options);
  return args;
}

TEST(SlurmWorkers, SbatchArgvPutsUserOptionsBeforeTheScriptAfterNasqs) {
  const std::map<std::string, std::string> env = {{"NASQ_SERVER", "coord:50051"},
                                                  {"NASQ_STUDY", "demo"}};
  auto argv = SbatchArgv(Args(4, {"--time=02:00:00", "--gres=gpu:0", "-p", "gpu"}), env,
                         "/opt/nasq/share/nasq/slurm/nasq-worker.sbatch");
  ASSERT_TRUE(argv.ok()) << argv.status();
  EXPECT_THAT(*argv, ElementsAre("sbatch", "--parsable", "--array=0-3", "--job-name=nasq-demo",
                                 "--export=ALL,NASQ_SERVER=coord:50051,NASQ_STUDY=demo",
                                 "--time=02:00:00", "--gres=gpu:0", "-p", "gpu",
                                 "/opt/nasq/share/nasq/slurm/nasq-worker.sbatch"));
  auto one = SbatchArgv(Args(1), env, "w.sbatch");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ((*one)[2], "--array=0-0");
  EXPECT_EQ(one->back(), "w.sbatch");
}

TEST(SlurmWorkers, SbatchArgvRefusesBadCountsAndNasqsOwnOptions) {
  for (int64_t count : {0, -3}) {
    auto argv = SbatchArgv(Args(count), {}, "w.sbatch");
    EXPECT_EQ(argv.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(argv.status().message(), HasSubstr("--count: must be at least 1"));
  }
  for (const char* option :
       {"--array=0-9", "--array", "-a", "-a0-3", "--export=NONE", "--export"}) {
    auto argv = SbatchArgv(Args(2, {"--time=5", option}), {}, "w.sbatch");
    EXPECT_EQ(argv.status().code(), absl::StatusCode::kInvalidArgument) << option;
    EXPECT_THAT(argv.status().message(), HasSubstr(option));
  }
  EXPECT_TRUE(SbatchArgv(Args(2, {"-A", "lab", "--exclusive"}), {}, "w.sbatch").ok());
}

TEST(SlurmWorkers, JobEnvironmentCarriesTheServerStudyAndAbsoluteCredentialPaths) {
  SlurmWorkersArgs args = Args(2);
  args.credentials.tls_ca = "certs/ca.pem";
  args.credentials.token_file = "/etc/nasq/worker.token";
  auto env = SlurmJobEnvironment(args, "coord:50051", "/opt/nasq/bin/nasq-worker");
  ASSERT_TRUE(env.ok()) << env.status();
  const std::string cwd = std::filesystem::current_path().string();
  EXPECT_EQ(*env,
            (std::map<std::string, std::string>{{"NASQ_SERVER", "coord:50051"},
                                                {"NASQ_STUDY", "demo"},
                                                {"NASQ_TLS_CA", cwd + "/certs/ca.pem"},
                                                {"NASQ_TOKEN_FILE", "/etc/nasq/worker.token"},
                                                {"NASQ_WORKER_BIN", "/opt/nasq/bin/nasq-worker"}}));
  EXPECT_EQ(SlurmJobEnvironment(Args(2), "coord:50051", "")->size(), 2u);

  args.credentials.tls_ca = "/certs,old/ca.pem";
  auto comma = SlurmJobEnvironment(args, "coord:50051", "");
  EXPECT_EQ(comma.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(comma.status().message(), HasSubstr("NASQ_TLS_CA"));
  EXPECT_THAT(comma.status().message(), HasSubstr("comma"));
}

TEST(SlurmWorkers, ParsesTheJobIdSbatchPrints) {
  EXPECT_EQ(*ParseSbatchJobId("123\n"), "123");
  EXPECT_EQ(*ParseSbatchJobId("4567;cluster-a\n"), "4567");
  for (const char* out : {"", "\n", "Submitted batch job 12", "12x"}) {
    EXPECT_EQ(ParseSbatchJobId(out).status().code(), absl::StatusCode::kInternal) << out;
  }
}

TEST(SlurmWorkers, TheInstalledScriptIsUnderTheInstallPrefix) {
  EXPECT_EQ(InstalledSlurmScript("/usr/local/bin/nasq"),
            "/usr/local/share/nasq/slurm/nasq-worker.sbatch");
}

TEST(RunProgram, CollectsOutputAndExitCodeAndNamesAMissingProgram) {
  auto ran = RunProgram({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_EQ(ran->exit_code, 3);
  EXPECT_EQ(ran->out, "out\n");
  EXPECT_EQ(ran->err, "err\n");
  auto big = RunProgram({"sh", "-c", "head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2"});
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->out.size(), 300000u);
  EXPECT_EQ(big->err.size(), 200000u);

  auto missing = RunProgram({"nasq-no-such-program"});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nasq-no-such-program"));
  EXPECT_EQ(RunProgram({}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nasq

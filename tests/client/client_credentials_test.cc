// Tests of LoadClientCredentials: where the token and TLS files come from (flags before the
// environment), and the checks on them.
#include "client/client_credentials.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/scratch_dir.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kLocal[] = "127.0.0.1:50051";

class LoadClientCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name :
         {"NASQ_TLS_CA", "NASQ_TLS_CERT", "NASQ_TLS_KEY", "NASQ_TOKEN", "NASQ_TOKEN_FILE"}) {
      unsetenv(name);
    }
  }
  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << contents;
    return path;
  }

  const std::filesystem::path dir_ =
      testing_scratch::ScratchDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
};

TEST_F(LoadClientCredentialsTest, NothingGivenMeansPlainTextWithoutToken) {
  auto credentials = LoadClientCredentials({}, kLocal);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_TRUE(credentials->tls_ca_pem.empty());
  EXPECT_TRUE(credentials->token.empty());
}

TEST_F(LoadClientCredentialsTest, TokenComesFromFlagThenEnvThenEnvFile) {
  const std::string flag_file = Write("flag.token", "  from-flag \n second line\n");
  const std::string env_file = Write("env.token", "from-env-file\n");
  setenv("NASQ_TOKEN_FILE", env_file.c_str(), 1);
  EXPECT_EQ(LoadClientCredentials({}, kLocal)->token, "from-env-file");
  setenv("NASQ_TOKEN", "from-env", 1);
  EXPECT_EQ(LoadClientCredentials({}, kLocal)->token, "from-env");
  EXPECT_EQ(LoadClientCredentials({.token_file = flag_file}, kLocal)->token, "from-flag");
}

TEST_F(LoadClientCredentialsTest, TlsFilesComeFromFlagsElseEnv) {
  const std::string ca = Write("ca.pem", "CA");
  const std::string cert = Write("c.pem", "CERT");
  const std::string key = Write("c.key", "KEY");
  setenv("NASQ_TLS_CA", Write("other-ca.pem", "OTHER").c_str(), 1);
  setenv("NASQ_TLS_CERT", cert.c_str(), 1);
  setenv("NASQ_TLS_KEY", key.c_str(), 1);
  auto credentials = LoadClientCredentials({.tls_ca = ca}, kLocal);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->tls_ca_pem, "CA");
  EXPECT_EQ(credentials->tls_cert_pem, "CERT");
  EXPECT_EQ(credentials->tls_key_pem, "KEY");
}

TEST_F(LoadClientCredentialsTest, RefusesBadCombinationsAndTokensNamingTheFlag) {
  const std::string pem = Write("x.pem", "PEM");
  const struct {
    CredentialFiles files;
    std::string message;
  } cases[] = {
      {{.tls_cert = pem}, "--tls-cert: needs --tls-key"},
      {{.tls_key = pem}, "--tls-key: needs --tls-cert"},
      {{.tls_cert = pem, .tls_key = pem}, "--tls-cert: needs --tls-ca"},
      {{.tls_ca = (dir_ / "missing.pem").string()}, "--tls-ca: cannot read"},
      {{.token_file = Write("empty.token", "\n")}, "--token-file: the token is empty"},
      {{.token_file = Write("bad.token", "secret with space")}, "printable ASCII without spaces"},
  };
  for (const auto& c : cases) {
    auto credentials = LoadClientCredentials(c.files, kLocal);
    ASSERT_FALSE(credentials.ok()) << c.message;
    EXPECT_THAT(credentials.status().message(), HasSubstr(c.message));
    EXPECT_THAT(credentials.status().message(), Not(HasSubstr("secret")));
  }
}

TEST_F(LoadClientCredentialsTest, RefusesATokenInClearTextToAnotherMachine) {
  setenv("NASQ_TOKEN", "secret", 1);
  EXPECT_TRUE(LoadClientCredentials({}, "localhost:50051").ok());
  auto refused = LoadClientCredentials({}, "nasq.example.com:50051");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("--tls-ca: needed to send a token"));
  const std::string ca = Write("ca.pem", "CA");
  EXPECT_TRUE(LoadClientCredentials({.tls_ca = ca}, "nasq.example.com:50051").ok());
}

}  // namespace
}  // namespace nasq

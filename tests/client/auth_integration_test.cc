// End-to-end tests of TLS and token authentication against a real nasq-server: every role (and
// no, a wrong, an expired and a removed token) against every RPC and HTTP route, over plain
// text and TLS; rotation of the token file without a restart; mutual TLS refusing a client
// without a certificate; the CLI's --token-file/--tls-ca; and the loopback-only default.
// Certificates are made at test time (scripts/make-certs.sh, the openssl CLI) in a temporary
// folder.
#include <array>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/test_env.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

enum class Needs { kOpen, kReader, kWorker, kAdmin };

// Every RPC, called with arguments the server refuses after the auth check (unknown study,
// empty request), so that the matrix changes no state and each call answers at once.
struct Rpc {
  const char* name;
  Needs needs;
  std::function<absl::Status(const NasqClient&)> call;
};

const std::vector<Rpc>& AllRpcs() {
  static const auto* rpcs = new std::vector<Rpc>{
      {"CreateStudy", Needs::kAdmin,
       [](const NasqClient& c) { return c.CreateStudy({}).status(); }},
      {"DeleteStudy", Needs::kAdmin, [](const NasqClient& c) { return c.DeleteStudy("nope"); }},
      {"StopStudy", Needs::kAdmin,
       [](const NasqClient& c) { return c.StopStudy("nope").status(); }},
      {"GetStudy", Needs::kReader, [](const NasqClient& c) { return c.GetStudy("nope").status(); }},
      {"ListStudies", Needs::kReader, [](const NasqClient& c) { return c.ListStudies().status(); }},
      {"GetTrial", Needs::kReader,
       [](const NasqClient& c) { return c.GetTrial("nope", 0).status(); }},
      {"ListTrials", Needs::kReader,
       [](const NasqClient& c) { return c.ListTrials("nope").status(); }},
      {"BestTrials", Needs::kReader,
       [](const NasqClient& c) { return c.BestTrials("nope").status(); }},
      {"Ask", Needs::kWorker, [](const NasqClient& c) { return c.Ask("nope").status(); }},
      {"Tell", Needs::kWorker,
       [](const NasqClient& c) {
         return c.Tell("nope", 0, v1::TRIAL_STATE_COMPLETE, {1.0}).status();
       }},
      {"Tell --force", Needs::kAdmin,
       [](const NasqClient& c) {
         return c.Tell("nope", 0, v1::TRIAL_STATE_COMPLETE, {1.0}, TellOptions{.force = true})
             .status();
       }},
      {"LeaseTrial", Needs::kWorker, [](const NasqClient& c) { return c.LeaseTrial({}).status(); }},
      {"Heartbeat", Needs::kWorker, [](const NasqClient& c) { return c.Heartbeat({}).status(); }},
      {"ReportIntermediate", Needs::kWorker,
       [](const NasqClient& c) { return c.ReportIntermediate({}).status(); }},
      {"CompleteTrial", Needs::kWorker,
       [](const NasqClient& c) { return c.CompleteTrial({}).status(); }},
      {"FailTrial", Needs::kWorker, [](const NasqClient& c) { return c.FailTrial({}).status(); }},
      {"ReleaseTrial", Needs::kWorker,
       [](const NasqClient& c) { return c.ReleaseTrial({}).status(); }},
  };
  return *rpcs;
}

struct Route {
  const char* path;
  Needs needs;
};
constexpr Route kRoutes[] = {{"/healthz", Needs::kOpen}, {"/metrics", Needs::kReader}};

// A caller: the token it presents ("" = none) and the role it should be granted (none: every
// non-open call must be refused UNAUTHENTICATED).
struct Identity {
  const char* label;
  std::string token;
  std::optional<Needs> role;
};

bool Allows(const std::optional<Needs>& role, Needs needed) {
  return needed == Needs::kOpen || (role && *role >= needed);
}

// RunCommand needs a program's path: tools on $PATH (bash, curl) run through env.
constexpr char kEnv[] = "/usr/bin/env";

// Runs a command and fails the test when it does not exit 0.
void MustRun(const std::vector<std::string>& argv) {
  const CommandResult r = RunCommand(argv);
  ASSERT_EQ(r.exit_code, 0) << argv[1] << " " << argv[2] << ": " << r.err;
}

class AuthIntegration : public ::testing::Test {
 protected:
  // A CA, a server certificate for localhost/127.0.0.1 and a client certificate, and the tokens
  // with their token-file lines, made once for the whole suite by scripts/make-certs.sh and
  // scripts/new-token.sh (the scripts docs/security.md tells users to run).
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string scripts = std::string(NASQ_SOURCE_DIR) + "/scripts/";
    MustRun({kEnv, "bash", scripts + "make-certs.sh", dir_->path(), "localhost", "127.0.0.1",
             "--days", "1"});
    tokens_ = new std::map<std::string, Token>();
    for (const auto& [name, role, expires] :
         std::vector<std::array<std::string, 3>>{{"r", "reader", ""},
                                                 {"w", "worker", ""},
                                                 {"a", "admin", ""},
                                                 {"old", "admin", "2001-01-01T00:00:00Z"},
                                                 {"gone", "worker", ""}}) {
      std::vector<std::string> argv = {kEnv, "bash", scripts + "new-token.sh",
                                       name, role,   Path(name + ".token")};
      if (!expires.empty()) argv.push_back(expires);
      const CommandResult r = RunCommand(argv);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      const std::string token = *ReadFileToString(Path(name + ".token"), "token");
      (*tokens_)[name] = Token{token.substr(0, token.find('\n')), r.out};
    }
  }
  static void TearDownTestSuite() {
    delete tokens_;
    delete dir_;
    dir_ = nullptr;
  }

  static std::string Path(const std::string& name) { return dir_->path() + "/" + name; }
  static std::string Pem(const std::string& name) { return *ReadFileToString(Path(name), name); }

  // The token of `name` (r, w, a, old, gone).
  static const std::string& T(const std::string& name) { return tokens_->at(name).token; }

  // Writes the token file atomically: reader, worker, admin, an expired admin and, unless
  // `without_removed`, the "removed" worker token.
  void WriteTokens(bool without_removed) {
    std::string text = "# nasq test tokens\n";
    for (const auto& [name, token] : *tokens_) {
      if (name != "gone" || !without_removed) text += token.line;
    }
    dir_->WriteFile("tokens.next", text);
    std::filesystem::rename(Path("tokens.next"), Path("tokens.txt"));
  }

  void StartServer(bool tls, bool mutual = false) {
    WriteTokens(/*without_removed=*/false);
    http_port_ = FreeLoopbackPort();
    std::vector<std::string> args = {"--auth-tokens",
                                     Path("tokens.txt"),
                                     "--http",
                                     "127.0.0.1:" + std::to_string(http_port_),
                                     "--max-lease-wait-ms",
                                     "0"};
    ClientCredentials probe;
    if (tls) {
      args.insert(args.end(), {"--tls-cert", Path("server.pem"), "--tls-key", Path("server.key")});
      probe = Credentials(tls, "", /*client_cert=*/mutual);
    }
    if (mutual) args.insert(args.end(), {"--tls-client-ca", Path("ca.pem")});
    auto server =
        ServerProcess::Start(kServerBin, Path("nasq.db"), FreeLoopbackPort(), args, probe);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  static ClientCredentials Credentials(bool tls, const std::string& token,
                                       bool client_cert = false) {
    ClientCredentials credentials;
    credentials.token = token;
    if (tls) credentials.tls_ca_pem = Pem("ca.pem");
    if (client_cert) {
      credentials.tls_cert_pem = Pem("client.pem");
      credentials.tls_key_pem = Pem("client.key");
    }
    return credentials;
  }

  std::unique_ptr<NasqClient> Client(bool tls, const std::string& token,
                                     bool client_cert = false) const {
    ClientOptions options;
    options.max_attempts = 1;
    options.deadline = std::chrono::seconds(5);
    options.credentials = Credentials(tls, token, client_cert);
    return server_->Client(options);
  }

  // The HTTP status of GET `path`, over HTTPS (verified against the test CA) when `tls`.
  int HttpStatus(bool tls, const std::string& path, const std::string& token) const {
    std::vector<std::string> argv = {kEnv, "curl",         "-sS",        "-o", "/dev/null",
                                     "-w", "%{http_code}", "--max-time", "5"};
    if (tls) argv.insert(argv.end(), {"--cacert", Path("ca.pem")});
    if (!token.empty()) argv.insert(argv.end(), {"-H", "Authorization: Bearer " + token});
    argv.push_back(std::string(tls ? "https" : "http") +
                   "://127.0.0.1:" + std::to_string(http_port_) + path);
    const CommandResult r = RunCommand(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::atoi(r.out.c_str());
  }

  // Every identity against every RPC and route. Runs after the "removed" token was taken out
  // of the file, with the server still running.
  void ExpectMatrix(bool tls) {
    const Identity identities[] = {
        {"no token", "", std::nullopt},
        {"wrong token", "nasq_wrong", std::nullopt},
        {"expired token", T("old"), std::nullopt},
        {"removed token", T("gone"), std::nullopt},
        {"reader", T("r"), Needs::kReader},
        {"worker", T("w"), Needs::kWorker},
        {"admin", T("a"), Needs::kAdmin},
    };
    for (const Identity& id : identities) {
      const auto client = Client(tls, id.token);
      for (const Rpc& rpc : AllRpcs()) {
        const absl::Status status = rpc.call(*client);
        const std::string where = std::string(id.label) + " -> " + rpc.name;
        if (Allows(id.role, rpc.needs)) {
          EXPECT_NE(status.code(), absl::StatusCode::kUnauthenticated) << where << ": " << status;
          EXPECT_NE(status.code(), absl::StatusCode::kPermissionDenied) << where << ": " << status;
          EXPECT_NE(status.code(), absl::StatusCode::kUnavailable) << where << ": " << status;
        } else {
          EXPECT_EQ(status.code(), id.role ? absl::StatusCode::kPermissionDenied
                                           : absl::StatusCode::kUnauthenticated)
              << where << ": " << status;
          if (!id.token.empty()) {
            EXPECT_THAT(status.message(), Not(HasSubstr(id.token)));
          }
        }
      }
      for (const Route& route : kRoutes) {
        const int expected = Allows(id.role, route.needs) ? 200 : id.role ? 403 : 401;
        EXPECT_EQ(HttpStatus(tls, route.path, id.token), expected)
            << id.label << " -> GET " << route.path;
      }
    }
  }

  // The removed token works, is taken out of the file, then the whole matrix is checked.
  void RunMatrixWithRotation(bool tls) {
    ASSERT_NO_FATAL_FAILURE(StartServer(tls));
    ASSERT_TRUE(Client(tls, T("gone"))->ListStudies().ok());
    ASSERT_EQ(HttpStatus(tls, "/metrics", T("gone")), 200);
    WriteTokens(/*without_removed=*/true);
    ExpectMatrix(tls);
  }

  struct Token {
    std::string token;
    std::string line;  // of the token file
  };
  static TempDir* dir_;
  static std::map<std::string, Token>* tokens_;
  int http_port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

TempDir* AuthIntegration::dir_ = nullptr;
std::map<std::string, AuthIntegration::Token>* AuthIntegration::tokens_ = nullptr;

TEST_F(AuthIntegration, RoleMatrixOverPlainText) { RunMatrixWithRotation(/*tls=*/false); }

TEST_F(AuthIntegration, RoleMatrixOverTls) { RunMatrixWithRotation(/*tls=*/true); }

TEST_F(AuthIntegration, TlsServerRefusesPlainTextClients) {
  ASSERT_NO_FATAL_FAILURE(StartServer(/*tls=*/true));
  EXPECT_EQ(Client(/*tls=*/false, T("a"))->ListStudies().status().code(),
            absl::StatusCode::kUnavailable);
  const CommandResult r =
      RunCommand({kEnv, "curl", "-sS", "-o", "/dev/null", "--max-time", "5",
                  "http://127.0.0.1:" + std::to_string(http_port_) + "/healthz"});
  EXPECT_NE(r.exit_code, 0);
}

TEST_F(AuthIntegration, MutualTlsRefusesAClientWithoutACertificate) {
  ASSERT_NO_FATAL_FAILURE(StartServer(/*tls=*/true, /*mutual=*/true));
  EXPECT_EQ(Client(/*tls=*/true, T("a"))->ListStudies().status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Client(/*tls=*/true, T("a"), /*client_cert=*/true)->ListStudies().ok());
  // A certificate is not a token: the token check still applies.
  EXPECT_EQ(Client(/*tls=*/true, "", /*client_cert=*/true)->ListStudies().status().code(),
            absl::StatusCode::kUnauthenticated);
  // Supervisors probe /healthz without a client certificate.
  EXPECT_EQ(HttpStatus(/*tls=*/true, "/healthz", ""), 200);
}

TEST_F(AuthIntegration, CliSendsTheTokenFileOverTls) {
  ASSERT_NO_FATAL_FAILURE(StartServer(/*tls=*/true));
  const std::string token_file = Path("r.token");
  const std::vector<std::string> base = {kCliBin, "--server", server_->address(), "--tls-ca",
                                         Path("ca.pem")};
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv);
  };
  EXPECT_EQ(run({"--token-file", token_file, "study", "list"}).exit_code, 0);
  const CommandResult no_token = run({"study", "list"});
  EXPECT_EQ(no_token.exit_code, 1);
  EXPECT_THAT(no_token.err, HasSubstr("refused the token"));
  const CommandResult reader_deletes = run({"--token-file", token_file, "study", "delete", "x"});
  EXPECT_EQ(reader_deletes.exit_code, 1);
  EXPECT_THAT(reader_deletes.err, HasSubstr("role may not do this"));
}

TEST_F(AuthIntegration, NonLoopbackAddressWithoutAuthIsRefusedAtStart) {
  // A server that wrongly starts is killed after 5 s.
  const CommandResult r =
      RunCommand({kServerBin, "--listen", "0.0.0.0:" + std::to_string(FreeLoopbackPort())},
                 std::chrono::seconds(5));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err + r.out, HasSubstr("--insecure"));
}

}  // namespace
}  // namespace nasq

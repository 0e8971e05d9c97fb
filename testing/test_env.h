// testing/test_env.h: the binaries under test (NASQ_SERVER_BIN, NASQ_CLI_BIN, compile
// definitions of the integration tests' CMakeLists.txt) and a helper to run the `nasq` CLI
// against a server.
#ifndef NASQ_TESTING_TEST_ENV_H_
#define NASQ_TESTING_TEST_ENV_H_

#include <string>
#include <vector>

#include "testing/local_server.h"

namespace nasq {

inline constexpr char kServerBin[] = NASQ_SERVER_BIN;
inline constexpr char kCliBin[] = NASQ_CLI_BIN;

// Runs `nasq --server <server> <args...>` and returns its exit code and output.
inline CommandResult RunCli(const std::string& server, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kCliBin, "--server", server};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

}  // namespace nasq

#endif  // NASQ_TESTING_TEST_ENV_H_

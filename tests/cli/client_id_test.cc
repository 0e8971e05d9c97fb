// Tests of DefaultCliClientId (cli/client_id.h): who the CLI says it is when it asks or tells.
#include "cli/client_id.h"

#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace nasq {
namespace {

std::string HostName() {
  char host[256] = {};
  EXPECT_EQ(gethostname(host, sizeof(host) - 1), 0);
  return host;
}

TEST(DefaultCliClientId, IsCliUserAtHost) {
  ASSERT_EQ(setenv("USER", "alice", 1), 0);
  EXPECT_EQ(DefaultCliClientId(), "cli:alice@" + HostName());
}

TEST(DefaultCliClientId, FallsBackToTheAccountWithoutUser) {
  ASSERT_EQ(unsetenv("USER"), 0);
  const std::string id = DefaultCliClientId();
  const std::string host = "@" + HostName();
  ASSERT_GT(id.size(), 4 + host.size()) << id;  // a non-empty user between "cli:" and "@host"
  EXPECT_EQ(id.substr(0, 4), "cli:");
  EXPECT_EQ(id.substr(id.size() - host.size()), host);
}

}  // namespace
}  // namespace nasq

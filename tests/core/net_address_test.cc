// Tests of core/net_address.h: which addresses count as loopback for the safe defaults.
#include "core/net_address.h"

#include "gtest/gtest.h"

namespace nasq {
namespace {

TEST(IsLoopbackAddress, AcceptsOnlyLocalHosts) {
  for (const char* address : {"127.0.0.1:1", "127.1.2.3:50051", "localhost:1", "[::1]:1",
                              "unix:/tmp/nasq.sock", "unix-abstract:nasq"}) {
    EXPECT_TRUE(IsLoopbackAddress(address)) << address;
  }
  for (const char* address : {"0.0.0.0:1", "[::]:1", ":50051", "10.0.0.1:1", "128.0.0.1:1",
                              "[::2]:1", "nasq.example.com:1", "localhost", "127.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackAddress(address)) << address;
  }
}

}  // namespace
}  // namespace nasq

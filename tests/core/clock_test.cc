// Tests of core/clock.h: the fake clock and the saturating deadline arithmetic.
#include "core/clock.h"

#include <limits>

#include "gtest/gtest.h"

namespace nasq {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(SaturatingAdd, AddsInRangeAndClampsAtBothEnds) {
  EXPECT_EQ(SaturatingAdd(2, 3), 5);
  EXPECT_EQ(SaturatingAdd(-2, 3), 1);
  EXPECT_EQ(SaturatingAdd(kMax, 1), kMax);
  EXPECT_EQ(SaturatingAdd(kMax - 5, 10), kMax);
  EXPECT_EQ(SaturatingAdd(kMin, -1), kMin);
  EXPECT_EQ(SaturatingAdd(kMax, kMin), -1);
}

TEST(DeadlineAfterMs, SaturatesInsteadOfWrappingNegative) {
  FakeClock clock;
  const int64_t now = clock.NowMicros();
  EXPECT_EQ(DeadlineAfterMs(now, 60'000), now + 60'000'000);
  // Issue 12 finding 2: 9223372036854775 ms * 1000 overflowed to a negative deadline.
  EXPECT_EQ(DeadlineAfterMs(now, 9'223'372'036'854'775), kMax);
  // 1e15 s = 1e18 ms.
  EXPECT_EQ(DeadlineAfterMs(now, 1'000'000'000'000'000'000), kMax);
  EXPECT_EQ(DeadlineAfterMs(now, kMax), kMax);
  EXPECT_EQ(DeadlineAfterMs(now, -1), now - 1000);
  EXPECT_EQ(DeadlineAfterMs(0, kMin), kMin);
}

}  // namespace
}  // namespace nasq

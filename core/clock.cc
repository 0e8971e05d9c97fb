#include "core/clock.h"

#include <chrono>
#include <limits>

namespace nasq {

RealClock* RealClock::Default() {
  static RealClock* const clock = new RealClock();  // never destroyed, safe at exit
  return clock;
}

int64_t RealClock::NowMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

int64_t DeadlineAfterMs(int64_t now_us, int64_t ms) {
  int64_t us = 0;
  if (__builtin_mul_overflow(ms, int64_t{1000}, &us)) {
    us = ms > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return SaturatingAdd(now_us, us);
}

}  // namespace nasq

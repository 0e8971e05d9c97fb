#include "core/clock.h"

#include <chrono>

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

}  // namespace nasq

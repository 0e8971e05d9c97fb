// core/clock.h: an injectable wall clock, so leases and timestamps can be tested without sleeps,
// and saturating arithmetic for deadlines computed from it.
//
// Thread-safety: all implementations are thread-safe; the free functions are pure.
#ifndef NASQ_CORE_CLOCK_H_
#define NASQ_CORE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace nasq {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch.
  virtual int64_t NowMicros() const = 0;
};

// The system clock. Default() returns a process-wide instance that is never destroyed.
class RealClock final : public Clock {
 public:
  static RealClock* Default();
  int64_t NowMicros() const override;
};

// A clock that only moves when told to; for tests.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_us = 1'700'000'000'000'000) : now_us_(start_us) {}
  int64_t NowMicros() const override { return now_us_.load(); }
  void AdvanceMicros(int64_t delta) { now_us_.fetch_add(delta); }
  void SetMicros(int64_t now) { now_us_.store(now); }

 private:
  std::atomic<int64_t> now_us_;
};

// a + b, clamped to the int64 range instead of overflowing: a deadline far in the future stays in
// the future. Use it wherever a deadline or timestamp is computed from client input.
int64_t SaturatingAdd(int64_t a, int64_t b);

// The instant `ms` milliseconds after `now_us` (microseconds), saturating like SaturatingAdd.
int64_t DeadlineAfterMs(int64_t now_us, int64_t ms);

// Seconds elapsed on the steady clock since `start`: durations of stages and runs.
double SecondsSince(std::chrono::steady_clock::time_point start);

}  // namespace nasq

#endif  // NASQ_CORE_CLOCK_H_

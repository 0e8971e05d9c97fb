// server/in_flight_calls.cc: see in_flight_calls.h.
#include "server/in_flight_calls.h"

namespace nasq {

bool InFlightCalls::Enter() {
  MutexLock lock(&mu_);
  if (draining_) return false;
  ++running_;
  return true;
}

void InFlightCalls::Exit() {
  bool idle;
  {
    MutexLock lock(&mu_);
    idle = --running_ == 0;
  }
  if (idle) idle_.SignalAll();
}

bool InFlightCalls::Drain(std::chrono::steady_clock::time_point deadline) {
  MutexLock lock(&mu_);
  draining_ = true;
  return idle_.WaitUntil(&mu_, deadline, [this] {
    mu_.AssertHeld();
    return running_ == 0;
  });
}

int64_t InFlightCalls::running() const {
  MutexLock lock(&mu_);
  return running_;
}

}  // namespace nasq

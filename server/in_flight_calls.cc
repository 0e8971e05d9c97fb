// server/in_flight_calls.cc: see in_flight_calls.h.
#include "server/in_flight_calls.h"

namespace nasq {

bool InFlightCalls::Enter() {
  std::lock_guard lock(mu_);
  if (draining_) return false;
  ++running_;
  return true;
}

void InFlightCalls::Exit() {
  bool idle;
  {
    std::lock_guard lock(mu_);
    idle = --running_ == 0;
  }
  if (idle) idle_.notify_all();
}

bool InFlightCalls::Drain(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  draining_ = true;
  return idle_.wait_until(lock, deadline, [this] { return running_ == 0; });
}

int64_t InFlightCalls::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

}  // namespace nasq

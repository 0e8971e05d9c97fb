// server/in_flight_calls.h: counts the RPC handlers running now, so that shutdown can let them
// answer and then close the server at once instead of waiting out its whole grace period (gRPC
// otherwise waits the full deadline whenever a client keeps an idle connection open).
//
// Thread-safety: all methods are thread-safe.
#ifndef NASQ_SERVER_IN_FLIGHT_CALLS_H_
#define NASQ_SERVER_IN_FLIGHT_CALLS_H_

#include <chrono>
#include <cstdint>

#include "core/mutex.h"

namespace nasq {

class InFlightCalls {
 public:
  // Registers a starting call. Returns false, registering nothing, once Drain has begun.
  bool Enter();
  // Ends a call registered by Enter.
  void Exit();
  // Makes later Enter()s fail, then waits until every registered call has exited or until
  // `deadline`. Returns whether none is left running.
  bool Drain(std::chrono::steady_clock::time_point deadline);
  // How many calls are registered now.
  int64_t running() const;

 private:
  mutable Mutex mu_;
  CondVar idle_;
  int64_t running_ ABSL_GUARDED_BY(mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace nasq

#endif  // NASQ_SERVER_IN_FLIGHT_CALLS_H_

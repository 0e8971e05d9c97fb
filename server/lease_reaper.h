// server/lease_reaper.h: a Boost.Asio steady_timer that calls
// StudyManager::ReapExpiredLeases() every tick.
//
// Thread-safety: Start/Stop from one owning thread; the timer runs on the given io_context's
// thread. The manager must outlive the reaper.
#ifndef NASQ_SERVER_LEASE_REAPER_H_
#define NASQ_SERVER_LEASE_REAPER_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "server/study_manager.h"

namespace nasq {

class LeaseReaper {
 public:
  LeaseReaper(boost::asio::io_context& io, StudyManager* manager, std::chrono::milliseconds tick);

  // Arms the timer; reaping happens on the io_context's thread. Errors are logged.
  void Start();
  // Cancels the timer (a tick already running finishes).
  void Stop();

 private:
  void Arm();

  boost::asio::steady_timer timer_;
  StudyManager& manager_;
  const std::chrono::milliseconds tick_;
};

}  // namespace nasq

#endif  // NASQ_SERVER_LEASE_REAPER_H_

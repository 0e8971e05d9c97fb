#include "server/lease_reaper.h"

#include <spdlog/spdlog.h>

namespace nasq {

LeaseReaper::LeaseReaper(boost::asio::io_context& io, StudyManager* manager,
                         std::chrono::milliseconds tick)
    : timer_(io), manager_(*manager), tick_(tick) {}

void LeaseReaper::Start() { Arm(); }

void LeaseReaper::Stop() { timer_.cancel(); }

void LeaseReaper::Arm() {
  timer_.expires_after(tick_);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;  // cancelled
    absl::StatusOr<int> expired = manager_.ReapExpiredLeases();
    if (!expired.ok()) {
      spdlog::error("lease reaper: {}", expired.status().ToString());
    } else if (*expired > 0) {
      spdlog::info("lease reaper: {} lease(s) expired", *expired);
    }
    Arm();
  });
}

}  // namespace nasq

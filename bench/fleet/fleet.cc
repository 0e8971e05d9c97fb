#include "bench/fleet/fleet.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace nasq::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A LeaseTrial's longest wait for work, which also bounds how long Stop() waits for a worker.
constexpr int64_t kLeaseWaitMs = 2000;
// How long a worker waits after a failed LeaseTrial before it asks again.
constexpr auto kErrorBackoff = std::chrono::seconds(1);
constexpr auto kConnectTimeout = std::chrono::seconds(10);
constexpr size_t kMaxErrorSamples = 5;

void RecordError(FleetTally& tally, absl::string_view call, const absl::Status& status) {
  ++tally.errors;
  if (tally.error_samples.size() < kMaxErrorSamples) {
    tally.error_samples.push_back(absl::StrCat(call, ": ", status.ToString()));
  }
}

}  // namespace

void FleetTally::Merge(FleetTally other) {
  lease_ms.insert(lease_ms.end(), other.lease_ms.begin(), other.lease_ms.end());
  heartbeat_ms.insert(heartbeat_ms.end(), other.heartbeat_ms.begin(), other.heartbeat_ms.end());
  complete_ms.insert(complete_ms.end(), other.complete_ms.begin(), other.complete_ms.end());
  completed += other.completed;
  released.merge(other.released);
  empty_leases += other.empty_leases;
  errors += other.errors;
  for (std::string& sample : other.error_samples) {
    if (error_samples.size() < kMaxErrorSamples) error_samples.push_back(std::move(sample));
  }
}

Fleet::Fleet(FleetOptions options) : options_(std::move(options)) {
  threads_.reserve(options_.workers);
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this, i] { Run(i); });
}

Fleet::~Fleet() { Stop(); }

FleetTally Fleet::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  stopped_.notify_all();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  std::lock_guard lock(mu_);
  return std::exchange(tally_, FleetTally{});
}

bool Fleet::SleepUntil(Clock::time_point until) {
  std::unique_lock lock(mu_);
  return !stopped_.wait_until(lock, until, [this] { return stop_; });
}

bool Fleet::Stopped() {
  std::lock_guard lock(mu_);
  return stop_;
}

void Fleet::Record(Clock::time_point sent, std::vector<double>& into) const {
  if (sent >= options_.window_begin && sent < options_.window_end) {
    into.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
  }
}

void Fleet::Run(int index) {
  FleetTally mine;
  const Clock::time_point start =
      Clock::now() + options_.stagger * index / std::max(1, options_.workers);
  std::shared_ptr<grpc::Channel> channel;
  if (SleepUntil(start)) {
    channel = NasqClient::Connect(options_.address);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + kConnectTimeout)) {
      RecordError(
          mine, "connect",
          absl::DeadlineExceededError(absl::StrCat("no connection to ", options_.address,
                                                   " within ", kConnectTimeout.count(), " s")));
      channel = nullptr;
    }
  }
  if (channel != nullptr) {
    const std::string worker_id = absl::StrCat("fleet-", index);
    ClientOptions client_options;
    client_options.max_attempts = 1;
    client_options.client_id = worker_id;
    const NasqClient client(channel, client_options);
    std::mt19937_64 random(index);
    std::uniform_real_distribution<double> duration_factor(0.9, 1.1);
    v1::LeaseTrialRequest request;
    request.set_worker_id(worker_id);
    request.mutable_capabilities()->add_studies(options_.study);
    request.set_wait_ms(kLeaseWaitMs);
    while (!Stopped()) {
      const Clock::time_point sent = Clock::now();
      absl::StatusOr<v1::LeaseTrialResponse> leased = client.LeaseTrial(request);
      if (!leased.ok()) {
        RecordError(mine, "LeaseTrial", leased.status());
        SleepUntil(Clock::now() + kErrorBackoff);
      } else if (!leased->has_trial()) {
        ++mine.empty_leases;
      } else {
        Record(sent, mine.lease_ms);
        RunTrial(client, *leased,
                 std::chrono::duration_cast<std::chrono::milliseconds>(options_.trial_duration *
                                                                       duration_factor(random)),
                 mine);
      }
    }
  }
  std::lock_guard lock(mu_);
  tally_.Merge(std::move(mine));
}

void Fleet::RunTrial(const NasqClient& client, const v1::LeaseTrialResponse& leased,
                     std::chrono::milliseconds duration, FleetTally& tally) {
  const std::string& name = leased.trial().name();
  const v1::Lease& lease = leased.lease();
  const Clock::time_point done = Clock::now() + duration;
  const std::chrono::milliseconds interval(leased.heartbeat_interval_ms());
  bool running = true;
  for (Clock::time_point beat = Clock::now() + interval; beat < done; beat += interval) {
    if (!SleepUntil(beat)) {
      running = false;
      break;
    }
    v1::HeartbeatRequest heartbeat;
    heartbeat.set_name(name);
    heartbeat.set_epoch(lease.epoch());
    heartbeat.set_lease_token(lease.token());
    const Clock::time_point sent = Clock::now();
    absl::StatusOr<v1::HeartbeatResponse> answer = client.Heartbeat(heartbeat);
    if (!answer.ok()) {
      RecordError(tally, "Heartbeat", answer.status());
    } else {
      Record(sent, tally.heartbeat_ms);
      if (answer->stop()) RecordError(tally, "Heartbeat", absl::AbortedError("answered stop"));
    }
  }
  if (running && SleepUntil(done)) {
    v1::CompleteTrialRequest complete;
    complete.set_name(name);
    complete.set_epoch(lease.epoch());
    complete.set_lease_token(lease.token());
    complete.add_values(leased.trial().params().at("x").double_value());
    const Clock::time_point sent = Clock::now();
    absl::StatusOr<v1::Trial> completed = client.CompleteTrial(complete);
    if (!completed.ok()) {
      RecordError(tally, "CompleteTrial", completed.status());
      return;
    }
    Record(sent, tally.complete_ms);
    ++tally.completed;
    return;
  }
  v1::ReleaseTrialRequest release;
  release.set_name(name);
  release.set_epoch(lease.epoch());
  release.set_lease_token(lease.token());
  release.set_reason("fleet bench stopped");
  absl::StatusOr<v1::Trial> released = client.ReleaseTrial(release);
  if (!released.ok()) {
    RecordError(tally, "ReleaseTrial", released.status());
    return;
  }
  tally.released.insert(name);
}

}  // namespace nasq::bench

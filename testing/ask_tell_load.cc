// testing/ask_tell_load.cc: see ask_tell_load.h.
#include "testing/ask_tell_load.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace nasq {

AskTellLoad::AskTellLoad(const ServerProcess& server, const std::string& study,
                         std::function<double(const v1::Trial&)> value, AskTellLoadOptions options)
    : value_(std::move(value)) {
  running_ = options.threads;
  for (int t = 0; t < options.threads; ++t) {
    threads_.emplace_back([this, &server, study, t, options] { Run(server, study, t, options); });
  }
}

AskTellLoad::~AskTellLoad() { Join(); }

void AskTellLoad::Join() {
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void AskTellLoad::Run(const ServerProcess& server, const std::string& study, int thread,
                      const AskTellLoadOptions& options) {
  ClientOptions client_options;
  client_options.max_attempts = options.max_attempts;
  client_options.deadline = std::chrono::seconds(5);
  client_options.client_id = absl::StrCat(study, "-", thread);
  const std::unique_ptr<NasqClient> client = server.Client(client_options);
  const auto give_up = std::chrono::steady_clock::now() + options.give_up;
  while (std::chrono::steady_clock::now() < give_up) {
    absl::StatusOr<v1::Trial> trial = client->Ask(study);
    if (trial.status().code() == absl::StatusCode::kResourceExhausted) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (!trial.ok()) {
      if (trial.status().code() != absl::StatusCode::kFailedPrecondition) {
        std::lock_guard lock(mu_);
        errors_.push_back("ask: " + trial.status().ToString());
      }
      break;
    }
    const double value = value_(*trial);
    absl::StatusOr<v1::Trial> told =
        client->Tell(study, trial->number(), v1::TRIAL_STATE_COMPLETE, {value});
    std::lock_guard lock(mu_);
    if (told.ok()) {
      acknowledged_[trial->number()] = value;
      told_.fetch_add(1);
    } else if (told.status().code() != absl::StatusCode::kFailedPrecondition) {
      errors_.push_back("tell: " + told.status().ToString());
    }
  }
  running_.fetch_sub(1);
}

}  // namespace nasq

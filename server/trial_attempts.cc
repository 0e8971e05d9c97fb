#include "server/trial_attempts.h"

#include <utility>

namespace nasq {
namespace {

using Json = nlohmann::json;

// The JSON value of `trial`'s system attr `key`; null when absent or not JSON.
Json SystemAttr(const Trial& trial, const char* key) {
  auto it = trial.system_attrs.find(key);
  if (it == trial.system_attrs.end()) return nullptr;
  Json value = Json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  return value.is_discarded() ? Json(nullptr) : value;
}

// `entry` as a stored attempt, or nullopt when a field is missing or of another type.
std::optional<TrialAttempt> ReadAttempt(const Json& entry) {
  if (!entry.is_object()) return std::nullopt;
  auto field = [&](const char* key) -> const Json* {
    auto it = entry.find(key);
    return it == entry.end() ? nullptr : &*it;
  };
  const Json* attempt = field("attempt");
  const Json* worker_id = field("worker_id");
  const Json* start_us = field("start_us");
  const Json* end_us = field("end_us");
  const Json* outcome = field("outcome");
  if (attempt == nullptr || !attempt->is_number_integer() || worker_id == nullptr ||
      !worker_id->is_string() || start_us == nullptr || !start_us->is_number_integer() ||
      end_us == nullptr || !(end_us->is_number_integer() || end_us->is_null()) ||
      outcome == nullptr || !outcome->is_string()) {
    return std::nullopt;
  }
  TrialAttempt read{attempt->get<int64_t>(), worker_id->get<std::string>(),
                    start_us->get<int64_t>(), std::nullopt, outcome->get<std::string>()};
  if (end_us->is_number_integer()) read.end_us = end_us->get<int64_t>();
  if (const Json* reason = field("reason"); reason != nullptr && reason->is_string()) {
    read.reason = reason->get<std::string>();
  }
  return read;
}

// The attempts stored in `trial`'s kAttemptsAttr (see TrialAttempts for what is skipped).
std::vector<TrialAttempt> StoredAttempts(const Trial& trial) {
  std::vector<TrialAttempt> attempts;
  const Json stored = SystemAttr(trial, kAttemptsAttr);
  if (!stored.is_array()) return attempts;
  for (const Json& entry : stored) {
    if (std::optional<TrialAttempt> attempt = ReadAttempt(entry)) {
      attempts.push_back(*std::move(attempt));
    }
  }
  return attempts;
}

}  // namespace

std::optional<std::string> LatestLeaseHolder(const Trial& trial) {
  if (trial.lease) return trial.lease->worker_id;
  const Json worker = SystemAttr(trial, kWorkerAttr);
  if (!worker.is_object()) return std::nullopt;
  auto id = worker.find("id");
  if (id == worker.end() || !id->is_string()) return std::nullopt;
  return id->get<std::string>();
}

std::string AttemptsAfterLeaseEnd(const Trial& trial, int64_t now_us, const std::string& outcome,
                                  const std::string& reason) {
  std::vector<TrialAttempt> attempts = StoredAttempts(trial);
  attempts.push_back(TrialAttempt{trial.attempt, LatestLeaseHolder(trial).value_or(""),
                                  trial.datetime_start_us, now_us, outcome, reason});
  return AttemptsToJson(attempts).dump();
}

int ReleasedAttempts(const Trial& trial) {
  int released = 0;
  for (const TrialAttempt& attempt : StoredAttempts(trial)) {
    released += attempt.outcome == kReleasedOutcome;
  }
  return released;
}

std::vector<TrialAttempt> TrialAttempts(const Trial& trial) {
  std::vector<TrialAttempt> attempts = StoredAttempts(trial);
  const bool running = trial.state == TrialState::kRunning;
  if (!running && !IsFinished(trial.state)) return attempts;  // WAITING: no current lease
  if (!attempts.empty() && attempts.back().attempt == trial.attempt) return attempts;
  const std::optional<std::string> holder = LatestLeaseHolder(trial);
  if (!holder) return attempts;
  TrialAttempt current{trial.attempt, *holder, trial.datetime_start_us, std::nullopt,
                       running ? "running" : TrialStateName(trial.state)};
  if (!running) current.end_us = trial.datetime_complete_us;
  attempts.push_back(std::move(current));
  return attempts;
}

Json AttemptsToJson(const std::vector<TrialAttempt>& attempts) {
  Json list = Json::array();
  for (const TrialAttempt& a : attempts) {
    Json entry = {{"attempt", a.attempt},
                  {"worker_id", a.worker_id},
                  {"start_us", a.start_us},
                  {"end_us", a.end_us ? Json(*a.end_us) : Json(nullptr)},
                  {"outcome", a.outcome}};
    if (!a.reason.empty()) entry["reason"] = a.reason;
    list.push_back(std::move(entry));
  }
  return list;
}

}  // namespace nasq

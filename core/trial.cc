#include "core/trial.h"

#include "core/name_table.h"

namespace nasq {
namespace {

constexpr internal::NameEntry<TrialState> kTrialStateNames[] = {
    {TrialState::kRunning, "RUNNING"}, {TrialState::kComplete, "COMPLETE"},
    {TrialState::kPruned, "PRUNED"},   {TrialState::kFail, "FAIL"},
    {TrialState::kWaiting, "WAITING"},
};

constexpr internal::NameEntry<LeaseKind> kLeaseKindNames[] = {
    {LeaseKind::kWorker, "worker"},
    {LeaseKind::kAsk, "ask"},
};

}  // namespace

const char* LeaseKindName(LeaseKind k) { return internal::NameOf(kLeaseKindNames, k); }

std::optional<LeaseKind> ParseLeaseKind(const std::string& s) {
  return internal::ParseName(kLeaseKindNames, s);
}

const char* TrialStateName(TrialState s) { return internal::NameOf(kTrialStateNames, s); }

std::optional<TrialState> ParseTrialState(const std::string& s) {
  return internal::ParseName(kTrialStateNames, s);
}

bool IsFinished(TrialState s) {
  return s == TrialState::kComplete || s == TrialState::kPruned || s == TrialState::kFail;
}

std::optional<ParamValue> Trial::ExternalParam(const std::string& name) const {
  const auto param = params.find(name);
  const auto distribution = distributions.find(name);
  if (param == params.end() || distribution == distributions.end()) return std::nullopt;
  return ToExternal(distribution->second, param->second);
}

}  // namespace nasq

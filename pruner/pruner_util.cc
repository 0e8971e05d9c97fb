// pruner/pruner_util.cc: the helpers of pruners.h that the pruner kinds share.
#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "pruner/pruners.h"

namespace nasq {

std::optional<int64_t> LastStep(const Trial& trial) {
  if (trial.intermediate_values.empty()) return std::nullopt;
  return trial.intermediate_values.rbegin()->first;  // std::map: largest key last
}

bool IsFirstInIntervalStep(int64_t step, const std::map<int64_t, double>& intermediate_values,
                           int64_t n_warmup_steps, int64_t interval_steps) {
  const int64_t nearest_lower_pruning_step =
      (step - n_warmup_steps) / interval_steps * interval_steps + n_warmup_steps;
  int64_t second_last_step = -1;  // the largest reported step other than `step`
  for (const auto& [s, value] : intermediate_values) {
    if (s != step) second_last_step = std::max(second_last_step, s);
  }
  return second_last_step < nearest_lower_pruning_step;
}

const Trial* FirstCompleteWithSteps(std::span<const Trial> history) {
  const Trial* first = nullptr;
  for (const Trial& t : history) {
    if (t.state != TrialState::kComplete || t.intermediate_values.empty()) continue;
    if (first == nullptr || t.datetime_complete_us < first->datetime_complete_us ||
        (t.datetime_complete_us == first->datetime_complete_us && t.number < first->number)) {
      first = &t;
    }
  }
  return first;
}

double NanBest(const std::vector<double>& values, StudyDirection direction) {
  double best = std::numeric_limits<double>::quiet_NaN();
  for (double v : values) {
    if (std::isnan(v)) continue;
    if (std::isnan(best) || (direction == StudyDirection::kMaximize ? v > best : v < best)) {
      best = v;
    }
  }
  return best;
}

std::string AttrDouble(double value) {
  if (std::isinf(value)) return value > 0 ? "\"inf\"" : "\"-inf\"";
  return absl::StrFormat("%.17g", value);
}

std::optional<double> ParseAttrDouble(const std::string& json) {
  if (json == "\"inf\"") return std::numeric_limits<double>::infinity();
  if (json == "\"-inf\"") return -std::numeric_limits<double>::infinity();
  double value = 0;
  if (!absl::SimpleAtod(json, &value) || !std::isfinite(value)) return std::nullopt;
  return value;
}

uint32_t Crc32(absl::string_view bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

}  // namespace nasq

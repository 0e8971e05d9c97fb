#include "server/study_precision.h"

#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "server/http_json.h"
#include "server/task_validation.h"
#include "server/trial_binding.h"
#include "server/trial_cost.h"
#include "task/cost_model.h"
#include "task/quant_format.h"
#include "task/task_spec.h"

namespace nasq {
namespace {

using Json = nlohmann::json;

// One layer's precision in one trial.
struct LayerPrecisionView {
  std::string type;  // see the header
  double weight_bits = 0;

  friend bool operator==(const LayerPrecisionView&, const LayerPrecisionView&) = default;
};

// A resolved trial: its layers in HF module order with their precision.
struct ResolvedTrial {
  const Trial* trial = nullptr;
  std::vector<std::pair<std::string, LayerPrecisionView>> layers;
};

// The dashboard's type name of `config` (see the header).
std::string TypeName(const LinearQuantConfig& config) {
  if (config.data_in.format == QuantFormat::kBinaryResidualSign) {
    return std::string(QuantFormatName(QuantFormat::kBinaryResidualSign));
  }
  if (config.weight.format == QuantFormat::kFloat32) return "linear";
  return std::string(QuantFormatName(config.weight.format));
}

// The precision of every Linear layer `trial` builds from `task` on `base`; nullopt when its
// params do not bind or its architecture cannot be built.
std::optional<ResolvedTrial> Resolve(const TaskSpec& task, const BertArchitecture& base,
                                     const Trial& trial) {
  absl::StatusOr<TaskSpec> bound = BindTrialTask(task, trial);
  if (!bound.ok()) return std::nullopt;
  absl::StatusOr<CostEstimate> estimate = EstimateCost(*bound, base);
  if (!estimate.ok()) return std::nullopt;
  // Every Linear layer in module order; the estimate has the non-Identity ones in that order.
  ResolvedTrial resolved{&trial, {}};
  size_t next = 0;
  for (const BertLinearShape& shape : BertLinearLayers(estimate->architecture.dimensions)) {
    if (estimate->architecture.identity_layers.count(shape.name) > 0) {
      resolved.layers.push_back({shape.name, {"identity", 0}});
      continue;
    }
    if (next >= estimate->layers.size() || estimate->layers[next].name != shape.name) {
      return std::nullopt;  // not the cost model's layers: never expected
    }
    resolved.layers.push_back(
        {shape.name,
         {TypeName(estimate->layers[next].config), estimate->cost.layers[next].weight_bits}});
    ++next;
  }
  return resolved;
}

// Adds the names of `layers` missing from `order`, each after the names that precede it in
// `layers`, so that trials of different depths merge into one HF module order.
void MergeOrder(const std::vector<std::pair<std::string, LayerPrecisionView>>& layers,
                std::vector<std::string>& order) {
  size_t cursor = 0;
  for (const auto& [name, precision] : layers) {
    auto found = std::find(order.begin(), order.end(), name);
    if (found != order.end()) {
      cursor = static_cast<size_t>(found - order.begin()) + 1;
    } else {
      order.insert(order.begin() + static_cast<std::ptrdiff_t>(cursor), name);
      ++cursor;
    }
  }
}

// `bits` as an integer when it is one (8, not 8.0), else as a number.
Json BitsJson(double bits) {
  if (bits == std::floor(bits) && std::abs(bits) < 1e15) return static_cast<int64_t>(bits);
  return JsonNumber(bits);
}

}  // namespace

Json StudyPrecisionJson(const StudySpec& spec, std::span<const Trial> trials) {
  Json empty = {{"layers", Json::array()}, {"trials", Json::array()}};
  if (TaskKindOf(spec.task_json) != kBertClassifyKind) return empty;
  absl::StatusOr<TaskSpec> task = ParseTaskSpec(spec.task_json);
  if (!task.ok()) return empty;
  absl::StatusOr<BertArchitecture> base = BertClassifyBaseArchitecture(*task);
  if (!base.ok()) return empty;

  std::vector<ResolvedTrial> resolved;
  std::vector<std::string> order;
  std::map<std::string, LayerPrecisionView> first_seen;
  std::set<std::string> varying;
  for (const Trial& trial : trials) {
    if (trial.state != TrialState::kComplete) continue;
    std::optional<ResolvedTrial> r = Resolve(*task, *base, trial);
    if (!r) continue;
    MergeOrder(r->layers, order);
    for (const auto& [name, precision] : r->layers) {
      auto [seen, inserted] = first_seen.emplace(name, precision);
      if (!inserted && !(seen->second == precision)) varying.insert(name);
    }
    resolved.push_back(*std::move(r));
  }

  Json layers = Json::array();
  for (const std::string& name : order) {
    if (varying.count(name) > 0) layers.push_back(name);
  }
  Json out_trials = Json::array();
  for (const ResolvedTrial& r : resolved) {
    const std::map<std::string, LayerPrecisionView> by_name(r.layers.begin(), r.layers.end());
    Json row = Json::array();
    for (const Json& name : layers) {
      auto it = by_name.find(name.get<std::string>());
      row.push_back(it == by_name.end() ? Json(nullptr)
                                        : Json{{"type", it->second.type},
                                               {"weight_bits", BitsJson(it->second.weight_bits)}});
    }
    Json values = Json::array();
    for (double v : r.trial->values) values.push_back(JsonNumber(v));
    out_trials.push_back(
        {{"number", r.trial->number}, {"values", std::move(values)}, {"layers", std::move(row)}});
  }
  return {{"layers", std::move(layers)}, {"trials", std::move(out_trials)}};
}

}  // namespace nasq

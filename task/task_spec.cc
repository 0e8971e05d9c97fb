#include "task/task_spec.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "spec/strict_json.h"
#include "task/quant_format.h"
#include "task/task_schema.h"

namespace nasq {
namespace {

// The encoder Linear layers of one BERT layer, by their HF name below the layer.
constexpr std::string_view kEncoderLinears[] = {"attention.self.query", "attention.self.key",
                                                "attention.self.value", "attention.output.dense",
                                                "intermediate.dense",   "output.dense"};

// "<index>.<encoder linear>" (the part after "layer" or "bert.encoder.layer.") as the canonical
// HF path; nullopt when it is not one. The index is a decimal below kMaxLayerIndex.
std::optional<std::string> EncoderLayerName(std::string_view rest) {
  int index = 0;
  size_t digits = 0;
  for (; digits < rest.size() && absl::ascii_isdigit(rest[digits]); ++digits) {
    index = index * 10 + (rest[digits] - '0');
    if (index >= kMaxLayerIndex) return std::nullopt;
  }
  if (digits == 0 || digits == rest.size() || rest[digits] != '.') return std::nullopt;
  const std::string_view linear = rest.substr(digits + 1);
  for (const std::string_view known : kEncoderLinears) {
    if (linear == known) {
      return absl::StrCat("bert.encoder.layer.", index, ".", std::string(linear));
    }
  }
  return std::nullopt;
}

bool IsCompressionStage(StageKind kind, bool trained) {
  return kind == StageKind::kPrune || (kind == StageKind::kQuantise && trained);
}

}  // namespace

std::string_view StageKindName(StageKind kind) {
  switch (kind) {
    case StageKind::kQuantise:
      return "quantise";
    case StageKind::kTrain:
      return "train";
    case StageKind::kPrune:
      return "prune";
    case StageKind::kFinetune:
      return "finetune";
    case StageKind::kEvaluate:
      return "evaluate";
  }
  return "evaluate";
}

std::string StageFieldPath(size_t index) { return absl::StrCat("task.stages[", index, "]"); }

absl::StatusOr<TaskSpec> ParseTaskSpec(std::string_view json_text) {
  NASQ_ASSIGN_OR_RETURN(const Json json,
                        ParseJson(absl::string_view(json_text.data(), json_text.size()), "task"));
  if (!json.is_object()) return JsonTypeError("task", "an object", json);
  if (!json.contains("kind")) return JsonFieldError("task.kind", "required field is missing");
  TaskSpec spec;
  NASQ_RETURN_IF_ERROR(ReadTaskObject(spec, TaskSpecFields(), json, "task"));
  NASQ_RETURN_IF_ERROR(ValidateTaskSpec(spec, "task"));
  return spec;
}

absl::StatusOr<std::string> CanonicalLayerName(std::string_view name) {
  for (const std::string_view prefix : {"bert.encoder.layer.", "layer"}) {
    if (!name.starts_with(prefix)) continue;
    if (auto canonical = EncoderLayerName(name.substr(prefix.size()))) return *canonical;
  }
  if (name == "pooler.dense" || name == "bert.pooler.dense") {
    return std::string("bert.pooler.dense");
  }
  if (name == "classifier") return std::string(name);
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", JsonExcerpt(std::string(name)),
      "\" is not a Linear layer name (expected layer<i>.<attention.self.query|attention.self.key|"
      "attention.self.value|attention.output.dense|intermediate.dense|output.dense> with i < ",
      kMaxLayerIndex,
      ", pooler.dense or classifier, or the HF path bert.encoder.layer.<i>.<...>)"));
}

std::optional<std::pair<size_t, size_t>> CompressionRange(const TaskSpec& spec) {
  bool trained = !spec.model.checkpoint.empty();
  std::optional<size_t> first;
  for (size_t i = 0; i < spec.stages.size(); ++i) {
    const StageKind kind = spec.stages[i].kind;
    const bool compression = IsCompressionStage(kind, trained);
    if (first && !compression) return std::make_pair(*first, i);
    if (!first && compression) first = i;
    if (kind == StageKind::kTrain || kind == StageKind::kFinetune) trained = true;
  }
  if (first) return std::make_pair(*first, spec.stages.size());
  return std::nullopt;
}

absl::Status CheckMetricsProduced(const TaskSpec& spec,
                                  const std::vector<std::string>& metric_names) {
  const std::vector<std::string> produced = ProducedMetricNames(spec);
  for (size_t i = 0; i < metric_names.size(); ++i) {
    if (std::find(produced.begin(), produced.end(), metric_names[i]) == produced.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metric_names[", i, "] '", JsonExcerpt(metric_names[i]),
          "' is not produced by the task; it produces: ", absl::StrJoin(produced, ", ")));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> ProducedMetricNames(const TaskSpec& spec) {
  std::vector<std::string> names = {"accuracy",
                                    "f1",
                                    "loss",
                                    "bitops",
                                    "macs",
                                    "weight_bits",
                                    "avg_bitwidth",
                                    "sparsity",
                                    "activation_sparsity",
                                    "effective_size_bits",
                                    "train_seconds",
                                    "eval_seconds",
                                    "samples_per_second"};
  if (spec.evaluate_every_steps > 0) names.push_back("intermediate_eval_seconds");
  if (CompressionRange(spec)) {
    names.push_back("accuracy_before_compression");
    names.push_back("accuracy_after_compression");
  }
  for (const StageSpec& stage : spec.stages) {
    if (stage.kind != StageKind::kEvaluate || stage.label.empty()) continue;
    for (const char* metric : {"accuracy", "f1", "loss"}) {
      names.push_back(absl::StrCat(metric, "_", stage.label));
    }
  }
  return names;
}

}  // namespace nasq

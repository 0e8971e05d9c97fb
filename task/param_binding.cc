#include "task/param_binding.h"

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"
#include "spec/strict_json.h"
#include "task/task_schema.h"

namespace nasq {
namespace {

constexpr const char kParamsPath[] = "params";

Json ToJson(const ParamValue& value) {
  return std::visit([](const auto& v) { return Json(v); }, value);
}

absl::Status ParamError(const std::string& name, const std::string& message) {
  return absl::InvalidArgumentError(
      absl::StrCat(kParamsPath, ".", JsonExcerpt(name), ": ", message));
}

// Splits "a.b.c" = v into the key "a" and the value {"b": {"c": v}}, so nested fields go through
// the same object setters as the task JSON (and error paths spell the whole param name).
std::pair<std::string, Json> Nest(const std::vector<std::string>& parts, const Json& value) {
  Json nested = value;
  for (size_t i = parts.size(); i-- > 1;) nested = Json{{parts[i], nested}};
  return {parts.front(), nested};
}

// Applies `set` to every stage of one of `kinds`; an error when there is none.
absl::Status ForStages(TaskSpec& spec, std::initializer_list<StageKind> kinds,
                       const std::string& param,
                       const std::function<absl::Status(StageSpec&)>& set) {
  bool any = false;
  for (StageSpec& stage : spec.stages) {
    if (std::find(kinds.begin(), kinds.end(), stage.kind) == kinds.end()) continue;
    any = true;
    NASQ_RETURN_IF_ERROR(set(stage));
  }
  if (!any) {
    return ParamError(param,
                      absl::StrCat("the task has no ", std::string(StageKindName(*kinds.begin())),
                                   " stage to apply it to"));
  }
  return absl::OkStatus();
}

bool IsArchitectureParam(const std::string& name) {
  for (const char* arch :
       {"num_layers", "num_hidden_layers", "num_heads", "num_attention_heads", "hidden_size",
        "intermediate_size", "max_position_embeddings", "dropout"}) {
    if (name == arch) return true;
  }
  return false;
}

// "<layer>.<rest>" -> (HF path, rest parts), trying the longest layer prefix first. A layer name
// has at most kMaxLayerNameParts dot-separated parts (bert.encoder.layer.<i>.attention.self.query),
// so a name of many parts costs no more than a short one.
std::optional<std::pair<std::string, std::vector<std::string>>> SplitLayerParam(
    const std::vector<std::string>& parts) {
  constexpr size_t kMaxLayerNameParts = 7;
  for (size_t n = std::min(parts.size() - 1, kMaxLayerNameParts); n >= 1; --n) {
    std::vector<std::string> head(parts.begin(), parts.begin() + n);
    auto layer = CanonicalLayerName(absl::StrJoin(head, "."));
    if (layer.ok()) {
      return std::make_pair(*layer, std::vector<std::string>(parts.begin() + n, parts.end()));
    }
  }
  return std::nullopt;
}

absl::Status BindLayerParam(TaskSpec& spec, const std::string& name, const std::string& layer,
                            const std::vector<std::string>& rest, const Json& value) {
  const std::string layer_path =
      absl::StrCat(kParamsPath, ".",
                   JsonExcerpt(name.substr(0, name.size() - absl::StrJoin(rest, ".").size() - 1)));
  if (rest.size() == 1 && rest[0] == "type" && value == "identity") {
    spec.model.identity_layers.insert(layer);
    return absl::OkStatus();
  }
  const bool has_quantise =
      std::any_of(spec.stages.begin(), spec.stages.end(),
                  [](const StageSpec& s) { return s.kind == StageKind::kQuantise; });
  if (rest.size() == 1 && rest[0] == "type" && value == "linear" && !has_quantise) {
    return absl::OkStatus();  // a plain Linear: nothing to change without quantisation
  }
  const std::pair<std::string, Json> field = Nest(rest, value);
  return ForStages(spec, {StageKind::kQuantise}, name, [&](StageSpec& stage) {
    return SetLayerPrecisionField(stage.quantise.layers[layer], field.first, field.second,
                                  layer_path);
  });
}

absl::Status BindParam(TaskSpec& spec, const std::string& name, const Json& value) {
  if (IsArchitectureParam(name)) {
    if (!spec.model.checkpoint.empty()) {
      return ParamError(
          name, absl::StrCat("the model is loaded from checkpoint \"", spec.model.checkpoint,
                             "\"; its architecture cannot be changed"));
    }
    return ReadTaskField(spec.model, ModelFields(), name, value, kParamsPath);
  }
  const std::vector<std::string> parts = absl::StrSplit(name, '.');
  if (parts.size() >= 2) {
    const std::string& prefix = parts.front();
    const std::vector<std::string> rest(parts.begin() + 1, parts.end());
    const std::string prefix_path = absl::StrCat(kParamsPath, ".", prefix);
    if (prefix == "train" || prefix == "finetune") {
      const StageKind kind = prefix == "train" ? StageKind::kTrain : StageKind::kFinetune;
      const std::pair<std::string, Json> field = Nest(rest, value);
      return ForStages(spec, {kind}, name, [&](StageSpec& stage) {
        return ReadTaskField(stage.train, TrainFields(), field.first, field.second, prefix_path);
      });
    }
    if (prefix == "prune") {
      const std::pair<std::string, Json> field = Nest(rest, value);
      return ForStages(spec, {StageKind::kPrune}, name, [&](StageSpec& stage) {
        return ReadTaskField(stage.prune, PruneFields(), field.first, field.second, prefix_path);
      });
    }
    if (prefix == "quant") {
      const std::pair<std::string, Json> field = Nest(rest, value);
      return ForStages(spec, {StageKind::kQuantise}, name, [&](StageSpec& stage) {
        return SetLayerPrecisionField(stage.quantise.default_precision, field.first, field.second,
                                      prefix_path);
      });
    }
    if (auto layer = SplitLayerParam(parts)) {
      return BindLayerParam(spec, name, layer->first, layer->second, value);
    }
  }
  return ParamError(name,
                    "binds to no task field (expected an architecture name such as hidden_size, "
                    "train.*, finetune.*, prune.*, quant.* or <layer>.*; see docs/task-spec.md)");
}

}  // namespace

absl::Status CheckParamBinds(TaskSpec spec, const std::string& name, const ParamValue& value) {
  return BindParam(spec, name, ToJson(value));
}

absl::StatusOr<TaskSpec> BindTrialParams(TaskSpec spec, const ExternalParams& params) {
  // Less specific params first, so prune.weight.sparsity overrides prune.sparsity.
  std::vector<std::pair<std::string, ParamValue>> ordered(params.begin(), params.end());
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return std::count(a.first.begin(), a.first.end(), '.') <
           std::count(b.first.begin(), b.first.end(), '.');
  });
  for (const auto& [name, value] : ordered) {
    NASQ_RETURN_IF_ERROR(BindParam(spec, name, ToJson(value)));
  }
  if (absl::Status status = ValidateTaskSpec(spec, "task"); !status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(status.message(), " (with the trial params applied)"));
  }
  return spec;
}

absl::StatusOr<ExternalParams> ParseExternalParamsJson(std::string_view json_text) {
  const Json json = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError(
        "params: expected a JSON object of param name -> value, e.g. {\"hidden_size\": 128}");
  }
  ExternalParams params;
  for (const auto& [name, value] : json.items()) {
    if (value.is_boolean()) {
      params[name] = value.get<bool>();
    } else if (value.is_number_integer()) {
      params[name] = value.get<int64_t>();
    } else if (value.is_number()) {
      params[name] = value.get<double>();
    } else if (value.is_string()) {
      params[name] = value.get<std::string>();
    } else {
      return ParamError(name,
                        absl::StrCat("expected a bool, number or string, got ", value.dump()));
    }
  }
  return params;
}

}  // namespace nasq

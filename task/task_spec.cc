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
#include "task/task_fields.h"

namespace nasq {
namespace {

using FieldSetter =
    std::function<absl::Status(const std::string& key, const Json& value, const std::string& path)>;

constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();

bool IsEvaluateLabel(std::string_view label) {
  if (label.empty() || label.size() > kMaxEvaluateLabelLength) return false;
  for (const char c : label) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') return false;
  }
  return true;
}

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

absl::Status UnknownField(const std::string& path, const std::vector<std::string>& allowed) {
  return JsonFieldError(
      path, absl::StrCat("unknown field (expected one of: ", absl::StrJoin(allowed, ", "), ")"));
}

// Calls `set` for every field of the JSON object `value`.
absl::Status ForEachField(const Json& value, const std::string& path, const FieldSetter& set) {
  if (!value.is_object()) return JsonTypeError(path, "an object", value);
  for (const auto& [key, field] : value.items()) {
    NASQ_RETURN_IF_ERROR(set(key, field, JsonChild(path, key)));
  }
  return absl::OkStatus();
}

absl::StatusOr<double> GetNumber(const Json& v, const std::string& path, double low, double high,
                                 const std::string& expected) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < low ||
      v.get<double>() > high) {
    return JsonTypeError(path, expected, v);
  }
  return v.get<double>();
}

// An integer in [low, high] (integral floats count, see JsonIntInRange); a range without an upper
// limit of its own (kMaxInt) is named "an integer >= low".
absl::StatusOr<int64_t> GetInt(const Json& v, const std::string& path, int64_t low, int64_t high) {
  absl::StatusOr<int64_t> x = JsonIntInRange(v, path, low, high);
  if (!x.ok() && high == kMaxInt)
    return JsonTypeError(path, absl::StrCat("an integer >= ", low), v);
  return x;
}

absl::StatusOr<int> GetSmallInt(const Json& v, const std::string& path, int low) {
  NASQ_ASSIGN_OR_RETURN(int64_t x, GetInt(v, path, low, kMaxInt));
  return static_cast<int>(x);
}

absl::StatusOr<uint64_t> GetSeed(const Json& v, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(int64_t x, GetInt(v, path, 0, std::numeric_limits<int64_t>::max()));
  return static_cast<uint64_t>(x);
}

// Sets the described integer or bool `field` of `s` (integers within the field's range, as GetInt).
template <typename S>
absl::Status SetDescribedField(S& s, const Field<S>& field, const Json& value,
                               const std::string& path) {
  FieldValue v;
  if (TypeOf(field) == FieldType::kInt) {
    const IntRange range = field.range.value_or(
        IntRange{std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()});
    NASQ_ASSIGN_OR_RETURN(v, GetInt(value, path, range.min, range.max));
  } else {
    NASQ_ASSIGN_OR_RETURN(v, JsonFieldValue(value, TypeOf(field), path));
  }
  return SetField(s, field, v, path);
}

// A quantiser name as quant parses it; "linear" is the layer-level spelling of fp32.
absl::StatusOr<std::string> GetQuantType(const Json& v, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(std::string name, JsonAs<std::string>(v, path));
  if (name == "linear") return std::string("none");
  if (name == "identity") {
    return JsonFieldError(
        path,
        "\"identity\" is a model choice: set it with a `<layer>.type` trial param or "
        "model.identity_layers");
  }
  auto format = ParseQuantFormat(name);
  if (!format.ok()) {
    return JsonFieldError(path,
                          absl::StrCat("unknown quantisation format \"", JsonExcerpt(name), "\""));
  }
  return std::string(QuantFormatName(*format));
}

absl::Status SetOperandField(OperandPrecision& p, const std::string& key, const Json& value,
                             const std::string& parent_path) {
  const std::string path = JsonChild(parent_path, key);
  if (key == "type") {
    NASQ_ASSIGN_OR_RETURN(p.type, GetQuantType(value, path));
  } else if (key == "width") {
    NASQ_ASSIGN_OR_RETURN(p.width, GetSmallInt(value, path, 1));
  } else if (key == "frac_width") {
    NASQ_ASSIGN_OR_RETURN(int64_t v, GetInt(value, path, -64, 64));
    p.frac_width = static_cast<int>(v);
  } else if (key == "exponent_width") {
    NASQ_ASSIGN_OR_RETURN(p.exponent_width, GetSmallInt(value, path, 1));
  } else if (key == "exponent_bias") {
    NASQ_ASSIGN_OR_RETURN(int64_t v, GetInt(value, path, -1024, 1024));
    p.exponent_bias = static_cast<int>(v);
  } else if (key == "exponent_bias_width") {
    NASQ_ASSIGN_OR_RETURN(p.exponent_bias_width, GetSmallInt(value, path, 1));
  } else if (key == "block_size") {
    std::vector<int64_t> sizes;
    if (value.is_array()) {
      for (size_t i = 0; i < value.size(); ++i) {
        NASQ_ASSIGN_OR_RETURN(sizes.emplace_back(),
                              GetInt(value[i], absl::StrCat(path, "[", i, "]"), -1, 1 << 20));
      }
    } else {
      NASQ_ASSIGN_OR_RETURN(sizes.emplace_back(), GetInt(value, path, 1, 1 << 20));
    }
    p.block_size = std::move(sizes);
  } else if (key == "levels") {
    NASQ_ASSIGN_OR_RETURN(int64_t v, GetInt(value, path, 1, 3));
    p.levels = static_cast<int>(v);
  } else if (key == "bipolar") {
    NASQ_ASSIGN_OR_RETURN(p.bipolar, JsonAs<bool>(value, path));
  } else if (key == "stochastic") {
    NASQ_ASSIGN_OR_RETURN(p.stochastic, JsonAs<bool>(value, path));
  } else if (key == "scaled") {
    NASQ_ASSIGN_OR_RETURN(p.scaled, JsonAs<bool>(value, path));
  } else if (key == "floor") {
    NASQ_ASSIGN_OR_RETURN(p.floor, JsonAs<bool>(value, path));
  } else {
    return UnknownField(path, {"type", "width", "frac_width", "exponent_width", "exponent_bias",
                               "exponent_bias_width", "block_size", "levels", "bipolar",
                               "stochastic", "scaled", "floor", "data_in", "weight", "bias"});
  }
  return absl::OkStatus();
}

absl::StatusOr<PruneMethod> GetPruneMethod(const Json& v, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(std::string name, JsonAs<std::string>(v, path));
  if (name == "random") return PruneMethod::kRandom;
  if (name == "l1" || name == "l1-norm") return PruneMethod::kL1Norm;
  return JsonFieldError(
      path, absl::StrCat("expected random, l1 or l1-norm, got \"", JsonExcerpt(name), "\""));
}

absl::StatusOr<PruneScope> GetPruneScope(const Json& v, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(std::string name, JsonAs<std::string>(v, path));
  if (name == "local") return PruneScope::kLocal;
  if (name == "global") return PruneScope::kGlobal;
  return JsonFieldError(path,
                        absl::StrCat("expected local or global, got \"", JsonExcerpt(name), "\""));
}

absl::Status SetPruneSectionField(PruningSection& s, const std::string& key, const Json& value,
                                  const std::string& path) {
  if (key == "sparsity") {
    NASQ_ASSIGN_OR_RETURN(s.sparsity, GetNumber(value, path, 0, 1, "a number in [0, 1]"));
  } else if (key == "method") {
    NASQ_ASSIGN_OR_RETURN(s.method, GetPruneMethod(value, path));
  } else if (key == "scope") {
    NASQ_ASSIGN_OR_RETURN(s.scope, GetPruneScope(value, path));
  } else {
    return UnknownField(path, {"sparsity", "method", "scope"});
  }
  return absl::OkStatus();
}

absl::StatusOr<DatasetFormat> GetDatasetFormat(const Json& v, const std::string& path) {
  static const std::pair<const char*, DatasetFormat> kFormats[] = {
      {"spam-assassin", DatasetFormat::kSpamAssassin},
      {"imdb", DatasetFormat::kImdb},
      {"csv", DatasetFormat::kCsv},
      {"tsv", DatasetFormat::kTsv},
      {"jsonl", DatasetFormat::kJsonl}};
  NASQ_ASSIGN_OR_RETURN(std::string name, JsonAs<std::string>(v, path));
  for (const auto& [n, format] : kFormats) {
    if (name == n) return format;
  }
  return JsonFieldError(path,
                        absl::StrCat("expected spam-assassin, imdb, csv, tsv or jsonl, got \"",
                                     JsonExcerpt(name), "\""));
}

absl::StatusOr<std::vector<std::string>> GetStringList(const Json& v, const std::string& path) {
  if (!v.is_array()) return JsonTypeError(path, "a list of strings", v);
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(out.emplace_back(),
                          JsonAs<std::string>(v[i], absl::StrCat(path, "[", i, "]")));
  }
  return out;
}

absl::Status SetDatasetField(DatasetSpec& d, const std::string& key, const Json& value,
                             const std::string& path) {
  if (key == "name") {
    NASQ_ASSIGN_OR_RETURN(d.format, GetDatasetFormat(value, path));
  } else if (key == "path") {
    NASQ_ASSIGN_OR_RETURN(d.path, JsonAs<std::string>(value, path));
  } else if (key == "test_path") {
    NASQ_ASSIGN_OR_RETURN(d.test_path, JsonAs<std::string>(value, path));
  } else if (key == "text_field") {
    NASQ_ASSIGN_OR_RETURN(d.text_field, JsonAs<std::string>(value, path));
  } else if (key == "label_field") {
    NASQ_ASSIGN_OR_RETURN(d.label_field, JsonAs<std::string>(value, path));
  } else if (key == "labels") {
    NASQ_ASSIGN_OR_RETURN(d.labels, GetStringList(value, path));
  } else if (key == "test_fraction") {
    NASQ_ASSIGN_OR_RETURN(d.test_fraction, GetNumber(value, path, 0, 1, "a number in (0, 1)"));
    if (d.test_fraction <= 0 || d.test_fraction >= 1) {
      return JsonTypeError(path, "a number in (0, 1)", value);
    }
  } else if (key == "split_seed") {
    NASQ_ASSIGN_OR_RETURN(d.split_seed, GetSeed(value, path));
  } else if (key == "max_examples") {
    NASQ_ASSIGN_OR_RETURN(d.max_examples,
                          GetInt(value, path, 0, std::numeric_limits<int64_t>::max()));
  } else if (key == "max_length") {
    NASQ_ASSIGN_OR_RETURN(d.max_length, GetSmallInt(value, path, 2));
  } else {
    return UnknownField(path, {"name", "path", "test_path", "text_field", "label_field", "labels",
                               "test_fraction", "split_seed", "max_examples", "max_length"});
  }
  return absl::OkStatus();
}

absl::Status SetTokenizerField(TokenizerSpec& t, const std::string& key, const Json& value,
                               const std::string& path) {
  if (key == "vocab") {
    NASQ_ASSIGN_OR_RETURN(t.vocab, JsonAs<std::string>(value, path));
  } else if (key == "vocab_size") {
    NASQ_ASSIGN_OR_RETURN(t.vocab_size, GetSmallInt(value, path, 16));
  } else if (key == "lower_case") {
    NASQ_ASSIGN_OR_RETURN(t.lower_case, JsonAs<bool>(value, path));
  } else {
    return UnknownField(path, {"vocab", "vocab_size", "lower_case"});
  }
  return absl::OkStatus();
}

absl::StatusOr<StageKind> GetStageKind(const Json& v, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(std::string name, JsonAs<std::string>(v, path));
  if (name == "quantize") return StageKind::kQuantise;
  for (StageKind kind : {StageKind::kQuantise, StageKind::kTrain, StageKind::kPrune,
                         StageKind::kFinetune, StageKind::kEvaluate}) {
    if (name == StageKindName(kind)) return kind;
  }
  return JsonFieldError(
      path, absl::StrCat("expected quantise, train, prune, finetune or evaluate, got \"",
                         JsonExcerpt(name), "\""));
}

// `parent_path` is the stage's path; precision fields at the stage's top level set the default.
absl::Status SetQuantiseField(QuantiseStageSpec& q, const std::string& key, const Json& value,
                              const std::string& parent_path) {
  if (key != "layers") return SetLayerPrecisionField(q.default_precision, key, value, parent_path);
  return ForEachField(
      value, JsonChild(parent_path, key),
      [&](const std::string& name, const Json& layer,
          const std::string& layer_path) -> absl::Status {
        auto canonical = CanonicalLayerName(name);
        if (!canonical.ok()) {
          return JsonFieldError(layer_path, std::string(canonical.status().message()));
        }
        return ForEachField(layer, layer_path,
                            [&](const std::string& k, const Json& v, const std::string&) {
                              return SetLayerPrecisionField(q.layers[*canonical], k, v, layer_path);
                            });
      });
}

absl::StatusOr<StageSpec> ParseStage(const Json& value, const std::string& path) {
  if (!value.is_object()) return JsonTypeError(path, "an object", value);
  if (!value.contains("stage"))
    return JsonFieldError(JsonChild(path, "stage"), "required field is missing");
  StageSpec stage;
  NASQ_ASSIGN_OR_RETURN(stage.kind, GetStageKind(value["stage"], JsonChild(path, "stage")));
  // Section objects of a prune stage override its shared fields wherever they are written.
  Json ordered = Json::object();
  for (const bool sections : {false, true}) {
    for (const auto& [key, v] : value.items()) {
      if ((key == "weight" || key == "activation") == sections) ordered[key] = v;
    }
  }
  NASQ_RETURN_IF_ERROR(ForEachField(
      stage.kind == StageKind::kPrune ? ordered : value, path,
      [&](const std::string& key, const Json& v, const std::string& field_path) -> absl::Status {
        if (key == "stage") return absl::OkStatus();
        switch (stage.kind) {
          case StageKind::kQuantise:
            return SetQuantiseField(stage.quantise, key, v, path);
          case StageKind::kTrain:
          case StageKind::kFinetune:
            return SetTrainField(stage.train, key, v, path);
          case StageKind::kPrune:
            return SetPruneField(stage.prune, key, v, path);
          case StageKind::kEvaluate:
            if (key != "label") return UnknownField(field_path, {"stage", "label"});
            NASQ_ASSIGN_OR_RETURN(stage.label, JsonAs<std::string>(v, field_path));
            if (!IsEvaluateLabel(stage.label)) {
              return JsonFieldError(field_path,
                                    absl::StrCat("expected 1 to ", kMaxEvaluateLabelLength,
                                                 " lower-case letters, digits and _"));
            }
            return absl::OkStatus();
        }
        return absl::OkStatus();
      }));
  return stage;
}

absl::Status SetTaskField(TaskSpec& spec, const std::string& key, const Json& value,
                          const std::string& path) {
  if (key == "kind") {
    NASQ_ASSIGN_OR_RETURN(spec.kind, JsonAs<std::string>(value, path));
    if (spec.kind != kBertClassifyKind) {
      return JsonFieldError(path, absl::StrCat("unsupported task kind \"", JsonExcerpt(spec.kind),
                                               "\" (this worker runs bert-classify)"));
    }
  } else if (key == "dataset") {
    return ForEachField(value, path,
                        [&](const std::string& k, const Json& v, const std::string& p) {
                          return SetDatasetField(spec.dataset, k, v, p);
                        });
  } else if (key == "tokenizer") {
    return ForEachField(value, path,
                        [&](const std::string& k, const Json& v, const std::string& p) {
                          return SetTokenizerField(spec.tokenizer, k, v, p);
                        });
  } else if (key == "model") {
    return ForEachField(value, path, [&](const std::string& k, const Json& v, const std::string&) {
      return SetModelField(spec.model, k, v, path);
    });
  } else if (key == "stages") {
    if (!value.is_array()) return JsonTypeError(path, "a list of stages", value);
    for (size_t i = 0; i < value.size(); ++i) {
      NASQ_ASSIGN_OR_RETURN(spec.stages.emplace_back(),
                            ParseStage(value[i], absl::StrCat(path, "[", i, "]")));
    }
  } else if (key == "evaluate_each_stage") {
    NASQ_ASSIGN_OR_RETURN(spec.evaluate_each_stage, JsonAs<bool>(value, path));
  } else if (key == "eval_batch_size") {
    NASQ_ASSIGN_OR_RETURN(spec.eval_batch_size, GetSmallInt(value, path, 1));
  } else if (key == "save_path") {
    NASQ_ASSIGN_OR_RETURN(spec.save_path, JsonAs<std::string>(value, path));
  } else {
    return UnknownField(path, {"kind", "dataset", "tokenizer", "model", "stages",
                               "evaluate_each_stage", "eval_batch_size", "save_path"});
  }
  return absl::OkStatus();
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

absl::Status SetLayerPrecisionField(LayerPrecision& target, const std::string& key,
                                    const Json& value, const std::string& parent_path) {
  const std::string path = JsonChild(parent_path, key);
  OperandPrecision* operand = key == "data_in"  ? &target.data_in
                              : key == "weight" ? &target.weight
                              : key == "bias"   ? &target.bias
                                                : nullptr;
  if (operand == nullptr) return SetOperandField(target.all, key, value, parent_path);
  return ForEachField(value, path, [&](const std::string& k, const Json& v, const std::string&) {
    if (k == "data_in" || k == "weight" || k == "bias") {
      return JsonFieldError(JsonChild(path, k), "operand objects do not nest");
    }
    return SetOperandField(*operand, k, v, path);
  });
}

absl::Status SetTrainField(TrainSettings& t, const std::string& key, const Json& value,
                           const std::string& parent_path) {
  const std::string path = JsonChild(parent_path, key);
  if (key == "learning_rate" || key == "lr") {
    NASQ_ASSIGN_OR_RETURN(t.learning_rate,
                          GetNumber(value, path, 1e-12, 10, "a learning rate in (0, 10]"));
  } else if (key == "weight_decay") {
    NASQ_ASSIGN_OR_RETURN(t.weight_decay, GetNumber(value, path, 0, 1, "a number in [0, 1]"));
  } else if (key == "max_grad_norm") {
    NASQ_ASSIGN_OR_RETURN(t.max_grad_norm,
                          GetNumber(value, path, 0, 1e6, "a number >= 0 (0 disables clipping)"));
  } else if (key == "seed") {
    NASQ_ASSIGN_OR_RETURN(t.seed, GetSeed(value, path));
  } else if (const Field<TrainSettings>* field = FindField(kTrainSettingsFields, key)) {
    return SetDescribedField(t, *field, value, path);
  } else {
    std::vector<std::string> known = {"learning_rate", "seed"};
    for (const Field<TrainSettings>& f : kTrainSettingsFields) known.push_back(f.name);
    return UnknownField(path, known);
  }
  return absl::OkStatus();
}

absl::Status SetPruneField(PruneStageSpec& p, const std::string& key, const Json& value,
                           const std::string& parent_path) {
  const std::string path = JsonChild(parent_path, key);
  if (key == "sparsity" || key == "method" || key == "scope") {
    NASQ_RETURN_IF_ERROR(SetPruneSectionField(p.weight, key, value, path));
    return SetPruneSectionField(p.activation, key, value, path);
  }
  if (key == "weight" || key == "activation") {
    PruningSection& section = key == "weight" ? p.weight : p.activation;
    return ForEachField(value, path,
                        [&](const std::string& k, const Json& v, const std::string& fp) {
                          return SetPruneSectionField(section, k, v, fp);
                        });
  }
  if (key == "targets") {
    NASQ_ASSIGN_OR_RETURN(std::vector<std::string> targets, GetStringList(value, path));
    p.prune_weights = p.prune_activations = false;
    for (const std::string& target : targets) {
      if (target == "weights") {
        p.prune_weights = true;
      } else if (target == "activations") {
        p.prune_activations = true;
      } else {
        return JsonFieldError(path, absl::StrCat("expected weights and/or activations, got \"",
                                                 JsonExcerpt(target), "\""));
      }
    }
    if (targets.empty()) return JsonFieldError(path, "needs weights and/or activations");
    return absl::OkStatus();
  }
  if (key == "seed") {
    NASQ_ASSIGN_OR_RETURN(p.seed, GetSeed(value, path));
    return absl::OkStatus();
  }
  return UnknownField(path,
                      {"sparsity", "method", "scope", "weight", "activation", "targets", "seed"});
}

absl::Status SetModelField(ModelSpec& m, const std::string& key, const Json& value,
                           const std::string& parent_path) {
  const std::string path = JsonChild(parent_path, key);
  constexpr int64_t kMaxSize = 1 << 20;
  if (key == "checkpoint") {
    NASQ_ASSIGN_OR_RETURN(m.checkpoint, JsonAs<std::string>(value, path));
  } else if (key == "num_layers" || key == "num_hidden_layers") {
    NASQ_ASSIGN_OR_RETURN(m.num_layers, GetInt(value, path, 1, kMaxLayerIndex));
  } else if (key == "num_heads" || key == "num_attention_heads") {
    NASQ_ASSIGN_OR_RETURN(m.num_heads, GetInt(value, path, 1, 1024));
  } else if (key == "hidden_size") {
    NASQ_ASSIGN_OR_RETURN(m.hidden_size, GetInt(value, path, 1, kMaxSize));
  } else if (key == "intermediate_size") {
    NASQ_ASSIGN_OR_RETURN(m.intermediate_size, GetInt(value, path, 1, kMaxSize));
  } else if (key == "max_position_embeddings") {
    NASQ_ASSIGN_OR_RETURN(m.max_position_embeddings, GetInt(value, path, 2, kMaxSize));
  } else if (key == "dropout") {
    NASQ_ASSIGN_OR_RETURN(m.dropout, GetNumber(value, path, 0, 0.999, "a number in [0, 1)"));
  } else if (key == "init_seed") {
    NASQ_ASSIGN_OR_RETURN(m.init_seed, GetSeed(value, path));
  } else if (key == "identity_layers") {
    NASQ_ASSIGN_OR_RETURN(std::vector<std::string> names, GetStringList(value, path));
    for (size_t i = 0; i < names.size(); ++i) {
      auto canonical = CanonicalLayerName(names[i]);
      if (!canonical.ok()) {
        return JsonFieldError(absl::StrCat(path, "[", i, "]"),
                              std::string(canonical.status().message()));
      }
      m.identity_layers.insert(*canonical);
    }
  } else {
    return UnknownField(
        path, {"checkpoint", "num_layers", "num_heads", "hidden_size", "intermediate_size",
               "max_position_embeddings", "dropout", "init_seed", "identity_layers"});
  }
  return absl::OkStatus();
}

absl::Status ValidateTaskSpec(const TaskSpec& spec, const std::string& path) {
  const DatasetSpec& d = spec.dataset;
  const std::string dataset = JsonChild(path, "dataset");
  const bool tabular = d.format == DatasetFormat::kCsv || d.format == DatasetFormat::kTsv ||
                       d.format == DatasetFormat::kJsonl;
  if (d.path.empty() && d.format != DatasetFormat::kSpamAssassin) {
    return JsonFieldError(JsonChild(dataset, "path"), "required for this dataset");
  }
  if (!tabular && (!d.test_path.empty() || !d.labels.empty() || d.text_field != "text" ||
                   d.label_field != "label")) {
    return JsonFieldError(
        dataset,
        "test_path, labels, text_field and label_field apply to csv, tsv and jsonl "
        "only");
  }
  const ModelSpec& m = spec.model;
  const std::string model = JsonChild(path, "model");
  if (!m.checkpoint.empty() && (m.num_layers || m.num_heads || m.hidden_size ||
                                m.intermediate_size || m.max_position_embeddings)) {
    return JsonFieldError(
        model,
        "the architecture (num_layers, num_heads, hidden_size, intermediate_size, "
        "max_position_embeddings) comes from the checkpoint and cannot be set");
  }
  const int64_t hidden = m.hidden_size.value_or(128);
  const int64_t heads = m.num_heads.value_or(2);
  if (m.checkpoint.empty() && hidden % heads != 0) {
    return JsonFieldError(
        model, absl::StrCat("num_heads (", heads, ") must divide hidden_size (", hidden, ")"));
  }
  if (m.checkpoint.empty() && d.max_length > m.max_position_embeddings.value_or(512)) {
    return JsonFieldError(JsonChild(dataset, "max_length"),
                          absl::StrCat("exceeds model.max_position_embeddings (",
                                       m.max_position_embeddings.value_or(512), ")"));
  }
  std::set<std::string> labels;
  for (size_t i = 0; i < spec.stages.size(); ++i) {
    const StageSpec& stage = spec.stages[i];
    if (stage.kind == StageKind::kEvaluate && !stage.label.empty() &&
        !labels.insert(stage.label).second) {
      return JsonFieldError(absl::StrCat(path, ".stages[", i, "].label"),
                            absl::StrCat("duplicate evaluate label \"", stage.label, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TaskSpec> ParseTaskSpec(std::string_view json_text) {
  NASQ_ASSIGN_OR_RETURN(const Json json,
                        ParseJson(absl::string_view(json_text.data(), json_text.size()), "task"));
  TaskSpec spec;
  if (!json.is_object()) return JsonTypeError("task", "an object", json);
  if (!json.contains("kind")) return JsonFieldError("task.kind", "required field is missing");
  NASQ_RETURN_IF_ERROR(ForEachField(
      json, "task", [&](const std::string& key, const Json& value, const std::string& path) {
        return SetTaskField(spec, key, value, path);
      }));
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

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
#include "nlohmann/json.hpp"
#include "task/quant_format.h"
#include "task/task_fields.h"

namespace nasq {
namespace {

using Json = nlohmann::ordered_json;
using FieldSetter =
    std::function<absl::Status(const std::string& key, const Json& value, const std::string& path)>;

std::string Child(const std::string& path, const std::string& key) {
  return path.empty() ? Excerpt(key) : absl::StrCat(path, ".", Excerpt(key));
}

absl::Status FieldError(const std::string& path, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
}

// `v` for a message: scalars as JSON (strings cut by Excerpt), containers by kind only, so that
// neither a huge string nor a deeply nested value is copied (or recursively dumped) into it.
std::string Describe(const Json& v) {
  if (v.is_string()) return absl::StrCat("\"", Excerpt(v.get_ref<const std::string&>()), "\"");
  if (v.is_object()) return "an object";
  if (v.is_array()) return "a list";
  return v.dump();
}

absl::Status TypeError(const std::string& path, const std::string& expected, const Json& got) {
  return FieldError(path, absl::StrCat("expected ", expected, ", got ", Describe(got)));
}

bool IsEvaluateLabel(std::string_view label) {
  if (label.empty() || label.size() > kMaxEvaluateLabelLength) return false;
  for (const char c : label) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') return false;
  }
  return true;
}

// The encoder Linear layers of one BERT layer, by their HF name below the layer.
constexpr std::string_view kEncoderLinears[] = {
    "attention.self.query",   "attention.self.key",  "attention.self.value",
    "attention.output.dense", "intermediate.dense", "output.dense"};

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
  return FieldError(
      path, absl::StrCat("unknown field (expected one of: ", absl::StrJoin(allowed, ", "), ")"));
}

// Calls `set` for every field of the JSON object `value`.
absl::Status ForEachField(const Json& value, const std::string& path, const FieldSetter& set) {
  if (!value.is_object()) return TypeError(path, "an object", value);
  for (const auto& [key, field] : value.items()) {
    NASQ_RETURN_IF_ERROR(set(key, field, Child(path, key)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> GetString(const Json& v, const std::string& path) {
  if (!v.is_string()) return TypeError(path, "a string", v);
  return v.get<std::string>();
}

absl::StatusOr<bool> GetBool(const Json& v, const std::string& path) {
  if (!v.is_boolean()) return TypeError(path, "true or false", v);
  return v.get<bool>();
}

absl::StatusOr<double> GetNumber(const Json& v, const std::string& path, double low, double high,
                                 const std::string& expected) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < low ||
      v.get<double>() > high) {
    return TypeError(path, expected, v);
  }
  return v.get<double>();
}

// An integer in [low, high]; integral floats (8.0) are accepted, since YAML and JSON clients
// may write them so.
absl::StatusOr<int64_t> GetInt(const Json& v, const std::string& path, int64_t low, int64_t high) {
  const std::string expected = high == std::numeric_limits<int32_t>::max()
                                   ? absl::StrCat("an integer >= ", low)
                                   : absl::StrCat("an integer in [", low, ", ", high, "]");
  if (!v.is_number()) return TypeError(path, expected, v);
  const double d = v.get<double>();
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(low) ||
      d > static_cast<double>(high)) {
    return TypeError(path, expected, v);
  }
  return v.is_number_integer() ? v.get<int64_t>() : static_cast<int64_t>(d);
}

absl::StatusOr<int> GetSmallInt(const Json& v, const std::string& path, int low) {
  NASQ_ASSIGN_OR_RETURN(int64_t x, GetInt(v, path, low, std::numeric_limits<int32_t>::max()));
  return static_cast<int>(x);
}

absl::StatusOr<uint64_t> GetSeed(const Json& v, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(int64_t x, GetInt(v, path, 0, std::numeric_limits<int64_t>::max()));
  return static_cast<uint64_t>(x);
}

// A quantiser name as quant parses it; "linear" is the layer-level spelling of fp32.
absl::StatusOr<std::string> GetQuantType(const Json& v, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(std::string name, GetString(v, path));
  if (name == "linear") return std::string("none");
  if (name == "identity") {
    return FieldError(path,
                      "\"identity\" is a model choice: set it with a `<layer>.type` trial param or "
                      "model.identity_layers");
  }
  auto format = ParseQuantFormat(name);
  if (!format.ok()) {
    return FieldError(path, absl::StrCat("unknown quantisation format \"", Excerpt(name), "\""));
  }
  return std::string(QuantFormatName(*format));
}

absl::Status SetOperandField(OperandPrecision& p, const std::string& key, const Json& value,
                             const std::string& parent_path) {
  const std::string path = Child(parent_path, key);
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
    NASQ_ASSIGN_OR_RETURN(p.bipolar, GetBool(value, path));
  } else if (key == "stochastic") {
    NASQ_ASSIGN_OR_RETURN(p.stochastic, GetBool(value, path));
  } else if (key == "scaled") {
    NASQ_ASSIGN_OR_RETURN(p.scaled, GetBool(value, path));
  } else if (key == "floor") {
    NASQ_ASSIGN_OR_RETURN(p.floor, GetBool(value, path));
  } else {
    return UnknownField(path, {"type", "width", "frac_width", "exponent_width", "exponent_bias",
                               "exponent_bias_width", "block_size", "levels", "bipolar",
                               "stochastic", "scaled", "floor", "data_in", "weight", "bias"});
  }
  return absl::OkStatus();
}

absl::StatusOr<PruneMethod> GetPruneMethod(const Json& v, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(std::string name, GetString(v, path));
  if (name == "random") return PruneMethod::kRandom;
  if (name == "l1" || name == "l1-norm") return PruneMethod::kL1Norm;
  return FieldError(path,
                    absl::StrCat("expected random, l1 or l1-norm, got \"", Excerpt(name), "\""));
}

absl::StatusOr<PruneScope> GetPruneScope(const Json& v, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(std::string name, GetString(v, path));
  if (name == "local") return PruneScope::kLocal;
  if (name == "global") return PruneScope::kGlobal;
  return FieldError(path, absl::StrCat("expected local or global, got \"", Excerpt(name), "\""));
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
  NASQ_ASSIGN_OR_RETURN(std::string name, GetString(v, path));
  for (const auto& [n, format] : kFormats) {
    if (name == n) return format;
  }
  return FieldError(
      path, absl::StrCat("expected spam-assassin, imdb, csv, tsv or jsonl, got \"", Excerpt(name),
                         "\""));
}

absl::StatusOr<std::vector<std::string>> GetStringList(const Json& v, const std::string& path) {
  if (!v.is_array()) return TypeError(path, "a list of strings", v);
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(out.emplace_back(), GetString(v[i], absl::StrCat(path, "[", i, "]")));
  }
  return out;
}

absl::Status SetDatasetField(DatasetSpec& d, const std::string& key, const Json& value,
                             const std::string& path) {
  if (key == "name") {
    NASQ_ASSIGN_OR_RETURN(d.format, GetDatasetFormat(value, path));
  } else if (key == "path") {
    NASQ_ASSIGN_OR_RETURN(d.path, GetString(value, path));
  } else if (key == "test_path") {
    NASQ_ASSIGN_OR_RETURN(d.test_path, GetString(value, path));
  } else if (key == "text_field") {
    NASQ_ASSIGN_OR_RETURN(d.text_field, GetString(value, path));
  } else if (key == "label_field") {
    NASQ_ASSIGN_OR_RETURN(d.label_field, GetString(value, path));
  } else if (key == "labels") {
    NASQ_ASSIGN_OR_RETURN(d.labels, GetStringList(value, path));
  } else if (key == "test_fraction") {
    NASQ_ASSIGN_OR_RETURN(d.test_fraction, GetNumber(value, path, 0, 1, "a number in (0, 1)"));
    if (d.test_fraction <= 0 || d.test_fraction >= 1) {
      return TypeError(path, "a number in (0, 1)", value);
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
    NASQ_ASSIGN_OR_RETURN(t.vocab, GetString(value, path));
  } else if (key == "vocab_size") {
    NASQ_ASSIGN_OR_RETURN(t.vocab_size, GetSmallInt(value, path, 16));
  } else if (key == "lower_case") {
    NASQ_ASSIGN_OR_RETURN(t.lower_case, GetBool(value, path));
  } else {
    return UnknownField(path, {"vocab", "vocab_size", "lower_case"});
  }
  return absl::OkStatus();
}

absl::StatusOr<StageKind> GetStageKind(const Json& v, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(std::string name, GetString(v, path));
  if (name == "quantize") return StageKind::kQuantise;
  for (StageKind kind : {StageKind::kQuantise, StageKind::kTrain, StageKind::kPrune,
                         StageKind::kFinetune, StageKind::kEvaluate}) {
    if (name == StageKindName(kind)) return kind;
  }
  return FieldError(
      path,
      absl::StrCat("expected quantise, train, prune, finetune or evaluate, got \"", Excerpt(name),
                   "\""));
}

// `parent_path` is the stage's path; precision fields at the stage's top level set the default.
absl::Status SetQuantiseField(QuantiseStageSpec& q, const std::string& key, const Json& value,
                              const std::string& parent_path) {
  if (key != "layers") return SetLayerPrecisionField(q.default_precision, key, value, parent_path);
  return ForEachField(value, Child(parent_path, key),
                      [&](const std::string& name, const Json& layer,
                          const std::string& layer_path) -> absl::Status {
                        auto canonical = CanonicalLayerName(name);
                        if (!canonical.ok()) {
                          return FieldError(layer_path, std::string(canonical.status().message()));
                        }
                        return ForEachField(
                            layer, layer_path,
                            [&](const std::string& k, const Json& v, const std::string&) {
                              return SetLayerPrecisionField(q.layers[*canonical], k, v, layer_path);
                            });
                      });
}

absl::StatusOr<StageSpec> ParseStage(const Json& value, const std::string& path) {
  if (!value.is_object()) return TypeError(path, "an object", value);
  if (!value.contains("stage"))
    return FieldError(Child(path, "stage"), "required field is missing");
  StageSpec stage;
  NASQ_ASSIGN_OR_RETURN(stage.kind, GetStageKind(value["stage"], Child(path, "stage")));
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
            NASQ_ASSIGN_OR_RETURN(stage.label, GetString(v, field_path));
            if (!IsEvaluateLabel(stage.label)) {
              return FieldError(field_path,
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
    NASQ_ASSIGN_OR_RETURN(spec.kind, GetString(value, path));
    if (spec.kind != kBertClassifyKind) {
      return FieldError(path, absl::StrCat("unsupported task kind \"", Excerpt(spec.kind),
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
    if (!value.is_array()) return TypeError(path, "a list of stages", value);
    for (size_t i = 0; i < value.size(); ++i) {
      NASQ_ASSIGN_OR_RETURN(spec.stages.emplace_back(),
                            ParseStage(value[i], absl::StrCat(path, "[", i, "]")));
    }
  } else if (key == "evaluate_each_stage") {
    NASQ_ASSIGN_OR_RETURN(spec.evaluate_each_stage, GetBool(value, path));
  } else if (key == "eval_batch_size") {
    NASQ_ASSIGN_OR_RETURN(spec.eval_batch_size, GetSmallInt(value, path, 1));
  } else if (key == "save_path") {
    NASQ_ASSIGN_OR_RETURN(spec.save_path, GetString(value, path));
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

absl::Status SetLayerPrecisionField(LayerPrecision& target, const std::string& key,
                                    const Json& value, const std::string& parent_path) {
  const std::string path = Child(parent_path, key);
  OperandPrecision* operand = key == "data_in"  ? &target.data_in
                              : key == "weight" ? &target.weight
                              : key == "bias"   ? &target.bias
                                                : nullptr;
  if (operand == nullptr) return SetOperandField(target.all, key, value, parent_path);
  return ForEachField(value, path, [&](const std::string& k, const Json& v, const std::string&) {
    if (k == "data_in" || k == "weight" || k == "bias") {
      return FieldError(Child(path, k), "operand objects do not nest");
    }
    return SetOperandField(*operand, k, v, path);
  });
}

absl::Status SetTrainField(TrainSettings& t, const std::string& key, const Json& value,
                           const std::string& parent_path) {
  const std::string path = Child(parent_path, key);
  constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();
  if (key == "learning_rate" || key == "lr") {
    NASQ_ASSIGN_OR_RETURN(t.learning_rate,
                          GetNumber(value, path, 1e-12, 10, "a learning rate in (0, 10]"));
  } else if (key == "epochs") {
    NASQ_ASSIGN_OR_RETURN(t.epochs, GetSmallInt(value, path, 1));
  } else if (key == "batch_size") {
    NASQ_ASSIGN_OR_RETURN(t.batch_size, GetSmallInt(value, path, 1));
  } else if (key == "warmup_steps") {
    NASQ_ASSIGN_OR_RETURN(t.warmup_steps, GetInt(value, path, 0, kMaxInt));
  } else if (key == "weight_decay") {
    NASQ_ASSIGN_OR_RETURN(t.weight_decay, GetNumber(value, path, 0, 1, "a number in [0, 1]"));
  } else if (key == "max_grad_norm") {
    NASQ_ASSIGN_OR_RETURN(t.max_grad_norm,
                          GetNumber(value, path, 0, 1e6, "a number >= 0 (0 disables clipping)"));
  } else if (key == "group_by_length") {
    NASQ_ASSIGN_OR_RETURN(t.group_by_length, GetBool(value, path));
  } else if (key == "seed") {
    NASQ_ASSIGN_OR_RETURN(t.seed, GetSeed(value, path));
  } else if (key == "progress_every_steps") {
    NASQ_ASSIGN_OR_RETURN(t.progress_every_steps, GetInt(value, path, 1, kMaxInt));
  } else {
    return UnknownField(path,
                        {"learning_rate", "epochs", "batch_size", "warmup_steps", "weight_decay",
                         "max_grad_norm", "group_by_length", "seed", "progress_every_steps"});
  }
  return absl::OkStatus();
}

absl::Status SetPruneField(PruneStageSpec& p, const std::string& key, const Json& value,
                           const std::string& parent_path) {
  const std::string path = Child(parent_path, key);
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
        return FieldError(
            path,
            absl::StrCat("expected weights and/or activations, got \"", Excerpt(target), "\""));
      }
    }
    if (targets.empty()) return FieldError(path, "needs weights and/or activations");
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
  const std::string path = Child(parent_path, key);
  constexpr int64_t kMaxSize = 1 << 20;
  if (key == "checkpoint") {
    NASQ_ASSIGN_OR_RETURN(m.checkpoint, GetString(value, path));
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
        return FieldError(absl::StrCat(path, "[", i, "]"),
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
  const std::string dataset = Child(path, "dataset");
  const bool tabular = d.format == DatasetFormat::kCsv || d.format == DatasetFormat::kTsv ||
                       d.format == DatasetFormat::kJsonl;
  if (d.path.empty() && d.format != DatasetFormat::kSpamAssassin) {
    return FieldError(Child(dataset, "path"), "required for this dataset");
  }
  if (!tabular && (!d.test_path.empty() || !d.labels.empty() || d.text_field != "text" ||
                   d.label_field != "label")) {
    return FieldError(dataset,
                      "test_path, labels, text_field and label_field apply to csv, tsv and jsonl "
                      "only");
  }
  const ModelSpec& m = spec.model;
  const std::string model = Child(path, "model");
  if (!m.checkpoint.empty() && (m.num_layers || m.num_heads || m.hidden_size ||
                                m.intermediate_size || m.max_position_embeddings)) {
    return FieldError(model,
                      "the architecture (num_layers, num_heads, hidden_size, intermediate_size, "
                      "max_position_embeddings) comes from the checkpoint and cannot be set");
  }
  const int64_t hidden = m.hidden_size.value_or(128);
  const int64_t heads = m.num_heads.value_or(2);
  if (m.checkpoint.empty() && hidden % heads != 0) {
    return FieldError(
        model, absl::StrCat("num_heads (", heads, ") must divide hidden_size (", hidden, ")"));
  }
  if (m.checkpoint.empty() && d.max_length > m.max_position_embeddings.value_or(512)) {
    return FieldError(Child(dataset, "max_length"),
                      absl::StrCat("exceeds model.max_position_embeddings (",
                                   m.max_position_embeddings.value_or(512), ")"));
  }
  std::set<std::string> labels;
  for (size_t i = 0; i < spec.stages.size(); ++i) {
    const StageSpec& stage = spec.stages[i];
    if (stage.kind == StageKind::kEvaluate && !stage.label.empty() &&
        !labels.insert(stage.label).second) {
      return FieldError(absl::StrCat(path, ".stages[", i, "].label"),
                        absl::StrCat("duplicate evaluate label \"", stage.label, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TaskSpec> ParseTaskSpec(std::string_view json_text) {
  Json json = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return FieldError("task", "not valid JSON");
  TaskSpec spec;
  if (!json.is_object()) return TypeError("task", "an object", json);
  if (!json.contains("kind")) return FieldError("task.kind", "required field is missing");
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
      "\"", Excerpt(name),
      "\" is not a Linear layer name (expected layer<i>.<attention.self.query|attention.self.key|"
      "attention.self.value|attention.output.dense|intermediate.dense|output.dense> with i < ",
      kMaxLayerIndex,
      ", pooler.dense or classifier, or the HF path bert.encoder.layer.<i>.<...>)"));
}

std::string Excerpt(std::string_view text) {
  constexpr size_t kMaxExcerpt = 64;
  if (text.size() <= kMaxExcerpt) return std::string(text);
  size_t cut = kMaxExcerpt;
  // Never split a UTF-8 sequence: back up to the start of the code point.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(std::string(text.substr(0, cut)), "... (", text.size(), " bytes)");
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
          "metric_names[", i, "] '", Excerpt(metric_names[i]),
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

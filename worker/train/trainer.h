// worker/train/trainer.h: fine-tuning and evaluation of a BertForSequenceClassification.
//
// Defaults reproduce the seed reports' HF Trainer (docs/quantisation.md 5.1): AdamW with the
// settings of task/train_settings.h, betas (0.9, 0.999), eps 1e-8, weight decay never applied to
// biases and LayerNorm weights (as HF), linear decay to 0 after the warmup, shuffled every epoch,
// dynamic padding per batch, fp32. Batches are gathered from a DeviceDataset
// (worker/text/device_dataset.h) on the training device: the overloads taking a TokenizedDataset
// lay it out there once per call; callers that train or evaluate repeatedly pass one they keep
// (the pipeline shares one per process and device, worker/pipeline/pipeline_cache.h). Works on CPU
// and CUDA; bf16 autocast is available on CUDA only. Truncation to max_length happens when the
// dataset is tokenised (worker/text TokenizeDataset); the trainer refuses sequences longer than
// the model's max_position_embeddings.
// Thread-safety: Train/Evaluate use the model exclusively and set LibTorch's global thread
// count (torch::set_num_threads) and, where the BLAS is OpenBLAS, pin it to one thread so that
// LibTorch's pool is the only one; do not run two of them concurrently in one process.
#ifndef NASQ_WORKER_TRAIN_TRAINER_H_
#define NASQ_WORKER_TRAIN_TRAINER_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "task/train_settings.h"
#include "worker/model/bert_model.h"
#include "worker/text/device_dataset.h"
#include "worker/text/tokenized_dataset.h"

namespace nasq {

// Where and how the model runs; shared by training and evaluation.
struct ComputeOptions {
  // Device the model is moved to (default CPU).
  torch::Device device = torch::kCPU;
  // bf16 autocast for forward passes; only valid on CUDA (default off, fp32).
  bool bf16 = false;
  // LibTorch intra-op threads; 0 = hardware concurrency (default).
  int num_threads = 0;
};

// A snapshot passed to the progress callback.
struct TrainProgress {
  int64_t step = 0;         // optimizer steps done so far
  int64_t total_steps = 0;  // steps planned for the whole run
  int epoch = 0;            // 0-based epoch of the last step
  double loss = 0.0;        // mean training loss since the previous report
  double learning_rate = 0.0;
  double elapsed_seconds = 0.0;
};

// Called every TrainOptions::progress_every_steps steps and after the last step; returning false
// stops training after the current step (for trials the coordinator stops or prunes).
using ProgressCallback = std::function<bool(const TrainProgress&)>;

// What Train runs: the settings a study sets (task/train_settings.h, defaults there) plus the
// optimizer constants, the stop hook and where it runs.
struct TrainOptions : TrainSettings {
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  // Polled after every optimizer step but the last; returning true stops training there
  // (stopped_early), so a stop takes effect within one step rather than one progress period
  // (default none).
  std::function<bool()> should_stop;
  ComputeOptions compute;
};

struct TrainResult {
  int64_t steps = 0;
  double mean_loss = 0.0;  // over all steps run
  bool stopped_early = false;
  double seconds = 0.0;
};

// Trains `model` in place on `dataset` (moved to options.compute.device, left in training mode).
// InvalidArgument for bad options (non-positive batch size, epochs or learning rate, bf16 off
// CUDA, betas outside [0, 1)), an empty dataset, labels outside [0, num_labels) or sequences
// longer than max_position_embeddings; Internal for a LibTorch failure (message included).
absl::StatusOr<TrainResult> Train(BertForSequenceClassification& model,
                                  const TokenizedDataset& dataset, const TrainOptions& options,
                                  const ProgressCallback& progress = nullptr);
// The same on a dataset already laid out on the device; InvalidArgument also when it lies on
// another device than options.compute.device.
absl::StatusOr<TrainResult> Train(BertForSequenceClassification& model,
                                  const DeviceDataset& dataset, const TrainOptions& options,
                                  const ProgressCallback& progress = nullptr);

struct EvalOptions {
  int batch_size = 8;  // HF per_device_eval_batch_size
  ComputeOptions compute;
};

struct EvalMetrics {
  int64_t examples = 0;
  double accuracy = 0.0;  // mean(argmax(logits) == label)
  // Binary F1 of label 1 when there are 2 labels, macro F1 over labels otherwise.
  double f1 = 0.0;
  double loss = 0.0;  // mean cross-entropy
};

// Evaluates `model` (eval mode, no gradients; its previous mode is restored) on `dataset` in
// dataset order. Same errors as Train.
absl::StatusOr<EvalMetrics> Evaluate(BertForSequenceClassification& model,
                                     const TokenizedDataset& dataset, const EvalOptions& options);
// The same on a dataset already laid out on the device (errors as the DeviceDataset Train).
absl::StatusOr<EvalMetrics> Evaluate(BertForSequenceClassification& model,
                                     const DeviceDataset& dataset, const EvalOptions& options);

}  // namespace nasq

#endif  // NASQ_WORKER_TRAIN_TRAINER_H_

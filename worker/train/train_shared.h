// worker/train/train_shared.h: the rules of training and evaluation that the solo trainer
// (trainer.h) and the fused trainer (worker/fused) share, so both check, schedule and score alike.
//
// Thread-safety: pure functions, except ApplyComputeOptions, which sets LibTorch's global thread
// count and pins OpenBLAS to one thread (see trainer.h).
#ifndef NASQ_WORKER_TRAIN_TRAIN_SHARED_H_
#define NASQ_WORKER_TRAIN_TRAIN_SHARED_H_

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "worker/model/bert_config.h"
#include "worker/text/device_dataset.h"
#include "worker/text/tokenized_dataset.h"
#include "worker/train/trainer.h"

namespace nasq {

// Checks `compute` (bf16 only on CUDA, CUDA available, threads >= 0) and applies its thread
// count. InvalidArgument naming the problem.
absl::Status ApplyComputeOptions(const ComputeOptions& compute);

// OK when `dataset` is non-empty and every example fits a model of `config`: labels in
// [0, num_labels), 1 to max_position_embeddings tokens, ids inside the vocabulary.
// InvalidArgument naming the example.
absl::Status CheckDataset(const BertConfig& config, const TokenizedDataset& dataset);

// OK when `dataset` lies where the model runs ("cuda" without an index matches any CUDA device);
// InvalidArgument naming both devices otherwise.
absl::Status CheckDatasetDevice(const DeviceDataset& dataset, const torch::Device& device);

// OK when batch size, epochs, learning rate, epsilon, weight decay, warmup, betas and the
// progress period are usable; InvalidArgument naming them.
absl::Status CheckTrainOptions(const TrainOptions& options);

// options.learning_rate, or kDefaultLearningRate when unset.
double PeakLearningRate(const TrainOptions& options);

// HF get_linear_schedule_with_warmup: factor for the `step`-th optimizer step (0-based).
double LinearScheduleFactor(int64_t step, int64_t warmup, int64_t total);

// Optimizer steps of `epochs` epochs of `examples` examples in batches of `batch_size`.
int64_t TotalTrainSteps(int64_t examples, int batch_size, int epochs);

// HF's parameter groups: true for parameters that get no weight decay (biases and LayerNorm
// weights), by HF parameter name.
bool ExemptFromWeightDecay(const std::string& parameter_name);

// Accuracy, F1 (binary F1 of label 1 with 2 labels, macro F1 otherwise) and mean loss of
// `predicted` against `truth` (1-D int64 CPU tensors of equal length, non-empty) given the summed
// cross-entropy `loss_sum`.
EvalMetrics ClassificationMetrics(const torch::Tensor& predicted, const torch::Tensor& truth,
                                  double loss_sum, int64_t num_labels);

}  // namespace nasq

#endif  // NASQ_WORKER_TRAIN_TRAIN_SHARED_H_

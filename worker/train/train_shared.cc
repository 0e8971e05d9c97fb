#include "worker/train/train_shared.h"

#include <dlfcn.h>

#include <algorithm>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace nasq {
namespace {

// LibTorch's intra-op pool is the only CPU parallelism: a multi-threaded OpenBLAS (Debian's
// libopenblas0-pthread) under it keeps a second pool that spins against the first, which
// made training a small model 2.9x slower on 2 cores (47 s against 16 s, mostly system time). Pins
// OpenBLAS to the calling thread; a no-op for any other BLAS.
void KeepBlasSingleThreaded() {
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(1);
  }
}

}  // namespace

absl::Status ApplyComputeOptions(const ComputeOptions& compute) {
  if (compute.bf16 && !compute.device.is_cuda()) {
    return absl::InvalidArgumentError("bf16 autocast is only supported on CUDA devices");
  }
  if (compute.device.is_cuda() && !torch::cuda::is_available()) {
    return absl::InvalidArgumentError(
        absl::StrCat("device ", compute.device.str(), " requested but CUDA is not available"));
  }
  if (compute.num_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_threads must be >= 0, got ", compute.num_threads));
  }
  const int threads = compute.num_threads > 0
                          ? compute.num_threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  KeepBlasSingleThreaded();
  return absl::OkStatus();
}

absl::Status CheckDatasetDevice(const DeviceDataset& dataset, const torch::Device& device) {
  const torch::Device where = dataset.device();
  if (where.type() == device.type() &&
      (!device.has_index() || !where.has_index() || where.index() == device.index())) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("the dataset lies on ", where.str(), " but the model runs on ", device.str()));
}

absl::Status CheckDataset(const BertConfig& config, const TokenizedDataset& dataset) {
  if (dataset.examples.empty()) return absl::InvalidArgumentError("the dataset is empty");
  for (size_t i = 0; i < dataset.examples.size(); ++i) {
    const TokenizedExample& example = dataset.examples[i];
    if (example.label < 0 || example.label >= config.num_labels) {
      return absl::InvalidArgumentError(absl::StrCat("example ", i, " has label ", example.label,
                                                     " outside [0, ", config.num_labels, ")"));
    }
    const int64_t length = static_cast<int64_t>(example.input_ids.size());
    if (length == 0 || length > config.max_position_embeddings) {
      return absl::InvalidArgumentError(absl::StrCat("example ", i, " has ", length,
                                                     " tokens; the model accepts 1 to ",
                                                     config.max_position_embeddings));
    }
    for (int32_t id : example.input_ids) {
      if (id < 0 || id >= config.vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat(
            "example ", i, " has token id ", id, " outside the vocabulary of ", config.vocab_size));
      }
    }
  }
  return absl::OkStatus();
}

double PeakLearningRate(const TrainOptions& options) {
  return options.learning_rate.value_or(kDefaultLearningRate);
}

absl::Status CheckTrainOptions(const TrainOptions& options) {
  if (options.batch_size < 1 || options.epochs < 1) {
    return absl::InvalidArgumentError(absl::StrCat("batch_size (", options.batch_size,
                                                   ") and epochs (", options.epochs,
                                                   ") must be positive"));
  }
  if (!(PeakLearningRate(options) > 0.0) || !(options.adam_epsilon > 0.0) ||
      options.weight_decay < 0.0 || options.warmup_steps < 0) {
    return absl::InvalidArgumentError(
        "learning_rate and adam_epsilon must be positive, weight_decay and warmup_steps >= 0");
  }
  for (double beta : {options.adam_beta1, options.adam_beta2}) {
    if (!(beta >= 0.0 && beta < 1.0)) {
      return absl::InvalidArgumentError(absl::StrCat("Adam betas must be in [0, 1), got ", beta));
    }
  }
  if (options.progress_every_steps < 1) {
    return absl::InvalidArgumentError("progress_every_steps must be positive");
  }
  return absl::OkStatus();
}

// HF get_linear_schedule_with_warmup: factor for the `step`-th optimizer step (0-based).
double LinearScheduleFactor(int64_t step, int64_t warmup, int64_t total) {
  if (step < warmup) return static_cast<double>(step) / static_cast<double>(warmup);
  return std::max(0.0, static_cast<double>(total - step) /
                           static_cast<double>(std::max<int64_t>(1, total - warmup)));
}

int64_t TotalTrainSteps(int64_t examples, int batch_size, int epochs) {
  return (examples + batch_size - 1) / batch_size * epochs;
}

bool ExemptFromWeightDecay(const std::string& parameter_name) {
  return absl::StrContains(parameter_name, "bias") ||
         absl::StrContains(parameter_name, "LayerNorm.weight");
}

namespace {

double F1Score(int64_t tp, int64_t fp, int64_t fn) {
  const int64_t denominator = 2 * tp + fp + fn;
  return denominator == 0 ? 0.0 : 2.0 * tp / denominator;
}

}  // namespace

EvalMetrics ClassificationMetrics(const torch::Tensor& predicted, const torch::Tensor& truth,
                                  double loss_sum, int64_t num_labels) {
  EvalMetrics metrics;
  metrics.examples = truth.numel();
  metrics.accuracy = predicted.eq(truth).to(torch::kFloat64).mean().item<double>();
  metrics.loss = loss_sum / metrics.examples;
  double f1_sum = 0.0;
  for (int64_t label = 0; label < num_labels; ++label) {
    const int64_t tp = (predicted.eq(label) & truth.eq(label)).sum().item<int64_t>();
    const int64_t fp = (predicted.eq(label) & truth.ne(label)).sum().item<int64_t>();
    const int64_t fn = (predicted.ne(label) & truth.eq(label)).sum().item<int64_t>();
    const double f1 = F1Score(tp, fp, fn);
    if (num_labels == 2 && label == 1) metrics.f1 = f1;
    f1_sum += f1;
  }
  if (num_labels != 2) metrics.f1 = f1_sum / num_labels;
  return metrics;
}

}  // namespace nasq

// bench/train_step: milliseconds per training step of BERT-tiny (B=32, T=128, vocab 30522) in
// nasq's trainer against the same model and step written in Python PyTorch
// (train_step_reference.py run with /usr/bin/python3), same thread count, in one run. Prints a
// table with both medians and the ratio nasq / Python (target <= 1.1).
//
// Usage: train_step_bench [--threads N] [--steps S] [--warmup W] [--device cpu|cuda]
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "worker/model/bert_model.h"
#include "worker/model/trainer.h"

namespace nasq {
namespace {

constexpr int kBatch = 32;
constexpr int kSeq = 128;

struct BenchOptions {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int steps = 20;
  int warmup = 3;
  std::string device = "cpu";
};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Median ms per optimizer step of nasq::Train on random full-length sequences; the progress
// callback (which synchronises on the loss, as Python's loss.item()) timestamps every step.
double NasqMsPerStep(const BenchOptions& options) {
  const BertConfig config;  // BERT-tiny
  auto model = BertForSequenceClassification::Create(config);
  if (!model.ok()) {
    std::fprintf(stderr, "model: %s\n", model.status().ToString().c_str());
    return -1;
  }
  std::mt19937 rng(0);
  TokenizedDataset dataset;
  dataset.label_names = {"0", "1"};
  dataset.max_length = kSeq;
  for (int i = 0; i < kBatch * (options.warmup + options.steps); ++i) {
    TokenizedExample example;
    example.label = static_cast<int>(rng() % 2);
    for (int t = 0; t < kSeq; ++t) {
      example.input_ids.push_back(1 + static_cast<int32_t>(rng() % (config.vocab_size - 1)));
    }
    dataset.examples.push_back(std::move(example));
  }
  TrainOptions train;
  train.batch_size = kBatch;
  train.progress_every_steps = 1;
  train.compute.num_threads = options.threads;
  train.compute.device = torch::Device(options.device);
  std::vector<double> stamps;
  auto result = Train(**model, dataset, train, [&](const TrainProgress& progress) {
    stamps.push_back(progress.elapsed_seconds);
    return true;
  });
  if (!result.ok()) {
    std::fprintf(stderr, "train: %s\n", result.status().ToString().c_str());
    return -1;
  }
  std::vector<double> step_ms;
  for (size_t i = options.warmup; i < stamps.size(); ++i) {
    step_ms.push_back((stamps[i] - stamps[i - 1]) * 1000.0);
  }
  return Median(step_ms);
}

// Runs the Python reference and parses its last line "ms_per_step <value>".
double PythonMsPerStep(const BenchOptions& options) {
  const std::string command = "/usr/bin/python3 " NASQ_TRAIN_STEP_SCRIPT " --threads " +
                              std::to_string(options.threads) + " --steps " +
                              std::to_string(options.steps) + " --warmup " +
                              std::to_string(options.warmup) + " --device " + options.device;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  double ms = -1;
  char line[256];
  while (std::fgets(line, sizeof(line), pipe) != nullptr) {
    std::sscanf(line, "ms_per_step %lf", &ms);
  }
  return pclose(pipe) == 0 ? ms : -1;
}

}  // namespace
}  // namespace nasq

int main(int argc, char** argv) {
  nasq::BenchOptions options;
  CLI::App app{"nasq vs Python PyTorch: one BERT-tiny training step (B=32, T=128)"};
  app.add_option("--threads", options.threads, "intra-op threads for both (default: all cores)");
  app.add_option("--steps", options.steps, "timed steps (default 20)");
  app.add_option("--warmup", options.warmup, "untimed warm-up steps (default 3)");
  app.add_option("--device", options.device, "cpu or cuda (default cpu)");
  CLI11_PARSE(app, argc, argv);
  if (options.steps < 1 || options.warmup < 1) {
    std::fprintf(stderr, "--steps and --warmup must be at least 1\n");
    return 2;
  }
  const double nasq_ms = nasq::NasqMsPerStep(options);
  const double python_ms = nasq::PythonMsPerStep(options);
  std::printf("BERT-tiny train step, B=%d T=%d, device %s, %d threads, median of %d steps\n",
              nasq::kBatch, nasq::kSeq, options.device.c_str(), options.threads, options.steps);
  std::printf("%-22s %12s\n", "implementation", "ms/step");
  std::printf("%-22s %12.2f\n", "nasq (C++ LibTorch)", nasq_ms);
  std::printf("%-22s %12.2f\n", "Python PyTorch", python_ms);
  if (nasq_ms <= 0 || python_ms <= 0) {
    std::fprintf(stderr, "a measurement failed\n");
    return 1;
  }
  std::printf("%-22s %12.3f  (target <= 1.1)\n", "ratio nasq/Python", nasq_ms / python_ms);
  return 0;
}

// bench/train_step: milliseconds per training step of BERT-tiny (B=32, T=128, vocab 30522) in
// nasq's trainer against the same model and step written in Python PyTorch
// (train_step_reference.py run with --python, default /usr/bin/python3), same thread count, in one
// run. Prints a table with both medians (wall clock, and process CPU time, which is robust on a
// shared machine when --threads 1), the LibTorch and PyTorch versions, and the ratios
// nasq / Python (target <= 1.1). bench/train_step/compare.sh runs it for both LibTorch builds.
//
// Usage: train_step_bench [--threads N] [--steps S] [--warmup W] [--device cpu|cuda]
//                         [--python PATH]
#include <time.h>
#include <torch/version.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "worker/model/bert_model.h"
#include "worker/train/trainer.h"

namespace nasq {
namespace {

constexpr int kBatch = 32;
constexpr int kSeq = 128;

struct BenchOptions {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int steps = 20;
  int warmup = 3;
  std::string device = "cpu";
  std::string python = "/usr/bin/python3";
};

// Median milliseconds per step, by wall clock and by process CPU time, and the torch version
// that ran them.
struct StepTimes {
  double wall_ms = -1;
  double cpu_ms = -1;
  std::string version = TORCH_VERSION;
};

double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Median ms per optimizer step of nasq::Train on random full-length sequences; the progress
// callback (which synchronises on the loss, as Python's loss.item()) timestamps every step.
StepTimes NasqMsPerStep(const BenchOptions& options) {
  const BertConfig config;  // BERT-tiny
  auto model = BertForSequenceClassification::Create(config);
  if (!model.ok()) {
    std::fprintf(stderr, "model: %s\n", model.status().ToString().c_str());
    return {};
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
  std::vector<double> cpu_stamps;
  auto result = Train(**model, dataset, train, [&](const TrainProgress& progress) {
    stamps.push_back(progress.elapsed_seconds);
    cpu_stamps.push_back(ProcessCpuSeconds());
    return true;
  });
  if (!result.ok()) {
    std::fprintf(stderr, "train: %s\n", result.status().ToString().c_str());
    return {};
  }
  std::vector<double> wall_ms;
  std::vector<double> cpu_ms;
  for (size_t i = options.warmup; i < stamps.size(); ++i) {
    wall_ms.push_back((stamps[i] - stamps[i - 1]) * 1000.0);
    cpu_ms.push_back((cpu_stamps[i] - cpu_stamps[i - 1]) * 1000.0);
  }
  return {Median(wall_ms), Median(cpu_ms), TORCH_VERSION};
}

// Runs the Python reference and parses its lines "torch_version <v>" and
// "ms_per_step <wall> <cpu>".
StepTimes PythonMsPerStep(const BenchOptions& options) {
  const std::string command = options.python + " " NASQ_TRAIN_STEP_SCRIPT " --threads " +
                              std::to_string(options.threads) + " --steps " +
                              std::to_string(options.steps) + " --warmup " +
                              std::to_string(options.warmup) + " --device " + options.device;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {};
  StepTimes times;
  char line[256];
  char version[64];
  while (std::fgets(line, sizeof(line), pipe) != nullptr) {
    std::sscanf(line, "ms_per_step %lf %lf", &times.wall_ms, &times.cpu_ms);
    if (std::sscanf(line, "torch_version %63s", version) == 1) times.version = version;
  }
  return pclose(pipe) == 0 ? times : StepTimes{};
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
  app.add_option("--python", options.python,
                 "Python with torch for the reference (default /usr/bin/python3)");
  CLI11_PARSE(app, argc, argv);
  if (options.steps < 1 || options.warmup < 1) {
    std::fprintf(stderr, "--steps and --warmup must be at least 1\n");
    return 2;
  }
  const nasq::StepTimes nasq_ms = nasq::NasqMsPerStep(options);
  const nasq::StepTimes python_ms = nasq::PythonMsPerStep(options);
  std::printf("BERT-tiny train step, B=%d T=%d, device %s, %d threads, median of %d steps\n",
              nasq::kBatch, nasq::kSeq, options.device.c_str(), options.threads, options.steps);
  std::printf("%-22s %14s %14s %s\n", "implementation", "wall ms/step", "cpu ms/step", "torch");
  std::printf("%-22s %14.2f %14.2f %s\n", "nasq (C++ LibTorch)", nasq_ms.wall_ms, nasq_ms.cpu_ms,
              nasq_ms.version.c_str());
  std::printf("%-22s %14.2f %14.2f %s\n", "Python PyTorch", python_ms.wall_ms, python_ms.cpu_ms,
              python_ms.version.c_str());
  if (nasq_ms.wall_ms <= 0 || python_ms.wall_ms <= 0) {
    std::fprintf(stderr, "a measurement failed\n");
    return 1;
  }
  std::printf("%-22s %14.3f %14.3f  (target <= 1.1)\n", "ratio nasq/Python",
              nasq_ms.wall_ms / python_ms.wall_ms, nasq_ms.cpu_ms / python_ms.cpu_ms);
  return 0;
}

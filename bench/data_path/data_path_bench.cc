// bench/data_path: where a training step of the demo's model goes (examples/demo.yaml: 2 layers,
// hidden 64, 2 heads, intermediate 128, max_length 128, batch 8, vocab 4000, fp32 without its
// QAT, which only makes the compute heavier) on the embedded SpamAssassin training split, with
// batches built two ways in the same run, alternating:
//   host:   PlanBatches per epoch, MakeBatch on the host, .to(device) every step (the trainer
//           before worker/text/device_dataset.h);
//   device: PlanBatches and one DeviceDataset::UploadPlan per epoch, DeviceDataset::Batch every
//           step (the trainer now).
// Prints, per path, the median ms per step of plan, batch and compute (forward, loss, backward,
// clipping, AdamW step) and their shares, then the one-off costs a worker process pays once
// and its trials share (PipelineCache): tokenising the data and laying it out on the device.
//
// Usage: OPENBLAS_NUM_THREADS=1 data_path_bench [--threads N] [--steps S] [--repeats R]
//            [--device cpu|cuda]
// (Debian's pthread OpenBLAS otherwise spins its own pool against LibTorch's, as the trainer
// prevents, worker/train/trainer.cc KeepBlasSingleThreaded; the steps then run several times
// slower.) Compute times on a shared machine vary from run to run; batch times are the point.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/common/stats.h"
#include "task/task_spec.h"
#include "worker/model/bert_model.h"
#include "worker/pipeline/data_preparation.h"
#include "worker/text/batch_plan.h"
#include "worker/text/batching.h"
#include "worker/text/device_dataset.h"

namespace nasq {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int steps = 300;
  int repeats = 3;
  std::string device = "cpu";
};

// Milliseconds spent in each phase over one timed run.
struct Phases {
  double plan_ms = 0;
  double batch_ms = 0;
  double compute_ms = 0;
  int steps = 0;
};

// Per-step medians over the repeats.
struct PhaseMedians {
  double plan = 0, batch = 0, compute = 0;
  double total() const { return plan + batch + compute; }
};

constexpr char kDemoData[] = R"({"kind": "bert-classify",
    "dataset": {"name": "spam-assassin", "max_length": 128},
    "tokenizer": {"vocab_size": 4000},
    "stages": [{"stage": "train"}]})";

class StepRunner {
 public:
  StepRunner(const PreparedData& data, torch::Device device) : data_(data), device_(device) {}

  // One timed run of `steps` steps from a fresh model (same init and seed for both paths).
  Phases Run(bool on_device, const DeviceDataset& rows, int steps) {
    BertConfig config;
    config.vocab_size = data_.vocab_size;
    config.num_hidden_layers = 2;
    config.hidden_size = 64;
    config.num_attention_heads = 2;
    config.intermediate_size = 128;
    config.num_labels = data_.train.num_labels();
    config.pad_token_id = data_.train.pad_id;
    auto model = BertForSequenceClassification::Create(config, /*init_seed=*/0);
    if (!model.ok()) std::abort();
    (*model)->to(device_);
    (*model)->train();
    torch::manual_seed(0);
    torch::optim::AdamW optimizer((*model)->parameters(), torch::optim::AdamWOptions(1e-3));
    const BatchPlanOptions plan_options{.batch_size = 8, .seed = 0};
    Phases phases;
    for (int epoch = 0; phases.steps < steps; ++epoch) {
      auto start = Clock::now();
      auto plan = PlanBatches(data_.train, plan_options, epoch);
      std::optional<DevicePlan> uploaded;
      if (on_device) uploaded = *rows.UploadPlan(*plan);
      phases.plan_ms += Elapsed(start);
      for (size_t s = 0; s < plan->size() && phases.steps < steps; ++s, ++phases.steps) {
        start = Clock::now();
        TextBatch batch;
        if (on_device) {
          batch = *rows.Batch(*uploaded, s);
        } else {
          batch = *MakeBatch(data_.train, (*plan)[s]);
          batch = {batch.input_ids.to(device_), batch.attention_mask.to(device_),
                   batch.labels.to(device_)};
        }
        phases.batch_ms += Elapsed(start);
        start = Clock::now();
        const torch::Tensor logits = (*model)->forward(batch.input_ids, batch.attention_mask);
        const torch::Tensor loss = torch::cross_entropy_loss(logits, batch.labels);
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_((*model)->parameters(), 1.0);
        optimizer.step();
        phases.compute_ms += Elapsed(start);
      }
    }
    return phases;
  }

 private:
  // Milliseconds since `start`, after the device has finished its queued work.
  double Elapsed(Clock::time_point start) const {
    if (device_.is_cuda()) torch::cuda::synchronize();
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }

  const PreparedData& data_;
  torch::Device device_;
};

PhaseMedians Medians(const std::vector<Phases>& runs) {
  std::vector<double> plan, batch, compute;
  for (const Phases& p : runs) {
    plan.push_back(p.plan_ms / p.steps);
    batch.push_back(p.batch_ms / p.steps);
    compute.push_back(p.compute_ms / p.steps);
  }
  return {bench::Median(plan), bench::Median(batch), bench::Median(compute)};
}

void PrintRow(const char* name, const PhaseMedians& m) {
  const double total = m.total();
  std::printf("%-8s %9.3f %9.3f %9.3f %9.3f   %5.2f%% %5.2f%% %6.2f%%\n", name, m.plan, m.batch,
              m.compute, total, 100 * m.plan / total, 100 * m.batch / total,
              100 * m.compute / total);
}

int Main(const BenchOptions& options) {
  torch::set_num_threads(options.threads);
  const torch::Device device(options.device);
  auto spec = ParseTaskSpec(kDemoData);
  if (!spec.ok()) {
    std::fprintf(stderr, "spec: %s\n", spec.status().ToString().c_str());
    return 1;
  }
  auto start = Clock::now();
  auto prepared = PrepareData(*spec, "", {});
  const double prepare_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (!prepared.ok()) {
    std::fprintf(stderr, "data (run scripts/fetch-data.sh?): %s\n",
                 prepared.status().ToString().c_str());
    return 1;
  }
  auto data = std::make_shared<const PreparedData>(*std::move(prepared));
  start = Clock::now();
  auto rows =
      DeviceDataset::Create(std::shared_ptr<const TokenizedDataset>(data, &data->train), device);
  const double layout_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!rows.ok()) {
    std::fprintf(stderr, "device dataset: %s\n", rows.status().ToString().c_str());
    return 1;
  }
  StepRunner runner(*data, device);
  runner.Run(false, *rows, 10);  // warm-up: allocator, thread pool
  std::vector<Phases> host, on_device;
  for (int r = 0; r < options.repeats; ++r) {
    host.push_back(runner.Run(false, *rows, options.steps));
    on_device.push_back(runner.Run(true, *rows, options.steps));
  }
  const PhaseMedians h = Medians(host);
  const PhaseMedians d = Medians(on_device);
  std::printf(
      "demo model (2x64, 2 heads, ffn 128, fp32), batch 8, %zu training examples (max_length "
      "128), device %s, %d threads; median over %d runs of %d steps\n",
      data->train.size(), options.device.c_str(), options.threads, options.repeats, options.steps);
  std::printf("%-8s %9s %9s %9s %9s   %6s %6s %7s\n", "batches", "plan ms", "batch ms", "compute",
              "step ms", "plan", "batch", "compute");
  PrintRow("host", h);
  PrintRow("device", d);
  std::printf(
      "batch building: %.1f us/step on the host path, %.1f us/step from the device "
      "dataset (%.2fx); whole step %.3f -> %.3f ms (%+.2f%%)\n",
      1000 * h.batch, 1000 * d.batch, h.batch / d.batch, h.total(), d.total(),
      100 * (d.total() - h.total()) / h.total());
  std::printf(
      "once per worker process (PipelineCache), not per trial: tokenising %.2f s, "
      "device layout of the training split %.1f ms\n",
      prepare_s, layout_ms);
  return 0;
}

}  // namespace
}  // namespace nasq

int main(int argc, char** argv) {
  nasq::BenchOptions options;
  CLI::App app{
      "where a demo training step goes: batch building (host vs device dataset) vs compute"};
  app.add_option("--threads", options.threads, "intra-op threads (default: all cores)");
  app.add_option("--steps", options.steps, "timed steps per run (default 300)");
  app.add_option("--repeats", options.repeats, "runs per path, alternating (default 3)");
  app.add_option("--device", options.device, "cpu or cuda (default cpu)");
  CLI11_PARSE(app, argc, argv);
  if (options.steps < 1 || options.repeats < 1) {
    std::fprintf(stderr, "--steps and --repeats must be at least 1\n");
    return 2;
  }
  return nasq::Main(options);
}

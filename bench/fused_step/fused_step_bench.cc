// bench/fused_step: training time per model of the demo's model (examples/demo.yaml: hidden 64,
// 2 layers, 2 heads, intermediate 128, vocab 4000, max_length 128, batch 8, every Linear integer
// 8.4 QAT) trained alone by nasq's trainer (worker/train) against K = 1, 2, 4, 8 members trained
// fused (worker/fused), on synthetic full-length sequences. Prints milliseconds per step per
// model and the speed-up over the solo trainer.
//
// Usage: fused_step_bench [--threads N] [--steps S] [--device cpu|cuda] [--members 1,2,4,8]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "worker/fused/fused_trainer.h"
#include "worker/model/bert_quantisation.h"

namespace nasq {
namespace {

constexpr int kBatch = 8;
constexpr int kSeq = 128;
constexpr int kVocab = 4000;

struct BenchOptions {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int steps = 30;
  std::string device = "cpu";
  std::vector<int> members = {1, 2, 4, 8};
};

// steps * batch random full-length examples with 2 labels.
TokenizedDataset SyntheticData(int steps) {
  std::mt19937 random(1);
  std::uniform_int_distribution<int> token(5, kVocab - 1);
  TokenizedDataset data;
  data.label_names = {"ham", "spam"};
  data.max_length = kSeq;
  for (int i = 0; i < steps * kBatch; ++i) {
    TokenizedExample example;
    for (int t = 0; t < kSeq; ++t) example.input_ids.push_back(token(random));
    example.label = i % 2;
    data.examples.push_back(std::move(example));
  }
  return data;
}

std::shared_ptr<BertForSequenceClassification> DemoModel(uint64_t seed) {
  BertConfig config;
  config.vocab_size = kVocab;
  config.hidden_size = 64;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 2;
  config.intermediate_size = 128;
  config.max_position_embeddings = kSeq;
  auto model = BertForSequenceClassification::Create(config, seed).value();
  QuantConfig integer;
  integer.format = QuantFormat::kInteger;
  integer.width = 8;
  integer.frac_width = 4;
  QuantisationConfig quant;
  quant.default_config = {integer, integer, integer};
  QuantiseBert(*model, quant).value();
  return model;
}

TrainOptions Options(const BenchOptions& bench, uint64_t seed) {
  TrainOptions options;
  options.batch_size = kBatch;
  options.epochs = 1;
  options.learning_rate = 1e-3;
  options.seed = seed;
  options.compute.device = torch::Device(bench.device);
  options.compute.num_threads = bench.threads;
  return options;
}

int Run(const BenchOptions& bench) {
  // Laid out on the device once, outside the timed runs, as a worker's PipelineCache does.
  const auto rows =
      DeviceDataset::Create(std::make_shared<const TokenizedDataset>(SyntheticData(bench.steps)),
                            torch::Device(bench.device));
  if (!rows.ok()) {
    std::fprintf(stderr, "data layout failed: %s\n", rows.status().ToString().c_str());
    return 1;
  }
  // Solo: nasq's trainer, one model.
  auto solo = DemoModel(1);
  auto start = std::chrono::steady_clock::now();
  auto trained = Train(*solo, *rows, Options(bench, 1));
  if (!trained.ok()) {
    std::fprintf(stderr, "solo training failed: %s\n", trained.status().ToString().c_str());
    return 1;
  }
  const double solo_ms = SecondsSince(start) * 1e3 / bench.steps;
  std::printf("%-10s %8s %18s %10s\n", "run", "members", "ms/step per model", "speed-up");
  std::printf("%-10s %8d %18.2f %10.2f\n", "solo", 1, solo_ms, 1.0);
  for (int k : bench.members) {
    std::vector<std::shared_ptr<BertForSequenceClassification>> models;
    std::vector<FusedTrainMember> members;
    for (int m = 0; m < k; ++m) {
      models.push_back(DemoModel(m + 1));
      members.push_back({Options(bench, m + 1), nullptr});
    }
    auto fused = FusedBert::Create(models).value();
    start = std::chrono::steady_clock::now();
    auto outcomes = TrainFused(*fused, *rows, members);
    const double seconds = SecondsSince(start);
    if (!outcomes.ok()) {
      std::fprintf(stderr, "fused training failed: %s\n", outcomes.status().ToString().c_str());
      return 1;
    }
    const double per_model_ms = seconds * 1e3 / bench.steps / k;
    std::printf("%-10s %8d %18.2f %10.2f\n", "fused", k, per_model_ms, solo_ms / per_model_ms);
  }
  return 0;
}

}  // namespace
}  // namespace nasq

int main(int argc, char** argv) {
  nasq::BenchOptions options;
  CLI::App app{"Per-model training time of the demo's model: solo against K fused members"};
  app.add_option("--threads", options.threads, "LibTorch intra-op threads");
  app.add_option("--steps", options.steps, "training steps per run");
  app.add_option("--device", options.device, "cpu, cuda or cuda:K");
  app.add_option("--members", options.members, "fused member counts")->delimiter(',');
  CLI11_PARSE(app, argc, argv);
  return nasq::Run(options);
}

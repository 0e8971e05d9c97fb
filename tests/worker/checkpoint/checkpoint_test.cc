#include "worker/checkpoint/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "nlohmann/json.hpp"
#include "tests/worker/model/model_test_util.h"
#include "worker/checkpoint/safetensors.h"
#include "worker/model/bert_quantisation.h"
#include "worker/quant/quant_linear.h"

namespace nasq {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

// Deterministic values for parameter number `k` (reproducible from Python as well).
torch::Tensor PatternValues(at::IntArrayRef shape, int k) {
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  return (torch::sin(torch::arange(numel, torch::kFloat32) * 0.37 + k) * 0.1).view(shape);
}

std::filesystem::path WriteVocab(const std::filesystem::path& dir, int size) {
  const auto path = dir / "source_vocab.txt";
  std::ofstream out(path);
  for (int i = 0; i < size; ++i) out << "tok" << i << "\n";
  return path;
}

void WriteConfig(const std::filesystem::path& folder, const BertConfig& config) {
  std::ofstream(folder / "config.json") << config.ToHfJson().dump();
  std::ofstream(folder / "vocab.txt") << "[PAD]\n";
}

TEST(Checkpoint, SaveThenLoadGivesIdenticalLogits) {
  BertConfig config = testing::SmallConfig();
  config.num_labels = 3;
  config.identity_layers = {"bert.encoder.layer.1.attention.self.query"};
  auto model = BertForSequenceClassification::Create(config, 11);
  ASSERT_TRUE(model.ok());
  const auto dir = testing::FreshDir("save_load");
  const auto vocab = WriteVocab(dir, 50);
  ASSERT_TRUE(SaveHfCheckpoint(**model, dir / "out", vocab, {.do_lower_case = false}).ok());
  for (const char* file : {"config.json", "model.safetensors", "vocab.txt"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / "out" / file)) << file;
  }
  std::ifstream tokenizer_config(dir / "out" / "tokenizer_config.json");
  EXPECT_EQ(nlohmann::json::parse(tokenizer_config),
            nlohmann::json({{"tokenizer_class", "BertTokenizer"}, {"do_lower_case", false}}));
  auto loaded = LoadHfCheckpoint(dir / "out");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->report.missing_keys.empty());
  EXPECT_TRUE(loaded->report.unexpected_keys.empty());
  EXPECT_EQ(loaded->model->config().ToHfJson(), config.ToHfJson());
  EXPECT_TRUE(loaded->model->IsIdentity("bert.encoder.layer.1.attention.self.query"));
  (*model)->eval();
  loaded->model->eval();
  const auto batch = testing::RandomBatch(50, 4, 9, 5);
  EXPECT_TRUE(torch::equal((*model)->forward(batch.input_ids, batch.attention_mask),
                           loaded->model->forward(batch.input_ids, batch.attention_mask)));
}

TEST(Checkpoint, ExportWritesIdentityAsEyeAndBakesPruningMasks) {
  BertConfig config = testing::SmallConfig();
  config.identity_layers = {"bert.pooler.dense"};
  auto model = BertForSequenceClassification::Create(config);
  ASSERT_TRUE(model.ok());
  ASSERT_TRUE(QuantiseBert(**model, QuantisationConfig{}).ok());
  const std::string name = "bert.encoder.layer.0.intermediate.dense";
  auto slot = (*model)->FindLinear(name);
  ASSERT_TRUE(slot.ok());
  auto* quant = (*slot)->module().ptr()->as<QuantLinearImpl>();
  ASSERT_NE(quant, nullptr);
  const torch::Tensor original = quant->weight.detach().clone();
  const torch::Tensor mask = torch::rand(original.sizes()) > 0.5;
  ASSERT_TRUE(quant->SetWeightMask(mask).ok());

  const TensorMap exported = ExportStateDict(**model);
  EXPECT_TRUE(torch::equal(exported.at(name + ".weight"), original * mask));
  EXPECT_FALSE(exported.contains(name + ".weight_mask"));
  EXPECT_TRUE(torch::equal(exported.at("bert.pooler.dense.weight"), torch::eye(16)));
  EXPECT_TRUE(torch::equal(exported.at("bert.pooler.dense.bias"), torch::zeros({16})));

  const auto dir = testing::FreshDir("baked");
  ASSERT_TRUE(SaveHfCheckpoint(**model, dir, WriteVocab(dir, 50), {.do_lower_case = true}).ok());
  auto loaded = LoadHfCheckpoint(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  (*model)->eval();
  loaded->model->eval();
  const auto batch = testing::RandomBatch(50, 3, 6, 8);
  EXPECT_TRUE(torch::allclose((*model)->forward(batch.input_ids, batch.attention_mask),
                              loaded->model->forward(batch.input_ids, batch.attention_mask), 1e-5,
                              1e-6));
}

TEST(Checkpoint, LoadsHandBuiltBertModelSafetensors) {
  const BertConfig config = testing::SmallConfig();
  auto reference = BertForSequenceClassification::Create(config);
  ASSERT_TRUE(reference.ok());
  // A bare BertModel checkpoint: no "bert." prefix, TF-era gamma/beta for one LayerNorm, a
  // position_ids buffer and a pretraining head, and no pooler/classifier.
  SafetensorsContents contents;
  TensorMap expected;
  int k = 0;
  for (const auto& item : (*reference)->named_parameters()) {
    const std::string& name = item.key();
    if (name.rfind("bert.pooler.", 0) == 0 || name.rfind("classifier.", 0) == 0) continue;
    std::string stored = name.substr(5);
    if (stored == "embeddings.LayerNorm.weight") stored = "embeddings.LayerNorm.gamma";
    if (stored == "embeddings.LayerNorm.bias") stored = "embeddings.LayerNorm.beta";
    expected[name] = PatternValues(item.value().sizes(), k++);
    contents.tensors[stored] = expected[name].to(k % 2 ? torch::kFloat32 : torch::kFloat16);
    expected[name] = contents.tensors[stored].to(torch::kFloat32);
  }
  contents.tensors["embeddings.position_ids"] = torch::arange(24, torch::kLong).view({1, 24});
  contents.tensors["cls.predictions.bias"] = torch::zeros({50});
  contents.tensors["unknown.extra"] = torch::zeros({2});
  const auto dir = testing::FreshDir("hand_built");
  ASSERT_TRUE(WriteSafetensors(dir / "model.safetensors", contents).ok());
  WriteConfig(dir, config);

  auto loaded = LoadHfCheckpoint(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto parameters = loaded->model->named_parameters();
  for (const auto& [name, value] : expected) {
    EXPECT_TRUE(torch::equal(parameters[name], value)) << name;
  }
  EXPECT_THAT(loaded->report.missing_keys, Contains("classifier.weight"));
  EXPECT_THAT(loaded->report.missing_keys, Contains("bert.pooler.dense.bias"));
  EXPECT_EQ(loaded->report.unexpected_keys, std::vector<std::string>{"bert.unknown.extra"});
}

TEST(Checkpoint, RefusesIncompatibleOrIncompleteCheckpoints) {
  const BertConfig config = testing::SmallConfig();
  auto model = BertForSequenceClassification::Create(config);
  ASSERT_TRUE(model.ok());
  TensorMap weights = ExportStateDict(**model);
  weights["bert.encoder.layer.0.output.dense.weight"] = torch::zeros({16, 31});
  auto mismatch = LoadStateDict(**model, weights);
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mismatch.status().message(),
              HasSubstr("'bert.encoder.layer.0.output.dense.weight' has shape [16, 31]"));

  weights = ExportStateDict(**model);
  weights.erase("bert.encoder.layer.1.attention.self.key.bias");
  auto missing = LoadStateDict(**model, weights);
  EXPECT_THAT(missing.status().message(),
              HasSubstr("lacks parameter 'bert.encoder.layer.1.attention.self.key.bias'"));

  const auto dir = testing::FreshDir("incomplete");
  WriteConfig(dir, config);
  auto no_weights = LoadHfCheckpoint(dir);
  EXPECT_EQ(no_weights.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(no_weights.status().message(), HasSubstr("neither model.safetensors"));
  std::filesystem::remove(dir / "vocab.txt");
  EXPECT_THAT(LoadHfCheckpoint(dir).status().message(), HasSubstr("no vocab.txt"));
}

// A config.json asking for a million layers used to allocate until the OOM killer acted: it is
// refused from the config alone, naming the count and the limit, before the weights are read
// (the folder has none) or anything is allocated.
TEST(Checkpoint, RefusesAModelOverTheSizeLimitBeforeAllocating) {
  BertConfig config = testing::SmallConfig();
  config.num_hidden_layers = 1'000'000;
  config.identity_layers = {"bert.encoder.layer.999999.attention.self.query"};
  const auto dir = testing::FreshDir("million_layers");
  WriteConfig(dir, config);
  const auto start = std::chrono::steady_clock::now();
  auto loaded = LoadHfCheckpoint(dir);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(loaded.status().message(), HasSubstr("config.json: the model has "));
  EXPECT_THAT(loaded.status().message(), HasSubstr("num_hidden_layers 1000000"));
  EXPECT_THAT(loaded.status().message(),
              HasSubstr("more than this worker's limit of 2000000000 (--max-model-params)"));

  const auto small = testing::FreshDir("small_over_limit");
  WriteConfig(small, testing::SmallConfig());
  EXPECT_EQ(LoadHfCheckpoint(small, 1000).status().code(), absl::StatusCode::kResourceExhausted);
}

// pytorch_model.bin written by Python's torch.save with HF names and known values.
TEST(Checkpoint, LoadsPytorchModelBinWrittenByPython) {
  if (!testing::HavePythonTorch()) GTEST_SKIP() << "/usr/bin/python3 with torch is not available";
  const BertConfig config = testing::SmallConfig();
  auto reference = BertForSequenceClassification::Create(config);
  ASSERT_TRUE(reference.ok());
  const auto dir = testing::FreshDir("pytorch_bin");
  nlohmann::json shapes = nlohmann::json::array();
  for (const auto& item : (*reference)->named_parameters()) {
    shapes.push_back({item.key(), item.value().sizes().vec()});
  }
  std::ofstream(dir / "shapes.json") << shapes.dump();
  WriteConfig(dir, config);
  const char* script = R"py(
import collections, json, sys, torch
d = sys.argv[1]
sd = collections.OrderedDict()
for k, (name, shape) in enumerate(json.load(open(d + "/shapes.json"))):
    n = 1
    for s in shape: n *= s
    sd[name] = (torch.sin(torch.arange(n, dtype=torch.float32) * 0.37 + k) * 0.1).view(shape)
sd["bert.embeddings.position_ids"] = torch.arange(24).view(1, 24)
sd._metadata = collections.OrderedDict()
torch.save(sd, d + "/pytorch_model.bin")
)py";
  ASSERT_TRUE(testing::RunPython(dir, script, dir.string()));
  auto loaded = LoadHfCheckpoint(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->report.missing_keys.empty());
  EXPECT_TRUE(loaded->report.unexpected_keys.empty());
  int k = 0;
  for (const auto& item : loaded->model->named_parameters()) {
    EXPECT_TRUE(torch::allclose(item.value(), PatternValues(item.value().sizes(), k++), 1e-6, 1e-7))
        << item.key();
  }
}

}  // namespace
}  // namespace nasq

#include "worker/model/bert_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/worker/model/model_test_util.h"
#include "worker/model/bert_quantisation.h"
#include "worker/quant/quant_linear.h"

namespace nasq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

int64_t CountParameters(torch::nn::Module& module, const std::string& prefix = "") {
  int64_t count = 0;
  for (const auto& item : module.named_parameters()) {
    if (item.key().rfind(prefix, 0) == 0) count += item.value().numel();
  }
  return count;
}

TEST(BertModel, BertTinyHasHfParameterCounts) {
  auto model = BertForSequenceClassification::Create(BertConfig{});
  ASSERT_TRUE(model.ok()) << model.status();
  // docs/quantisation.md section 7.
  EXPECT_EQ(CountParameters(**model), 4386178);
  EXPECT_EQ(CountParameters(**model, "bert."), 4385920);
  EXPECT_EQ(CountParameters(**model, "bert.embeddings.word_embeddings."), 3906816);
  EXPECT_EQ(CountParameters(**model, "bert.embeddings.position_embeddings."), 65536);
  EXPECT_EQ(CountParameters(**model, "bert.embeddings.token_type_embeddings."), 256);
  EXPECT_EQ(CountParameters(**model, "bert.encoder.layer.0."), 198272);
  EXPECT_EQ(CountParameters(**model, "bert.encoder.layer.1.intermediate.dense."), 66048);
  EXPECT_EQ(CountParameters(**model, "bert.encoder.layer.1.output.dense."), 65664);
  EXPECT_EQ(CountParameters(**model, "bert.pooler."), 16512);
  EXPECT_EQ(CountParameters(**model, "classifier."), 258);
}

TEST(BertModel, ParameterNamesAreHfNamesInHfOrder) {
  BertConfig config = testing::SmallConfig();
  config.num_hidden_layers = 1;
  auto model = BertForSequenceClassification::Create(config);
  ASSERT_TRUE(model.ok()) << model.status();
  std::vector<std::string> names;
  for (const auto& item : (*model)->named_parameters()) names.push_back(item.key());
  const std::string l = "bert.encoder.layer.0.";
  EXPECT_THAT(
      names,
      ElementsAre(
          "bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight",
          "bert.embeddings.token_type_embeddings.weight", "bert.embeddings.LayerNorm.weight",
          "bert.embeddings.LayerNorm.bias", l + "attention.self.query.weight",
          l + "attention.self.query.bias", l + "attention.self.key.weight",
          l + "attention.self.key.bias", l + "attention.self.value.weight",
          l + "attention.self.value.bias", l + "attention.output.dense.weight",
          l + "attention.output.dense.bias", l + "attention.output.LayerNorm.weight",
          l + "attention.output.LayerNorm.bias", l + "intermediate.dense.weight",
          l + "intermediate.dense.bias", l + "output.dense.weight", l + "output.dense.bias",
          l + "output.LayerNorm.weight", l + "output.LayerNorm.bias", "bert.pooler.dense.weight",
          "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"));
}

TEST(BertModel, InitialisationFollowsHfAndIsSeeded) {
  auto a = BertForSequenceClassification::Create(BertConfig{}, 7);
  auto b = BertForSequenceClassification::Create(BertConfig{}, 7);
  auto c = BertForSequenceClassification::Create(BertConfig{}, 8);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const auto pa = (*a)->named_parameters();
  const torch::Tensor word = pa["bert.embeddings.word_embeddings.weight"];
  EXPECT_NEAR(word.std().item<double>(), 0.02, 0.001);
  EXPECT_EQ(word[0].abs().sum().item<double>(), 0.0);  // padding row
  EXPECT_TRUE(pa["bert.embeddings.LayerNorm.weight"].eq(1).all().item<bool>());
  EXPECT_TRUE(pa["classifier.bias"].eq(0).all().item<bool>());
  EXPECT_TRUE(
      torch::equal(word, (*b)->named_parameters()["bert.embeddings.word_embeddings.weight"]));
  EXPECT_FALSE(
      torch::equal(word, (*c)->named_parameters()["bert.embeddings.word_embeddings.weight"]));
}

TEST(BertModel, PaddingDoesNotChangeLogits) {
  auto model = BertForSequenceClassification::Create(testing::SmallConfig());
  ASSERT_TRUE(model.ok());
  (*model)->eval();
  torch::manual_seed(3);
  const torch::Tensor ids = torch::randint(1, 50, {1, 6}, torch::kLong);
  const torch::Tensor short_logits = (*model)->forward(ids, torch::ones({1, 6}, torch::kLong));
  const torch::Tensor padded_ids = torch::cat({ids, torch::zeros({1, 4}, torch::kLong)}, 1);
  const torch::Tensor mask =
      torch::cat({torch::ones({1, 6}, torch::kLong), torch::zeros({1, 4}, torch::kLong)}, 1);
  const torch::Tensor padded_logits = (*model)->forward(padded_ids, mask);
  EXPECT_EQ(padded_logits.sizes(), (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(torch::allclose(short_logits, padded_logits, 1e-5, 1e-6));
}

TEST(BertModel, DropoutOnlyInTrainingMode) {
  auto model = BertForSequenceClassification::Create(testing::SmallConfig());
  ASSERT_TRUE(model.ok());
  const auto batch = testing::RandomBatch(50, 3, 8, 1);
  (*model)->eval();
  EXPECT_TRUE(torch::equal((*model)->forward(batch.input_ids, batch.attention_mask),
                           (*model)->forward(batch.input_ids, batch.attention_mask)));
  (*model)->train();
  EXPECT_FALSE(torch::equal((*model)->forward(batch.input_ids, batch.attention_mask),
                            (*model)->forward(batch.input_ids, batch.attention_mask)));
}

TEST(BertModel, IdentityReplacementRemovesParametersAndPassesInputThrough) {
  BertConfig config = testing::SmallConfig();
  config.identity_layers = {"bert.encoder.layer.0.attention.self.key"};
  auto model = BertForSequenceClassification::Create(config);
  ASSERT_TRUE(model.ok());
  const int64_t before = CountParameters(**model);
  ASSERT_TRUE((*model)->ReplaceWithIdentity("bert.pooler.dense").ok());
  EXPECT_EQ(CountParameters(**model), before - 16 * 16 - 16);
  EXPECT_FALSE((*model)->named_parameters().contains("bert.pooler.dense.weight"));
  EXPECT_FALSE(
      (*model)->named_parameters().contains("bert.encoder.layer.0.attention.self.key.weight"));
  EXPECT_TRUE((*model)->IsIdentity("bert.pooler.dense"));
  EXPECT_EQ((*model)->config().identity_layers.size(), 2u);
  auto slot = (*model)->FindLinear("bert.pooler.dense");
  ASSERT_TRUE(slot.ok());
  const torch::Tensor x = torch::randn({2, 16});
  EXPECT_TRUE(torch::equal((**slot)(x), x));
  const auto batch = testing::RandomBatch(50, 2, 5, 2);
  EXPECT_EQ((*model)->forward(batch.input_ids, batch.attention_mask).sizes(),
            (std::vector<int64_t>{2, 2}));
}

TEST(BertModel, IdentityReplacementRefusesNonSquareAndUnknownLayers) {
  auto model = BertForSequenceClassification::Create(testing::SmallConfig());
  ASSERT_TRUE(model.ok());
  const absl::Status non_square = (*model)->ReplaceWithIdentity("classifier");
  EXPECT_EQ(non_square.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(non_square.message(), HasSubstr("not square"));
  EXPECT_EQ((*model)->ReplaceWithIdentity("bert.encoder.layer.9.output.dense").code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE((*model)->named_parameters().contains("classifier.weight"));
}

TEST(BertModel, QuantLinearSwapKeepsNamesAndFp32Logits) {
  auto model = BertForSequenceClassification::Create(testing::SmallConfig());
  ASSERT_TRUE(model.ok());
  (*model)->eval();
  const auto batch = testing::RandomBatch(50, 3, 7, 4);
  const torch::Tensor before = (*model)->forward(batch.input_ids, batch.attention_mask);
  std::vector<std::string> names_before;
  for (const auto& item : (*model)->named_parameters()) names_before.push_back(item.key());

  auto visited = QuantiseBert(**model, QuantisationConfig{});
  ASSERT_TRUE(visited.ok()) << visited.status();
  EXPECT_EQ(*visited, (*model)->LinearNames());
  std::vector<std::string> names_after;
  for (const auto& item : (*model)->named_parameters()) names_after.push_back(item.key());
  EXPECT_EQ(names_after, names_before);
  for (const std::string& name : (*model)->LinearNames()) {
    auto slot = (*model)->FindLinear(name);
    ASSERT_TRUE(slot.ok());
    EXPECT_NE((*slot)->module().ptr()->as<QuantLinearImpl>(), nullptr) << name;
  }
  EXPECT_TRUE(torch::allclose(before, (*model)->forward(batch.input_ids, batch.attention_mask),
                              1e-6, 1e-6));
}

}  // namespace
}  // namespace nasq

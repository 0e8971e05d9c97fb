#include "worker/model/bert_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "worker/model/bert_model.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

struct RefusalCase {
  std::string label;
  std::function<void(BertConfig&)> mutate;
  std::string message;
};

// Each case also makes the vocabulary enormous: a refusal that came after allocation would take
// terabytes, so a fast InvalidArgument proves the check runs before any tensor exists.
TEST(BertConfig, RefusesInvalidCombinationsBeforeAllocation) {
  const std::vector<RefusalCase> cases = {
      {"zero hidden", [](BertConfig& c) { c.hidden_size = 0; }, "hidden_size must be positive"},
      {"zero layers", [](BertConfig& c) { c.num_hidden_layers = 0; }, "num_hidden_layers"},
      {"zero heads", [](BertConfig& c) { c.num_attention_heads = 0; }, "num_attention_heads"},
      {"zero intermediate", [](BertConfig& c) { c.intermediate_size = 0; }, "intermediate_size"},
      {"zero positions", [](BertConfig& c) { c.max_position_embeddings = 0; },
       "max_position_embeddings"},
      {"heads do not divide", [](BertConfig& c) { c.num_attention_heads = 3; },
       "must divide hidden_size"},
      {"dropout 1", [](BertConfig& c) { c.hidden_dropout_prob = 1.0; }, "hidden_dropout_prob"},
      {"negative attention dropout", [](BertConfig& c) { c.attention_probs_dropout_prob = -0.1; },
       "attention_probs_dropout_prob"},
      {"zero eps", [](BertConfig& c) { c.layer_norm_eps = 0; }, "layer_norm_eps"},
      {"one label", [](BertConfig& c) { c.num_labels = 1; }, "num_labels"},
      {"pad outside vocab", [](BertConfig& c) { c.pad_token_id = -1; }, "pad_token_id"},
      {"non-square identity",
       [](BertConfig& c) { c.identity_layers = {"bert.encoder.layer.0.intermediate.dense"}; },
       "is not square"},
      {"classifier identity", [](BertConfig& c) { c.identity_layers = {"classifier"}; },
       "is not square"},
      {"unknown identity", [](BertConfig& c) { c.identity_layers = {"bert.encoder.layer.7.x"}; },
       "no Linear layer named"},
  };
  for (const RefusalCase& test : cases) {
    BertConfig config;
    config.vocab_size = int64_t{1} << 40;
    test.mutate(config);
    const absl::Status status = config.Validate();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << test.label;
    EXPECT_THAT(status.message(), HasSubstr(test.message)) << test.label;
    EXPECT_EQ(BertForSequenceClassification::Create(config).status(), status) << test.label;
  }
}

TEST(BertConfig, DefaultsAreBertTinyAndValid) {
  const BertConfig config;
  EXPECT_TRUE(config.Validate().ok());
  EXPECT_EQ(config.vocab_size, 30522);
  EXPECT_EQ(config.hidden_size, 128);
  EXPECT_EQ(config.num_hidden_layers, 2);
  EXPECT_EQ(config.num_attention_heads, 2);
  EXPECT_EQ(config.intermediate_size, 512);
  EXPECT_EQ(config.LinearLayers().size(), 14u);
}

TEST(BertConfig, SquareIdentityLayersAreAccepted) {
  BertConfig config;
  config.identity_layers = {"bert.encoder.layer.1.attention.self.value", "bert.pooler.dense"};
  EXPECT_TRUE(config.Validate().ok());
  config.hidden_size = config.intermediate_size = 512;
  config.identity_layers = {"bert.encoder.layer.0.output.dense"};
  EXPECT_TRUE(config.Validate().ok());
}

// Identity layers are checked from their names: a config.json asking for a billion layers is
// validated without listing them (the model-size limit refuses it afterwards, see checkpoint).
TEST(BertConfig, ChecksIdentityLayersWithoutListingEveryLayer) {
  BertConfig config;
  config.num_hidden_layers = 1'000'000'000;
  config.identity_layers = {"bert.encoder.layer.999999999.attention.self.query"};
  EXPECT_TRUE(config.Validate().ok()) << config.Validate();
  for (const char* bad :
       {"bert.encoder.layer.1000000000.attention.self.query",
        "bert.encoder.layer.01.attention.self.query", "bert.encoder.layer.1.attention.self",
        "bert.encoder.layer.x.output.dense"}) {
    config.identity_layers = {bad};
    EXPECT_THAT(config.Validate().message(), HasSubstr("no Linear layer named")) << bad;
  }
  config.identity_layers = {"bert.encoder.layer.5.intermediate.dense"};
  EXPECT_THAT(config.Validate().message(), HasSubstr("is not square"));
}

TEST(BertConfig, HfJsonRoundTrip) {
  BertConfig config;
  config.num_hidden_layers = 4;
  config.num_attention_heads = 8;
  config.hidden_size = 256;
  config.num_labels = 3;
  config.classifier_dropout = 0.2;
  config.identity_layers = {"bert.pooler.dense"};
  const nlohmann::json json = config.ToHfJson();
  EXPECT_EQ(json["architectures"][0], "BertForSequenceClassification");
  EXPECT_EQ(json["id2label"].size(), 3u);
  auto parsed = BertConfig::FromHfJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ToHfJson(), json);
  EXPECT_EQ(parsed->identity_layers, config.identity_layers);
  EXPECT_EQ(parsed->EffectiveClassifierDropout(), 0.2);
}

TEST(BertConfig, HfJsonRefusesUnsupportedOrMistypedFields) {
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {{{"hidden_act", "relu"}}, "hidden_act"},
      {{{"position_embedding_type", "relative_key"}}, "position_embedding_type"},
      {{{"hidden_size", "128"}}, "wrong type"},
      {{{"num_attention_heads", 3}}, "must divide"},
      {{{"nasq_identity_layers", "bert.pooler.dense"}}, "must be an array"},
      {nlohmann::json::array(), "JSON object"},
  };
  for (const auto& [json, message] : cases) {
    auto parsed = BertConfig::FromHfJson(json);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_THAT(parsed.status().message(), HasSubstr(message)) << json;
  }
}

// config.json is read with spec/'s strict reader: a mistyped field is named by its path, and
// null (HF's "unset") keeps the default.
TEST(BertConfig, HfJsonErrorsNameTheFieldPath) {
  auto parsed = BertConfig::FromHfJson({{"num_labels", 2.5}});
  EXPECT_EQ(parsed.status().message(),
            "config.json.num_labels: wrong type: expected an integer, got 2.5");
  auto with_null =
      BertConfig::FromHfJson({{"hidden_size", nullptr}, {"classifier_dropout", nullptr}});
  ASSERT_TRUE(with_null.ok()) << with_null.status();
  EXPECT_EQ(with_null->hidden_size, BertConfig{}.hidden_size);
  EXPECT_FALSE(with_null->classifier_dropout.has_value());
}

}  // namespace
}  // namespace nasq

// Tests for task/model_size.h: the analytic BERT parameter count and the size limit.
#include "task/model_size.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

BertDimensions BertTiny() {
  return {.vocab_size = 30522,
          .hidden_size = 128,
          .num_hidden_layers = 2,
          .intermediate_size = 512,
          .max_position_embeddings = 512};
}

TEST(ModelSize, CountsBertTinyLikeTransformers) {
  // sum(p.numel() for p in BertForSequenceClassification(prajjwal1/bert-tiny, 2 labels)).
  EXPECT_EQ(BertParameterCount(BertTiny()), 4'386'178);
  BertDimensions base = {.vocab_size = 30522,
                         .hidden_size = 768,
                         .num_hidden_layers = 12,
                         .intermediate_size = 3072,
                         .max_position_embeddings = 512};
  EXPECT_EQ(BertParameterCount(base), 109'483'778);  // bert-base-uncased, 2 labels
}

TEST(ModelSize, SaturatesInsteadOfOverflowing) {
  BertDimensions huge = BertTiny();
  huge.hidden_size = std::numeric_limits<int64_t>::max() / 2;
  EXPECT_EQ(BertParameterCount(huge), std::numeric_limits<int64_t>::max());
  huge.num_hidden_layers = -5;
  huge.hidden_size = -1;
  EXPECT_GE(BertParameterCount(huge), 0);
}

TEST(ModelSize, RefusesAMillionLayersNamingTheCountAndTheLimit) {
  BertDimensions deep = BertTiny();
  deep.num_hidden_layers = 1'000'000;
  const absl::Status status = CheckModelSize(deep, kDefaultMaxModelParams);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(status.message()), HasSubstr("198275989634 parameters"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("num_hidden_layers 1000000"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("limit of 2000000000 (--max-model-params)"));
  EXPECT_TRUE(CheckModelSize(BertTiny(), kDefaultMaxModelParams).ok());
  EXPECT_TRUE(CheckModelSize(BertTiny(), 4'386'178).ok());
  EXPECT_FALSE(CheckModelSize(BertTiny(), 4'386'177).ok());
}

}  // namespace
}  // namespace nasq

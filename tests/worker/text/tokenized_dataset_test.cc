#include "worker/text/tokenized_dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace nasq {
namespace {

using ::testing::ElementsAre;

TEST(TokenizeDataset, EncodesEveryExampleKeepingLabels) {
  auto tokenizer =
      WordPieceTokenizer::FromTokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "win", "money", "hi"});
  ASSERT_TRUE(tokenizer.ok());
  TextDataset dataset;
  dataset.label_names = {"ham", "spam"};
  dataset.examples = {{"a", "Hi", 0}, {"b", "WIN money money money", 1}};
  auto tokenized = TokenizeDataset(dataset, *tokenizer, 4);
  ASSERT_TRUE(tokenized.ok()) << tokenized.status();
  EXPECT_EQ(tokenized->label_names, dataset.label_names);
  EXPECT_EQ(tokenized->pad_id, 0);
  EXPECT_EQ(tokenized->max_length, 4);
  ASSERT_EQ(tokenized->size(), 2u);
  EXPECT_THAT(tokenized->examples[0].input_ids, ElementsAre(2, 6, 3));
  EXPECT_EQ(tokenized->examples[0].label, 0);
  EXPECT_THAT(tokenized->examples[1].input_ids, ElementsAre(2, 4, 5, 3));
  EXPECT_EQ(tokenized->examples[1].label, 1);
  EXPECT_EQ(TokenizeDataset(dataset, *tokenizer, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nasq

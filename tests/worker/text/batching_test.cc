#include "worker/text/batching.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace nasq {
namespace {

TokenizedDataset ThreeExamples() {
  TokenizedDataset dataset;
  dataset.label_names = {"ham", "spam"};
  dataset.pad_id = 0;
  dataset.examples = {{{101, 7, 8, 102}, 1}, {{101, 102}, 0}, {{101, 9, 102}, 1}};
  return dataset;
}

TEST(Batching, PadsToLongestInBatchWithMask) {
  auto batch = MakeBatch(ThreeExamples(), {1, 2});
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->input_ids.dtype(), torch::kInt64);
  EXPECT_TRUE(torch::equal(batch->input_ids,
                           torch::tensor({101, 102, 0, 101, 9, 102}, torch::kInt64).view({2, 3})));
  EXPECT_TRUE(torch::equal(batch->attention_mask,
                           torch::tensor({1, 1, 0, 1, 1, 1}, torch::kInt64).view({2, 3})));
  EXPECT_TRUE(torch::equal(batch->labels, torch::tensor({0, 1}, torch::kInt64)));
}

TEST(Batching, EpochBatchesCoverDatasetAndRejectBadIndices) {
  auto batches = MakeEpochBatches(ThreeExamples(), {.batch_size = 2, .shuffle = false}, 0);
  ASSERT_TRUE(batches.ok());
  ASSERT_EQ(batches->size(), 2u);
  EXPECT_EQ((*batches)[0].input_ids.size(1), 4);
  EXPECT_EQ((*batches)[1].input_ids.size(0), 1);
  EXPECT_EQ(MakeBatch(ThreeExamples(), {3}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeBatch(ThreeExamples(), {}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nasq

#include "worker/text/batch_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

namespace nasq {
namespace {

// Example i has i % 37 + 2 ids.
TokenizedDataset VariedLengths(int n) {
  TokenizedDataset dataset;
  dataset.label_names = {"a", "b"};
  for (int i = 0; i < n; ++i) {
    dataset.examples.push_back({std::vector<int32_t>(i % 37 + 2, 5), i % 2});
  }
  return dataset;
}

std::vector<size_t> Flatten(const std::vector<std::vector<size_t>>& batches) {
  std::vector<size_t> all;
  for (const auto& batch : batches) all.insert(all.end(), batch.begin(), batch.end());
  return all;
}

// Total padding if every batch is padded to its longest example.
size_t PaddingOf(const TokenizedDataset& dataset, const std::vector<std::vector<size_t>>& batches) {
  size_t padding = 0;
  for (const auto& batch : batches) {
    size_t longest = 0;
    for (size_t i : batch) longest = std::max(longest, dataset.examples[i].input_ids.size());
    for (size_t i : batch) padding += longest - dataset.examples[i].input_ids.size();
  }
  return padding;
}

struct PlanCase {
  std::string name;
  BatchPlanOptions options;
};

TEST(BatchPlan, EveryExampleExactlyOnceAndSeededPlansRepeat) {
  const TokenizedDataset dataset = VariedLengths(1000);
  const std::vector<PlanCase> cases = {
      {"shuffled", {.batch_size = 32}},
      {"ordered", {.batch_size = 32, .shuffle = false}},
      {"bucketed", {.batch_size = 16, .bucket_by_length = true, .bucket_pool_batches = 4}},
  };
  for (const PlanCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto plan = PlanBatches(dataset, c.options, /*epoch=*/0);
    auto again = PlanBatches(dataset, c.options, /*epoch=*/0);
    ASSERT_TRUE(plan.ok() && again.ok());
    EXPECT_EQ(*plan, *again);
    std::vector<size_t> all = Flatten(*plan);
    std::sort(all.begin(), all.end());
    std::vector<size_t> expected(dataset.size());
    std::iota(expected.begin(), expected.end(), 0);
    EXPECT_EQ(all, expected);
    // Only the one batch holding the remainder may be short (not necessarily the last one when
    // bucketing shuffles batch order).
    const size_t batch_size = static_cast<size_t>(c.options.batch_size);
    EXPECT_EQ(plan->size(), (dataset.size() + batch_size - 1) / batch_size);
  }
}

TEST(BatchPlan, OrderDependsOnSeedAndEpochOnlyWhenShuffling) {
  const TokenizedDataset dataset = VariedLengths(200);
  BatchPlanOptions options{.batch_size = 10};
  auto epoch0 = PlanBatches(dataset, options, 0);
  auto epoch1 = PlanBatches(dataset, options, 1);
  options.seed = 99;
  auto seeded = PlanBatches(dataset, options, 0);
  ASSERT_TRUE(epoch0.ok() && epoch1.ok() && seeded.ok());
  EXPECT_NE(*epoch0, *epoch1);
  EXPECT_NE(*epoch0, *seeded);

  options.shuffle = false;
  auto ordered = PlanBatches(dataset, options, 3);
  ASSERT_TRUE(ordered.ok());
  std::vector<size_t> expected(dataset.size());
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(Flatten(*ordered), expected);
}

TEST(BatchPlan, LengthBucketingReducesPadding) {
  const TokenizedDataset dataset = VariedLengths(2000);
  BatchPlanOptions plain{.batch_size = 16, .seed = 3};
  BatchPlanOptions bucketed = plain;
  bucketed.bucket_by_length = true;
  auto plain_plan = PlanBatches(dataset, plain, 0);
  auto bucketed_plan = PlanBatches(dataset, bucketed, 0);
  ASSERT_TRUE(plain_plan.ok() && bucketed_plan.ok());
  EXPECT_LT(PaddingOf(dataset, *bucketed_plan) * 4, PaddingOf(dataset, *plain_plan));
}

TEST(BatchPlan, DropLastAndInvalidOptions) {
  const TokenizedDataset dataset = VariedLengths(25);
  auto kept = PlanBatches(dataset, {.batch_size = 10}, 0);
  auto dropped = PlanBatches(dataset, {.batch_size = 10, .drop_last = true}, 0);
  ASSERT_TRUE(kept.ok() && dropped.ok());
  EXPECT_EQ(kept->size(), 3u);
  EXPECT_EQ(kept->back().size(), 5u);
  EXPECT_EQ(dropped->size(), 2u);
  EXPECT_EQ(PlanBatches(dataset, {.batch_size = 0}, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto empty = PlanBatches(TokenizedDataset{}, {}, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace nasq

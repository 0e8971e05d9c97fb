#include "worker/text/device_dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "worker/text/batch_plan.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

// `size` examples of 1 to 40 random tokens (ids 5..999), labels 0..2, pad id 0.
std::shared_ptr<const TokenizedDataset> RandomDataset(int size, uint32_t seed) {
  std::mt19937 rng(seed);
  auto dataset = std::make_shared<TokenizedDataset>();
  dataset->label_names = {"a", "b", "c"};
  dataset->max_length = 40;
  for (int i = 0; i < size; ++i) {
    TokenizedExample example;
    example.label = static_cast<int>(rng() % 3);
    const int length = 1 + static_cast<int>(rng() % 40);
    for (int t = 0; t < length; ++t) example.input_ids.push_back(5 + static_cast<int>(rng() % 995));
    dataset->examples.push_back(std::move(example));
  }
  return dataset;
}

void ExpectSameBatch(const TextBatch& actual, const TextBatch& expected, const std::string& where) {
  for (const auto& [a, e] : {std::pair{actual.input_ids, expected.input_ids},
                             std::pair{actual.attention_mask, expected.attention_mask},
                             std::pair{actual.labels, expected.labels}}) {
    EXPECT_EQ(a.dtype(), e.dtype()) << where;
    EXPECT_EQ(a.sizes().vec(), e.sizes().vec()) << where;
    EXPECT_TRUE(a.is_contiguous()) << where;
    EXPECT_TRUE(torch::equal(a.cpu(), e)) << where;
  }
}

// Every batch of random plans (shuffled, length-bucketed, drop_last, several batch sizes) equals
// MakeBatch's for the same indices on `device`.
void ExpectPlansMatchMakeBatch(torch::Device device) {
  const auto host = RandomDataset(203, 7);
  auto dataset = DeviceDataset::Create(host, device);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ(dataset->size(), 203u);
  EXPECT_EQ(dataset->device().type(), device.type());
  for (int batch_size : {1, 8, 32}) {
    for (bool bucket : {false, true}) {
      for (uint64_t seed : {0u, 3u}) {
        const BatchPlanOptions options{.batch_size = batch_size,
                                       .seed = seed,
                                       .bucket_by_length = bucket,
                                       .bucket_pool_batches = 4,
                                       .drop_last = seed == 3};
        auto plan = PlanBatches(*host, options, /*epoch=*/1);
        ASSERT_TRUE(plan.ok());
        auto uploaded = dataset->UploadPlan(*plan);
        ASSERT_TRUE(uploaded.ok()) << uploaded.status();
        ASSERT_EQ(uploaded->size(), plan->size());
        for (size_t step = 0; step < plan->size(); ++step) {
          auto expected = MakeBatch(*host, (*plan)[step]);
          auto actual = dataset->Batch(*uploaded, step);
          ASSERT_TRUE(expected.ok() && actual.ok()) << actual.status();
          EXPECT_EQ(actual->input_ids.device().type(), device.type());
          ExpectSameBatch(*actual, *expected,
                          "batch_size " + std::to_string(batch_size) + " bucket " +
                              std::to_string(bucket) + " step " + std::to_string(step));
        }
      }
    }
  }
}

// K members with their own seeds and length-grouped plans stack into [K, B, T]: member k's rows are
// its MakeBatch padded with pad_id (mask 0) up to the longest among all members.
void ExpectMemberStacksMatchMakeBatch(torch::Device device) {
  const auto host = RandomDataset(100, 11);
  auto dataset = DeviceDataset::Create(host, device);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  std::vector<std::vector<std::vector<size_t>>> plans;
  for (uint64_t seed : {1u, 2u, 3u}) {
    // Bucketed plans put the short last batch anywhere; drop_last keeps every step's sizes equal.
    auto plan = PlanBatches(
        *host, {.batch_size = 16, .seed = seed, .bucket_by_length = true, .drop_last = true}, 0);
    ASSERT_TRUE(plan.ok());
    plans.push_back(*plan);
  }
  auto uploaded = dataset->UploadMemberPlans(plans);
  ASSERT_TRUE(uploaded.ok()) << uploaded.status();
  ASSERT_EQ(uploaded->size(), plans[0].size());
  for (size_t step = 0; step < uploaded->size(); ++step) {
    auto stack = dataset->Batch(*uploaded, step);
    ASSERT_TRUE(stack.ok()) << stack.status();
    const int64_t rows = static_cast<int64_t>(plans[0][step].size());
    int64_t longest = 0;
    std::vector<TextBatch> expected;
    for (const auto& plan : plans) {
      auto batch = MakeBatch(*host, plan[step]);
      ASSERT_TRUE(batch.ok());
      longest = std::max(longest, batch->input_ids.size(1));
      expected.push_back(*batch);
    }
    ASSERT_EQ(stack->input_ids.sizes().vec(), (std::vector<int64_t>{3, rows, longest}));
    ASSERT_EQ(stack->attention_mask.sizes().vec(), (std::vector<int64_t>{3, rows, longest}));
    ASSERT_EQ(stack->labels.sizes().vec(), (std::vector<int64_t>{3, rows}));
    for (int64_t k = 0; k < 3; ++k) {
      const int64_t own = expected[k].input_ids.size(1);
      const torch::Tensor ids = stack->input_ids[k].cpu();
      const torch::Tensor mask = stack->attention_mask[k].cpu();
      EXPECT_TRUE(torch::equal(ids.narrow(1, 0, own), expected[k].input_ids));
      EXPECT_TRUE(torch::equal(mask.narrow(1, 0, own), expected[k].attention_mask));
      EXPECT_TRUE(ids.narrow(1, own, longest - own).eq(host->pad_id).all().item<bool>());
      EXPECT_TRUE(mask.narrow(1, own, longest - own).eq(0).all().item<bool>());
      EXPECT_TRUE(torch::equal(stack->labels[k].cpu(), expected[k].labels));
    }
  }
  // The one-step helper gives the same stack as step 0 of the plans.
  auto first = dataset->MakeMemberBatch({plans[0][0], plans[1][0], plans[2][0]});
  auto step0 = dataset->Batch(*uploaded, 0);
  ASSERT_TRUE(first.ok() && step0.ok()) << first.status();
  ExpectSameBatch(
      *first, TextBatch{step0->input_ids.cpu(), step0->attention_mask.cpu(), step0->labels.cpu()},
      "MakeMemberBatch");
}

TEST(DeviceDataset, RandomPlansGiveMakeBatchTensors) { ExpectPlansMatchMakeBatch(torch::kCPU); }

TEST(DeviceDataset, MemberPlansStackToTheLongestMember) {
  ExpectMemberStacksMatchMakeBatch(torch::kCPU);
}

TEST(DeviceDataset, OneBatchHelperEqualsMakeBatch) {
  const auto host = RandomDataset(30, 2);
  auto dataset = DeviceDataset::Create(host, torch::kCPU);
  ASSERT_TRUE(dataset.ok());
  const std::vector<size_t> indices = {29, 0, 4, 4, 17};
  auto actual = dataset->MakeBatch(indices);
  auto expected = MakeBatch(*host, indices);
  ASSERT_TRUE(actual.ok() && expected.ok()) << actual.status();
  ExpectSameBatch(*actual, *expected, "MakeBatch");
}

TEST(DeviceDataset, RefusesBadPlansNamingTheProblem) {
  auto empty = DeviceDataset::Create(std::make_shared<TokenizedDataset>(), torch::kCPU);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("empty"));

  auto dataset = DeviceDataset::Create(RandomDataset(10, 1), torch::kCPU);
  ASSERT_TRUE(dataset.ok());
  auto out_of_range = dataset->UploadPlan({{1, 2}, {3, 10}});
  EXPECT_EQ(out_of_range.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out_of_range.status().message(), HasSubstr("example index 10"));
  EXPECT_THAT(dataset->MakeBatch({}).status().message(), HasSubstr("empty batch"));
  EXPECT_THAT(dataset->UploadMemberPlans({}).status().message(), HasSubstr("no members"));
  EXPECT_THAT(dataset->UploadMemberPlans({{{1}, {2}}, {{3}}}).status().message(),
              HasSubstr("member 1 has 1 batches"));
  EXPECT_THAT(dataset->MakeMemberBatch({{1, 2}, {3}}).status().message(),
              HasSubstr("batch 0 of member 1 has 1 examples"));
  auto plan = dataset->UploadPlan({{0, 1}});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(dataset->Batch(*plan, 1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(DeviceDataset, CudaGivesTheCpuBatches_CUDA) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  ExpectPlansMatchMakeBatch(torch::Device(torch::kCUDA, 0));
}

TEST(DeviceDataset, CudaStacksMembersAsTheCpu_CUDA) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  ExpectMemberStacksMatchMakeBatch(torch::Device(torch::kCUDA, 0));
}

}  // namespace
}  // namespace nasq

// Dropout (worker/model/dropout.h): torch::dropout's contract, the drop rate, repeatability under
// torch::manual_seed, independence of the thread count, gradients, and the CUDA fallback.
#include "worker/model/dropout.h"

#include <gtest/gtest.h>

namespace nasq {
namespace {

constexpr double kP = 0.1;

// Restores LibTorch's intra-op thread count when it goes out of scope.
class ThreadCount {
 public:
  explicit ThreadCount(int threads) : saved_(torch::get_num_threads()) {
    torch::set_num_threads(threads);
  }
  ~ThreadCount() { torch::set_num_threads(saved_); }

 private:
  int saved_;
};

TEST(DropoutTest, IsTheIdentityOutsideTrainingAndAtZero) {
  const torch::Tensor x = torch::randn({4, 8});
  EXPECT_TRUE(Dropout(x, kP, /*training=*/false).is_same(x));
  EXPECT_TRUE(Dropout(x, 0.0, /*training=*/true).is_same(x));
}

TEST(DropoutTest, DropsAtRateAndScalesTheRest) {
  torch::manual_seed(3);
  const int64_t n = 1 << 20;
  const torch::Tensor x = torch::ones({n});
  const torch::Tensor y = Dropout(x, kP, /*training=*/true);
  const torch::Tensor dropped = y.eq(0);
  const double rate = dropped.to(torch::kDouble).mean().item<double>();
  // Binomial standard deviation sqrt(p (1 - p) / n) = 0.0003: 5 of them.
  EXPECT_NEAR(rate, kP, 0.0015);
  EXPECT_TRUE(torch::allclose(y.masked_select(dropped.logical_not()),
                              torch::full({1}, 1.0 / (1.0 - kP)), 0, 1e-6));
  // Unbiased: the mean of the output is the input's.
  EXPECT_NEAR(y.mean().item<double>(), 1.0, 0.005);
}

TEST(DropoutTest, RateHoldsAtOtherProbabilitiesAndOddSizes) {
  torch::manual_seed(4);
  for (double p : {0.01, 0.5, 0.9}) {
    const torch::Tensor y = Dropout(torch::ones({1001, 999}), p, /*training=*/true);
    EXPECT_NEAR(y.eq(0).to(torch::kDouble).mean().item<double>(), p, 0.005) << "p " << p;
  }
}

TEST(DropoutTest, MasksRepeatUnderManualSeedAndDifferBetweenCalls) {
  const torch::Tensor x = torch::ones({64, 128});
  torch::manual_seed(7);
  const torch::Tensor first = Dropout(x, kP, true);
  const torch::Tensor second = Dropout(x, kP, true);
  torch::manual_seed(7);
  EXPECT_TRUE(torch::equal(Dropout(x, kP, true), first));
  EXPECT_FALSE(torch::equal(first, second));
}

TEST(DropoutTest, MaskDoesNotDependOnTheThreadCount) {
  // Large enough for several parallel chunks.
  const torch::Tensor x = torch::ones({8, 2, 128, 128});
  torch::Tensor one_thread, two_threads;
  {
    ThreadCount threads(1);
    torch::manual_seed(11);
    one_thread = Dropout(x, kP, true);
  }
  {
    ThreadCount threads(2);
    torch::manual_seed(11);
    two_threads = Dropout(x, kP, true);
  }
  EXPECT_TRUE(torch::equal(one_thread, two_threads));
}

TEST(DropoutTest, GradientIsTheScaledKeepMask) {
  torch::manual_seed(5);
  const torch::Tensor x = torch::randn({32, 64}, torch::requires_grad());
  const torch::Tensor y = Dropout(x, kP, true);
  y.sum().backward();
  const torch::Tensor kept = y.ne(0);
  const torch::Tensor expected =
      torch::where(kept, torch::full_like(x, 1.0 / (1.0 - kP)), torch::zeros_like(x));
  EXPECT_TRUE(torch::allclose(x.grad(), expected, 0, 1e-6));
}

TEST(DropoutTest, NonContiguousInputsKeepTheirValues) {
  torch::manual_seed(6);
  const torch::Tensor x = torch::randn({16, 32}).t();
  const torch::Tensor y = Dropout(x, kP, true);
  ASSERT_EQ(y.sizes(), x.sizes());
  const torch::Tensor kept = y.ne(0);
  EXPECT_TRUE(torch::allclose(y.masked_select(kept), x.masked_select(kept) / (1.0 - kP)));
}

TEST(DropoutTest, OneDropsEverything) {
  EXPECT_TRUE(torch::equal(Dropout(torch::ones({10}), 1.0, true), torch::zeros({10})));
}

TEST(DropoutTest, FallsBackToTorchDropoutOnCuda_CUDA) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "CUDA is not available";
  const torch::Tensor x = torch::ones({1 << 20}, torch::Device(torch::kCUDA, 0));
  const torch::Tensor y = Dropout(x, kP, true);
  EXPECT_TRUE(y.is_cuda());
  EXPECT_NEAR(y.eq(0).to(torch::kDouble).mean().item<double>(), kP, 0.0015);
}

}  // namespace
}  // namespace nasq

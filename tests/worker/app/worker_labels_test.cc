// DescribeWorker: the labels a worker sends with every LeaseTrial.
#include "worker/app/worker_labels.h"

#include "gtest/gtest.h"

namespace nasq {
namespace {

TEST(DescribeWorker, CpuWorkerReportsDeviceHostSlotsAndThreads) {
  WorkerOptions options;
  options.slots = 3;
  options.num_threads = 2;
  options.fuse = 4;
  const auto labels = DescribeWorker(options);
  EXPECT_EQ(labels.at("device"), "cpu");
  EXPECT_EQ(labels.at("slots"), "3");
  EXPECT_EQ(labels.at("threads"), "2");
  EXPECT_EQ(labels.at("fuse"), "4");
  EXPECT_FALSE(labels.at("host").empty());
  EXPECT_FALSE(labels.contains("gpu_name"));
  EXPECT_FALSE(labels.contains("gpu_error"));
}

TEST(DescribeWorker, CudaWorkerReportsItsGpuOrWhyNot) {
  WorkerOptions options;
  options.device = "cuda:0";
  const auto labels = DescribeWorker(options);
  // With a GPU and its driver: name and memory; without (CI): the reason, never both.
  if (labels.contains("gpu_name")) {
    EXPECT_FALSE(labels.at("gpu_name").empty());
    EXPECT_GT(std::stoll(labels.at("gpu_memory_bytes")), 0);
    EXPECT_FALSE(labels.contains("gpu_error"));
  } else {
    EXPECT_FALSE(labels.at("gpu_error").empty());
  }
}

TEST(DescribeWorker, UnreadableCudaOrdinalIsNamed) {
  WorkerOptions options;
  options.device = "cuda:x";
  EXPECT_EQ(DescribeWorker(options).at("gpu_error"), "cannot read a device number from \"cuda:x\"");
  options.device = "cuda:99";
  const auto labels = DescribeWorker(options);
  EXPECT_FALSE(labels.contains("gpu_name"));
  EXPECT_FALSE(labels.at("gpu_error").empty());
}

}  // namespace
}  // namespace nasq

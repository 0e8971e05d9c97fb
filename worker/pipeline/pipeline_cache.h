// worker/pipeline/pipeline_cache.h: what trials of one worker process share: prepared
// (tokenised) datasets, their splits laid out on a device (worker/text/device_dataset.h) and base
// checkpoints, each built once and reused by later trials with the same inputs.
//
// Thread-safety: all methods may be called concurrently; builds are serialised (a caller waits
// while another builds), so each value is built once. Returned values are immutable and shared.
#ifndef NASQ_WORKER_PIPELINE_PIPELINE_CACHE_H_
#define NASQ_WORKER_PIPELINE_PIPELINE_CACHE_H_

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "task/task_spec.h"
#include "worker/pipeline/data_preparation.h"

namespace nasq {

// An HF checkpoint read into memory (defined in base_checkpoint.h, which needs LibTorch).
struct BaseCheckpoint;
// A tokenised split laid out on a device (worker/text/device_dataset.h, which needs LibTorch).
class DeviceDataset;

enum class DataSplit { kTrain, kTest };

class PipelineCache {
 public:
  PipelineCache();
  ~PipelineCache();
  PipelineCache(const PipelineCache&) = delete;
  PipelineCache& operator=(const PipelineCache&) = delete;

  // PrepareData(spec, checkpoint_vocab, paths), cached by PreparedDataKey. Errors are not cached.
  absl::StatusOr<std::shared_ptr<const PreparedData>> GetData(
      const TaskSpec& spec, const std::filesystem::path& checkpoint_vocab, const DataPaths& paths);

  // `split` of `data` (from GetData) laid out on `device` ("cpu", "cuda", "cuda:K"), cached by
  // the data, split and device. InvalidArgument for a bad device name; DeviceDataset::Create's
  // errors (not cached).
  absl::StatusOr<std::shared_ptr<const DeviceDataset>> GetDeviceData(
      const std::shared_ptr<const PreparedData>& data, DataSplit split, const std::string& device);

  // The checkpoint folder `folder` (already resolved), cached by CheckpointCacheKey (its path
  // and the sizes and mtimes of its files). CheckpointCacheKey's and LoadHfCheckpoint(folder,
  // max_params)'s errors.
  absl::StatusOr<std::shared_ptr<const BaseCheckpoint>> GetCheckpoint(
      const std::filesystem::path& folder, int64_t max_params);

  // Number of builds so far (data, device layouts and checkpoints), for tests and logs.
  int builds() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nasq

#endif  // NASQ_WORKER_PIPELINE_PIPELINE_CACHE_H_

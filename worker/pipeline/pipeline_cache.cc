#include "worker/pipeline/pipeline_cache.h"

#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "worker/checkpoint/checkpoint.h"
#include "worker/checkpoint/checkpoint_key.h"
#include "worker/pipeline/base_checkpoint.h"
#include "worker/text/device_dataset.h"

namespace nasq {

struct PipelineCache::Impl {
  std::mutex mu;  // held for lookups and builds
  std::map<std::string, std::shared_ptr<const PreparedData>> data;
  // By (data, split, device); each layout keeps its PreparedData alive, so the address is unique.
  std::map<std::tuple<const PreparedData*, DataSplit, std::string>,
           std::shared_ptr<const DeviceDataset>>
      device_data;
  std::map<std::string, std::shared_ptr<const BaseCheckpoint>> checkpoints;
  int builds = 0;
};

PipelineCache::PipelineCache() : impl_(std::make_unique<Impl>()) {}
PipelineCache::~PipelineCache() = default;

absl::StatusOr<std::shared_ptr<const PreparedData>> PipelineCache::GetData(
    const TaskSpec& spec, const std::filesystem::path& checkpoint_vocab, const DataPaths& paths) {
  const std::string key = PreparedDataKey(spec, checkpoint_vocab);
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (auto it = impl_->data.find(key); it != impl_->data.end()) return it->second;
  NASQ_ASSIGN_OR_RETURN(PreparedData data, PrepareData(spec, checkpoint_vocab, paths));
  ++impl_->builds;
  auto shared = std::make_shared<const PreparedData>(std::move(data));
  impl_->data.emplace(key, shared);
  return shared;
}

absl::StatusOr<std::shared_ptr<const DeviceDataset>> PipelineCache::GetDeviceData(
    const std::shared_ptr<const PreparedData>& data, DataSplit split, const std::string& device) {
  torch::Device parsed = torch::kCPU;
  try {
    parsed = torch::Device(device);
  } catch (const c10::Error&) {
    return absl::InvalidArgumentError(
        absl::StrCat("device \"", device, "\": expected cpu, cuda or cuda:K"));
  }
  const auto key = std::make_tuple(data.get(), split, parsed.str());
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (auto it = impl_->device_data.find(key); it != impl_->device_data.end()) return it->second;
  // Shares ownership of the whole PreparedData, so the split outlives the cache entry's users.
  std::shared_ptr<const TokenizedDataset> host(
      data, split == DataSplit::kTrain ? &data->train : &data->test);
  NASQ_ASSIGN_OR_RETURN(DeviceDataset laid_out, DeviceDataset::Create(std::move(host), parsed));
  ++impl_->builds;
  auto shared = std::make_shared<const DeviceDataset>(std::move(laid_out));
  impl_->device_data.emplace(key, shared);
  return shared;
}

absl::StatusOr<std::shared_ptr<const BaseCheckpoint>> PipelineCache::GetCheckpoint(
    const std::filesystem::path& folder, int64_t max_params) {
  NASQ_ASSIGN_OR_RETURN(const std::string key, CheckpointCacheKey(folder));
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (auto it = impl_->checkpoints.find(key); it != impl_->checkpoints.end()) return it->second;
  NASQ_ASSIGN_OR_RETURN(LoadedCheckpoint loaded, LoadHfCheckpoint(folder, max_params));
  ++impl_->builds;
  auto base = std::make_shared<BaseCheckpoint>();
  base->config = loaded.model->config();
  base->weights = ExportStateDict(*loaded.model);
  base->vocab_path = loaded.vocab_path;
  impl_->checkpoints.emplace(key, base);
  return std::shared_ptr<const BaseCheckpoint>(std::move(base));
}

int PipelineCache::builds() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->builds;
}

}  // namespace nasq

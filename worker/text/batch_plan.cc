#include "worker/text/batch_plan.h"

#include <algorithm>
#include <numeric>

#include "absl/status/status.h"

namespace nasq {
namespace {

// SplitMix64: tiny, well-mixed, identical on every platform.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound) without modulo bias (bound > 0).
  uint64_t Below(uint64_t bound) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do {
      x = Next();
    } while (x >= limit);
    return x % bound;
  }

 private:
  uint64_t state_;
};

template <typename T>
void Shuffle(std::vector<T>& items, SplitMix64& rng) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.Below(i)]);
}

// Cuts `order` into consecutive batches of batch_size.
void AppendBatches(const std::vector<size_t>& order, size_t batch_size,
                   std::vector<std::vector<size_t>>& batches) {
  for (size_t begin = 0; begin < order.size(); begin += batch_size) {
    const size_t end = std::min(order.size(), begin + batch_size);
    batches.emplace_back(order.begin() + begin, order.begin() + end);
  }
}

}  // namespace

absl::StatusOr<std::vector<std::vector<size_t>>> PlanBatches(const TokenizedDataset& dataset,
                                                             const BatchPlanOptions& options,
                                                             int epoch) {
  if (options.batch_size < 1 || options.bucket_pool_batches < 1) {
    return absl::InvalidArgumentError("batch_size and bucket_pool_batches must be >= 1");
  }
  const size_t batch_size = static_cast<size_t>(options.batch_size);
  SplitMix64 rng(options.seed * 0x100000001B3ull + static_cast<uint64_t>(epoch));
  std::vector<size_t> order(dataset.size());
  std::iota(order.begin(), order.end(), 0);
  if (options.shuffle) Shuffle(order, rng);

  std::vector<std::vector<size_t>> batches;
  if (options.bucket_by_length) {
    const size_t pool_size = batch_size * static_cast<size_t>(options.bucket_pool_batches);
    for (size_t begin = 0; begin < order.size(); begin += pool_size) {
      std::vector<size_t> pool(order.begin() + begin,
                               order.begin() + std::min(order.size(), begin + pool_size));
      std::stable_sort(pool.begin(), pool.end(), [&](size_t a, size_t b) {
        return dataset.examples[a].input_ids.size() < dataset.examples[b].input_ids.size();
      });
      AppendBatches(pool, batch_size, batches);
    }
  } else {
    AppendBatches(order, batch_size, batches);
  }
  if (options.drop_last) {
    std::erase_if(batches, [&](const auto& batch) { return batch.size() < batch_size; });
  }
  if (options.shuffle && options.bucket_by_length) Shuffle(batches, rng);
  return batches;
}

}  // namespace nasq

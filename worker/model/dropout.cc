#include "worker/model/dropout.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <cstdint>
#include <limits>

namespace nasq {
namespace {

// SplitMix64's output function: a bijective mix of 64 bits (Steele, Lea and Flood, 2014).
inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Elements per parallel chunk: small masks stay on one thread.
constexpr int64_t kGrain = 1 << 15;

// A float tensor of `sizes` whose elements are 0 with probability `p` and 1 / (1 - p) otherwise:
// element 2i and 2i + 1 compare the low and high 32 bits of SplitMix64(seed + i) with p * 2^32.
torch::Tensor ScaledKeepMask(torch::IntArrayRef sizes, double p, uint64_t seed) {
  torch::Tensor mask = torch::empty(sizes, torch::kFloat);
  float* out = mask.data_ptr<float>();
  const int64_t count = mask.numel();
  const auto threshold = static_cast<uint64_t>(std::ceil(p * 4294967296.0));
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  const int64_t pairs = (count + 1) / 2;
  at::parallel_for(0, pairs, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t pair = begin; pair < end; ++pair) {
      const uint64_t bits = SplitMix64(seed + static_cast<uint64_t>(pair));
      const int64_t i = 2 * pair;
      out[i] = (bits & 0xffffffffULL) >= threshold ? scale : 0.0f;
      if (i + 1 < count) out[i + 1] = (bits >> 32) >= threshold ? scale : 0.0f;
    }
  });
  return mask;
}

}  // namespace

torch::Tensor Dropout(const torch::Tensor& input, double p, bool training) {
  if (!training || p == 0.0) return input;
  if (!input.device().is_cpu() || input.scalar_type() != torch::kFloat || !(p > 0.0 && p < 1.0)) {
    return torch::dropout(input, p, training);
  }
  const auto seed = static_cast<uint64_t>(
      torch::randint(std::numeric_limits<int64_t>::max(), {1}, torch::kLong).item<int64_t>());
  torch::Tensor mask;
  {
    torch::NoGradGuard no_grad;
    mask = ScaledKeepMask(input.sizes(), p, seed);
  }
  return input * mask;
}

}  // namespace nasq

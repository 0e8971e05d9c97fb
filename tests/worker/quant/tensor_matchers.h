// tests/worker/quant/tensor_matchers.h: small helpers to compare fp32 tensors with expected values.
#ifndef NASQ_TESTS_WORKER_QUANT_TENSOR_MATCHERS_H_
#define NASQ_TESTS_WORKER_QUANT_TENSOR_MATCHERS_H_

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <vector>

namespace nasq {

inline at::Tensor Floats(const std::vector<float>& values) {
  return at::tensor(values, at::kFloat);
}

inline std::vector<float> ToVector(const at::Tensor& t) {
  const at::Tensor flat = t.detach().contiguous().flatten().to(at::kFloat);
  return std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
}

// Element-wise |actual - expected| <= tolerance (0 = bit-exact up to the sign of zero).
inline void ExpectValues(const at::Tensor& actual, const std::vector<float>& expected,
                         float tolerance = 0.0f) {
  const std::vector<float> values = ToVector(actual);
  ASSERT_EQ(values.size(), expected.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (tolerance == 0.0f) {
      EXPECT_EQ(values[i], expected[i]) << "element " << i;
    } else {
      EXPECT_NEAR(values[i], expected[i], tolerance) << "element " << i;
    }
  }
}

}  // namespace nasq

#endif  // NASQ_TESTS_WORKER_QUANT_TENSOR_MATCHERS_H_

// Tests for task/quant_format.h: the MASE quantiser names.
#include "task/quant_format.h"

#include <string>

#include "gtest/gtest.h"

namespace nasq {
namespace {

TEST(QuantFormatNames, RoundTripAndAliases) {
  for (QuantFormat format :
       {QuantFormat::kFloat32, QuantFormat::kInteger, QuantFormat::kMinifloatDenorm,
        QuantFormat::kMinifloatIeee, QuantFormat::kBlockFp, QuantFormat::kBlockMinifloat,
        QuantFormat::kLog, QuantFormat::kBlockLog, QuantFormat::kBinary,
        QuantFormat::kBinaryResidualSign, QuantFormat::kTernary}) {
    absl::StatusOr<QuantFormat> parsed = ParseQuantFormat(QuantFormatName(format));
    ASSERT_TRUE(parsed.ok()) << QuantFormatName(format);
    EXPECT_EQ(*parsed, format);
  }
  EXPECT_EQ(*ParseQuantFormat("fixed"), QuantFormat::kInteger);
  const absl::StatusOr<QuantFormat> unknown = ParseQuantFormat("int4");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(unknown.status().message()).find("int4"), std::string::npos);
}

}  // namespace
}  // namespace nasq

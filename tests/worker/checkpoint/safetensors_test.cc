#include "worker/checkpoint/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "nlohmann/json.hpp"
#include "tests/worker/model/model_test_util.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

// A safetensors file assembled by hand from header text and a data buffer.
std::string HandBuiltText(const std::string& json, const std::string& data) {
  std::string bytes(8, '\0');
  const uint64_t size = json.size();
  std::memcpy(bytes.data(), &size, 8);
  return bytes + json + data;
}

std::string HandBuilt(const nlohmann::json& header, const std::string& data) {
  return HandBuiltText(header.dump(), data);
}

std::string FloatBytes(std::initializer_list<float> values) {
  std::string out(values.size() * 4, '\0');
  std::memcpy(out.data(), values.begin(), out.size());
  return out;
}

TEST(Safetensors, ParsesHandBuiltFileWithHfNames) {
  const nlohmann::json header = {
      {"__metadata__", {{"format", "pt"}}},
      {"classifier.bias", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}}},
      {"bert.embeddings.word_embeddings.weight",
       {{"dtype", "F32"}, {"shape", {2, 2}}, {"data_offsets", {8, 24}}}},
  };
  auto contents = ParseSafetensors(HandBuilt(header, FloatBytes({0.5f, -1.f, 1.f, 2.f, 3.f, 4.f})));
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(contents->metadata.at("format"), "pt");
  EXPECT_TRUE(torch::equal(contents->tensors.at("classifier.bias"), torch::tensor({0.5f, -1.f})));
  EXPECT_TRUE(torch::equal(contents->tensors.at("bert.embeddings.word_embeddings.weight"),
                           torch::tensor({1.f, 2.f, 3.f, 4.f}).view({2, 2})));
}

TEST(Safetensors, RoundTripsEveryDtypeAndMetadata) {
  SafetensorsContents contents;
  contents.metadata = {{"format", "pt"}, {"nasq", "test"}};
  contents.tensors["a.f32"] = torch::randn({3, 5});
  contents.tensors["b.f16"] = torch::randn({4}).to(torch::kFloat16);
  contents.tensors["c.bf16"] = torch::randn({2, 3}).to(torch::kBFloat16);
  contents.tensors["d.i64"] = torch::arange(-3, 3, torch::kLong);
  contents.tensors["e.f64"] = torch::randn({2}, torch::kFloat64);
  contents.tensors["f.i32"] = torch::arange(5, torch::kInt);
  contents.tensors["g.u8"] = torch::arange(7, torch::kUInt8);
  contents.tensors["h.bool"] = torch::tensor({true, false, true});
  contents.tensors["i.empty"] = torch::zeros({0, 3});
  contents.tensors["j.scalar"] = torch::tensor(2.5f);
  contents.tensors["k.transposed"] = torch::randn({3, 4}).t();
  auto bytes = SerializeSafetensors(contents);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes->data(), 8);
  EXPECT_EQ(header_size % 8, 0u);
  auto parsed = ParseSafetensors(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->metadata, contents.metadata);
  ASSERT_EQ(parsed->tensors.size(), contents.tensors.size());
  for (const auto& [name, tensor] : contents.tensors) {
    const torch::Tensor& back = parsed->tensors.at(name);
    EXPECT_EQ(back.scalar_type(), tensor.scalar_type()) << name;
    EXPECT_EQ(back.sizes(), tensor.sizes()) << name;
    // Flattened: LibTorch 1.13's equal() cannot compare 0-dim tensors.
    EXPECT_TRUE(torch::equal(back.reshape(-1), tensor.reshape(-1))) << name;
  }
  const auto dir = testing::FreshDir("safetensors");
  ASSERT_TRUE(WriteSafetensors(dir / "m.safetensors", contents).ok());
  auto read = ReadSafetensors(dir / "m.safetensors");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(torch::equal(read->tensors.at("a.f32"), contents.tensors.at("a.f32")));
  EXPECT_EQ(ReadSafetensors(dir / "missing.safetensors").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(Safetensors, RefusesMalformedFilesWithClearErrors) {
  auto entry = [](const char* dtype, nlohmann::json shape, uint64_t begin, uint64_t end) {
    return nlohmann::json{{"dtype", dtype}, {"shape", shape}, {"data_offsets", {begin, end}}};
  };
  const std::string eight = FloatBytes({1.f, 2.f});
  std::string huge_length(8, '\xff');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"abc", "too short"},
      {huge_length + "{}", "exceeds the file"},
      {HandBuiltText("nul{", ""), "not a JSON object"},
      {HandBuiltText("[1]", ""), "not a JSON object"},
      {HandBuilt({{"t", entry("F8", {2}, 0, 8)}}, eight), "unsupported safetensors dtype 'F8'"},
      {HandBuilt({{"t", entry("F32", {3}, 0, 8)}}, eight), "bytes for a shape needing 12"},
      {HandBuilt({{"t", entry("F32", {2}, 0, 16)}}, eight), "outside the 8-byte data buffer"},
      {HandBuilt({{"t", entry("F32", {2}, 4, 0)}}, eight), "outside"},
      {HandBuilt({{"t", entry("F32", {-2}, 0, 8)}}, eight), "bad dimension"},
      {HandBuilt({{"t", {{"dtype", "F32"}, {"shape", {2}}}}}, eight), "needs dtype, shape"},
      {HandBuilt({{"a", entry("F32", {2}, 0, 8)}, {"b", entry("F32", {1}, 4, 8)}}, eight),
       "overlaps"},
      {HandBuilt({{"a", entry("F32", {1}, 4, 8)}}, eight), "leaves a gap"},
      {HandBuilt({{"a", entry("F32", {1}, 0, 4)}}, eight), "trailing bytes"},
      {HandBuilt({{"__metadata__", {{"k", 1}}}}, ""), "is not a string"},
  };
  for (const auto& [bytes, message] : cases) {
    auto parsed = ParseSafetensors(bytes);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_THAT(parsed.status().message(), HasSubstr(message));
  }
}

TEST(Safetensors, RefusesUnstorableDtypeOnWrite) {
  SafetensorsContents contents;
  contents.tensors["complex"] = torch::zeros({2}, torch::kComplexFloat);
  EXPECT_EQ(SerializeSafetensors(contents).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nasq

// Tests of core/limits.h: the UTF-8 check and the string/map/count validators.
#include "core/limits.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Utf8, AcceptsWellFormedText) {
  const std::vector<std::string> texts = {"",
                                          "plain ascii",
                                          "\xc3\xa9t\xc3\xa9",
                                          "\xe2\x82\xac",
                                          "\xf0\x9f\x98\x80",
                                          "\xef\xbf\xbd",
                                          "\xf4\x8f\xbf\xbf",
                                          std::string("nul\0inside", 10)};
  for (const std::string& text : texts) {
    EXPECT_TRUE(IsValidUtf8(text)) << text;
  }
}

TEST(Utf8, RefusesMalformedText) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"lone continuation", "\x80"},
      {"invalid byte", "\xff"},
      {"truncated 2-byte", "\xc3"},
      {"truncated 4-byte", "\xf0\x9f\x98"},
      {"bad continuation", "\xc3\x28"},
      {"overlong slash", "\xc0\xaf"},
      {"overlong 3-byte", "\xe0\x80\xaf"},
      {"overlong 4-byte", "\xf0\x80\x80\xaf"},
      {"surrogate", "\xed\xa0\x80"},
      {"above U+10FFFF", "\xf4\x90\x80\x80"},
      {"5-byte form", "\xf8\x88\x80\x80\x80"},
      {"valid then invalid", "ok\xe2\x82"},
  };
  for (const auto& [label, text] : cases) EXPECT_FALSE(IsValidUtf8(text)) << label;
}

TEST(ValidateText, ChecksSizeThenEncodingWithoutQuotingTheValue) {
  EXPECT_TRUE(ValidateText("abc", "f", 3).ok());
  const absl::Status long_text =
      ValidateText(std::string(50'000, 'x'), "space.params[0] name", 256);
  EXPECT_EQ(long_text.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(long_text.message(), "space.params[0] name: must be at most 256 bytes (got 50000)");
  const absl::Status bad = ValidateText("x\xff", "reason", 10);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(), "reason: must be valid UTF-8");
}

TEST(ValidateTextMap, NamesTheEntry) {
  EXPECT_TRUE(ValidateTextMap(std::map<std::string, std::string>{{"k", "v"}}, "attrs", 1).ok());
  const absl::Status empty_key =
      ValidateTextMap(std::map<std::string, std::string>{{"", "v"}}, "attrs", 10);
  EXPECT_EQ(empty_key.message(), "attrs: key of entry 0: must not be empty");
  const absl::Status long_key = ValidateTextMap(
      std::map<std::string, std::string>{{"a", "1"}, {std::string(300, 'k'), "v"}}, "labels", 10);
  EXPECT_EQ(long_key.message(), "labels: key of entry 1: must be at most 256 bytes (got 300)");
  const absl::Status bad_value =
      ValidateTextMap(std::map<std::string, std::string>{{"owner", "\xc3"}}, "user_attrs", 10);
  EXPECT_EQ(bad_value.message(), "user_attrs.owner: must be valid UTF-8");
  // Maps of numbers: only the keys are strings.
  EXPECT_TRUE(ValidateTextMap(std::map<std::string, double>{{"acc", 0.5}}, "metrics", 0).ok());
  EXPECT_THAT(
      std::string(
          ValidateTextMap(std::map<std::string, double>{{"\xff", 1}}, "metrics", 0).message()),
      HasSubstr("metrics: key of entry 0: must be valid UTF-8"));
  std::map<std::string, std::string> many;
  for (size_t i = 0; i <= limits::kMaxAttrs; ++i) many[std::to_string(i)] = "1";
  EXPECT_EQ(ValidateTextMap(many, "attrs", 10).message(), "attrs: at most 1000 entries (got 1001)");
}

TEST(FitText, KeepsTextThatFitsAndCutsTheRestAtACharacterBoundary) {
  EXPECT_EQ(FitText("short", 10), "short");
  EXPECT_EQ(FitText("exactly10!", 10), "exactly10!");
  EXPECT_EQ(FitText("eleven char", 10), "eleven ...");
  // "\xc3\xa9" is two bytes: the cut never splits it.
  EXPECT_EQ(FitText("abcd\xc3\xa9\xc3\xa9xyz", 9), "abcd\xc3\xa9...");
  EXPECT_EQ(FitText("abcde\xc3\xa9xyz", 9), "abcde...");
  EXPECT_EQ(FitText("bad \xff\xfe byte", 100), "bad ?? byte");
  EXPECT_EQ(FitText("\xed\xa0\x80", 10), "???");
  const std::vector<std::string> texts = {std::string(50'000, 'x'), std::string(50'000, '\xff'),
                                          "\xf0\x9f\x98\x80" + std::string(20, 'a')};
  for (const std::string& text : texts) {
    const std::string fitted = FitText(text, 16);
    EXPECT_TRUE(ValidateText(fitted, "f", 16).ok()) << fitted;
  }
}

TEST(ValidateCount, AllowsTheLimitAndNamesTheFieldPastIt) {
  EXPECT_TRUE(ValidateCount(100, 100, "f", "values").ok());
  EXPECT_EQ(ValidateCount(101, 100, "space.params", "params").message(),
            "space.params: at most 100 params (got 101)");
}

}  // namespace
}  // namespace nasq

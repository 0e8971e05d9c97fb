#include "spec/strict_json.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

struct Options {
  int count = 3;
  bool on = false;
  double weight = 1.0;
};

constexpr Field<Options> kOptionFields[] = {
    {.name = "count", .member = &Options::count, .doc = "how many", .min = 0, .max = 9},
    {.name = "on", .member = &Options::on, .doc = "whether"},
    {.name = "weight", .member = &Options::weight, .doc = "how much"},
};

std::string ErrorOf(const absl::Status& status) { return std::string(status.message()); }

TEST(StrictJson, ErrorsNameTheFieldPathAndWhatWasThere) {
  const Json j = Json::parse(R"({"tpe": {"n": "x", "flag": 1, "w": [1], "s": 2}})");
  auto top = JsonObjectReader::Of(j, "sampler");
  ASSERT_TRUE(top.ok());
  auto tpe = top->Object("tpe");
  ASSERT_TRUE(tpe.ok());
  EXPECT_EQ(ErrorOf(tpe->Get<int>("n").status()), "sampler.tpe.n: expected an integer, got \"x\"");
  EXPECT_EQ(ErrorOf(tpe->Get<bool>("flag").status()),
            "sampler.tpe.flag: expected true or false, got 1");
  EXPECT_EQ(ErrorOf(tpe->Get<double>("w").status()),
            "sampler.tpe.w: expected a number, got a list");
  EXPECT_EQ(ErrorOf(tpe->Get<std::string>("s").status()),
            "sampler.tpe.s: expected a string, got 2");
  EXPECT_EQ(ErrorOf(tpe->Get<int>("gone").status()), "sampler.tpe.gone: missing");
  EXPECT_EQ(tpe->Get<int>("gone").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorOf(top->Array("tpe").status()),
            "sampler.tpe: expected a JSON array, got an object");
  EXPECT_EQ(ErrorOf(JsonObjectReader::Of(Json(3), "x").status()),
            "x: expected a JSON object, got 3");
}

TEST(StrictJson, IntegersMustFitTheirType) {
  EXPECT_EQ(*JsonAs<int>(Json(7), "n"), 7);
  EXPECT_THAT(ErrorOf(JsonAs<int>(Json(int64_t{1} << 40), "n").status()),
              HasSubstr("n: expected an integer in [-2147483648, 2147483647], got 1099511627776"));
  EXPECT_THAT(ErrorOf(JsonAs<int>(Json(2.0), "n").status()), HasSubstr("expected an integer"));
  EXPECT_EQ(*JsonAs<uint64_t>(Json(uint64_t{1} << 63), "seed"), uint64_t{1} << 63);
  EXPECT_EQ(ErrorOf(JsonAs<uint64_t>(Json(-1), "seed").status()),
            "seed: expected a non-negative integer, got -1");
  EXPECT_EQ(*JsonAs<double>(Json(2), "w"), 2.0);
}

TEST(StrictJson, IntInRangeAcceptsIntegralFloats) {
  EXPECT_EQ(*JsonIntInRange(Json(8.0), "w", 1, 32), 8);
  EXPECT_EQ(*JsonIntInRange(Json(uint64_t{4}), "w", 1, 32), 4);
  for (const Json& bad : {Json(8.5), Json(0), Json(33), Json("8"), Json(nullptr)}) {
    EXPECT_THAT(ErrorOf(JsonIntInRange(bad, "w", 1, 32).status()),
                HasSubstr("w: expected an integer in [1, 32], got "))
        << bad.dump();
  }
}

TEST(StrictJson, OptionalReadsKeepTheDefault) {
  const Json j = Json::parse(R"({"present": 5})");
  auto r = JsonObjectReader::Of(j, "");
  ASSERT_TRUE(r.ok());
  int present = 1;
  int absent = 2;
  ASSERT_TRUE(r->Read("present", &present).ok());
  ASSERT_TRUE(r->Read("absent", &absent).ok());
  EXPECT_EQ(present, 5);
  EXPECT_EQ(absent, 2);
  EXPECT_EQ(ErrorOf(r->Get<int>("absent").status()), "absent: missing");
}

TEST(StrictJson, UnknownFieldsAreNamedWithTheFieldsThatAreKnown) {
  const Json j = Json::parse(R"({"a": 1, "b": 2, "typo": 3})");
  auto r = JsonObjectReader::Of(j, "task.train");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->Get<int>("a").ok());
  ASSERT_TRUE(r->Find("b") != nullptr);
  EXPECT_EQ(r->Find("c"), nullptr);
  EXPECT_EQ(ErrorOf(r->CheckNoUnknownFields()),
            "task.train.typo: unknown field (expected one of: a, b, c)");
  ASSERT_TRUE(r->Find("typo") != nullptr);
  EXPECT_TRUE(r->CheckNoUnknownFields().ok());
}

TEST(StrictJson, LongValuesAndKeysAreCutInMessages) {
  const std::string long_text(1000, 'x');
  const std::string message = ErrorOf(JsonAs<int>(Json(long_text), "n").status());
  EXPECT_THAT(message, HasSubstr("... (1000 bytes)\""));
  EXPECT_LT(message.size(), 120u);
  EXPECT_THAT(JsonChild("p", long_text), HasSubstr("... (1000 bytes)"));
  // A cut never splits a UTF-8 sequence: 63 ASCII bytes, then a 2-byte character.
  EXPECT_EQ(JsonExcerpt(std::string(63, 'a') + "\xC3\xA9" + "tail"),
            std::string(63, 'a') + "... (69 bytes)");
  EXPECT_EQ(JsonElement("space.params", 2), "space.params[2]");
  EXPECT_EQ(JsonChild("", "name"), "name");
}

TEST(StrictJson, ParseNamesTheDocument) {
  EXPECT_EQ(ErrorOf(ParseJson("{", "study spec").status()), "study spec: not valid JSON");
  EXPECT_TRUE(ParseJson("{}", "study spec").ok());
}

TEST(StrictJson, DescribedFieldsRoundTripAndKeepDefaultsWhenAbsent) {
  Options options;
  options.count = 7;
  options.on = true;
  options.weight = 0.25;
  Json out = Json::object();
  WriteFields(options, kOptionFields, out);
  EXPECT_EQ(out.dump(), R"({"count":7,"on":true,"weight":0.25})");
  auto r = JsonObjectReader::Of(out, "opts");
  ASSERT_TRUE(r.ok());
  Options back;
  ASSERT_TRUE(r->ReadFields(kOptionFields, back).ok());
  EXPECT_EQ(back.count, 7);
  EXPECT_TRUE(back.on);
  EXPECT_EQ(back.weight, 0.25);

  const Json partial = Json::parse(R"({"on": true})");
  Options defaults;
  ASSERT_TRUE(JsonObjectReader::Of(partial, "opts")->ReadFields(kOptionFields, defaults).ok());
  EXPECT_EQ(defaults.count, 3);
  EXPECT_TRUE(defaults.on);
}

TEST(StrictJson, DescribedFieldsRefuseWrongTypesNamingThePath) {
  const Json j = Json::parse(R"({"count": "x", "on": 1, "weight": 2})");
  Options options;
  auto r = JsonObjectReader::Of(j, "opts");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ErrorOf(r->ReadFields(kOptionFields, options)),
            "opts.count: expected an integer, got \"x\"");
  const Json too_big = Json::parse(R"({"count": 4294967296})");
  EXPECT_THAT(ErrorOf(JsonObjectReader::Of(too_big, "opts")->ReadFields(kOptionFields, options)),
              HasSubstr("opts.count: expected an integer in [-2147483648, 2147483647]"));
  EXPECT_EQ(options.count, 3);
}

}  // namespace
}  // namespace nasq

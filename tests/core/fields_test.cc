#include "core/fields.h"

#include <string>

#include "gtest/gtest.h"

namespace nasq {
namespace {

struct Options {
  int count = 3;
  int64_t budget = 0;
  bool on = false;
  double weight = 1.0;
};

constexpr Field<Options> kOptionFields[] = {
    {.name = "count", .member = &Options::count, .doc = "how many", .range = {{1, 9}}},
    {.name = "budget",
     .member = &Options::budget,
     .doc = "how long",
     .range = {{0, 100}},
     .zero_means = "unlimited"},
    {.name = "on", .member = &Options::on, .doc = "whether"},
    {.name = "weight", .member = &Options::weight, .doc = "how much"},
};

TEST(Fields, TypesFollowTheMembers) {
  EXPECT_EQ(TypeOf(kOptionFields[0]), FieldType::kInt);
  EXPECT_EQ(TypeOf(kOptionFields[1]), FieldType::kInt);
  EXPECT_EQ(TypeOf(kOptionFields[2]), FieldType::kBool);
  EXPECT_EQ(TypeOf(kOptionFields[3]), FieldType::kDouble);
  EXPECT_STREQ(FieldTypeNoun(FieldType::kInt), "an integer");
}

TEST(Fields, GetAndSetGoThroughTheMember) {
  Options o;
  EXPECT_EQ(GetField(o, kOptionFields[0]), FieldValue(int64_t{3}));
  ASSERT_TRUE(SetField(o, kOptionFields[0], FieldValue(int64_t{5}), "count").ok());
  ASSERT_TRUE(SetField(o, kOptionFields[2], FieldValue(true), "on").ok());
  ASSERT_TRUE(SetField(o, kOptionFields[3], FieldValue(int64_t{2}), "weight").ok());
  EXPECT_EQ(o.count, 5);
  EXPECT_TRUE(o.on);
  EXPECT_EQ(o.weight, 2.0);
}

TEST(Fields, SetRefusesOtherTypesAndIntegersTheMemberCannotHold) {
  Options o;
  EXPECT_EQ(SetField(o, kOptionFields[2], FieldValue(int64_t{1}), "x.on").message(),
            "x.on: expected true or false");
  EXPECT_EQ(SetField(o, kOptionFields[0], FieldValue(0.5), "x.count").message(),
            "x.count: expected an integer");
  EXPECT_EQ(SetField(o, kOptionFields[0], FieldValue(int64_t{1} << 40), "x.count").message(),
            "x.count: expected an integer in [-2147483648, 2147483647], got 1099511627776");
  ASSERT_TRUE(SetField(o, kOptionFields[1], FieldValue(int64_t{1} << 40), "x.budget").ok());
  EXPECT_EQ(o.count, 3);
}

TEST(Fields, RangesAreCheckedWithThePath) {
  Options o;
  EXPECT_TRUE(CheckFieldRanges(o, kOptionFields, "x").ok());
  o.count = 0;
  const absl::Status status = CheckFieldRanges(o, kOptionFields, "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "x.count: must be between 1 and 9 (got 0)");
  o.count = 1;
  o.budget = 101;
  EXPECT_EQ(CheckFieldRanges(o, kOptionFields, "").message(),
            "budget: must be between 0 and 100 (got 101)");
}

TEST(Fields, FindAndFormat) {
  EXPECT_EQ(FindField(kOptionFields, "weight"), &kOptionFields[3]);
  EXPECT_EQ(FindField(kOptionFields, "nope"), nullptr);
  EXPECT_EQ(FormatFieldValue(FieldValue(0.5)), "0.5");
  EXPECT_EQ(FormatFieldValue(FieldValue(false)), "false");
  EXPECT_EQ(FormatFieldValue(FieldValue(int64_t{-4})), "-4");
  EXPECT_EQ(FieldPath("sampler.tpe", "group"), "sampler.tpe.group");
  EXPECT_EQ(FieldPath("", "max_trials"), "max_trials");
}

}  // namespace
}  // namespace nasq

#include "core/trial_distributions.h"

#include <string>
#include <utility>
#include <vector>

#include "core/trial.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

// Spells out every field, so -Wmissing-field-initializers stays quiet.
FloatDistribution Float(double low, double high) {
  return FloatDistribution{low, high, false, std::nullopt};
}

CategoricalDistribution Categorical(std::vector<std::string> names) {
  CategoricalDistribution d;
  for (std::string& name : names) d.choices.emplace_back(std::move(name));
  return d;
}

TrialDistributions Sample() {
  return {{"act", Categorical({"relu", "gelu"})}, {"width", IntDistribution{8, 64, false, 1}}};
}

// A space with an unconditional "layers" and "width", active only when layers >= 2.
SearchSpace ConditionalSpace() {
  absl::StatusOr<SearchSpace> space = SearchSpace::Create({
      ParamSpec{"layers", IntDistribution{1, 3, false, 1}, {}},
      ParamSpec{"width", IntDistribution{8, 64, false, 1}, {{"layers", CompareOp::kGe, {2L}}}},
  });
  EXPECT_TRUE(space.ok()) << space.status();
  return *std::move(space);
}

TEST(TrialDistributions, HasTheConstMapInterface) {
  const TrialDistributions d = Sample();
  EXPECT_EQ(d.size(), 2u);
  EXPECT_FALSE(d.empty());
  EXPECT_EQ(d.count("act"), 1u);
  EXPECT_TRUE(d.contains("width"));
  EXPECT_FALSE(d.contains("lr"));
  EXPECT_EQ(d.find("lr"), d.end());
  EXPECT_EQ(d.find("width")->second, Distribution(IntDistribution{8, 64, false, 1}));
  EXPECT_EQ(d.at("act"), Distribution(Categorical({"relu", "gelu"})));
  std::vector<std::string> names;
  for (const auto& [name, unused] : d) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"act", "width"}));

  const TrialDistributions empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.begin(), empty.end());
  EXPECT_FALSE(empty.SharesMapWith(TrialDistributions()));  // empty holds no map
}

TEST(TrialDistributions, EqualityComparesEntries) {
  EXPECT_EQ(Sample(), Sample());
  EXPECT_FALSE(Sample().SharesMapWith(Sample()));  // equal, but two maps
  TrialDistributions other = Sample();
  other.insert_or_assign("act", Categorical({"gelu", "relu"}));  // order matters, as in Optuna
  EXPECT_NE(Sample(), other);
  EXPECT_EQ(TrialDistributions(), TrialDistributions(TrialDistributions::Map()));
}

TEST(TrialDistributions, CopiesShareTheMapAndMutationCopiesOnWrite) {
  const TrialDistributions original = Sample();
  TrialDistributions copy = original;
  EXPECT_TRUE(copy.SharesMapWith(original));

  copy.insert_or_assign("lr", Float(0.0, 1.0));
  EXPECT_FALSE(copy.SharesMapWith(original));
  EXPECT_EQ(copy.size(), 3u);
  EXPECT_EQ(original, Sample());  // the shared map did not change

  TrialDistributions erased = original;
  EXPECT_EQ(erased.erase("missing"), 0u);
  EXPECT_TRUE(erased.SharesMapWith(original));  // nothing to erase: no copy
  EXPECT_EQ(erased.erase("act"), 1u);
  EXPECT_FALSE(erased.contains("act"));
  EXPECT_TRUE(original.contains("act"));

  TrialDistributions cleared = original;
  cleared.clear();
  EXPECT_TRUE(cleared.empty());
  EXPECT_EQ(original.size(), 2u);
}

TEST(TrialDistributions, TrialCopiesShareTheirDistributions) {
  Trial trial;
  trial.params = {{"act", 1.0}, {"width", 16.0}};
  trial.distributions = Sample();
  Trial copy = trial;
  EXPECT_TRUE(copy.distributions.SharesMapWith(trial.distributions));
  copy.distributions.erase("width");
  EXPECT_TRUE(trial.distributions.contains("width"));
  EXPECT_EQ(std::get<int64_t>(*trial.ExternalParam("width")), 16);
  EXPECT_FALSE(copy.ExternalParam("width").has_value());
}

TEST(DistributionsInterner, EqualMapsShareOneAndUnequalOnesStayApart) {
  DistributionsInterner interner;
  TrialDistributions a = Sample(), b = Sample(), c = Sample();
  c.insert_or_assign("width", IntDistribution{8, 128, false, 1});  // same names, other bounds
  TrialDistributions empty;
  for (TrialDistributions* d : {&a, &b, &c, &empty}) interner.Intern(*d);
  EXPECT_TRUE(a.SharesMapWith(b));
  EXPECT_FALSE(a.SharesMapWith(c));
  EXPECT_EQ(c.at("width"), Distribution(IntDistribution{8, 128, false, 1}));
  EXPECT_TRUE(empty.empty());

  TrialDistributions d = Sample();  // after another map: found among the interned ones
  interner.Intern(d);
  EXPECT_TRUE(d.SharesMapWith(a));

  // An interned map is held by the interner too: changing a trial's copies it.
  d.insert_or_assign("lr", Float(0.0, 1.0));
  EXPECT_EQ(a, Sample());
  EXPECT_FALSE(d.SharesMapWith(a));
}

TEST(DistributionsInterner, FromSpaceSharesOneMapPerSetOfActiveParams) {
  const SearchSpace space = ConditionalSpace();
  DistributionsInterner interner;
  const InternalParams shallow = {{"layers", 1.0}};
  const InternalParams deep = {{"layers", 3.0}, {"width", 16.0}};
  const TrialDistributions a = interner.FromSpace(space, shallow);
  const TrialDistributions b = interner.FromSpace(space, deep);
  const TrialDistributions c = interner.FromSpace(space, shallow);  // not the last one built
  const TrialDistributions d = interner.FromSpace(space, deep);
  EXPECT_EQ(a, (TrialDistributions{{"layers", space.Find("layers")->distribution}}));
  EXPECT_EQ(b, (TrialDistributions{{"layers", space.Find("layers")->distribution},
                                   {"width", space.Find("width")->distribution}}));
  EXPECT_TRUE(a.SharesMapWith(c));
  EXPECT_TRUE(b.SharesMapWith(d));
  EXPECT_FALSE(a.SharesMapWith(b));
  EXPECT_TRUE(interner.FromSpace(space, {}).empty());

  // A map interned from elsewhere (a loaded trial) is reused when it equals the space's.
  DistributionsInterner loaded;
  TrialDistributions stored{{"layers", space.Find("layers")->distribution}};
  loaded.Intern(stored);
  EXPECT_TRUE(loaded.FromSpace(space, shallow).SharesMapWith(stored));
  // ... and not when it differs from the space's.
  DistributionsInterner stale;
  TrialDistributions other{{"layers", IntDistribution{1, 9, false, 1}}};
  stale.Intern(other);
  const TrialDistributions fresh = stale.FromSpace(space, shallow);
  EXPECT_FALSE(fresh.SharesMapWith(other));
  EXPECT_EQ(fresh.at("layers"), space.Find("layers")->distribution);
}

}  // namespace
}  // namespace nasq

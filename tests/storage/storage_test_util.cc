// tests/storage/storage_test_util.cc: see storage_test_util.h.
#include "tests/storage/storage_test_util.h"

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "gtest/gtest.h"

namespace nasq::testing {
namespace {

SearchSpace MustCreate(std::vector<ParamSpec> params, std::vector<Constraint> constraints) {
  absl::StatusOr<SearchSpace> space =
      SearchSpace::Create(std::move(params), std::move(constraints));
  EXPECT_TRUE(space.ok()) << space.status();
  return space.ok() ? *std::move(space) : SearchSpace();
}

// NaN equals NaN; -0.0 equals 0.0 (SQLite does not keep the sign of zero).
bool SameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void ExpectSameValue(const ParamValue& expected, const ParamValue& actual,
                     const std::string& where) {
  EXPECT_EQ(expected.index(), actual.index()) << where << ": type differs";
  EXPECT_TRUE(ParamValueEquals(expected, actual))
      << where << ": " << ParamValueToString(expected) << " vs " << ParamValueToString(actual);
}

void ExpectSameValues(const std::vector<ParamValue>& expected,
                      const std::vector<ParamValue>& actual, const std::string& where) {
  ASSERT_EQ(expected.size(), actual.size()) << where;
  for (size_t i = 0; i < expected.size(); ++i) {
    ExpectSameValue(expected[i], actual[i], where + "[" + std::to_string(i) + "]");
  }
}

void ExpectSameDistribution(const Distribution& expected, const Distribution& actual,
                            const std::string& where) {
  ASSERT_EQ(expected.index(), actual.index()) << where << ": kind differs";
  if (const auto* c = std::get_if<CategoricalDistribution>(&expected)) {
    ExpectSameValues(c->choices, std::get<CategoricalDistribution>(actual).choices,
                     where + ".choices");
  } else {
    EXPECT_TRUE(expected == actual) << where;
  }
}

}  // namespace

StudySpec SampleSpec(const std::string& name) {
  StudySpec spec;
  spec.name = name;
  spec.directions = {StudyDirection::kMinimize};
  spec.space = MustCreate(
      {
          ParamSpec{"lr", FloatDistribution{1e-5, 1e-1, true, std::nullopt}, {}},
          ParamSpec{"layers", IntDistribution{1, 8, false, 1}, {}},
          ParamSpec{"act", CategoricalDistribution{{std::string("relu"), std::string("gelu")}}, {}},
          ParamSpec{"width",
                    IntDistribution{16, 256, false, 16},
                    {Condition{"layers", CompareOp::kGe, {int64_t{2}}}}},
      },
      {Constraint{"layers", CompareOp::kLe, "", 6.0}});
  return spec;
}

StudySpec RichSpec(const std::string& name) {
  StudySpec spec;
  spec.name = name;
  spec.directions = {StudyDirection::kMaximize, StudyDirection::kMinimize};
  spec.metric_names = {"accuracy", "bits"};
  spec.reference_point = {-0.25, 1.0 / 3.0};
  spec.space = MustCreate(
      {
          ParamSpec{"num_layers", IntDistribution{1, 12, false, 1}, {}},
          ParamSpec{"type",
                    CategoricalDistribution{
                        {std::string("integer"), std::string("float"), std::string("none")}},
                    {}},
          ParamSpec{
              "mixed",
              CategoricalDistribution{{true, int64_t{16}, 2.0, std::string("16"), false, -0.5}},
              {}},
          ParamSpec{
              "width",
              CategoricalDistribution{{int64_t{4}, int64_t{8}, int64_t{16}}},
              {Condition{"type", CompareOp::kIn, {std::string("integer"), std::string("float")}},
               Condition{"num_layers", CompareOp::kGe, {int64_t{4}}}}},
          ParamSpec{"frac_width",
                    IntDistribution{0, 15, false, 1},
                    {Condition{"type", CompareOp::kEq, {std::string("integer")}},
                     Condition{"width", CompareOp::kNotIn, {int64_t{4}}}}},
          ParamSpec{"dropout", FloatDistribution{0.0, 0.3, false, 0.05}, {}},
          ParamSpec{"lr", FloatDistribution{1.0 / 3.0e5, 0.1, true, std::nullopt}, {}},
          ParamSpec{"warmup",
                    IntDistribution{1, 1000, true, 1},
                    {Condition{"num_layers", CompareOp::kNe, {int64_t{1}}}}},
      },
      {Constraint{"frac_width", CompareOp::kLt, "width", 0.0},
       Constraint{"dropout", CompareOp::kLe, "", 0.25},
       Constraint{"warmup", CompareOp::kGe, "num_layers", -0.125}});
  spec.sampler.kind = SamplerKind::kTpe;
  spec.sampler.seed = std::numeric_limits<uint64_t>::max();
  spec.sampler.max_constraint_retries = 7;
  spec.sampler.skip_duplicates = true;
  spec.sampler.tpe = TpeOptions{3, 48, 0.75, false, true, true, true, true};
  // Budgets with a max, a min, both, and values that need every digit to round-trip.
  spec.budgets = {{"avg_bitwidth", {.max = 6}},
                  {"sparsity", {.min = 0.1}},
                  {"bitops", {.min = 1.0 / 3.0, .max = 2.0e9}}};
  // Every pruner section off its defaults; the threshold's upper bound stays infinite.
  spec.pruner = {.kind = PrunerKind::kPatient,
                 .wrapped = PrunerKind::kPercentile,
                 .objective = 1,
                 .percentile = {.percentile = 12.5,
                                .n_startup_trials = 2,
                                .n_warmup_steps = 3,
                                .interval_steps = 4,
                                .n_min_trials = 5},
                 .successive_halving = {.min_resource = 2,
                                        .reduction_factor = 3,
                                        .min_early_stopping_rate = 1,
                                        .bootstrap_count = 4},
                 .hyperband = {.min_resource = 2,
                               .max_resource = 81,
                               .reduction_factor = 2,
                               .bootstrap_count = 1},
                 .threshold = {.lower = -0.25, .n_warmup_steps = 6, .interval_steps = 7},
                 .patient = {.patience = 8, .min_delta = 0.125}};
  spec.max_trials = 123;
  spec.max_retries = 5;
  spec.max_consecutive_failures = 0;
  spec.lease_duration_ms = 90000;
  spec.heartbeat_interval_ms = 1500;
  spec.task_json = R"({ "kind": "bert-classify",  "epochs": 2, "nested": {"a": [1, 2.5]} })";
  spec.user_attrs = {{"owner", "\"ana\""}, {"budget", "{\"gpu_hours\": 3.5}"}};
  return spec;
}

Trial SampleTrialTemplate() {
  Trial t;
  t.state = TrialState::kRunning;
  t.params = {{"lr", 0.001}, {"layers", 3.0}, {"act", 1.0}, {"width", 64.0}};
  const StudySpec spec = SampleSpec("unused");
  for (const ParamSpec& p : spec.space.params()) {
    t.distributions.insert_or_assign(p.name, p.distribution);
  }
  t.values = {0.25};
  t.intermediate_values = {{0, 1.5},
                           {1, std::numeric_limits<double>::quiet_NaN()},
                           {2, std::numeric_limits<double>::infinity()},
                           {3, -std::numeric_limits<double>::infinity()}};
  t.user_attrs = {{"note", "\"first\""}};
  t.system_attrs = {{"fixed", "true"}};
  t.datetime_start_us = 1'700'000'000'000'123;
  t.attempt = 2;
  t.lease = Lease{"worker-a", 3, 1'700'000'060'000'000, "00112233445566778899aabbccddeeff",
                  LeaseKind::kWorker};
  return t;
}

void ExpectSameSpec(const StudySpec& expected, const StudySpec& actual) {
  EXPECT_EQ(expected.name, actual.name);
  EXPECT_EQ(expected.directions, actual.directions);
  EXPECT_EQ(expected.metric_names, actual.metric_names);
  EXPECT_EQ(expected.reference_point, actual.reference_point);
  ASSERT_EQ(expected.space.params().size(), actual.space.params().size());
  for (size_t i = 0; i < expected.space.params().size(); ++i) {
    const ParamSpec& e = expected.space.params()[i];
    const ParamSpec& a = actual.space.params()[i];
    const std::string where = "params[" + std::to_string(i) + "] (" + e.name + ")";
    EXPECT_EQ(e.name, a.name) << where;
    ExpectSameDistribution(e.distribution, a.distribution, where);
    ASSERT_EQ(e.conditions.size(), a.conditions.size()) << where;
    for (size_t c = 0; c < e.conditions.size(); ++c) {
      EXPECT_EQ(e.conditions[c].parent, a.conditions[c].parent) << where;
      EXPECT_EQ(e.conditions[c].op, a.conditions[c].op) << where;
      ExpectSameValues(e.conditions[c].values, a.conditions[c].values, where + ".conditions");
    }
  }
  ASSERT_EQ(expected.space.constraints().size(), actual.space.constraints().size());
  for (size_t i = 0; i < expected.space.constraints().size(); ++i) {
    const Constraint& e = expected.space.constraints()[i];
    const Constraint& a = actual.space.constraints()[i];
    EXPECT_EQ(e.lhs, a.lhs);
    EXPECT_EQ(e.op, a.op);
    EXPECT_EQ(e.rhs, a.rhs);
    EXPECT_TRUE(SameDouble(e.offset, a.offset)) << e.offset << " vs " << a.offset;
  }
  EXPECT_TRUE(expected.sampler == actual.sampler);
  EXPECT_TRUE(expected.pruner == actual.pruner);
  EXPECT_EQ(expected.budgets, actual.budgets);
  EXPECT_EQ(expected.max_trials, actual.max_trials);
  EXPECT_EQ(expected.max_retries, actual.max_retries);
  EXPECT_EQ(expected.max_consecutive_failures, actual.max_consecutive_failures);
  EXPECT_EQ(expected.lease_duration_ms, actual.lease_duration_ms);
  EXPECT_EQ(expected.heartbeat_interval_ms, actual.heartbeat_interval_ms);
  EXPECT_EQ(expected.task_json, actual.task_json);
  EXPECT_EQ(expected.user_attrs, actual.user_attrs);
}

void ExpectSameTrial(const Trial& expected, const Trial& actual) {
  EXPECT_EQ(expected.id, actual.id);
  EXPECT_EQ(expected.study_id, actual.study_id);
  EXPECT_EQ(expected.number, actual.number);
  EXPECT_EQ(expected.state, actual.state);
  EXPECT_EQ(expected.params, actual.params);
  ASSERT_EQ(expected.distributions.size(), actual.distributions.size());
  for (const auto& [name, d] : expected.distributions) {
    ASSERT_TRUE(actual.distributions.contains(name)) << name;
    ExpectSameDistribution(d, actual.distributions.at(name), "distributions[" + name + "]");
  }
  ASSERT_EQ(expected.values.size(), actual.values.size());
  for (size_t i = 0; i < expected.values.size(); ++i) {
    EXPECT_TRUE(SameDouble(expected.values[i], actual.values[i]))
        << "values[" << i << "]: " << expected.values[i] << " vs " << actual.values[i];
  }
  ASSERT_EQ(expected.intermediate_values.size(), actual.intermediate_values.size());
  for (const auto& [step, v] : expected.intermediate_values) {
    ASSERT_TRUE(actual.intermediate_values.contains(step)) << "step " << step;
    EXPECT_TRUE(SameDouble(v, actual.intermediate_values.at(step)))
        << "step " << step << ": " << v << " vs " << actual.intermediate_values.at(step);
  }
  EXPECT_EQ(expected.user_attrs, actual.user_attrs);
  EXPECT_EQ(expected.system_attrs, actual.system_attrs);
  EXPECT_EQ(expected.datetime_start_us, actual.datetime_start_us);
  EXPECT_EQ(expected.datetime_complete_us, actual.datetime_complete_us);
  EXPECT_EQ(expected.attempt, actual.attempt);
  EXPECT_EQ(expected.lease, actual.lease);
}

std::string TempDbPath(const std::string& stem) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = stem + "_" + std::to_string(getpid());
  if (info != nullptr) name += std::string("_") + info->test_suite_name() + "_" + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  const std::string path = (std::filesystem::path(::testing::TempDir()) / (name + ".db")).string();
  RemoveDbFiles(path);
  return path;
}

void RemoveDbFiles(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path + suffix, ec);
  }
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void CorruptMiddlePage(const std::string& path) {
  std::string bytes = ReadFileBytes(path);
  ASSERT_GE(bytes.size(), 100u) << path << " is not an SQLite database";
  // The page size is the big-endian 16-bit field at offset 16 of the header.
  const size_t page_size =
      (static_cast<unsigned char>(bytes[16]) << 8) | static_cast<unsigned char>(bytes[17]);
  const size_t pages = bytes.size() / page_size;
  ASSERT_GE(pages, 8u) << path << " is too small to corrupt a page in the middle";
  std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(pages / 2 * page_size), page_size,
              '\x5a');
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace nasq::testing

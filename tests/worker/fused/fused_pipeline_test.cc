// RunFusedTaskPipeline against RunTaskPipeline on a few hundred embedded SpamAssassin e-mails
// with a 1-layer, hidden-32 model and dropout 0 (issue 17, acceptance 2): members with different
// formats, learning rates, seeds and Identity layers agree with their solo runs; a diverging or
// cancelled member leaves the group alone. Skipped when the data is absent.
#include "worker/pipeline/fused_pipeline.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "task/param_binding.h"
#include "testing/scratch_dir.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

// The tolerance of docs/fused-training.md: loss within 1e-3 relative, accuracy and F1 within
// one test example's worth, cost metrics exact.
constexpr double kLossTolerance = 1e-3;

class FusedPipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cache_ = new PipelineCache(); }
  static void TearDownTestSuite() {
    delete cache_;
    cache_ = nullptr;
  }

  void SetUp() override {
    if (!ResolveInputPath("third_party/spam-assassin/data", "data", {}).ok()) {
      GTEST_SKIP() << "SpamAssassin data not found";
    }
    options_.num_threads = 2;
    options_.paths.cache_dir = testing_scratch::ScratchDir("fused-pipeline") / "cache";
  }

  // A member: a quantise stage with `precision` (JSON fields), one epoch of training with `lr`
  // and `seed`, an evaluate stage; `model_extra` adds model fields (init_seed, identity_layers).
  static TaskSpec Member(const std::string& precision, double lr, int seed,
                         const std::string& model_extra = "", int batch_size = 16) {
    const std::string json = R"({"kind": "bert-classify",
        "dataset": {"max_examples": 300, "max_length": 64},
        "tokenizer": {"vocab_size": 1000},
        "model": {"num_layers": 1, "num_heads": 2, "hidden_size": 32, "intermediate_size": 64,
                  "dropout": 0.0)" +
                             model_extra + R"(},
        "stages": [{"stage": "quantise", )" +
                             precision + R"(},
                   {"stage": "train", "batch_size": )" +
                             std::to_string(batch_size) + R"(, "learning_rate": )" +
                             std::to_string(lr) + R"(, "seed": )" + std::to_string(seed) +
                             R"(, "progress_every_steps": 2},
                   {"stage": "evaluate", "label": "end"}]})";
    auto spec = ParseTaskSpec(json);
    EXPECT_TRUE(spec.ok()) << spec.status();
    return *spec;
  }

  static std::vector<FusedMember> Fused(const std::vector<TaskSpec>& specs) {
    std::vector<FusedMember> members;
    for (const TaskSpec& spec : specs) members.push_back({.spec = spec});
    return members;
  }

  // Expects `fused` to agree with `solo` within the stated tolerance.
  static void ExpectAgree(const PipelineMetrics& fused, const PipelineMetrics& solo,
                          const std::string& what) {
    EXPECT_EQ(fused.size(), solo.size()) << what;
    const double example = 1.0 / 60;  // one of the 60 test examples
    for (const auto& [name, value] : solo) {
      ASSERT_TRUE(fused.count(name)) << what << ": missing " << name;
      if (name.find("second") != std::string::npos) continue;  // timings
      const double actual = fused.at(name);
      if (name.rfind("accuracy", 0) == 0 || name.rfind("f1", 0) == 0) {
        EXPECT_NEAR(actual, value, example * 1.01) << what << ": " << name;
      } else if (name.rfind("loss", 0) == 0) {
        EXPECT_NEAR(actual, value, kLossTolerance * std::abs(value)) << what << ": " << name;
      } else {
        EXPECT_EQ(actual, value) << what << ": " << name;
      }
    }
  }

  static PipelineCache* cache_;
  PipelineOptions options_;
};

PipelineCache* FusedPipelineTest::cache_ = nullptr;

const char* kFp32 = R"("type": "none")";
const char* kInt8 = R"("type": "integer", "width": 8, "frac_width": 4)";
const char* kInt4 = R"("type": "integer", "width": 4, "frac_width": 2)";
const char* kMinifloat = R"("type": "minifloat_ieee", "width": 8, "exponent_width": 4)";

TEST_F(FusedPipelineTest, MixedPrecisionMembersAgreeWithTheirSoloRuns) {
  const std::vector<TaskSpec> specs = {
      Member(kFp32, 1e-3, 1), Member(kInt8, 2e-3, 2, R"(, "init_seed": 7)"),
      Member(kInt4, 1e-3, 3,
             R"(, "identity_layers": ["bert.encoder.layer.0.attention.output.dense"])"),
      Member(kMinifloat, 5e-4, 4, R"(, "init_seed": 11)")};
  std::vector<int> stage_reports(specs.size(), 0);
  std::vector<FusedMember> members = Fused(specs);
  for (size_t m = 0; m < members.size(); ++m) {
    members[m].progress = [&stage_reports, m](const PipelineProgress& p) {
      if (p.stage_done) ++stage_reports[m];
      return true;
    };
  }
  const auto fused = RunFusedTaskPipeline(members, options_, *cache_);
  ASSERT_EQ(fused.size(), specs.size());
  for (size_t m = 0; m < specs.size(); ++m) {
    ASSERT_TRUE(fused[m].ok()) << "member " << m << ": " << fused[m].status();
    const auto solo = RunTaskPipeline(specs[m], options_, *cache_);
    ASSERT_TRUE(solo.ok()) << solo.status();
    ExpectAgree(*fused[m], *solo, "member " + std::to_string(m));
    EXPECT_EQ(stage_reports[m], 3) << "member " << m;
  }
  EXPECT_EQ(fused[0]->at("avg_bitwidth"), 32.0);
  EXPECT_EQ(fused[1]->at("avg_bitwidth"), 8.0);
  EXPECT_EQ(fused[2]->at("avg_bitwidth"), 4.0);
}

// The baseline of the drop tests: members A and B fused alone.
class FusedDropTest : public FusedPipelineTest {
 protected:
  static TaskSpec A() { return Member(kInt8, 1e-3, 1); }
  static TaskSpec B() { return Member(kFp32, 2e-3, 2, R"(, "init_seed": 5)"); }

  void ExpectBaseline(const absl::StatusOr<PipelineMetrics>& a,
                      const absl::StatusOr<PipelineMetrics>& b) {
    static const auto* baseline = new std::vector<absl::StatusOr<PipelineMetrics>>(
        RunFusedTaskPipeline(Fused({A(), B()}), options_, *cache_));
    ASSERT_TRUE(a.ok() && b.ok()) << a.status() << " " << b.status();
    ASSERT_TRUE((*baseline)[0].ok() && (*baseline)[1].ok());
    ExpectAgree(*a, *(*baseline)[0], "A");
    ExpectAgree(*b, *(*baseline)[1], "B");
    for (const char* name : {"accuracy", "loss", "f1"}) {
      EXPECT_NEAR(a->at(name), (*baseline)[0]->at(name), 1e-4) << name;
      EXPECT_NEAR(b->at(name), (*baseline)[1]->at(name), 1e-4) << name;
    }
  }
};

TEST_F(FusedDropTest, DivergingMemberIsDroppedAlone) {
  // The task schema refuses such a learning rate, so it is set past the parser: the engine
  // must still contain what it does to the member.
  TaskSpec diverging = Member(kFp32, 1e-3, 3);
  diverging.stages[1].train.learning_rate = 1e30;
  const auto results = RunFusedTaskPipeline(Fused({A(), diverging, B()}), options_, *cache_);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(results[1].status().message(), HasSubstr("training diverged: loss is"));
  ExpectBaseline(results[0], results[2]);
}

TEST_F(FusedDropTest, CancelledMembersAreDroppedAlone) {
  // C is stopped after its 4th training step (CANCELLED); D's pruner stops it at the same time
  // (its cost metrics, no accuracy).
  std::vector<FusedMember> members =
      Fused({A(), Member(kInt4, 1e-3, 3), Member(kInt4, 1e-3, 4), B()});
  int c_steps = 0;
  members[1].progress = [&](const PipelineProgress& p) {
    if (p.stage == "train" && !p.stage_done) c_steps = static_cast<int>(p.step);
    return true;
  };
  members[1].cancel_requested = [&] { return c_steps >= 4; };
  members[2].progress = [](const PipelineProgress& p) {
    return !(p.stage == "train" && !p.stage_done && p.step >= 4);
  };
  members[2].pruned = [] { return true; };
  const auto results = RunFusedTaskPipeline(members, options_, *cache_);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kCancelled) << results[1].status();
  ASSERT_TRUE(results[2].ok()) << results[2].status();
  EXPECT_EQ(results[2]->count("accuracy"), 0u);
  EXPECT_EQ(results[2]->at("avg_bitwidth"), 4.0);
  ExpectBaseline(results[0], results[3]);
}

TEST_F(FusedPipelineTest, DifferentFusionKeysAreRefusedForAll) {
  const auto results = RunFusedTaskPipeline(
      Fused({Member(kFp32, 1e-3, 1), Member(kFp32, 1e-3, 1, "", /*batch_size=*/8)}), options_,
      *cache_);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& result : results) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(result.status().message(), HasSubstr("fusion keys differ"));
  }
}

}  // namespace
}  // namespace nasq

// Tests of server/study_precision.h on examples/demo.yaml's study (read from the file) and
// variants of its space, with trials stored through StudyManager::AddTrial.
#include "server/study_precision.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/study_manager.h"
#include "spec/spec_yaml.h"
#include "storage/memory_storage.h"
#include "task/model_size.h"

namespace nasq {
namespace {

using Json = nlohmann::json;

StudySpec DemoSpec() {
  absl::StatusOr<StudySpec> spec = LoadStudySpecFile(NASQ_EXAMPLES_DIR "/demo.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

// `spec`'s space replaced by categorical params name -> choices.
StudySpec WithSpace(StudySpec spec,
                    const std::vector<std::pair<std::string, std::vector<ParamValue>>>& params) {
  std::vector<ParamSpec> specs;
  for (const auto& [name, choices] : params) {
    specs.push_back({name, CategoricalDistribution{choices}, {}});
  }
  spec.space = *SearchSpace::Create(std::move(specs));
  return spec;
}

class StudyPrecisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    manager_ = *StudyManager::Create(storage_.get(), &clock_);
  }

  // Creates `spec`'s study and adds one finished trial per entry of `trials`.
  std::vector<Trial> Run(const StudySpec& spec,
                         const std::vector<std::pair<TrialState, ExternalParams>>& trials) {
    EXPECT_TRUE(manager_->CreateStudy(spec).ok());
    double value = 0;
    for (const auto& [state, params] : trials) {
      AddedTrial added;
      added.state = state;
      added.params = params;
      if (state == TrialState::kComplete) added.values = {++value, 8.0};
      absl::StatusOr<Trial> stored = manager_->AddTrial(spec.name, added);
      EXPECT_TRUE(stored.ok()) << stored.status();
    }
    return *manager_->ListTrials(spec.name);
  }

  FakeClock clock_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<StudyManager> manager_;
};

// demo.yaml's params for one trial: the architecture and each searched layer's type.
ExternalParams Demo(int64_t num_layers, int64_t hidden_size, const std::string& query,
                    const std::string& key, const std::string& value,
                    const std::string& attention_output, const std::string& classifier) {
  return {{"num_layers", num_layers},
          {"hidden_size", hidden_size},
          {"layer0.attention.self.query.type", query},
          {"layer0.attention.self.key.type", key},
          {"layer0.attention.self.value.type", value},
          {"layer0.attention.output.dense.type", attention_output},
          {"classifier.type", classifier}};
}

TEST_F(StudyPrecisionTest, DemoListsTheSearchedLayersWithTheirTypeAndBits) {
  const StudySpec spec = DemoSpec();
  const std::vector<Trial> trials = Run(
      spec,
      {{TrialState::kComplete, Demo(1, 32, "linear", "linear", "linear", "linear", "linear")},
       {TrialState::kFail, Demo(1, 32, "integer", "linear", "linear", "linear", "linear")},
       {TrialState::kComplete, Demo(2, 64, "integer", "linear", "integer", "linear", "integer")},
       {TrialState::kComplete,
        Demo(2, 32, "integer", "integer", "integer", "integer", "integer")}});
  const Json got = StudyPrecisionJson(spec, trials);

  // The stage's default (integer 8) reaches every other layer in every trial: omitted.
  EXPECT_EQ(got["layers"], Json({"bert.encoder.layer.0.attention.self.query",
                                 "bert.encoder.layer.0.attention.self.key",
                                 "bert.encoder.layer.0.attention.self.value",
                                 "bert.encoder.layer.0.attention.output.dense", "classifier"}));
  const Json fp32 = {{"type", "linear"}, {"weight_bits", 32}};
  const Json int8 = {{"type", "integer"}, {"weight_bits", 8}};
  const Json want_trials = {
      {{"number", 0}, {"values", {1.0, 8.0}}, {"layers", {fp32, fp32, fp32, fp32, fp32}}},
      {{"number", 2}, {"values", {2.0, 8.0}}, {"layers", {int8, fp32, int8, fp32, int8}}},
      {{"number", 3}, {"values", {3.0, 8.0}}, {"layers", {int8, int8, int8, int8, int8}}}};
  EXPECT_EQ(got["trials"], want_trials) << got.dump(2);
}

TEST_F(StudyPrecisionTest, AStudySearchingNoPrecisionListsNoLayers) {
  const StudySpec spec = WithSpace(DemoSpec(), {{"num_layers", {int64_t{1}, int64_t{2}}},
                                                {"hidden_size", {int64_t{32}, int64_t{64}}}});
  const Json got = StudyPrecisionJson(
      spec,
      Run(spec,
          {{TrialState::kComplete, {{"num_layers", int64_t{1}}, {"hidden_size", int64_t{32}}}},
           {TrialState::kComplete, {{"num_layers", int64_t{2}}, {"hidden_size", int64_t{64}}}}}));
  EXPECT_EQ(got["layers"], Json::array());
  ASSERT_EQ(got["trials"].size(), 2u);
  EXPECT_EQ(got["trials"][1]["layers"], Json::array());
}

TEST_F(StudyPrecisionTest, DefaultWidthIdentityAndMissingLayersAcrossDepths) {
  const StudySpec spec = WithSpace(
      DemoSpec(),
      {{"num_layers", {int64_t{1}, int64_t{2}}},
       {"quant.width", {int64_t{4}, int64_t{8}}},
       {"layer0.attention.output.dense.type", {std::string("integer"), std::string("identity")}}});
  auto params = [](int64_t layers, int64_t width, const char* type) {
    return ExternalParams{{"num_layers", layers},
                          {"quant.width", width},
                          {"layer0.attention.output.dense.type", std::string(type)}};
  };
  // The one-layer trial first: the two-layer trials' extra layers must still merge in HF order.
  const Json got =
      StudyPrecisionJson(spec, Run(spec, {{TrialState::kComplete, params(1, 4, "integer")},
                                          {TrialState::kComplete, params(2, 8, "identity")},
                                          {TrialState::kComplete, params(2, 4, "integer")}}));

  BertDimensions two_layers = kBertTinyDimensions;
  two_layers.num_hidden_layers = 2;
  Json want_layers = Json::array();
  for (const BertLinearShape& layer : BertLinearLayers(two_layers))
    want_layers.push_back(layer.name);
  ASSERT_EQ(got["layers"], want_layers);
  ASSERT_EQ(got["trials"].size(), 3u);

  const Json int4 = {{"type", "integer"}, {"weight_bits", 4}};
  const Json int8 = {{"type", "integer"}, {"weight_bits", 8}};
  const Json identity = {{"type", "identity"}, {"weight_bits", 0}};
  const std::string attention_output = "bert.encoder.layer.0.attention.output.dense";
  for (size_t i = 0; i < want_layers.size(); ++i) {
    const std::string name = want_layers[i];
    SCOPED_TRACE(name);
    const bool in_layer1 = name.rfind("bert.encoder.layer.1.", 0) == 0;
    EXPECT_EQ(got["trials"][0]["layers"][i], in_layer1 ? Json(nullptr) : int4);
    EXPECT_EQ(got["trials"][1]["layers"][i], name == attention_output ? identity : int8);
    EXPECT_EQ(got["trials"][2]["layers"][i], int4);
  }
}

TEST_F(StudyPrecisionTest, TasksWhoseLayersTheServerCannotKnowGiveNothing) {
  StudySpec other = DemoSpec();
  other.task_json = R"({"kind": "toy"})";
  EXPECT_EQ(StudyPrecisionJson(other, {}),
            Json({{"layers", Json::array()}, {"trials", Json::array()}}));

  StudySpec checkpoint = DemoSpec();
  Json task = Json::parse(checkpoint.task_json);
  task["model"] = {{"checkpoint", "/models/bert"}};
  checkpoint.task_json = task.dump();
  Trial trial;
  trial.state = TrialState::kComplete;
  trial.number = 0;
  trial.values = {0.9, 8.0};
  EXPECT_EQ(StudyPrecisionJson(checkpoint, std::vector<Trial>{trial}),
            Json({{"layers", Json::array()}, {"trials", Json::array()}}));
}

}  // namespace
}  // namespace nasq

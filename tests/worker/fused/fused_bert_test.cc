// The fused model against K solo models: forward, gradients, Unfuse and dropping members, with
// per-member seeds, quantisation formats and Identity layers; FusedAdamW against
// torch::optim::AdamW. The *_CUDA tests repeat the equality checks on a GPU (skipped without).
#include "worker/fused/fused_bert.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "tests/worker/model/model_test_util.h"
#include "worker/fused/fused_adamw.h"
#include "worker/model/bert_quantisation.h"

namespace nasq {
namespace {

using Solo = std::shared_ptr<BertForSequenceClassification>;

QuantConfig Integer(int width, int frac) {
  QuantConfig c;
  c.format = QuantFormat::kInteger;
  c.width = width;
  c.frac_width = frac;
  return c;
}

QuantConfig Ternary() {
  QuantConfig c;
  c.format = QuantFormat::kTernary;
  c.scaled = true;
  return c;
}

QuantConfig BlockFp() {
  QuantConfig c;
  c.format = QuantFormat::kBlockFp;
  c.width = 6;
  c.exponent_width = 8;
  c.block_size = {1, 16};
  return c;
}

// Every operand of every layer in `format`, with `overrides` (layer name -> config) on top.
QuantisationConfig AllLayers(
    const QuantConfig& format,
    std::vector<std::pair<std::string, LinearQuantConfig>> overrides = {}) {
  QuantisationConfig config;
  config.default_config = {format, format, format};
  config.by = SelectBy::kName;
  for (auto& [name, layer] : overrides) config.rules.push_back({name, layer});
  return config;
}

const char* kIdentityLayer = "bert.encoder.layer.0.attention.output.dense";

// Three solo members: fp32 (seed 1); integer 8.4 everywhere, integer 4.2 on one layer shared
// with member 2 and an Identity layer (seed 2); integer 4.2 with a ternary weight and a block_fp
// data_in on single layers (seed 3). Plus the same quantisation on the fused model.
struct Members {
  std::vector<Solo> solo;
  std::vector<QuantisationConfig> quant;
};

Members MakeMembers(const torch::Device& device) {
  Members m;
  BertConfig config = testing::SmallConfig();
  config.hidden_dropout_prob = config.attention_probs_dropout_prob = 0.0;
  const std::string query = "bert.encoder.layer.1.attention.self.query";
  const LinearQuantConfig int4{Integer(4, 2), Integer(4, 2), Integer(4, 2)};
  m.quant = {QuantisationConfig{}, AllLayers(Integer(8, 4), {{query, int4}}),
             AllLayers(Integer(4, 2), {{"classifier", {Integer(4, 2), Ternary(), Integer(4, 2)}},
                                       {"bert.pooler.dense", {BlockFp(), Integer(4, 2), {}}}})};
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    BertConfig own = config;
    if (seed == 2) own.identity_layers.insert(kIdentityLayer);
    auto model = BertForSequenceClassification::Create(own, seed);
    EXPECT_TRUE(model.ok()) << model.status();
    (*model)->to(device);
    m.solo.push_back(*model);
  }
  return m;
}

std::shared_ptr<FusedBert> Fuse(const Members& m) {
  auto fused = FusedBert::Create(m.solo);
  EXPECT_TRUE(fused.ok()) << fused.status();
  for (size_t k = 0; k < m.solo.size(); ++k) {
    EXPECT_TRUE((*fused)->QuantiseMember(k, m.quant[k]).ok());
    EXPECT_TRUE(QuantiseBert(*m.solo[k], m.quant[k]).ok());
  }
  return *fused;
}

// Member k's batch: 4 sequences of its own length 6 + 2k, padded to 10 for the fused input.
struct Inputs {
  std::vector<testing::TokenBatch> solo;
  torch::Tensor ids;
  torch::Tensor mask;
};

Inputs MakeInputs(int64_t members, const torch::Device& device) {
  Inputs in;
  std::vector<torch::Tensor> ids;
  std::vector<torch::Tensor> masks;
  for (int64_t k = 0; k < members; ++k) {
    testing::TokenBatch b = testing::RandomBatch(50, 4, 6 + 2 * k, 100 + k);
    b.input_ids = b.input_ids.to(device);
    b.attention_mask = b.attention_mask.to(device);
    const int64_t extra = 10 - b.input_ids.size(1);
    ids.push_back(torch::constant_pad_nd(b.input_ids, {0, extra}, 0));
    masks.push_back(torch::constant_pad_nd(b.attention_mask, {0, extra}, 0));
    in.solo.push_back(b);
  }
  in.ids = torch::stack(ids);
  in.mask = torch::stack(masks);
  return in;
}

void ExpectForwardAndGradientsEqual(const torch::Device& device) {
  Members m = MakeMembers(device);
  auto fused = Fuse(m);
  Inputs in = MakeInputs(3, device);
  const torch::Tensor logits = fused->forward(in.ids, in.mask);
  ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{3, 4, 2}));
  logits.sum().backward();
  const auto fused_params = fused->named_parameters();
  for (int64_t k = 0; k < 3; ++k) {
    const torch::Tensor solo = m.solo[k]->forward(in.solo[k].input_ids, in.solo[k].attention_mask);
    EXPECT_TRUE(torch::allclose(logits[k], solo, 1e-5, 1e-5)) << "member " << k << "\n"
                                                              << logits[k] << "\n"
                                                              << solo;
    solo.sum().backward();
    for (const auto& item : m.solo[k]->named_parameters()) {
      const torch::Tensor fused_grad = fused_params[item.key()].grad()[k];
      EXPECT_TRUE(torch::allclose(fused_grad, item.value().grad(), 1e-4, 1e-6))
          << "member " << k << " " << item.key() << " max diff "
          << (fused_grad - item.value().grad()).abs().max().item<double>();
    }
  }
  // The Identity member's unused weight gets no gradient.
  EXPECT_EQ(
      fused_params[std::string(kIdentityLayer) + ".weight"].grad()[1].abs().sum().item<double>(),
      0.0);
}

TEST(FusedBertTest, ForwardAndGradientsEqualSoloModelsWithMixedFormatsAndIdentity) {
  ExpectForwardAndGradientsEqual(torch::kCPU);
}

TEST(FusedBertTest, ForwardAndGradientsEqualSoloModels_CUDA) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "CUDA is not available";
  ExpectForwardAndGradientsEqual(torch::Device(torch::kCUDA, 0));
}

TEST(FusedBertTest, UnfuseGivesBackEachMember) {
  Members m = MakeMembers(torch::kCPU);
  auto fused = Fuse(m);
  Inputs in = MakeInputs(3, torch::kCPU);
  for (int64_t k = 0; k < 3; ++k) {
    auto solo = fused->Unfuse(k);
    ASSERT_TRUE(solo.ok()) << solo.status();
    EXPECT_EQ((*solo)->config().identity_layers, m.solo[k]->config().identity_layers);
    const torch::Tensor expected =
        m.solo[k]->forward(in.solo[k].input_ids, in.solo[k].attention_mask);
    const torch::Tensor actual = (*solo)->forward(in.solo[k].input_ids, in.solo[k].attention_mask);
    EXPECT_TRUE(torch::equal(actual, expected)) << "member " << k;
  }
  EXPECT_FALSE(fused->Unfuse(3).ok());
}

TEST(FusedBertTest, KeepMembersDropsSlicesAndKeepsTheRestExact) {
  Members m = MakeMembers(torch::kCPU);
  auto fused = Fuse(m);
  Inputs in = MakeInputs(3, torch::kCPU);
  const torch::Tensor before = fused->forward(in.ids, in.mask).detach();
  ASSERT_TRUE(fused->KeepMembers({0, 2}).ok());
  EXPECT_EQ(fused->members(), 2);
  EXPECT_EQ(fused->member_config(1).identity_layers, m.solo[2]->config().identity_layers);
  const torch::Tensor index = torch::tensor({0, 2}, torch::kLong);
  const torch::Tensor after =
      fused->forward(in.ids.index_select(0, index), in.mask.index_select(0, index));
  EXPECT_TRUE(torch::allclose(after, before.index_select(0, index), 1e-6, 1e-6));
  EXPECT_FALSE(fused->KeepMembers({1, 0}).ok());
}

TEST(FusedBertTest, RefusesMembersOfDifferentShapes) {
  auto a = BertForSequenceClassification::Create(testing::SmallConfig(), 1);
  BertConfig wider = testing::SmallConfig();
  wider.intermediate_size = 48;
  auto b = BertForSequenceClassification::Create(wider, 1);
  ASSERT_TRUE(a.ok() && b.ok());
  auto fused = FusedBert::Create({*a, *b});
  EXPECT_EQ(fused.status().code(), absl::StatusCode::kInvalidArgument);
}

// K = 2 members with their own lr and weight decay, decay masked on one parameter (as HF's
// no-decay group): 5 steps of FusedAdamW with clipping against torch::optim::AdamW and
// clip_grad_norm_ on each member alone.
void ExpectAdamWMatchesTorch(const torch::Device& device) {
  torch::manual_seed(7);
  const std::vector<double> lr = {1e-2, 3e-3};
  const std::vector<double> wd = {0.1, 0.01};
  const auto options = torch::TensorOptions().device(device);
  torch::Tensor w = torch::randn({2, 5, 3}, options).requires_grad_();
  torch::Tensor b = torch::randn({2, 5}, options).requires_grad_();
  FusedAdamW fused({w, b}, {torch::ones({2}), torch::zeros({2})});
  std::vector<torch::Tensor> solo_w;
  std::vector<torch::Tensor> solo_b;
  std::vector<std::unique_ptr<torch::optim::AdamW>> solo_opt;
  for (int k = 0; k < 2; ++k) {
    solo_w.push_back(w[k].detach().clone().requires_grad_());
    solo_b.push_back(b[k].detach().clone().requires_grad_());
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<torch::Tensor>{solo_w[k]},
                        std::make_unique<torch::optim::AdamWOptions>(
                            torch::optim::AdamWOptions(lr[k]).weight_decay(wd[k])));
    groups.emplace_back(std::vector<torch::Tensor>{solo_b[k]},
                        std::make_unique<torch::optim::AdamWOptions>(
                            torch::optim::AdamWOptions(lr[k]).weight_decay(0.0)));
    solo_opt.push_back(std::make_unique<torch::optim::AdamW>(groups));
  }
  for (int step = 0; step < 5; ++step) {
    const torch::Tensor gw = torch::randn({2, 5, 3}, options) * (step + 1);
    const torch::Tensor gb = torch::randn({2, 5}, options);
    fused.ZeroGrad();
    w.mutable_grad() = gw.clone();
    b.mutable_grad() = gb.clone();
    fused.ClipGradNorm(2.0);
    fused.Step(lr, wd);
    for (int k = 0; k < 2; ++k) {
      solo_opt[k]->zero_grad();
      solo_w[k].mutable_grad() = gw[k].clone();
      solo_b[k].mutable_grad() = gb[k].clone();
      torch::nn::utils::clip_grad_norm_(std::vector<torch::Tensor>{solo_w[k], solo_b[k]}, 2.0);
      solo_opt[k]->step();
      EXPECT_TRUE(torch::allclose(w[k], solo_w[k], 0, 1e-6))
          << "step " << step << " member " << k << " max diff "
          << (w[k] - solo_w[k]).abs().max().item<double>();
      EXPECT_TRUE(torch::allclose(b[k], solo_b[k], 0, 1e-6)) << "step " << step;
    }
  }
  // Dropping member 0 keeps member 1's state: one more step still matches.
  {
    torch::NoGradGuard no_grad;
    w.set_data(w.index_select(0, torch::tensor({1}, torch::kLong).to(device)));
    b.set_data(b.index_select(0, torch::tensor({1}, torch::kLong).to(device)));
  }
  fused.KeepMembers({1});
  const torch::Tensor gw = torch::randn({5, 3}, options);
  const torch::Tensor gb = torch::randn({5}, options);
  w.mutable_grad() = gw.unsqueeze(0).clone();
  b.mutable_grad() = gb.unsqueeze(0).clone();
  fused.Step({lr[1]}, {wd[1]});
  solo_opt[1]->zero_grad();
  solo_w[1].mutable_grad() = gw.clone();
  solo_b[1].mutable_grad() = gb.clone();
  solo_opt[1]->step();
  EXPECT_TRUE(torch::allclose(w[0], solo_w[1], 0, 1e-6));
  EXPECT_TRUE(torch::allclose(b[0], solo_b[1], 0, 1e-6));
}

TEST(FusedAdamWTest, MatchesTorchAdamWPerMember) { ExpectAdamWMatchesTorch(torch::kCPU); }

TEST(FusedAdamWTest, MatchesTorchAdamWPerMember_CUDA) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "CUDA is not available";
  ExpectAdamWMatchesTorch(torch::Device(torch::kCUDA, 0));
}

}  // namespace
}  // namespace nasq

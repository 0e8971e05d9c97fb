#include "worker/fused/fused_bert.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "worker/model/bert_quantisation.h"
#include "worker/model/dropout.h"

namespace nasq {
namespace {

// A child module with no behaviour of its own; it only reproduces HF's module path.
std::shared_ptr<torch::nn::Module> AddPathModule(torch::nn::Module& parent,
                                                 const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

// Registers parameter "weight" of a new child `name` of `parent` (an embedding table).
torch::Tensor AddTable(torch::nn::Module& parent, const std::string& name,
                       std::vector<int64_t> sizes) {
  return AddPathModule(parent, name)->register_parameter("weight", torch::zeros(sizes));
}

// [K] reshaped to broadcast against a [K, ...] tensor of rank `rank`, keeping `trailing` dims.
torch::Tensor MemberView(const torch::Tensor& t, int64_t rank) {
  std::vector<int64_t> sizes(rank, 1);
  sizes[0] = t.size(0);
  sizes[rank - 1] = t.size(-1);
  return t.view(sizes);
}

// The config without identity_layers: what members must share.
BertConfig SharedPart(BertConfig config) {
  config.identity_layers.clear();
  return config;
}

}  // namespace

// LayerNorm over the last dim with per-member weight and bias [K, H].
class FusedLayerNorm : public torch::nn::Module {
 public:
  FusedLayerNorm(int64_t members, int64_t hidden, double eps)
      : hidden_(hidden),
        eps_(eps),
        weight(register_parameter("weight", torch::ones({members, hidden}))),
        bias(register_parameter("bias", torch::zeros({members, hidden}))) {}

  // x: [K, ..., H].
  torch::Tensor forward(const torch::Tensor& x) {
    return torch::layer_norm(x, {hidden_}, {}, {}, eps_) * MemberView(weight, x.dim()) +
           MemberView(bias, x.dim());
  }

 private:
  int64_t hidden_;
  double eps_;

 public:
  torch::Tensor weight;
  torch::Tensor bias;
};

// One encoder layer below "bert.encoder.layer.{i}", as BertLayer but over [K, B, T, H].
class FusedBertLayer : public torch::nn::Module {
 public:
  FusedBertLayer(const BertConfig& config, int64_t members, const std::string& path,
                 std::map<std::string, FusedLinear*>& linears)
      : num_heads_(config.num_attention_heads),
        head_dim_(config.hidden_size / config.num_attention_heads),
        hidden_dropout_(config.hidden_dropout_prob),
        attention_dropout_(config.attention_probs_dropout_prob) {
    const int64_t h = config.hidden_size;
    const int64_t inner = config.intermediate_size;
    auto attention = AddPathModule(*this, "attention");
    auto self = AddPathModule(*attention, "self");
    auto attention_output = AddPathModule(*attention, "output");
    auto intermediate = AddPathModule(*this, "intermediate");
    auto output = AddPathModule(*this, "output");
    auto add = [&](torch::nn::Module& owner, const std::string& name, const std::string& full,
                   int64_t in, int64_t out, FusedLinear& member) {
      member = owner.register_module(name, FusedLinear(members, in, out));
      linears[path + full] = &member;
    };
    add(*self, "query", "attention.self.query", h, h, query_);
    add(*self, "key", "attention.self.key", h, h, key_);
    add(*self, "value", "attention.self.value", h, h, value_);
    add(*attention_output, "dense", "attention.output.dense", h, h, attention_dense_);
    add(*intermediate, "dense", "intermediate.dense", h, inner, intermediate_dense_);
    add(*output, "dense", "output.dense", inner, h, output_dense_);
    attention_layer_norm_ = attention_output->register_module(
        "LayerNorm", std::make_shared<FusedLayerNorm>(members, h, config.layer_norm_eps));
    output_layer_norm_ = output->register_module(
        "LayerNorm", std::make_shared<FusedLayerNorm>(members, h, config.layer_norm_eps));
  }

  // x: [K, B, T, H]; mask_add: [K * B, 1, 1, T].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask_add) {
    const int64_t members = x.size(0);
    const int64_t batch = x.size(1);
    const int64_t seq = x.size(2);
    auto split_heads = [&](const torch::Tensor& t) {
      return t.view({members * batch, seq, num_heads_, head_dim_}).permute({0, 2, 1, 3});
    };
    const torch::Tensor q = split_heads(query_(x));
    const torch::Tensor k = split_heads(key_(x));
    const torch::Tensor v = split_heads(value_(x));
    torch::Tensor scores =
        torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_dim_)) +
        mask_add;
    torch::Tensor probs = torch::softmax(scores, -1);
    probs = Dropout(probs, attention_dropout_, is_training());
    const torch::Tensor context = torch::matmul(probs, v)
                                      .permute({0, 2, 1, 3})
                                      .contiguous()
                                      .view({members, batch, seq, num_heads_ * head_dim_});
    const torch::Tensor attended = attention_layer_norm_->forward(
        Dropout(attention_dense_(context), hidden_dropout_, is_training()) + x);
    const torch::Tensor inner = torch::gelu(intermediate_dense_(attended));
    return output_layer_norm_->forward(
        Dropout(output_dense_(inner), hidden_dropout_, is_training()) + attended);
  }

 private:
  int64_t num_heads_;
  int64_t head_dim_;
  double hidden_dropout_;
  double attention_dropout_;
  FusedLinear query_{nullptr};
  FusedLinear key_{nullptr};
  FusedLinear value_{nullptr};
  FusedLinear attention_dense_{nullptr};
  FusedLinear intermediate_dense_{nullptr};
  FusedLinear output_dense_{nullptr};
  std::shared_ptr<FusedLayerNorm> attention_layer_norm_;
  std::shared_ptr<FusedLayerNorm> output_layer_norm_;
};

FusedBert::FusedBert(const BertConfig& shared, int64_t members) : shared_(shared) {
  const int64_t h = shared.hidden_size;
  auto bert = AddPathModule(*this, "bert");
  auto embeddings = AddPathModule(*bert, "embeddings");
  word_embeddings_ = AddTable(*embeddings, "word_embeddings", {members, shared.vocab_size, h});
  position_embeddings_ =
      AddTable(*embeddings, "position_embeddings", {members, shared.max_position_embeddings, h});
  token_type_embeddings_ =
      AddTable(*embeddings, "token_type_embeddings", {members, shared.type_vocab_size, h});
  embeddings_layer_norm_ = embeddings->register_module(
      "LayerNorm", std::make_shared<FusedLayerNorm>(members, h, shared.layer_norm_eps));
  auto encoder = AddPathModule(*bert, "encoder");
  auto layer_list = AddPathModule(*encoder, "layer");
  for (int64_t i = 0; i < shared.num_hidden_layers; ++i) {
    const std::string path = absl::StrCat("bert.encoder.layer.", i, ".");
    layers_.push_back(layer_list->register_module(
        std::to_string(i), std::make_shared<FusedBertLayer>(shared, members, path, linears_)));
  }
  pooler_ = AddPathModule(*bert, "pooler")->register_module("dense", FusedLinear(members, h, h));
  linears_["bert.pooler.dense"] = &pooler_;
  classifier_ = register_module("classifier", FusedLinear(members, h, shared.num_labels));
  linears_["classifier"] = &classifier_;
}

absl::StatusOr<std::shared_ptr<FusedBert>> FusedBert::Create(
    const std::vector<std::shared_ptr<BertForSequenceClassification>>& members) {
  if (members.empty()) return absl::InvalidArgumentError("a fused model needs members");
  const BertConfig shared = SharedPart(members.front()->config());
  for (size_t k = 1; k < members.size(); ++k) {
    if (SharedPart(members[k]->config()).ToHfJson() != shared.ToHfJson()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "fused member ", k, " has another architecture than member 0: ",
          SharedPart(members[k]->config()).ToHfJson().dump(), " vs ", shared.ToHfJson().dump()));
    }
  }
  const int64_t count = static_cast<int64_t>(members.size());
  std::shared_ptr<FusedBert> fused(new FusedBert(shared, count));
  fused->quantised_.assign(count, false);
  const torch::Device device = members.front()->parameters().front().device();
  torch::NoGradGuard no_grad;
  for (int64_t k = 0; k < count; ++k) {
    BertForSequenceClassification& member = *members[k];
    fused->member_configs_.push_back(member.config());
    for (const std::string& name : member.LinearNames()) {
      if (member.IsIdentity(name)) NASQ_RETURN_IF_ERROR(fused->Linear(name)->SetIdentity(k, true));
    }
    for (const std::string& name : member.LinearNames()) {
      NASQ_ASSIGN_OR_RETURN(LinearSlot * slot, member.FindLinear(name));
      auto layer = std::dynamic_pointer_cast<QuantLinearImpl>(slot->module().ptr());
      if (!layer) continue;
      if (layer->weight_mask().defined() || layer->activation_pruning().has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("fused member ", k, ": layer ", name, " is pruned"));
      }
      NASQ_RETURN_IF_ERROR(fused->Linear(name)->SetQuantConfig(k, layer->quant_config()));
      fused->quantised_[k] = true;
    }
    const auto solo = member.named_parameters();
    for (auto& item : fused->named_parameters()) {
      if (const torch::Tensor* value = solo.find(item.key())) item.value()[k].copy_(*value);
    }
  }
  fused->to(device);
  return fused;
}

torch::Tensor FusedBert::forward(const torch::Tensor& input_ids,
                                 const torch::Tensor& attention_mask) {
  TORCH_CHECK(input_ids.dim() == 3 && input_ids.size(0) == members() &&
                  attention_mask.sizes() == input_ids.sizes(),
              "FusedBert expects input_ids and attention_mask [", members(), ", B, T], got ",
              input_ids.sizes(), " and ", attention_mask.sizes());
  const int64_t k = members();
  const int64_t batch = input_ids.size(1);
  const int64_t seq = input_ids.size(2);
  TORCH_CHECK(seq <= shared_.max_position_embeddings, "sequence length ", seq,
              " exceeds max_position_embeddings ", shared_.max_position_embeddings);
  const int64_t vocab = shared_.vocab_size;
  // Row k * vocab + id of the flattened tables; the padding row gets no gradient (padding_idx).
  const torch::Tensor rows =
      input_ids + torch::arange(k, input_ids.options()).view({k, 1, 1}) * vocab;
  torch::Tensor words = torch::embedding(word_embeddings_.view({k * vocab, -1}), rows);
  words = torch::where((input_ids == shared_.pad_token_id).unsqueeze(-1), words.detach(), words);
  torch::Tensor hidden = words + token_type_embeddings_.select(1, 0).unsqueeze(1).unsqueeze(1) +
                         position_embeddings_.narrow(1, 0, seq).unsqueeze(1);
  hidden =
      Dropout(embeddings_layer_norm_->forward(hidden), shared_.hidden_dropout_prob, is_training());
  const torch::Tensor mask_add =
      (1.0 - attention_mask.reshape({k * batch, 1, 1, seq}).to(hidden.scalar_type())) *
      std::numeric_limits<float>::lowest();
  for (auto& layer : layers_) hidden = layer->forward(hidden, mask_add);
  const torch::Tensor pooled = torch::tanh(pooler_(hidden.select(2, 0)));
  return classifier_(Dropout(pooled, shared_.EffectiveClassifierDropout(), is_training()));
}

absl::Status FusedBert::QuantiseMember(int64_t k, const QuantisationConfig& config) {
  if (k < 0 || k >= members()) {
    return absl::InvalidArgumentError(absl::StrCat("fused member ", k, " out of range"));
  }
  NASQ_RETURN_IF_ERROR(ValidateQuantisationConfig(config));
  std::vector<std::pair<FusedLinear*, LinearQuantConfig>> plan;
  for (const auto& layer : member_configs_[k].LinearLayers()) {
    if (member_configs_[k].identity_layers.count(layer.name)) continue;
    NASQ_ASSIGN_OR_RETURN(LinearQuantConfig selected, SelectLinearConfig(config, layer.name));
    if (selected.data_in.format == QuantFormat::kBinaryResidualSign) {
      return absl::InvalidArgumentError(
          absl::StrCat("layer ", layer.name, ": binary residual sign data_in cannot be fused"));
    }
    plan.emplace_back(&Linear(layer.name), selected);
  }
  for (auto& [linear, selected] : plan)
    NASQ_RETURN_IF_ERROR((*linear)->SetQuantConfig(k, selected));
  quantised_[k] = true;
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<BertForSequenceClassification>> FusedBert::Unfuse(int64_t k) const {
  if (k < 0 || k >= members()) {
    return absl::OutOfRangeError(absl::StrCat("fused member ", k, " out of range"));
  }
  NASQ_ASSIGN_OR_RETURN(auto solo, BertForSequenceClassification::Create(member_configs_[k]));
  {
    torch::NoGradGuard no_grad;
    const auto fused = named_parameters();
    for (auto& item : solo->named_parameters()) item.value().copy_(fused[item.key()][k]);
  }
  solo->to(word_embeddings_.device());
  if (quantised_[k]) {
    QuantisationConfig config;
    config.by = SelectBy::kName;
    for (const std::string& name : solo->LinearNames()) {
      if (!solo->IsIdentity(name)) config.rules.push_back({name, Linear(name)->quant_config(k)});
    }
    NASQ_RETURN_IF_ERROR(QuantiseBert(*solo, config).status());
  }
  return solo;
}

absl::Status FusedBert::KeepMembers(const std::vector<int64_t>& kept) {
  for (size_t i = 0; i < kept.size(); ++i) {
    if (kept[i] < 0 || kept[i] >= members() || (i > 0 && kept[i] <= kept[i - 1])) {
      return absl::InvalidArgumentError("KeepMembers needs ascending member positions in range");
    }
  }
  for (auto& [name, linear] : linears_) (*linear)->KeepMembers(kept);
  const torch::Tensor index = torch::tensor(kept, torch::kLong).to(word_embeddings_.device());
  torch::NoGradGuard no_grad;
  for (auto& item : named_parameters()) {
    if (LinearOf(item.key())) continue;  // cut above
    torch::Tensor& p = item.value();
    p.set_data(p.index_select(0, index));
    if (p.grad().defined()) p.mutable_grad() = p.grad().index_select(0, index);
  }
  std::vector<BertConfig> configs;
  std::vector<bool> quantised;
  for (int64_t k : kept) {
    configs.push_back(member_configs_[k]);
    quantised.push_back(quantised_[k]);
  }
  member_configs_ = std::move(configs);
  quantised_ = std::move(quantised);
  return absl::OkStatus();
}

const FusedLinear* FusedBert::LinearOf(const std::string& parameter_name) const {
  const size_t dot = parameter_name.rfind('.');
  if (dot == std::string::npos) return nullptr;
  auto it = linears_.find(parameter_name.substr(0, dot));
  return it == linears_.end() ? nullptr : it->second;
}

std::vector<FusedParameter> FusedBert::FusedParameters() {
  std::vector<FusedParameter> result;
  for (auto& item : named_parameters()) {
    std::vector<float> used(members(), 1.0f);
    if (const FusedLinear* linear = LinearOf(item.key())) {
      for (int64_t k = 0; k < members(); ++k) used[k] = (*linear)->is_identity(k) ? 0.0f : 1.0f;
    }
    result.push_back({item.key(), item.value(), torch::tensor(used)});
  }
  return result;
}

}  // namespace nasq

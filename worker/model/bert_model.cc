#include "worker/model/bert_model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "worker/model/dropout.h"

namespace nasq {
namespace {

// A child module with no behaviour of its own; it only reproduces HF's module path
// ("attention", "attention.self", "intermediate", ...).
std::shared_ptr<torch::nn::Module> AddPathModule(torch::nn::Module& parent,
                                                 const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

torch::nn::AnyModule MakeLinear(const BertConfig& config, const std::string& path, int64_t in,
                                int64_t out) {
  if (config.identity_layers.count(path)) return torch::nn::AnyModule(torch::nn::Identity());
  return torch::nn::AnyModule(torch::nn::Linear(in, out));
}

torch::nn::LayerNorm MakeLayerNorm(const BertConfig& config) {
  return torch::nn::LayerNorm(
      torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps));
}

}  // namespace

// One transformer encoder layer with HF's module paths below "bert.encoder.layer.{i}".
class BertLayer : public torch::nn::Module {
 public:
  BertLayer(const BertConfig& config, const std::string& path)
      : num_heads_(config.num_attention_heads),
        head_dim_(config.hidden_size / config.num_attention_heads),
        hidden_dropout_(config.hidden_dropout_prob),
        attention_dropout_(config.attention_probs_dropout_prob),
        attention_(AddPathModule(*this, "attention")),
        self_(AddPathModule(*attention_, "self")),
        attention_output_(AddPathModule(*attention_, "output")),
        intermediate_(AddPathModule(*this, "intermediate")),
        output_(AddPathModule(*this, "output")),
        query_(Slot(*self_, config, path + "attention.self.", "query", config.hidden_size,
                    config.hidden_size)),
        key_(Slot(*self_, config, path + "attention.self.", "key", config.hidden_size,
                  config.hidden_size)),
        value_(Slot(*self_, config, path + "attention.self.", "value", config.hidden_size,
                    config.hidden_size)),
        attention_dense_(Slot(*attention_output_, config, path + "attention.output.", "dense",
                              config.hidden_size, config.hidden_size)),
        intermediate_dense_(Slot(*intermediate_, config, path + "intermediate.", "dense",
                                 config.hidden_size, config.intermediate_size)),
        output_dense_(Slot(*output_, config, path + "output.", "dense", config.intermediate_size,
                           config.hidden_size)),
        attention_layer_norm_(
            attention_output_->register_module("LayerNorm", MakeLayerNorm(config))),
        output_layer_norm_(output_->register_module("LayerNorm", MakeLayerNorm(config))) {}

  // x: [B, T, H]; mask_add: [B, 1, 1, T] additive attention mask.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask_add) {
    const int64_t batch = x.size(0);
    const int64_t seq = x.size(1);
    auto split_heads = [&](const torch::Tensor& t) {
      return t.view({batch, seq, num_heads_, head_dim_}).permute({0, 2, 1, 3});
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
                                      .view({batch, seq, num_heads_ * head_dim_});
    const torch::Tensor attended = attention_layer_norm_(
        Dropout(attention_dense_(context), hidden_dropout_, is_training()) + x);
    const torch::Tensor inner = torch::gelu(intermediate_dense_(attended));
    return output_layer_norm_(Dropout(output_dense_(inner), hidden_dropout_, is_training()) +
                              attended);
  }

  // Adds this layer's slots to `slots` under their full HF paths.
  void CollectSlots(const std::string& path, std::map<std::string, LinearSlot*>& slots) {
    slots[path + "attention.self.query"] = &query_;
    slots[path + "attention.self.key"] = &key_;
    slots[path + "attention.self.value"] = &value_;
    slots[path + "attention.output.dense"] = &attention_dense_;
    slots[path + "intermediate.dense"] = &intermediate_dense_;
    slots[path + "output.dense"] = &output_dense_;
  }

 private:
  static LinearSlot Slot(torch::nn::Module& owner, const BertConfig& config,
                         const std::string& prefix, const std::string& name, int64_t in,
                         int64_t out) {
    return LinearSlot(owner, name, in, out, MakeLinear(config, prefix + name, in, out));
  }

  int64_t num_heads_;
  int64_t head_dim_;
  double hidden_dropout_;
  double attention_dropout_;
  std::shared_ptr<torch::nn::Module> attention_;
  std::shared_ptr<torch::nn::Module> self_;
  std::shared_ptr<torch::nn::Module> attention_output_;
  std::shared_ptr<torch::nn::Module> intermediate_;
  std::shared_ptr<torch::nn::Module> output_;
  LinearSlot query_;
  LinearSlot key_;
  LinearSlot value_;
  LinearSlot attention_dense_;
  LinearSlot intermediate_dense_;
  LinearSlot output_dense_;
  torch::nn::LayerNorm attention_layer_norm_;
  torch::nn::LayerNorm output_layer_norm_;
};

absl::StatusOr<std::shared_ptr<BertForSequenceClassification>>
BertForSequenceClassification::Create(const BertConfig& config, uint64_t init_seed) {
  NASQ_RETURN_IF_ERROR(config.Validate());
  try {
    return std::shared_ptr<BertForSequenceClassification>(
        new BertForSequenceClassification(config, init_seed));
  } catch (const c10::Error& e) {
    return absl::ResourceExhaustedError(
        absl::StrCat("building the BERT model failed: ", e.what_without_backtrace()));
  }
}

BertForSequenceClassification::BertForSequenceClassification(const BertConfig& config,
                                                             uint64_t init_seed)
    : config_(config) {
  auto bert = AddPathModule(*this, "bert");
  auto embeddings = AddPathModule(*bert, "embeddings");
  word_embeddings_ = embeddings->register_module(
      "word_embeddings",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(config.vocab_size, config.hidden_size)
                               .padding_idx(config.pad_token_id)));
  position_embeddings_ = embeddings->register_module(
      "position_embeddings",
      torch::nn::Embedding(config.max_position_embeddings, config.hidden_size));
  token_type_embeddings_ = embeddings->register_module(
      "token_type_embeddings", torch::nn::Embedding(config.type_vocab_size, config.hidden_size));
  embeddings_layer_norm_ = embeddings->register_module("LayerNorm", MakeLayerNorm(config));

  auto encoder = AddPathModule(*bert, "encoder");
  auto layer_list = AddPathModule(*encoder, "layer");
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    const std::string path = absl::StrCat("bert.encoder.layer.", i, ".");
    auto layer =
        layer_list->register_module(std::to_string(i), std::make_shared<BertLayer>(config, path));
    layer->CollectSlots(path, slots_);
    layers_.push_back(std::move(layer));
  }
  auto pooler = AddPathModule(*bert, "pooler");
  pooler_ = std::make_unique<LinearSlot>(
      *pooler, "dense", config.hidden_size, config.hidden_size,
      MakeLinear(config, "bert.pooler.dense", config.hidden_size, config.hidden_size));
  slots_["bert.pooler.dense"] = pooler_.get();
  classifier_ = std::make_unique<LinearSlot>(
      *this, "classifier", config.hidden_size, config.num_labels,
      MakeLinear(config, "classifier", config.hidden_size, config.num_labels));
  slots_["classifier"] = classifier_.get();

  auto generator = at::make_generator<at::CPUGeneratorImpl>(init_seed);
  torch::NoGradGuard no_grad;
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    torch::Tensor& param = item.value();
    if (absl::StrContains(name, "LayerNorm")) {
      param.fill_(absl::EndsWith(name, ".weight") ? 1.0 : 0.0);
    } else if (absl::EndsWith(name, ".bias")) {
      param.zero_();
    } else {
      param.normal_(0.0, config.initializer_range, generator);
    }
  }
  word_embeddings_->weight[config.pad_token_id].zero_();
}

torch::Tensor BertForSequenceClassification::forward(const torch::Tensor& input_ids,
                                                     const torch::Tensor& attention_mask,
                                                     const torch::Tensor& token_type_ids) {
  const int64_t seq = input_ids.size(1);
  const torch::Tensor positions =
      torch::arange(seq, input_ids.options().dtype(torch::kLong)).unsqueeze(0);
  const torch::Tensor token_types =
      token_type_ids.defined() ? token_type_ids : torch::zeros_like(input_ids);
  torch::Tensor hidden = word_embeddings_(input_ids) + token_type_embeddings_(token_types) +
                         position_embeddings_(positions);
  hidden = Dropout(embeddings_layer_norm_(hidden), config_.hidden_dropout_prob, is_training());
  const torch::Tensor mask_add =
      (1.0 - attention_mask.to(hidden.scalar_type()).unsqueeze(1).unsqueeze(2)) *
      std::numeric_limits<float>::lowest();
  for (auto& layer : layers_) hidden = layer->forward(hidden, mask_add);
  const torch::Tensor pooled = torch::tanh((*pooler_)(hidden.select(1, 0)));
  return (*classifier_)(Dropout(pooled, config_.EffectiveClassifierDropout(), is_training()));
}

std::vector<std::string> BertForSequenceClassification::LinearNames() const {
  std::vector<std::string> names;
  for (const auto& layer : config_.LinearLayers()) names.push_back(layer.name);
  return names;
}

absl::StatusOr<LinearSlot*> BertForSequenceClassification::FindLinear(const std::string& name) {
  auto it = slots_.find(name);
  if (it == slots_.end()) {
    return absl::NotFoundError(absl::StrCat("the model has no Linear layer named '", name, "'"));
  }
  return it->second;
}

absl::Status BertForSequenceClassification::ReplaceLinear(const std::string& name,
                                                          torch::nn::AnyModule module) {
  NASQ_ASSIGN_OR_RETURN(LinearSlot * slot, FindLinear(name));
  slot->Replace(std::move(module));
  config_.identity_layers.erase(name);
  return absl::OkStatus();
}

absl::Status BertForSequenceClassification::ReplaceWithIdentity(const std::string& name) {
  NASQ_ASSIGN_OR_RETURN(LinearSlot * slot, FindLinear(name));
  if (slot->in_features() != slot->out_features()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Linear layer '", name, "' is not square (", slot->in_features(), " -> ",
                     slot->out_features(), ") and cannot be replaced by Identity"));
  }
  slot->Replace(torch::nn::AnyModule(torch::nn::Identity()));
  config_.identity_layers.insert(name);
  return absl::OkStatus();
}

}  // namespace nasq

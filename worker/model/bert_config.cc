#include "worker/model/bert_config.h"

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "spec/strict_json.h"

namespace nasq {
namespace {

absl::Status CheckPositive(const char* field, int64_t value) {
  if (value > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("BertConfig.", field, " must be positive, got ", value));
}

absl::Status CheckProbability(const char* field, double value) {
  if (value >= 0.0 && value < 1.0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("BertConfig.", field, " must be in [0, 1), got ", value));
}

// Reads `key` of the HF config into *out unless it is absent or null (HF writes null for unset);
// a value of another JSON type is "config.json.<key>: wrong type: expected ..., got ...".
template <typename T>
absl::Status ReadField(const JsonObjectReader& json, absl::string_view key, T* out) {
  const Json* v = json.Find(key);
  if (v == nullptr || v->is_null()) return absl::OkStatus();
  absl::StatusOr<T> value = JsonAs<T>(*v, "wrong type");
  if (!value.ok()) return JsonFieldError(JsonChild(json.path(), key), value.status().message());
  *out = *std::move(value);
  return absl::OkStatus();
}

// The Linear layer called `name` (HF path) and its shape, found from the name alone so that a
// config with millions of layers costs nothing to check; nullopt when the model has none.
std::optional<BertConfig::LinearShape> FindLinearLayer(const BertConfig& c,
                                                       const std::string& name) {
  if (name == "bert.pooler.dense") {
    return BertConfig::LinearShape{name, c.hidden_size, c.hidden_size};
  }
  if (name == "classifier") return BertConfig::LinearShape{name, c.hidden_size, c.num_labels};
  constexpr std::string_view kPrefix = "bert.encoder.layer.";
  if (!std::string_view(name).starts_with(kPrefix)) return std::nullopt;
  const size_t dot = name.find('.', kPrefix.size());
  if (dot == std::string::npos) return std::nullopt;
  const std::string index_text = name.substr(kPrefix.size(), dot - kPrefix.size());
  int64_t index = -1;
  const auto [end, error] =
      std::from_chars(index_text.data(), index_text.data() + index_text.size(), index);
  // Only the canonical spelling LinearLayers() uses ("3", not "03" or "+3").
  if (error != std::errc() || end != index_text.data() + index_text.size() || index < 0 ||
      index >= c.num_hidden_layers || std::to_string(index) != index_text) {
    return std::nullopt;
  }
  for (BertConfig::LinearShape shape : BertEncoderLayerLinears(c.Dimensions())) {
    if (shape.name == name.substr(dot + 1)) {
      shape.name = name;
      return shape;
    }
  }
  return std::nullopt;
}

}  // namespace

double BertConfig::EffectiveClassifierDropout() const {
  return classifier_dropout.value_or(hidden_dropout_prob);
}

BertDimensions BertConfig::Dimensions() const {
  return {.vocab_size = vocab_size,
          .hidden_size = hidden_size,
          .num_hidden_layers = num_hidden_layers,
          .intermediate_size = intermediate_size,
          .max_position_embeddings = max_position_embeddings,
          .type_vocab_size = type_vocab_size,
          .num_labels = num_labels};
}

void BertConfig::SetDimensions(const BertDimensions& d) {
  vocab_size = d.vocab_size;
  hidden_size = d.hidden_size;
  num_hidden_layers = d.num_hidden_layers;
  intermediate_size = d.intermediate_size;
  max_position_embeddings = d.max_position_embeddings;
  type_vocab_size = d.type_vocab_size;
  num_labels = d.num_labels;
}

std::vector<BertConfig::LinearShape> BertConfig::LinearLayers() const {
  return BertLinearLayers(Dimensions());
}

absl::Status BertConfig::Validate() const {
  const std::pair<const char*, int64_t> sizes[] = {
      {"vocab_size", vocab_size},
      {"hidden_size", hidden_size},
      {"num_hidden_layers", num_hidden_layers},
      {"num_attention_heads", num_attention_heads},
      {"intermediate_size", intermediate_size},
      {"max_position_embeddings", max_position_embeddings},
      {"type_vocab_size", type_vocab_size},
  };
  for (const auto& [field, value] : sizes) NASQ_RETURN_IF_ERROR(CheckPositive(field, value));
  if (hidden_size % num_attention_heads != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("BertConfig.num_attention_heads (", num_attention_heads,
                     ") must divide hidden_size (", hidden_size, ")"));
  }
  NASQ_RETURN_IF_ERROR(CheckProbability("hidden_dropout_prob", hidden_dropout_prob));
  NASQ_RETURN_IF_ERROR(
      CheckProbability("attention_probs_dropout_prob", attention_probs_dropout_prob));
  NASQ_RETURN_IF_ERROR(CheckProbability("classifier_dropout", EffectiveClassifierDropout()));
  if (!(layer_norm_eps > 0.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("BertConfig.layer_norm_eps must be positive, got ", layer_norm_eps));
  }
  if (!(initializer_range > 0.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("BertConfig.initializer_range must be positive, got ", initializer_range));
  }
  if (pad_token_id < 0 || pad_token_id >= vocab_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("BertConfig.pad_token_id (", pad_token_id, ") must be in [0, vocab_size)"));
  }
  if (num_labels < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "BertConfig.num_labels must be at least 2 (classification only), got ", num_labels));
  }
  for (const std::string& name : identity_layers) {
    const std::optional<LinearShape> layer = FindLinearLayer(*this, name);
    if (!layer) {
      return absl::InvalidArgumentError(
          absl::StrCat("BertConfig.identity_layers: no Linear layer named '", name, "'"));
    }
    if (layer->in_features != layer->out_features) {
      return absl::InvalidArgumentError(absl::StrCat(
          "BertConfig.identity_layers: '", name, "' is not square (", layer->in_features, " -> ",
          layer->out_features, ") and cannot be replaced by Identity"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<BertConfig> BertConfig::FromHfJson(const Json& hf_json) {
  NASQ_ASSIGN_OR_RETURN(const JsonObjectReader json, JsonObjectReader::Of(hf_json, "config.json"));
  BertConfig config;
  NASQ_RETURN_IF_ERROR(ReadField(json, "vocab_size", &config.vocab_size));
  NASQ_RETURN_IF_ERROR(ReadField(json, "hidden_size", &config.hidden_size));
  NASQ_RETURN_IF_ERROR(ReadField(json, "num_hidden_layers", &config.num_hidden_layers));
  NASQ_RETURN_IF_ERROR(ReadField(json, "num_attention_heads", &config.num_attention_heads));
  NASQ_RETURN_IF_ERROR(ReadField(json, "intermediate_size", &config.intermediate_size));
  NASQ_RETURN_IF_ERROR(ReadField(json, "max_position_embeddings", &config.max_position_embeddings));
  NASQ_RETURN_IF_ERROR(ReadField(json, "type_vocab_size", &config.type_vocab_size));
  NASQ_RETURN_IF_ERROR(ReadField(json, "hidden_dropout_prob", &config.hidden_dropout_prob));
  NASQ_RETURN_IF_ERROR(
      ReadField(json, "attention_probs_dropout_prob", &config.attention_probs_dropout_prob));
  double classifier_dropout = -1.0;
  NASQ_RETURN_IF_ERROR(ReadField(json, "classifier_dropout", &classifier_dropout));
  if (classifier_dropout != -1.0) config.classifier_dropout = classifier_dropout;
  NASQ_RETURN_IF_ERROR(ReadField(json, "layer_norm_eps", &config.layer_norm_eps));
  NASQ_RETURN_IF_ERROR(ReadField(json, "initializer_range", &config.initializer_range));
  NASQ_RETURN_IF_ERROR(ReadField(json, "pad_token_id", &config.pad_token_id));
  if (const Json* labels = json.Find("id2label"); labels != nullptr && labels->is_object()) {
    config.num_labels = static_cast<int64_t>(labels->size());
  }
  NASQ_RETURN_IF_ERROR(ReadField(json, "num_labels", &config.num_labels));
  std::string hidden_act = "gelu";
  NASQ_RETURN_IF_ERROR(ReadField(json, "hidden_act", &hidden_act));
  if (hidden_act != "gelu") {
    return absl::InvalidArgumentError(absl::StrCat("config.json hidden_act '", hidden_act,
                                                   "' is not supported (only exact-erf \"gelu\")"));
  }
  std::string position_type = "absolute";
  NASQ_RETURN_IF_ERROR(ReadField(json, "position_embedding_type", &position_type));
  if (position_type != "absolute") {
    return absl::InvalidArgumentError(absl::StrCat("config.json position_embedding_type '",
                                                   position_type,
                                                   "' is not supported (only \"absolute\")"));
  }
  if (const Json* names = json.Find("nasq_identity_layers"); names != nullptr) {
    if (!names->is_array()) {
      return absl::InvalidArgumentError("config.json nasq_identity_layers must be an array");
    }
    for (const Json& name : *names) {
      if (!name.is_string()) {
        return absl::InvalidArgumentError(
            "config.json nasq_identity_layers must hold strings, got " + name.dump());
      }
      config.identity_layers.insert(name.get<std::string>());
    }
  }
  NASQ_RETURN_IF_ERROR(config.Validate());
  return config;
}

nlohmann::json BertConfig::ToHfJson() const {
  nlohmann::json id2label = nlohmann::json::object();
  nlohmann::json label2id = nlohmann::json::object();
  for (int64_t i = 0; i < num_labels; ++i) {
    const std::string label = absl::StrCat("LABEL_", i);
    id2label[std::to_string(i)] = label;
    label2id[label] = i;
  }
  nlohmann::json json = {
      {"architectures", {"BertForSequenceClassification"}},
      {"model_type", "bert"},
      {"vocab_size", vocab_size},
      {"hidden_size", hidden_size},
      {"num_hidden_layers", num_hidden_layers},
      {"num_attention_heads", num_attention_heads},
      {"intermediate_size", intermediate_size},
      {"hidden_act", "gelu"},
      {"hidden_dropout_prob", hidden_dropout_prob},
      {"attention_probs_dropout_prob", attention_probs_dropout_prob},
      {"max_position_embeddings", max_position_embeddings},
      {"type_vocab_size", type_vocab_size},
      {"initializer_range", initializer_range},
      {"layer_norm_eps", layer_norm_eps},
      {"pad_token_id", pad_token_id},
      {"position_embedding_type", "absolute"},
      {"problem_type", "single_label_classification"},
      {"id2label", id2label},
      {"label2id", label2id},
      {"torch_dtype", "float32"},
  };
  json["classifier_dropout"] =
      classifier_dropout ? nlohmann::json(*classifier_dropout) : nlohmann::json(nullptr);
  if (!identity_layers.empty()) json["nasq_identity_layers"] = identity_layers;
  return json;
}

}  // namespace nasq

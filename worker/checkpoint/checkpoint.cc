#include "worker/checkpoint/checkpoint.h"

#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/status_macros.h"
#include "spec/strict_json.h"
#include "worker/checkpoint/safetensors.h"
#include "worker/checkpoint/torch_save_reader.h"
#include "worker/io/file_io.h"
#include "worker/quant/quant_linear.h"

namespace nasq {
namespace {

// Checkpoint entries that are not parameters of a classifier and are dropped silently:
// buffers transformers saved in older versions and pretraining heads.
bool IsIgnorableEntry(const std::string& name) {
  return absl::EndsWith(name, "position_ids") || absl::EndsWith(name, "token_type_ids") ||
         absl::StartsWith(name, "cls.");
}

// HF names of a checkpoint as BertForSequenceClassification uses them: adds the "bert." prefix
// of a bare BertModel checkpoint and renames TF-era LayerNorm gamma/beta.
TensorMap NormaliseNames(const TensorMap& weights) {
  bool has_prefix = false;
  for (const auto& [name, tensor] : weights) has_prefix |= absl::StartsWith(name, "bert.");
  TensorMap normalised;
  for (const auto& [name, tensor] : weights) {
    std::string hf = name;
    if (!has_prefix && !absl::StartsWith(hf, "classifier.") && !absl::StartsWith(hf, "cls.")) {
      hf = "bert." + hf;
    }
    if (absl::StrContains(hf, "LayerNorm.")) {
      hf = absl::StrReplaceAll(
          hf, {{"LayerNorm.gamma", "LayerNorm.weight"}, {"LayerNorm.beta", "LayerNorm.bias"}});
    }
    normalised[hf] = tensor;
  }
  return normalised;
}

bool MayBeMissing(const std::string& name) {
  return absl::StartsWith(name, "bert.pooler.") || absl::StartsWith(name, "classifier.");
}

bool BelongsToIdentity(const BertForSequenceClassification& model, const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot != std::string::npos && model.IsIdentity(name.substr(0, dot));
}

absl::StatusOr<TensorMap> ReadWeights(const std::filesystem::path& folder) {
  const auto safetensors = folder / "model.safetensors";
  if (std::filesystem::exists(safetensors)) {
    NASQ_ASSIGN_OR_RETURN(SafetensorsContents contents, ReadSafetensors(safetensors));
    return std::move(contents.tensors);
  }
  const auto bin = folder / "pytorch_model.bin";
  if (std::filesystem::exists(bin)) return ReadTorchSaveStateDict(bin);
  return absl::NotFoundError(
      absl::StrCat(folder.string(), " has neither model.safetensors nor pytorch_model.bin"));
}

}  // namespace

absl::StatusOr<LoadReport> LoadStateDict(BertForSequenceClassification& model,
                                         const TensorMap& weights) {
  const TensorMap named = NormaliseNames(weights);
  LoadReport report;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;  // (parameter, value)
  for (auto& item : model.named_parameters()) {
    auto it = named.find(item.key());
    if (it == named.end()) {
      if (!MayBeMissing(item.key())) {
        return absl::InvalidArgumentError(
            absl::StrCat("checkpoint lacks parameter '", item.key(), "'"));
      }
      report.missing_keys.push_back(item.key());
      continue;
    }
    if (it->second.sizes() != item.value().sizes()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "checkpoint parameter '", item.key(), "' has shape ", c10::str(it->second.sizes()),
          " but the model expects ", c10::str(item.value().sizes())));
    }
    if (!it->second.is_floating_point()) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint parameter '", item.key(), "' is not a floating-point tensor"));
    }
    copies.emplace_back(item.value(), it->second);
  }
  const auto parameters = model.named_parameters();
  for (const auto& [name, tensor] : named) {
    if (!parameters.contains(name) && !IsIgnorableEntry(name) && !BelongsToIdentity(model, name)) {
      report.unexpected_keys.push_back(name);
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& [parameter, value] : copies) parameter.copy_(value);
  return report;
}

TensorMap ExportStateDict(BertForSequenceClassification& model) {
  TensorMap out;
  for (const auto& item : model.named_parameters()) {
    if (absl::EndsWith(item.key(), ".weight") || absl::EndsWith(item.key(), ".bias")) {
      out[item.key()] = item.value();
    }
  }
  for (const BertConfig::LinearShape& layer : model.config().LinearLayers()) {
    if (model.IsIdentity(layer.name)) {
      out[layer.name + ".weight"] = torch::eye(layer.in_features);
      out[layer.name + ".bias"] = torch::zeros({layer.in_features});
      continue;
    }
    auto slot = model.FindLinear(layer.name);
    auto quant = slot.ok() ? (*slot)->module().ptr()->as<QuantLinearImpl>() : nullptr;
    if (quant != nullptr) out[layer.name + ".weight"] = quant->EffectiveWeight();
  }
  for (auto& [name, tensor] : out) {
    tensor = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  }
  return out;
}

absl::StatusOr<LoadedCheckpoint> LoadHfCheckpoint(const std::filesystem::path& folder,
                                                  int64_t max_params) {
  LoadedCheckpoint loaded;
  loaded.vocab_path = folder / "vocab.txt";
  if (!std::filesystem::exists(loaded.vocab_path)) {
    return absl::NotFoundError(absl::StrCat(folder.string(), " has no vocab.txt"));
  }
  NASQ_ASSIGN_OR_RETURN(std::string config_text, ReadWholeFile(folder / "config.json"));
  NASQ_ASSIGN_OR_RETURN(const Json config_json,
                        ParseJson(config_text, (folder / "config.json").string()));
  NASQ_ASSIGN_OR_RETURN(BertConfig config, BertConfig::FromHfJson(config_json));
  if (absl::Status size = CheckModelSize(config.Dimensions(), max_params); !size.ok()) {
    return absl::Status(size.code(),
                        absl::StrCat((folder / "config.json").string(), ": ", size.message()));
  }
  NASQ_ASSIGN_OR_RETURN(TensorMap weights, ReadWeights(folder));
  NASQ_ASSIGN_OR_RETURN(loaded.model, BertForSequenceClassification::Create(config));
  NASQ_ASSIGN_OR_RETURN(loaded.report, LoadStateDict(*loaded.model, weights));
  return loaded;
}

absl::Status SaveHfCheckpoint(BertForSequenceClassification& model,
                              const std::filesystem::path& folder,
                              const std::filesystem::path& vocab_file,
                              const HfTokenizerConfig& tokenizer) {
  NASQ_ASSIGN_OR_RETURN(std::string vocab, ReadWholeFile(vocab_file));
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create ", folder.string(), ": ", error.message()));
  }
  NASQ_RETURN_IF_ERROR(
      WriteFileAtomically(folder / "config.json", model.config().ToHfJson().dump(2)));
  SafetensorsContents contents;
  contents.tensors = ExportStateDict(model);
  contents.metadata["format"] = "pt";
  NASQ_RETURN_IF_ERROR(WriteSafetensors(folder / "model.safetensors", contents));
  const nlohmann::json tokenizer_config = {{"tokenizer_class", "BertTokenizer"},
                                           {"do_lower_case", tokenizer.do_lower_case}};
  NASQ_RETURN_IF_ERROR(
      WriteFileAtomically(folder / "tokenizer_config.json", tokenizer_config.dump(2)));
  return WriteFileAtomically(folder / "vocab.txt", vocab);
}

}  // namespace nasq

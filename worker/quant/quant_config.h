// worker/quant/quant_config.h: which Linear layer gets which precision, and applying it to a model.
//
// Mirrors MASE's quantize_transform_pass config (docs/quantisation.md section 3): rules selected
// "by" layer type, by name or by regex, with a default. Layer names are HF-style module paths
// (`bert.encoder.layer.0.attention.self.query`); a name or regex rule also matches the FX node
// name (dots replaced by underscores, `bert_encoder_layer_0_attention_self_query`), so configs
// written for MASE work unchanged. Unlike MASE, nothing here mutates the config (no popped "by").
//
// MODEL PROTOCOL (how worker/model and the pipeline use this):
//   * A model holds each quantisable Linear as a `nasq::QuantLinear` member registered under its
//     HF name component (register_module("query", query_)), so `root.named_modules()` yields
//     the HF path. A fresh QuantLinear is fp32 and computes exactly torch::nn::Linear.
//   * ApplyQuantisation(root, config) walks root.named_modules(); for every QuantLinear it sets
//     the layer's LinearQuantConfig in place (weight and bias values stay exactly as they are,
//     so they are "copied" by construction, section 9.2).
//   * A model that holds plain torch::nn::Linear children instead passes a LinearSwapFn: for each
//     such child, ApplyQuantisation builds a QuantLinear copying weight AND bias, configures it
//     and hands it to the callback, which must install it (e.g. `member_ =
//     parent->replace_module(child_name, replacement)`). Without a callback a plain Linear is an
//     error (InvalidArgument naming it), because a pruned or quantised layer must be a QuantLinear.
//
// Thread-safety: value types and free functions; ApplyQuantisation mutates the module tree and
// must not run concurrently with anything else using it.
#ifndef NASQ_WORKER_QUANT_QUANT_CONFIG_H_
#define NASQ_WORKER_QUANT_QUANT_CONFIG_H_

#include <torch/nn/module.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/quant/quant_linear.h"

namespace nasq {

// How rules select layers (MASE's "by").
enum class SelectBy {
  kType,       // "type": rule key is an op type; only "linear" applies to Linear layers.
  kName,       // "name": rule key is a layer name (HF path or FX name), exact match.
  kRegexName,  // "regex_name": rule key is an RE2 regex (linear time; Python `re` syntax without
               // backreferences or lookaround) of at most kMaxRegexRuleLength bytes that must
               // match the whole name (re.fullmatch, as MASE); the first matching rule wins.
};

// Longest regex_name rule key accepted, in bytes.
inline constexpr size_t kMaxRegexRuleLength = 1024;

// One rule: a key (type, name or regex) and the layer config it selects.
struct QuantRule {
  std::string key;
  LinearQuantConfig config;
};

// The whole pass config. `default_config` applies to layers no rule selects; its default (all
// kFloat32) is MASE's `{"name": None}` (leave unquantised).
struct QuantisationConfig {
  SelectBy by = SelectBy::kType;
  std::vector<QuantRule> rules;  // ordered; order matters only for kRegexName
  LinearQuantConfig default_config;
};

// OK when every rule's config is valid, every regex compiles within the length limit and (for
// kName / kType) no key repeats; InvalidArgument names the rule.
absl::Status ValidateQuantisationConfig(const QuantisationConfig& config);

// The config for the Linear layer called `layer_name` (HF path). InvalidArgument on a config
// that ValidateQuantisationConfig rejects.
absl::StatusOr<LinearQuantConfig> SelectLinearConfig(const QuantisationConfig& config,
                                                     std::string_view layer_name);

// Installs `replacement` in place of the plain torch::nn::Linear called `layer_name` (HF path).
using LinearSwapFn =
    std::function<absl::Status(const std::string& layer_name, QuantLinear replacement)>;

// Applies `config` to every Linear layer under `root` (see MODEL PROTOCOL above). Returns the
// names of the layers visited, in named_modules() order. Errors: invalid config; a plain Linear
// without `swap`; whatever `swap` returns.
absl::StatusOr<std::vector<std::string>> ApplyQuantisation(torch::nn::Module& root,
                                                           const QuantisationConfig& config,
                                                           const LinearSwapFn& swap = nullptr);

// Every QuantLinear under `root` (root itself included, named "") with its HF name, in
// named_modules() order. The pointers are non-owning and valid while `root` keeps the layers.
// InvalidArgument naming the first plain torch::nn::Linear found (it cannot be quantised or
// pruned in place). `root` may live on the stack.
absl::StatusOr<std::vector<std::pair<std::string, QuantLinearImpl*>>> CollectQuantLinears(
    torch::nn::Module& root);

}  // namespace nasq

#endif  // NASQ_WORKER_QUANT_QUANT_CONFIG_H_

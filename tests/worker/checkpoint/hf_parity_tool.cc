// tests/worker/checkpoint/hf_parity_tool.cc: the nasq side of the HF parity tests
// (tests/python/test_hf_parity.py compares each answer with transformers).
//
// Usage: hf_parity_tool COMMAND [FOLDER] < request.json > answer.json
//   logits FOLDER  loads an HF folder with LoadHfCheckpoint and answers the eval-mode logits of
//                  {"input_ids": [[..]], "attention_mask": [[..]], "token_type_ids": [[..]]}
//                  (token_type_ids optional) as {"logits": [[..]], "missing_keys": [..],
//                  "unexpected_keys": [..]}.
//   save FOLDER    builds BertForSequenceClassification::Create({"config": HF config.json
//                  object, "seed": N}), adds N(0, "perturb") noise to every parameter (so that
//                  biases and LayerNorms are not at their initial values), prunes the weights
//                  with "weight_sparsity" (l1-norm, local; 0 = no pruning), writes the folder
//                  with SaveHfCheckpoint (vocab.txt copied from "vocab", "lower_case" recorded)
//                  and answers the logits of the model it saved for "batch" (as for logits).
//   tokenize       answers {"input_ids": [[..]]}: WordPieceTokenizer::FromVocabFile("vocab",
//                  lower_case) Encode of every "texts" entry truncated to "max_length".
//   corpus         the worker's data stage on the SpamAssassin folder "root": PrepareData with
//                  tokenizer.lower_case, tokenizer.vocab_size and dataset.max_length as given
//                  builds the vocabulary from the training split (written under "cache_dir");
//                  then every e-mail of the folder is tokenised with it (TokenizeDataset),
//                  truncated at max_length and untruncated. Answers {"vocab": path,
//                  "examples": [{"id", "text", "input_ids", "untruncated_ids"}]}.
// Errors (bad JSON, a failed nasq call) print "hf_parity_tool: <message>" on stderr, exit 1.
#include <torch/torch.h>

#include <cstdint>
#include <iostream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "task/task_spec.h"
#include "worker/checkpoint/checkpoint.h"
#include "worker/model/bert_config.h"
#include "worker/model/bert_model.h"
#include "worker/model/bert_quantisation.h"
#include "worker/pipeline/data_preparation.h"
#include "worker/quant/pruning.h"
#include "worker/text/datasets.h"
#include "worker/text/tokenized_dataset.h"
#include "worker/text/wordpiece_tokenizer.h"

namespace nasq {
namespace {

using nlohmann::json;

template <typename T>
T OrThrow(absl::StatusOr<T> value) {
  if (!value.ok()) throw std::runtime_error(value.status().ToString());
  return *std::move(value);
}

void OrThrow(const absl::Status& status) {
  if (!status.ok()) throw std::runtime_error(status.ToString());
}

// A [batch, seq] int64 tensor from a JSON array of equally long integer arrays.
torch::Tensor IdTensor(const json& rows, const char* field) {
  const auto ids = rows.get<std::vector<std::vector<int64_t>>>();
  if (ids.empty() || ids.front().empty()) {
    throw std::runtime_error(std::string(field) + ": needs at least one non-empty row");
  }
  torch::Tensor out = torch::empty(
      {static_cast<int64_t>(ids.size()), static_cast<int64_t>(ids.front().size())}, torch::kLong);
  for (size_t r = 0; r < ids.size(); ++r) {
    if (ids[r].size() != ids.front().size()) {
      throw std::runtime_error(std::string(field) + ": rows differ in length");
    }
    out[static_cast<int64_t>(r)] = torch::tensor(ids[r], torch::kLong);
  }
  return out;
}

json EvalLogits(BertForSequenceClassification& model, const json& batch) {
  torch::NoGradGuard no_grad;
  model.eval();
  torch::Tensor token_types;
  if (batch.contains("token_type_ids")) {
    token_types = IdTensor(batch.at("token_type_ids"), "token_type_ids");
  }
  const torch::Tensor logits =
      model
          .forward(IdTensor(batch.at("input_ids"), "input_ids"),
                   IdTensor(batch.at("attention_mask"), "attention_mask"), token_types)
          .to(torch::kDouble)
          .contiguous();
  json rows = json::array();
  for (int64_t r = 0; r < logits.size(0); ++r) {
    const torch::Tensor row = logits[r];
    rows.push_back(
        std::vector<double>(row.data_ptr<double>(), row.data_ptr<double>() + row.numel()));
  }
  return rows;
}

json Logits(const std::string& folder, const json& request) {
  LoadedCheckpoint loaded = OrThrow(LoadHfCheckpoint(folder));
  return {{"logits", EvalLogits(*loaded.model, request)},
          {"missing_keys", loaded.report.missing_keys},
          {"unexpected_keys", loaded.report.unexpected_keys}};
}

json Save(const std::string& folder, const json& request) {
  const BertConfig config = OrThrow(BertConfig::FromHfJson(request.at("config")));
  auto model = OrThrow(BertForSequenceClassification::Create(config, request.at("seed")));
  torch::manual_seed(request.at("seed").get<uint64_t>());
  {
    torch::NoGradGuard no_grad;
    const double perturb = request.value("perturb", 0.0);
    for (torch::Tensor& p : model->parameters()) p.add_(torch::randn_like(p) * perturb);
  }
  const double sparsity = request.value("weight_sparsity", 0.0);
  if (sparsity > 0) {
    OrThrow(QuantiseBert(*model, QuantisationConfig{}));
    PruningConfig pruning;
    pruning.weight = {.sparsity = sparsity};
    OrThrow(ApplyPruning(*model, pruning));
  }
  OrThrow(SaveHfCheckpoint(*model, folder, request.at("vocab").get<std::string>(),
                           {.do_lower_case = request.value("lower_case", true)}));
  return {{"logits", EvalLogits(*model, request.at("batch"))}};
}

WordPieceOptions TokenizerOptions(const json& request) {
  WordPieceOptions options;
  options.basic.do_lower_case = request.at("lower_case");
  return options;
}

json Tokenize(const json& request) {
  const WordPieceTokenizer tokenizer = OrThrow(WordPieceTokenizer::FromVocabFile(
      request.at("vocab").get<std::string>(), TokenizerOptions(request)));
  json rows = json::array();
  for (const std::string& text : request.at("texts").get<std::vector<std::string>>()) {
    rows.push_back(OrThrow(tokenizer.Encode(text, request.at("max_length"))).input_ids);
  }
  return {{"input_ids", rows}};
}

json Corpus(const json& request) {
  const std::string root = request.at("root");
  TaskSpec spec;
  spec.dataset.format = DatasetFormat::kSpamAssassin;
  spec.dataset.path = root;
  spec.dataset.max_length = request.at("max_length");
  spec.tokenizer.lower_case = request.at("lower_case");
  spec.tokenizer.vocab_size = request.at("vocab_size");
  const PreparedData prepared =
      OrThrow(PrepareData(spec, {}, {.cache_dir = request.at("cache_dir").get<std::string>()}));
  const WordPieceTokenizer tokenizer =
      OrThrow(WordPieceTokenizer::FromVocabFile(prepared.vocab_path, TokenizerOptions(request)));
  const TextDataset all = OrThrow(LoadSpamAssassin(root));
  const TokenizedDataset ids = OrThrow(TokenizeDataset(all, tokenizer, spec.dataset.max_length));
  const TokenizedDataset untruncated =
      OrThrow(TokenizeDataset(all, tokenizer, std::numeric_limits<int>::max()));
  json examples = json::array();
  for (size_t i = 0; i < all.examples.size(); ++i) {
    examples.push_back({{"id", all.examples[i].id},
                        {"text", all.examples[i].text},
                        {"input_ids", ids.examples[i].input_ids},
                        {"untruncated_ids", untruncated.examples[i].input_ids}});
  }
  return {{"vocab", prepared.vocab_path.string()}, {"examples", examples}};
}

json Run(const std::vector<std::string>& args, const json& request) {
  const std::string& command = args.at(0);
  if (command == "logits" && args.size() == 2) return Logits(args[1], request);
  if (command == "save" && args.size() == 2) return Save(args[1], request);
  if (command == "tokenize" && args.size() == 1) return Tokenize(request);
  if (command == "corpus" && args.size() == 1) return Corpus(request);
  throw std::runtime_error(
      "usage: hf_parity_tool logits FOLDER | save FOLDER | tokenize | corpus"
      " < request.json");
}

}  // namespace
}  // namespace nasq

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) nasq::Run({"help"}, {});
    const std::string input(std::istreambuf_iterator<char>(std::cin), {});
    const nlohmann::json answer = nasq::Run(args, nlohmann::json::parse(input));
    std::cout << answer.dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "hf_parity_tool: " << e.what() << "\n";
    return 1;
  }
}

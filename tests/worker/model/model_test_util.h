// tests/worker/model/model_test_util.h: helpers shared by the worker/model, worker/checkpoint and
// worker/train tests: small model configs, random token batches and running /usr/bin/python3 with
// torch.
// Thread-safety: test helpers; not thread-safe.
#ifndef NASQ_TESTS_WORKER_MODEL_MODEL_TEST_UTIL_H_
#define NASQ_TESTS_WORKER_MODEL_MODEL_TEST_UTIL_H_

#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "testing/scratch_dir.h"
#include "worker/model/bert_config.h"

namespace nasq::testing {

// A small BERT (vocab 50, hidden 16, 2 layers, 2 heads, intermediate 32, 24 positions).
inline BertConfig SmallConfig() {
  BertConfig config;
  config.vocab_size = 50;
  config.hidden_size = 16;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 2;
  config.intermediate_size = 32;
  config.max_position_embeddings = 24;
  return config;
}

// Random ids in [1, vocab) of shape [batch, seq] and a mask whose row b has seq - b real tokens.
struct TokenBatch {
  torch::Tensor input_ids;
  torch::Tensor attention_mask;
};
inline TokenBatch RandomBatch(int64_t vocab, int64_t batch, int64_t seq, uint64_t seed) {
  torch::manual_seed(seed);
  TokenBatch out{torch::randint(1, vocab, {batch, seq}, torch::kLong),
                 torch::ones({batch, seq}, torch::kLong)};
  for (int64_t b = 1; b < batch; ++b) {
    out.attention_mask[b].slice(0, seq - b).zero_();
    out.input_ids[b].slice(0, seq - b).zero_();
  }
  return out;
}

// A fresh empty directory, removed when the test program exits.
inline std::filesystem::path FreshDir(const std::string& name) {
  return testing_scratch::ScratchDir(name);
}

// True when /usr/bin/python3 can import torch.
inline bool HavePythonTorch() {
  return std::filesystem::exists("/usr/bin/python3") &&
         std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

// Writes `script` to `dir`/script.py and runs it with /usr/bin/python3 `args`; true on exit 0.
inline bool RunPython(const std::filesystem::path& dir, const std::string& script,
                      const std::string& args) {
  const auto path = dir / "script.py";
  std::ofstream(path) << script;
  const std::string command = "/usr/bin/python3 " + path.string() + " " + args;
  return std::system(command.c_str()) == 0;
}

}  // namespace nasq::testing

#endif  // NASQ_TESTS_WORKER_MODEL_MODEL_TEST_UTIL_H_

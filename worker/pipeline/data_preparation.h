// worker/pipeline/data_preparation.h: the data stage of the bert-classify pipeline: load the
// dataset named by a TaskSpec, cap and split it, get a tokenizer (vocab.txt, the checkpoint's, or
// a vocabulary built from the training split) and tokenise both splits. No LibTorch.
//
// Thread-safety: pure functions apart from writing built vocabularies into the cache folder
// (atomically, so concurrent writers are safe).
#ifndef NASQ_WORKER_PIPELINE_DATA_PREPARATION_H_
#define NASQ_WORKER_PIPELINE_DATA_PREPARATION_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "task/task_spec.h"
#include "worker/text/tokenized_dataset.h"

namespace nasq {

// Where relative input paths (dataset, vocab.txt, checkpoint) are looked up, in order:
// data_dir, the working directory, source_root. The first existing candidate wins.
struct DataPaths {
  // Empty = $NASQ_DATA_DIR (unset: skipped).
  std::filesystem::path data_dir;
  // The nasq source tree (default: where this worker was built from), so the embedded
  // SpamAssassin data is found from any working directory of a development build.
  std::filesystem::path source_root;
  // Built vocabularies are written here (vocab-<hash>.txt). Empty = $NASQ_CACHE_DIR, or
  // <temp dir>/nasq-cache.
  std::filesystem::path cache_dir;
};

// `path` if absolute, else the first existing candidate (see DataPaths). NotFound naming
// `field` and every candidate tried.
absl::StatusOr<std::filesystem::path> ResolveInputPath(const std::string& path,
                                                       const std::string& field,
                                                       const DataPaths& paths);

struct PreparedData {
  TokenizedDataset train;
  TokenizedDataset test;
  // The vocab.txt the tokenizer read or the built one was written to (copied into saved models).
  std::filesystem::path vocab_path;
  int32_t vocab_size = 0;
};

// Loads, caps (dataset.max_examples), splits and tokenises the data of `spec`; `checkpoint_vocab`
// is used when the spec names no vocab.txt (empty: build one from the training split).
// Errors name the field or file: NotFound for missing paths, the readers' errors otherwise,
// InvalidArgument when train and test disagree on the labels or a split is empty.
absl::StatusOr<PreparedData> PrepareData(const TaskSpec& spec,
                                         const std::filesystem::path& checkpoint_vocab,
                                         const DataPaths& paths);

// A string identifying everything PrepareData's result depends on (for in-process caching).
std::string PreparedDataKey(const TaskSpec& spec, const std::filesystem::path& checkpoint_vocab);

}  // namespace nasq

#endif  // NASQ_WORKER_PIPELINE_DATA_PREPARATION_H_

// bench/trials_per_hour/export_tokens.cc: writes the token ids nasq-worker trains and evaluates on
// for a study's task, so that the bench's Python loop (python_loop.py) trains on identical tensors.
//
// Usage: trials_per_hour_export_tokens STUDY.yaml OUT_DIR
// Writes OUT_DIR/train.txt and OUT_DIR/test.txt, one example per line: "<label> <id> <id> ..."
// ([CLS] ... [SEP], unpadded, in the worker's order), and OUT_DIR/meta.txt: "vocab_size N",
// "pad_id N", "num_labels N". Data preparation is the worker's own (PrepareData: load, cap, split,
// build or read the vocabulary, tokenise). Exits 1 with the error on stderr (a bad spec, missing
// data, an unwritable folder).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "worker/app/once.h"
#include "worker/pipeline/data_preparation.h"

namespace nasq {
namespace {

absl::Status WriteSplit(const TokenizedDataset& dataset, const std::filesystem::path& path) {
  std::ofstream out(path);
  for (const TokenizedExample& example : dataset.examples) {
    out << example.label;
    for (int32_t id : example.input_ids) out << ' ' << id;
    out << '\n';
  }
  out.close();
  if (!out) return absl::InternalError("cannot write " + path.string());
  return absl::OkStatus();
}

absl::Status Export(const std::string& study_path, const std::filesystem::path& out_dir) {
  absl::StatusOr<TaskSpec> spec = LoadTaskFile(study_path);
  if (!spec.ok()) return spec.status();
  absl::StatusOr<PreparedData> data = PrepareData(*spec, /*checkpoint_vocab=*/{}, DataPaths{});
  if (!data.ok()) return data.status();
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error) return absl::InternalError("cannot create " + out_dir.string());
  if (absl::Status s = WriteSplit(data->train, out_dir / "train.txt"); !s.ok()) return s;
  if (absl::Status s = WriteSplit(data->test, out_dir / "test.txt"); !s.ok()) return s;
  std::ofstream meta(out_dir / "meta.txt");
  meta << "vocab_size " << data->vocab_size << "\npad_id " << data->train.pad_id << "\nnum_labels "
       << data->train.num_labels() << '\n';
  meta.close();
  if (!meta) return absl::InternalError("cannot write " + (out_dir / "meta.txt").string());
  return absl::OkStatus();
}

}  // namespace
}  // namespace nasq

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " STUDY.yaml OUT_DIR\n";
    return 2;
  }
  const absl::Status status = nasq::Export(argv[1], argv[2]);
  if (!status.ok()) {
    std::cerr << "export_tokens: " << status << '\n';
    return 1;
  }
  return 0;
}

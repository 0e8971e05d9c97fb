#include "worker/text/datasets.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "worker/io/file_io.h"
#include "worker/io/hashing.h"

namespace nasq {
namespace {

// The e-mail body: everything after the first empty line ("\n" or "\r\n" line ends); empty
// when there is no empty line (headers only).
std::string EmailBody(std::string_view email) {
  size_t line_start = 0;
  while (line_start < email.size()) {
    size_t line_end = email.find('\n', line_start);
    if (line_end == std::string_view::npos) return "";
    std::string_view line = email.substr(line_start, line_end - line_start);
    if (line.empty() || line == "\r") return std::string(email.substr(line_end + 1));
    line_start = line_end + 1;
  }
  return "";
}

absl::StatusOr<std::string> ReadSpamAssassinText(const std::filesystem::path& path) {
  NASQ_ASSIGN_OR_RETURN(std::string contents, ReadWholeFile(path));
  nlohmann::json message = nlohmann::json::parse(contents, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) {
    return absl::DataLossError(absl::StrCat("corrupt JSON in ", path.string()));
  }
  if (!message.is_object() || !message.contains("text") || !message["text"].is_string()) {
    return absl::DataLossError(
        absl::StrCat(path.string(), ": expected a JSON object with a string \"text\" field"));
  }
  return EmailBody(message["text"].get_ref<const std::string&>());
}

}  // namespace

absl::StatusOr<TextDataset> LoadSpamAssassin(const std::filesystem::path& root) {
  std::error_code error;
  if (!std::filesystem::is_directory(root, error)) {
    return absl::NotFoundError(absl::StrCat("SpamAssassin data folder not found: ", root.string()));
  }
  std::vector<std::filesystem::path> groups;
  for (const auto& entry : std::filesystem::directory_iterator(root, error)) {
    if (entry.is_directory(error)) groups.push_back(entry.path());
  }
  if (groups.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no e-mail group folders (e.g. easy-ham-1, spam-1) in ", root.string()));
  }
  std::sort(groups.begin(), groups.end());
  TextDataset dataset;
  dataset.label_names = {"ham", "spam"};
  for (const std::filesystem::path& group_dir : groups) {
    const std::string group = group_dir.filename().string();
    const int label = group.starts_with("spam") ? 1 : 0;
    NASQ_ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files, ListFiles(group_dir, ".json"));
    for (const std::filesystem::path& file : files) {
      NASQ_ASSIGN_OR_RETURN(std::string body, ReadSpamAssassinText(file));
      dataset.examples.push_back(
          {absl::StrCat(group, "/", file.stem().string()), std::move(body), label});
    }
  }
  return dataset;
}

absl::StatusOr<TextDataset> LoadImdb(const std::filesystem::path& root, const std::string& split) {
  if (split != "train" && split != "test") {
    return absl::InvalidArgumentError(
        absl::StrCat("IMDb split must be \"train\" or \"test\", got \"", split, "\""));
  }
  TextDataset dataset;
  dataset.label_names = {"neg", "pos"};
  for (int label = 0; label < 2; ++label) {
    const std::string& polarity = dataset.label_names[label];
    NASQ_ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files,
                          ListFiles(root / split / polarity, ".txt"));
    for (const std::filesystem::path& file : files) {
      NASQ_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(file));
      dataset.examples.push_back({absl::StrCat(split, "/", polarity, "/", file.filename().string()),
                                  std::move(text), label});
    }
  }
  return dataset;
}

absl::StatusOr<TrainTestSplit> SplitTrainTest(const TextDataset& dataset,
                                              const SplitOptions& options) {
  if (!(options.test_fraction >= 0.0 && options.test_fraction <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("test_fraction must be in [0, 1], got ", options.test_fraction));
  }
  const size_t n = dataset.examples.size();
  std::vector<uint64_t> hashes(n);
  for (size_t i = 0; i < n; ++i) {
    hashes[i] = Fnv1a64().AddU64(options.seed).AddString(dataset.examples[i].id).value();
  }
  // Per label, the examples ordered by hash (index breaks ties); the first share go to test.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int label_a = dataset.examples[a].label;
    const int label_b = dataset.examples[b].label;
    if (label_a != label_b) return label_a < label_b;
    if (hashes[a] != hashes[b]) return hashes[a] < hashes[b];
    return a < b;
  });
  std::vector<bool> is_test(n, false);
  for (size_t begin = 0; begin < n;) {
    size_t end = begin;
    while (end < n && dataset.examples[order[end]].label == dataset.examples[order[begin]].label) {
      ++end;
    }
    const auto test_count =
        static_cast<size_t>(std::llround(static_cast<double>(end - begin) * options.test_fraction));
    for (size_t k = begin; k < begin + test_count; ++k) is_test[order[k]] = true;
    begin = end;
  }
  TrainTestSplit split;
  split.train.label_names = dataset.label_names;
  split.test.label_names = dataset.label_names;
  for (size_t i = 0; i < n; ++i) {
    (is_test[i] ? split.test : split.train).examples.push_back(dataset.examples[i]);
  }
  return split;
}

uint64_t FingerprintDataset(const TextDataset& dataset) {
  Fnv1a64 hash;
  hash.AddU64(dataset.label_names.size());
  for (const std::string& name : dataset.label_names) hash.AddString(name);
  hash.AddU64(dataset.examples.size());
  for (const TextExample& example : dataset.examples) {
    hash.AddString(example.id).AddString(example.text).AddU64(static_cast<uint64_t>(example.label));
  }
  return hash.value();
}

}  // namespace nasq

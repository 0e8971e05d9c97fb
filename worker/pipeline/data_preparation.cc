#include "worker/pipeline/data_preparation.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "worker/text/datasets.h"
#include "worker/text/vocab_builder.h"
#include "worker/text/wordpiece_tokenizer.h"

namespace nasq {
namespace {

constexpr char kDefaultSpamAssassinPath[] = "third_party/spam-assassin/data";

std::filesystem::path EnvPath(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::filesystem::path() : std::filesystem::path(value);
}

std::filesystem::path CacheDir(const DataPaths& paths) {
  if (!paths.cache_dir.empty()) return paths.cache_dir;
  std::filesystem::path env = EnvPath("NASQ_CACHE_DIR");
  if (!env.empty()) return env;
  return std::filesystem::temp_directory_path() / "nasq-cache";
}

std::string DatasetPath(const DatasetSpec& dataset) {
  return dataset.path.empty() ? kDefaultSpamAssassinPath : dataset.path;
}

// A stratified, deterministic subset of `max_examples` (all when 0 or when there are fewer).
absl::StatusOr<TextDataset> Cap(TextDataset dataset, const DatasetSpec& spec) {
  const auto n = static_cast<int64_t>(dataset.examples.size());
  if (spec.max_examples == 0 || n <= spec.max_examples) return dataset;
  NASQ_ASSIGN_OR_RETURN(
      TrainTestSplit split,
      SplitTrainTest(dataset, {.test_fraction = static_cast<double>(spec.max_examples) / n,
                               .seed = spec.split_seed + 1}));
  return std::move(split.test);
}

TabularOptions TabularOptionsOf(const DatasetSpec& spec) {
  TabularOptions options;
  options.format = spec.format == DatasetFormat::kCsv   ? TabularFormat::kCsv
                   : spec.format == DatasetFormat::kTsv ? TabularFormat::kTsv
                                                        : TabularFormat::kJsonl;
  options.text_field = spec.text_field;
  options.label_field = spec.label_field;
  options.label_set = spec.labels;
  return options;
}

// Train and test must share their labels; integer-labelled files may see fewer labels in one
// split, so a prefix is widened to the longer list.
absl::Status ReconcileLabels(TrainTestSplit& split) {
  auto& a = split.train.label_names;
  auto& b = split.test.label_names;
  if (a == b) return absl::OkStatus();
  const bool a_prefix = a.size() < b.size() && std::equal(a.begin(), a.end(), b.begin());
  const bool b_prefix = b.size() < a.size() && std::equal(b.begin(), b.end(), a.begin());
  if (a_prefix) {
    a = b;
  } else if (b_prefix) {
    b = a;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("task.dataset: train and test labels differ: [",
                                                   absl::StrJoin(a, ", "), "] vs [",
                                                   absl::StrJoin(b, ", "), "]"));
  }
  return absl::OkStatus();
}

absl::StatusOr<TrainTestSplit> LoadSplit(const TaskSpec& spec, const DataPaths& paths) {
  const DatasetSpec& d = spec.dataset;
  NASQ_ASSIGN_OR_RETURN(std::filesystem::path root,
                        ResolveInputPath(DatasetPath(d), "task.dataset.path", paths));
  TrainTestSplit split;
  const SplitOptions split_options{.test_fraction = d.test_fraction, .seed = d.split_seed};
  switch (d.format) {
    case DatasetFormat::kSpamAssassin: {
      NASQ_ASSIGN_OR_RETURN(TextDataset all, LoadSpamAssassin(root));
      NASQ_ASSIGN_OR_RETURN(all, Cap(std::move(all), d));
      NASQ_ASSIGN_OR_RETURN(split, SplitTrainTest(all, split_options));
      break;
    }
    case DatasetFormat::kImdb: {
      NASQ_ASSIGN_OR_RETURN(TextDataset train, LoadImdb(root, "train"));
      NASQ_ASSIGN_OR_RETURN(TextDataset test, LoadImdb(root, "test"));
      NASQ_ASSIGN_OR_RETURN(split.train, Cap(std::move(train), d));
      NASQ_ASSIGN_OR_RETURN(split.test, Cap(std::move(test), d));
      break;
    }
    case DatasetFormat::kCsv:
    case DatasetFormat::kTsv:
    case DatasetFormat::kJsonl: {
      const TabularOptions options = TabularOptionsOf(d);
      NASQ_ASSIGN_OR_RETURN(TextDataset all, LoadTabular(root, options));
      NASQ_ASSIGN_OR_RETURN(all, Cap(std::move(all), d));
      if (d.test_path.empty()) {
        NASQ_ASSIGN_OR_RETURN(split, SplitTrainTest(all, split_options));
      } else {
        NASQ_ASSIGN_OR_RETURN(std::filesystem::path test_file,
                              ResolveInputPath(d.test_path, "task.dataset.test_path", paths));
        NASQ_ASSIGN_OR_RETURN(TextDataset test, LoadTabular(test_file, options));
        split.train = std::move(all);
        NASQ_ASSIGN_OR_RETURN(split.test, Cap(std::move(test), d));
      }
      break;
    }
  }
  NASQ_RETURN_IF_ERROR(ReconcileLabels(split));
  if (split.train.examples.empty() || split.test.examples.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "task.dataset: the split left ", split.train.examples.size(), " training and ",
        split.test.examples.size(), " test examples; both must be non-empty (check max_examples)"));
  }
  if (split.train.label_names.size() < 2) {
    return absl::InvalidArgumentError("task.dataset: needs at least 2 labels");
  }
  return split;
}

WordPieceOptions TokenizerOptions(const TokenizerSpec& spec) {
  WordPieceOptions options;
  options.basic.do_lower_case = spec.lower_case;
  return options;
}

// A vocabulary built from the training texts, written to the cache folder.
absl::StatusOr<std::pair<WordPieceTokenizer, std::filesystem::path>> BuildTokenizer(
    const TaskSpec& spec, const TextDataset& train, const DataPaths& paths) {
  std::vector<std::string> texts;
  texts.reserve(train.examples.size());
  for (const TextExample& e : train.examples) texts.push_back(e.text);
  VocabBuilderOptions options;
  options.vocab_size = spec.tokenizer.vocab_size;
  options.basic.do_lower_case = spec.tokenizer.lower_case;
  NASQ_ASSIGN_OR_RETURN(std::vector<std::string> tokens, BuildWordPieceVocab(texts, options));
  const size_t key = std::hash<std::string>()(absl::StrCat(
      FingerprintDataset(train), "/", spec.tokenizer.vocab_size, "/", spec.tokenizer.lower_case));
  const std::filesystem::path dir = CacheDir(paths);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create the cache folder ", dir.string(), ": ", error.message()));
  }
  const std::filesystem::path vocab_path = dir / absl::StrCat("vocab-", key, ".txt");
  NASQ_RETURN_IF_ERROR(WriteVocabFile(vocab_path, tokens));
  NASQ_ASSIGN_OR_RETURN(
      WordPieceTokenizer tokenizer,
      WordPieceTokenizer::FromTokens(std::move(tokens), TokenizerOptions(spec.tokenizer)));
  return std::make_pair(std::move(tokenizer), vocab_path);
}

}  // namespace

absl::StatusOr<std::filesystem::path> ResolveInputPath(const std::string& path,
                                                       const std::string& field,
                                                       const DataPaths& paths) {
  const std::filesystem::path p(path);
  if (p.is_absolute()) {
    if (std::filesystem::exists(p)) return p;
    return absl::NotFoundError(absl::StrCat(field, ": \"", path, "\" does not exist"));
  }
  std::vector<std::filesystem::path> candidates;
  const std::filesystem::path data_dir =
      paths.data_dir.empty() ? EnvPath("NASQ_DATA_DIR") : paths.data_dir;
  if (!data_dir.empty()) candidates.push_back(data_dir / p);
  candidates.push_back(std::filesystem::current_path() / p);
  candidates.push_back(
      (paths.source_root.empty() ? std::filesystem::path(NASQ_SOURCE_DIR) : paths.source_root) / p);
  std::vector<std::string> tried;
  for (const auto& candidate : candidates) {
    if (std::filesystem::exists(candidate)) return candidate;
    if (std::find(tried.begin(), tried.end(), candidate.string()) == tried.end()) {
      tried.push_back(candidate.string());
    }
  }
  return absl::NotFoundError(absl::StrCat(field, ": \"", path, "\" not found (tried ",
                                          absl::StrJoin(tried, ", "),
                                          "; set NASQ_DATA_DIR or use an absolute path)"));
}

std::string PreparedDataKey(const TaskSpec& spec, const std::filesystem::path& checkpoint_vocab) {
  const DatasetSpec& d = spec.dataset;
  const TokenizerSpec& t = spec.tokenizer;
  return absl::StrCat(static_cast<int>(d.format), "|", DatasetPath(d), "|", d.test_path, "|",
                      d.text_field, "|", d.label_field, "|", absl::StrJoin(d.labels, ","), "|",
                      d.test_fraction, "|", d.split_seed, "|", d.max_examples, "|", d.max_length,
                      "|", t.vocab, "|", t.vocab_size, "|", t.lower_case, "|",
                      checkpoint_vocab.string());
}

absl::StatusOr<PreparedData> PrepareData(const TaskSpec& spec,
                                         const std::filesystem::path& checkpoint_vocab,
                                         const DataPaths& paths) {
  NASQ_ASSIGN_OR_RETURN(TrainTestSplit split, LoadSplit(spec, paths));
  PreparedData data;
  std::optional<WordPieceTokenizer> tokenizer;
  if (!spec.tokenizer.vocab.empty() || !checkpoint_vocab.empty()) {
    if (spec.tokenizer.vocab.empty()) {
      data.vocab_path = checkpoint_vocab;
    } else {
      NASQ_ASSIGN_OR_RETURN(data.vocab_path,
                            ResolveInputPath(spec.tokenizer.vocab, "task.tokenizer.vocab", paths));
    }
    NASQ_ASSIGN_OR_RETURN(tokenizer, WordPieceTokenizer::FromVocabFile(
                                         data.vocab_path, TokenizerOptions(spec.tokenizer)));
  } else {
    NASQ_ASSIGN_OR_RETURN(auto built, BuildTokenizer(spec, split.train, paths));
    tokenizer.emplace(std::move(built.first));
    data.vocab_path = std::move(built.second);
  }
  data.vocab_size = tokenizer->vocab_size();
  NASQ_ASSIGN_OR_RETURN(data.train,
                        TokenizeDataset(split.train, *tokenizer, spec.dataset.max_length));
  NASQ_ASSIGN_OR_RETURN(data.test,
                        TokenizeDataset(split.test, *tokenizer, spec.dataset.max_length));
  return data;
}

}  // namespace nasq

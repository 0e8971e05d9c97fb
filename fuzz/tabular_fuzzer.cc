// fuzz/tabular_fuzzer.cc: libFuzzer target for the CSV / TSV / JSONL dataset readers
// (worker/text/datasets.h LoadTabular). The first input byte picks the format (bits 0-1:
// csv, tsv, jsonl) and whether labels are declared (bit 2: {"ham", "spam"}, else integer
// labels); the rest is the file. Any input must give a dataset or an error status, and a
// dataset's labels must index its label names.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "fuzz/scratch_file.h"
#include "worker/text/datasets.h"

using nasq::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* const kExtensions[] = {".csv", ".tsv", ".jsonl", ".csv"};
  nasq::TabularOptions options;
  if (data[0] & 4) options.label_set = {"ham", "spam"};
  const auto path = nasq::fuzz::WriteScratchFile(data + 1, size - 1, kExtensions[data[0] & 3]);
  auto dataset = nasq::LoadTabular(path, options);
  if (!dataset.ok()) return 0;
  for (const nasq::TextExample& example : dataset->examples) {
    Check(example.label >= 0 && static_cast<size_t>(example.label) < dataset->label_names.size(),
          "an example's label is not an index into label_names");
  }
  return 0;
}

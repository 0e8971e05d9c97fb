// spec/spec_docs.cc: see spec_docs.h.
#include "spec/spec_docs.h"

#include <cstdint>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/study.h"

namespace nasq {
namespace {

// 1000000 -> "1,000,000".
std::string Grouped(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return n < 0 ? "-" + digits : digits;
}

// A number of milliseconds as the study file writes it: "60s", "1500ms".
std::string Millis(int64_t ms) {
  return ms % 1000 == 0 ? absl::StrCat(Grouped(ms / 1000), "s") : absl::StrCat(Grouped(ms), "ms");
}

template <typename S>
std::string Row(const Field<S>& field, absl::string_view prefix) {
  const std::string name = field.yaml_name != nullptr ? field.yaml_name : field.name;
  const FieldValue value = GetField(S{}, field);
  const auto text = [&](int64_t v) { return field.millis ? Millis(v) : Grouped(v); };
  std::string type = "number";
  std::string default_text = FormatFieldValue(value);
  if (const int64_t* i = std::get_if<int64_t>(&value)) {
    type = field.millis ? "duration" : "integer";
    default_text = text(*i);
  } else if (std::holds_alternative<bool>(value)) {
    type = "bool";
  }
  std::string range = field.rule != nullptr ? field.rule : "";
  if (field.range.has_value()) {
    range = absl::StrCat(text(field.range->min), " to ", text(field.range->max));
  }
  std::string meaning = field.doc;
  if (field.zero_means != nullptr) absl::StrAppend(&meaning, "; 0 = ", field.zero_means);
  return absl::StrCat("| `", prefix, name, "` | ", type, " | ", default_text, " | ", range, " | ",
                      meaning, " |\n");
}

template <typename S>
std::string Table(absl::string_view title, absl::Span<const Field<S>> fields,
                  absl::string_view prefix) {
  std::string out = absl::StrCat(title, "\n\n| field | type | default | range | meaning |\n",
                                 "|---|---|---|---|---|\n");
  for (const Field<S>& field : fields) out += Row(field, prefix);
  return out;
}

}  // namespace

std::string StudyOptionTables() {
  return absl::StrCat(
      Table<SamplerConfig>("Options of every sampler:", kSamplerOptionFields, "sampler."), "\n",
      Table<TpeOptions>("TPE options (only with `type: tpe`), written directly under `sampler:`:",
                        kTpeOptionFields, "sampler."),
      "\n",
      Table<Nsga2Options>(
          "NSGA-II options (only with `type: nsga2`), written directly under `sampler:`, besides "
          "`crossover` (`uniform`, the default, `blxalpha`, `sbx`, `vsbx`, `spx` or `undx`; "
          "docs/tpe.md section 8):",
          kNsga2OptionFields, "sampler."),
      "\n", Table<StudySpec>("Limits of the study's run:", kStudyLimitFields, ""), "\n",
      Table<PrunerConfig>("Options of every pruner:", kPrunerOptionFields, "pruner."), "\n",
      Table<PercentilePrunerOptions>(
          "`type: median` and `type: percentile` (the median pruner takes all but `percentile`):",
          kPercentilePrunerFields, "pruner."),
      "\n",
      Table<SuccessiveHalvingPrunerOptions>(
          "`type: successive_halving`:", kSuccessiveHalvingPrunerFields, "pruner."),
      "\n", Table<HyperbandPrunerOptions>("`type: hyperband`:", kHyperbandPrunerFields, "pruner."),
      "\n", Table<ThresholdPrunerOptions>("`type: threshold`:", kThresholdPrunerFields, "pruner."),
      "\n",
      Table<PatientPrunerOptions>(
          "`type: patient` (with `wrapped: <type>` and that type's options):", kPatientPrunerFields,
          "pruner."));
}

absl::StatusOr<std::string> UpdateStudyOptionTables(absl::string_view doc) {
  return ReplaceGeneratedBlock(doc, kSpecDocsBegin, kSpecDocsEnd, StudyOptionTables());
}

absl::StatusOr<std::string> ReplaceGeneratedBlock(absl::string_view doc, absl::string_view begin,
                                                  absl::string_view end,
                                                  absl::string_view content) {
  const size_t first = doc.find(begin);
  const size_t last = first == absl::string_view::npos ? first : doc.find(end, first);
  if (last == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("the document lacks the lines ", begin, "and ", end, "in this order"));
  }
  return absl::StrCat(doc.substr(0, first + begin.size()), content, doc.substr(last));
}

absl::Status RewriteFile(const std::string& path,
                         absl::FunctionRef<absl::StatusOr<std::string>(absl::string_view)> update) {
  std::stringstream text;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::InternalError(absl::StrCat(path, ": cannot read file"));
    text << in.rdbuf();
  }
  absl::StatusOr<std::string> updated = update(text.str());
  if (!updated.ok()) {
    return absl::Status(updated.status().code(),
                        absl::StrCat(path, ": ", updated.status().message()));
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << *updated;
  if (!out.good()) return absl::InternalError(absl::StrCat(path, ": cannot write file"));
  return absl::OkStatus();
}

}  // namespace nasq

// spec/spec_yaml.h: reads a study spec YAML file (format: docs/study-spec.md) into a
// validated StudySpec.
//
// Every field is checked: unknown fields anywhere (except inside the free-form `task` and
// `user_attrs` sections) are errors, and so is anything SearchSpace::Create or ValidateStudySpec
// refuses. Errors are INVALID_ARGUMENT with a one-line message naming the source, the position
// where known and the field path, e.g.
//   spec.yaml:12:5: space.params.lr.low: expected a number, got "abc"
// Pure functions; thread-safe.
#ifndef NASQ_SPEC_SPEC_YAML_H_
#define NASQ_SPEC_SPEC_YAML_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/study.h"

namespace nasq {

// Parses and validates the YAML text `yaml`. `source` names the text in error messages
// (usually the file name). Returns the spec, or INVALID_ARGUMENT as described above.
absl::StatusOr<StudySpec> ParseStudySpecYaml(const std::string& yaml, const std::string& source);

// Reads the file at `path` and parses it with ParseStudySpecYaml (source = path). NOT_FOUND
// when the file cannot be read.
absl::StatusOr<StudySpec> LoadStudySpecFile(const std::string& path);

// The milliseconds of a duration as study files write them (lease.duration): "30s", "500ms",
// "5m", "2h" or a bare number of seconds ("1.5"); fractions are rounded, huge values saturate
// at INT64_MAX. nullopt for anything else (negative, NaN, infinite, unknown unit, "").
std::optional<int64_t> ParseDurationMs(const std::string& text);

}  // namespace nasq

#endif  // NASQ_SPEC_SPEC_YAML_H_

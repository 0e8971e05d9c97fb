// interop/optuna_storage.h: nasq studies in and out of Optuna's RDB storage (a SQLite file with
// the schema of Optuna 5.0.0, interop/optuna_schema.h), so that Optuna's API, its CLI and
// optuna-dashboard read a nasq study, and an Optuna study warm-starts a nasq one.
//
// Mapping (docs/optuna-interop.md): directions -> study_directions; metric names -> study system
// attr "study:metric_names"; the whole spec -> study system attr "nasq:spec"; spec user attrs ->
// study user attrs; trials with their number,
// state, datetimes (naive UTC, as Optuna 5 stores them), params (internal values and
// distribution_json), values, intermediate values (+-inf and NaN as Optuna's value_type), user
// attrs and system attrs unchanged (so "metrics" stays a user attr and "worker", "fail_reason",
// "constraints:<name>" stay system attrs, which Optuna 5 reads as constraints).
//
// Pure functions over files; thread-safe for distinct paths.
#ifndef NASQ_INTEROP_OPTUNA_STORAGE_H_
#define NASQ_INTEROP_OPTUNA_STORAGE_H_

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/study.h"
#include "core/trial.h"

namespace nasq {

// Writes `study` (its spec's name, directions, metric names and user attrs) and `trials` (params
// with their distributions) as one Optuna study into the SQLite file at `path`: a new file, which
// appears whole or not at all (written next to `path`, then renamed), or an existing Optuna
// storage of this schema, which gains the study in one transaction (so one file can hold several
// studies for optuna-dashboard). ALREADY_EXISTS when that file already holds a study of that
// name; FAILED_PRECONDITION when an existing file is not such an Optuna storage (it is left
// unchanged); UNAVAILABLE naming the path when it cannot be written; INVALID_ARGUMENT when a
// distribution has no Optuna JSON form.
absl::Status WriteOptunaStudy(const std::string& path, const Study& study,
                              std::span<const Trial> trials);

// A study read from Optuna's storage.
struct OptunaStudy {
  std::string name;
  std::vector<StudyDirection> directions;
  std::vector<std::string> metric_names;          // empty when the study names none
  std::map<std::string, std::string> user_attrs;  // study user attrs, JSON text
  // The nasq spec a nasq export stored (study system attr "nasq:spec"); nullopt for a study
  // that Optuna made.
  std::optional<StudySpec> nasq_spec;
  // By number; params are internal values with their distributions (Trial::distributions).
  std::vector<Trial> trials;
};

// Reads study `study_name` from the Optuna SQLite file at `path` (writing nothing). NOT_FOUND
// naming the path when there is no such file, or naming the study (and listing the file's studies)
// when the file holds no such study; FAILED_PRECONDITION when the file is not an Optuna storage of
// the schema this build writes (alembic version kAlembicVersion), naming what was found, or when a
// table it reads is missing, a view or virtual table, or has a generated column (SQL of the file's
// choosing, run on every read: the file comes from outside); DATA_LOSS naming the trial and param
// when a row cannot be read, a number column holding text or NULL, an integer column (number,
// objective, step) holding anything but an integer, or two trials sharing a number included (a
// distribution nasq
// cannot represent, such as a categorical with a null choice, is INVALID_ARGUMENT; so is a
// "nasq:spec" attr that is not a valid spec).
absl::StatusOr<OptunaStudy> ReadOptunaStudy(const std::string& path, const std::string& study_name);

}  // namespace nasq

#endif  // NASQ_INTEROP_OPTUNA_STORAGE_H_

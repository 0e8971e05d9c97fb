#include "interop/optuna_storage.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "core/status_macros.h"
#include "interop/optuna_schema.h"
#include "nlohmann/json.hpp"
#include "spec/spec_json.h"
#include "storage/sqlite_db.h"

namespace nasq {
namespace {

// Optuna's datetime columns: naive UTC with microseconds (SQLAlchemy's SQLite format). Optuna 5
// stores UTC and shows local time (its TrialModel's datetime properties).
constexpr char kDatetimeFormat[] = "%Y-%m-%d %H:%M:%E6S";
constexpr char kDatetimeParseFormat[] = "%Y-%m-%d %H:%M:%E*S";

// Binds `micros` (0 = unset: NULL) as an Optuna datetime.
void BindDatetime(SqliteStatement& statement, int index, int64_t micros) {
  if (micros == 0) {
    statement.Bind(index, std::nullopt);
    return;
  }
  statement.Bind(
      index, absl::FormatTime(kDatetimeFormat, absl::FromUnixMicros(micros), absl::UTCTimeZone()));
}

// A value column and its value_type, as Optuna's TrialValueModel / TrialIntermediateValueModel
// store it: the number when finite, else NULL with INF_POS, INF_NEG (or NAN, intermediate only).
struct StoredValue {
  std::optional<double> value;
  const char* type;
};

StoredValue ToStored(double v) {
  if (std::isnan(v)) return {std::nullopt, "NAN"};
  if (std::isinf(v)) return {std::nullopt, v > 0 ? "INF_POS" : "INF_NEG"};
  return {v, "FINITE"};
}

// Whether `storage_type`, SQLite's typeof() of a column, is a number (an Optuna file from
// outside may hold text or NULL in its FLOAT columns, which SQLite would read as 0).
bool IsNumber(const std::string& storage_type) {
  return storage_type == "real" || storage_type == "integer";
}

// OK when column `typeof_column` of `row`, SQLite's typeof() of an INTEGER column, says
// integer; otherwise DATA_LOSS naming `field` (text or NULL would read as 0).
absl::Status CheckInteger(const SqliteStatement& row, int typeof_column, const std::string& field) {
  const std::string storage_type = row.Text(typeof_column);
  if (storage_type == "integer") return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(field, " is ", storage_type, ", not an integer"));
}

// The value `row` stores as ToStored does: its value_type in `type_column`; a FINITE value in
// `value_column`, whose typeof() is in `storage_type_column`.
absl::StatusOr<double> FromStored(const SqliteStatement& row, int value_column, int type_column,
                                  int storage_type_column, const std::string& what) {
  const std::string type = row.Text(type_column);
  if (type == "FINITE") {
    const std::string storage_type = row.Text(storage_type_column);
    if (IsNumber(storage_type)) return row.Double(value_column);
    return absl::DataLossError(absl::StrCat(what, ": value_type FINITE but the value is ",
                                            storage_type, ", not a number"));
  }
  if (type == "INF_POS") return std::numeric_limits<double>::infinity();
  if (type == "INF_NEG") return -std::numeric_limits<double>::infinity();
  if (type == "NAN") return std::numeric_limits<double>::quiet_NaN();
  return absl::DataLossError(absl::StrCat(what, ": unknown value_type '", type, "'"));
}

SqliteStatement& BindStored(SqliteStatement& statement, int index, const StoredValue& stored) {
  if (stored.value) return statement.Bind(index, *stored.value);
  return statement.Bind(index, std::nullopt);
}

// Optuna's value_json of a nasq attr: its JSON text, or, for a value that is not JSON (nasq's
// API carries attrs as text and does not parse every one), that text as a JSON string, so that
// Optuna's json.loads never fails on a file nasq wrote.
std::string OptunaAttrJson(const std::string& text) {
  return nlohmann::json::accept(text) ? text : nlohmann::json(text).dump();
}

absl::Status InsertAttrs(SqliteDb& db, const std::string& table, const std::string& owner_column,
                         int64_t owner, const std::map<std::string, std::string>& attrs) {
  for (const auto& [key, text] : attrs) {
    const std::string json = OptunaAttrJson(text);
    NASQ_ASSIGN_OR_RETURN(auto insert,
                          db.Prepare(absl::StrCat("INSERT INTO ", table, " (", owner_column,
                                                  ", key, value_json) VALUES "
                                                  "(?1, ?2, ?3)")));
    NASQ_RETURN_IF_ERROR(insert.Bind(1, owner).Bind(2, key).Bind(3, json).Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> ReadAttrs(SqliteDb& db, const std::string& table,
                                                             const std::string& owner_column,
                                                             int64_t owner) {
  NASQ_ASSIGN_OR_RETURN(auto select, db.Prepare(absl::StrCat("SELECT key, value_json FROM ", table,
                                                             " WHERE ", owner_column, " = ?1")));
  select.Bind(1, owner);
  std::map<std::string, std::string> attrs;
  for (;;) {
    NASQ_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    attrs[select.Text(0)] = select.Text(1);
  }
  return attrs;
}

// Creates Optuna's tables and version rows in the empty database `db`.
absl::Status CreateSchema(SqliteDb& db) {
  NASQ_RETURN_IF_ERROR(db.Exec(optuna_schema::kCreateTables));
  NASQ_ASSIGN_OR_RETURN(auto version,
                        db.Prepare("INSERT INTO version_info (version_info_id, schema_version, "
                                   "library_version) VALUES (1, ?1, ?2)"));
  NASQ_RETURN_IF_ERROR(version.Bind(1, int64_t{optuna_schema::kSchemaVersion})
                           .Bind(2, absl::string_view(optuna_schema::kLibraryVersion))
                           .Run());
  NASQ_ASSIGN_OR_RETURN(auto alembic,
                        db.Prepare("INSERT INTO alembic_version (version_num) VALUES (?1)"));
  return alembic.Bind(1, absl::string_view(optuna_schema::kAlembicVersion)).Run();
}

// Adds `study` and `trials` to the Optuna storage `db` (at `path`, for messages).
absl::Status WriteStudy(SqliteDb& db, const std::string& path, const Study& study,
                        std::span<const Trial> trials) {
  const StudySpec& spec = study.spec;
  NASQ_ASSIGN_OR_RETURN(auto taken, db.Prepare("SELECT 1 FROM studies WHERE study_name = ?1"));
  NASQ_ASSIGN_OR_RETURN(bool exists, taken.Bind(1, spec.name).Step());
  if (exists) {
    return absl::AlreadyExistsError(
        absl::StrCat(path, " already holds a study named '", spec.name, "'; choose another file"));
  }
  NASQ_ASSIGN_OR_RETURN(
      auto insert_study,
      db.Prepare("INSERT INTO studies (study_name) VALUES (?1) RETURNING study_id"));
  NASQ_RETURN_IF_ERROR(insert_study.Bind(1, spec.name).Step().status());
  const int64_t study_id = insert_study.Int(0);
  NASQ_RETURN_IF_ERROR(insert_study.Step().status());  // finish the statement
  for (size_t i = 0; i < spec.directions.size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(auto direction, db.Prepare("INSERT INTO study_directions (direction, "
                                                     "study_id, objective) VALUES (?1, ?2, ?3)"));
    NASQ_RETURN_IF_ERROR(
        direction.Bind(1, absl::string_view(StudyDirectionName(spec.directions[i])))
            .Bind(2, study_id)
            .Bind(3, static_cast<int64_t>(i))
            .Run());
  }
  std::map<std::string, std::string> study_system_attrs;
  if (!spec.metric_names.empty()) {
    study_system_attrs[optuna_schema::kMetricNamesAttr] = nlohmann::json(spec.metric_names).dump();
  }
  NASQ_ASSIGN_OR_RETURN(study_system_attrs[optuna_schema::kNasqSpecAttr], StudySpecToJson(spec));
  NASQ_RETURN_IF_ERROR(
      InsertAttrs(db, "study_system_attributes", "study_id", study_id, study_system_attrs));
  NASQ_RETURN_IF_ERROR(
      InsertAttrs(db, "study_user_attributes", "study_id", study_id, spec.user_attrs));

  for (const Trial& trial : trials) {
    NASQ_ASSIGN_OR_RETURN(auto insert_trial,
                          db.Prepare("INSERT INTO trials (number, study_id, state, datetime_start, "
                                     "datetime_complete) VALUES (?1, ?2, ?3, ?4, ?5) "
                                     "RETURNING trial_id"));
    insert_trial.Bind(1, trial.number)
        .Bind(2, study_id)
        .Bind(3, absl::string_view(TrialStateName(trial.state)));
    BindDatetime(insert_trial, 4, trial.datetime_start_us);
    BindDatetime(insert_trial, 5, trial.datetime_complete_us);
    NASQ_RETURN_IF_ERROR(insert_trial.Step().status());
    const int64_t trial_id = insert_trial.Int(0);
    NASQ_RETURN_IF_ERROR(insert_trial.Step().status());  // finish the statement
    for (const auto& [name, internal] : trial.params) {
      const std::string field = absl::StrCat("trial ", trial.number, ", param ", name);
      auto d = trial.distributions.find(name);
      if (d == trial.distributions.end()) {
        return absl::InvalidArgumentError(absl::StrCat(field, ": no distribution"));
      }
      absl::StatusOr<std::string> json = DistributionToJson(d->second);
      if (!json.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(field, ": ", json.status().message()));
      }
      NASQ_ASSIGN_OR_RETURN(auto param,
                            db.Prepare("INSERT INTO trial_params (trial_id, param_name, "
                                       "param_value, distribution_json) VALUES (?1, ?2, ?3, ?4)"));
      NASQ_RETURN_IF_ERROR(
          param.Bind(1, trial_id).Bind(2, name).Bind(3, internal).Bind(4, *json).Run());
    }
    for (size_t i = 0; i < trial.values.size(); ++i) {
      NASQ_ASSIGN_OR_RETURN(auto value,
                            db.Prepare("INSERT INTO trial_values (trial_id, objective, value, "
                                       "value_type) VALUES (?1, ?2, ?3, ?4)"));
      const StoredValue stored = ToStored(trial.values[i]);
      value.Bind(1, trial_id).Bind(2, static_cast<int64_t>(i));
      NASQ_RETURN_IF_ERROR(
          BindStored(value, 3, stored).Bind(4, absl::string_view(stored.type)).Run());
    }
    for (const auto& [step, v] : trial.intermediate_values) {
      NASQ_ASSIGN_OR_RETURN(auto intermediate,
                            db.Prepare("INSERT INTO trial_intermediate_values (trial_id, step, "
                                       "intermediate_value, intermediate_value_type) VALUES "
                                       "(?1, ?2, ?3, ?4)"));
      const StoredValue stored = ToStored(v);
      intermediate.Bind(1, trial_id).Bind(2, step);
      NASQ_RETURN_IF_ERROR(
          BindStored(intermediate, 3, stored).Bind(4, absl::string_view(stored.type)).Run());
    }
    NASQ_RETURN_IF_ERROR(
        InsertAttrs(db, "trial_user_attributes", "trial_id", trial_id, trial.user_attrs));
    NASQ_RETURN_IF_ERROR(
        InsertAttrs(db, "trial_system_attributes", "trial_id", trial_id, trial.system_attrs));
  }
  return absl::OkStatus();
}

// The tables that reading a study (and checking for a name before writing one) selects from.
constexpr const char* kReadTables[] = {"alembic_version",
                                       "studies",
                                       "study_directions",
                                       "study_user_attributes",
                                       "study_system_attributes",
                                       "trials",
                                       "trial_params",
                                       "trial_values",
                                       "trial_intermediate_values",
                                       "trial_user_attributes",
                                       "trial_system_attributes"};

// FAILED_PRECONDITION unless `db` is an Optuna storage at optuna_schema::kAlembicVersion whose
// tables in kReadTables are all ordinary tables without generated columns. A file from outside
// may define one as a view (or a virtual table) instead, whose query SQLite would run on every
// read: a recursive one never ends, so `nasq import` would hang rather than refuse the file. A
// generated column is an expression computed on every read, as large as SQLite allows (1 GB per
// value).
absl::Status CheckOptunaStorage(SqliteDb& db, const std::string& path) {
  const std::string not_optuna =
      absl::StrCat(path, " is not an Optuna storage (Optuna ", optuna_schema::kLibraryVersion,
                   "'s RDB schema, alembic version ", optuna_schema::kAlembicVersion, ")");
  for (const char* name : kReadTables) {
    absl::StatusOr<SqliteStatement> table =
        db.Prepare("SELECT type, sql FROM sqlite_master WHERE name = ?1 COLLATE NOCASE");
    absl::StatusOr<bool> row =
        table.ok() ? table->Bind(1, absl::string_view(name)).Step() : table.status();
    if (!row.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(not_optuna, ": ", row.status().message()));
    }
    if (!*row) {
      return absl::FailedPreconditionError(absl::StrCat(not_optuna, ": it has no table ", name));
    }
    const std::string type = table->Text(0);
    if (type != "table" || absl::StartsWithIgnoreCase(table->Text(1), "CREATE VIRTUAL")) {
      return absl::FailedPreconditionError(absl::StrCat(
          not_optuna, ": its ", name, " is a ", type == "table" ? "virtual table" : type,
          ", not a table (a view or virtual table could make every read run without end)"));
    }
    absl::StatusOr<SqliteStatement> generated =
        db.Prepare("SELECT name FROM pragma_table_xinfo(?1) WHERE hidden != 0");
    NASQ_RETURN_IF_ERROR(generated.status());
    NASQ_ASSIGN_OR_RETURN(bool has_generated, generated->Bind(1, absl::string_view(name)).Step());
    if (has_generated) {
      return absl::FailedPreconditionError(absl::StrCat(
          not_optuna, ": its ", name, " has a generated column, ", generated->Text(0),
          " (computed on every read, it could make a small file take gigabytes to read)"));
    }
  }
  NASQ_ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT version_num FROM alembic_version"));
  NASQ_ASSIGN_OR_RETURN(bool row, select.Step());
  const std::string found = row ? select.Text(0) : "none";
  if (found != optuna_schema::kAlembicVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        not_optuna, ": its alembic version is ", found,
        "; open it with its Optuna version, or upgrade it with `optuna storage upgrade`"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> FindStudyId(SqliteDb& db, const std::string& path,
                                    const std::string& study_name) {
  NASQ_ASSIGN_OR_RETURN(auto find,
                        db.Prepare("SELECT study_id FROM studies WHERE study_name = ?1"));
  find.Bind(1, study_name);
  NASQ_ASSIGN_OR_RETURN(bool row, find.Step());
  if (row) return find.Int(0);
  NASQ_ASSIGN_OR_RETURN(auto names, db.Prepare("SELECT study_name FROM studies ORDER BY study_id"));
  std::vector<std::string> known;
  for (;;) {
    NASQ_ASSIGN_OR_RETURN(bool more, names.Step());
    if (!more) break;
    known.push_back(names.Text(0));
  }
  return absl::NotFoundError(
      absl::StrCat(path, " has no study '", study_name,
                   "' (its studies: ", known.empty() ? "none" : absl::StrJoin(known, ", "), ")"));
}

absl::StatusOr<int64_t> ParseDatetime(const std::string& text, const std::string& what) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(kDatetimeParseFormat, text, absl::UTCTimeZone(), &t, &error)) {
    return absl::DataLossError(absl::StrCat(what, ": '", text, "' is not a datetime: ", error));
  }
  return absl::ToUnixMicros(t);
}

absl::Status ReadTrialRows(SqliteDb& db, Trial& trial) {
  const std::string what = absl::StrCat("trial ", trial.number);
  NASQ_ASSIGN_OR_RETURN(auto params,
                        db.Prepare("SELECT param_name, param_value, distribution_json, "
                                   "typeof(param_value) FROM trial_params WHERE "
                                   "trial_id = ?1"));
  params.Bind(1, trial.id);
  for (;;) {
    NASQ_ASSIGN_OR_RETURN(bool row, params.Step());
    if (!row) break;
    const std::string name = params.Text(0);
    const std::string field = absl::StrCat(what, ", param ", name);
    absl::StatusOr<Distribution> d = DistributionFromJson(params.Text(2));
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": distribution ", params.Text(2), ": ", d.status().message()));
    }
    if (!IsNumber(params.Text(3))) {
      return absl::DataLossError(
          absl::StrCat(field, ": param_value is ", params.Text(3), ", not a number"));
    }
    const double internal = params.Double(1);
    if (!Contains(*d, internal)) {
      return absl::DataLossError(
          absl::StrCat(field, ": value ", internal, " lies outside ", DistributionToString(*d)));
    }
    trial.params[name] = internal;
    trial.distributions.insert_or_assign(name, *std::move(d));
  }
  NASQ_ASSIGN_OR_RETURN(auto values, db.Prepare("SELECT objective, value, value_type, "
                                                "typeof(value), typeof(objective) FROM "
                                                "trial_values WHERE trial_id = ?1 "
                                                "ORDER BY objective"));
  values.Bind(1, trial.id);
  for (;;) {
    NASQ_ASSIGN_OR_RETURN(bool row, values.Step());
    if (!row) break;
    NASQ_RETURN_IF_ERROR(CheckInteger(values, 4, absl::StrCat(what, ", objective")));
    if (values.Int(0) != static_cast<int64_t>(trial.values.size())) {
      return absl::DataLossError(
          absl::StrCat(what, ": objective ", values.Int(0), " has no predecessor"));
    }
    NASQ_ASSIGN_OR_RETURN(double v, FromStored(values, 1, 2, 3, absl::StrCat(what, ", value")));
    trial.values.push_back(v);
  }
  NASQ_ASSIGN_OR_RETURN(auto intermediate,
                        db.Prepare("SELECT step, intermediate_value, intermediate_value_type, "
                                   "typeof(intermediate_value), typeof(step) FROM "
                                   "trial_intermediate_values WHERE trial_id = ?1"));
  intermediate.Bind(1, trial.id);
  for (;;) {
    NASQ_ASSIGN_OR_RETURN(bool row, intermediate.Step());
    if (!row) break;
    NASQ_RETURN_IF_ERROR(CheckInteger(intermediate, 4, absl::StrCat(what, ", step")));
    NASQ_ASSIGN_OR_RETURN(
        trial.intermediate_values[intermediate.Int(0)],
        FromStored(intermediate, 1, 2, 3, absl::StrCat(what, ", intermediate value")));
  }
  NASQ_ASSIGN_OR_RETURN(trial.user_attrs,
                        ReadAttrs(db, "trial_user_attributes", "trial_id", trial.id));
  NASQ_ASSIGN_OR_RETURN(trial.system_attrs,
                        ReadAttrs(db, "trial_system_attributes", "trial_id", trial.id));
  return absl::OkStatus();
}

absl::StatusOr<OptunaStudy> ReadStudy(SqliteDb& db, const std::string& path,
                                      const std::string& study_name) {
  NASQ_RETURN_IF_ERROR(CheckOptunaStorage(db, path));
  NASQ_ASSIGN_OR_RETURN(int64_t study_id, FindStudyId(db, path, study_name));
  OptunaStudy study;
  study.name = study_name;
  NASQ_ASSIGN_OR_RETURN(auto directions, db.Prepare("SELECT direction FROM study_directions "
                                                    "WHERE study_id = ?1 ORDER BY objective"));
  directions.Bind(1, study_id);
  for (;;) {
    NASQ_ASSIGN_OR_RETURN(bool row, directions.Step());
    if (!row) break;
    std::optional<StudyDirection> d = ParseStudyDirection(directions.Text(0));
    if (!d) {
      return absl::InvalidArgumentError(absl::StrCat("study '", study_name, "': direction '",
                                                     directions.Text(0),
                                                     "' is neither MINIMIZE nor MAXIMIZE"));
    }
    study.directions.push_back(*d);
  }
  NASQ_ASSIGN_OR_RETURN(study.user_attrs,
                        ReadAttrs(db, "study_user_attributes", "study_id", study_id));
  NASQ_ASSIGN_OR_RETURN(auto system_attrs,
                        ReadAttrs(db, "study_system_attributes", "study_id", study_id));
  if (auto names = system_attrs.find(optuna_schema::kMetricNamesAttr);
      names != system_attrs.end()) {
    nlohmann::json parsed = nlohmann::json::parse(names->second, nullptr, false);
    if (!parsed.is_array()) {
      return absl::DataLossError(absl::StrCat("study '", study_name, "': system attr ",
                                              optuna_schema::kMetricNamesAttr,
                                              " is not a JSON list: ", names->second));
    }
    for (const nlohmann::json& name : parsed) {
      if (!name.is_string()) {
        return absl::DataLossError(absl::StrCat("study '", study_name,
                                                "': ", optuna_schema::kMetricNamesAttr,
                                                " holds a non-string: ", name.dump()));
      }
      study.metric_names.push_back(name.get<std::string>());
    }
  }
  if (auto stored = system_attrs.find(optuna_schema::kNasqSpecAttr); stored != system_attrs.end()) {
    absl::StatusOr<StudySpec> spec = StudySpecFromJson(stored->second);
    if (!spec.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("study '", study_name, "': system attr ",
                                                     optuna_schema::kNasqSpecAttr, ": ",
                                                     spec.status().message()));
    }
    study.nasq_spec = *std::move(spec);
  }
  NASQ_ASSIGN_OR_RETURN(auto trials, db.Prepare("SELECT trial_id, number, state, datetime_start, "
                                                "datetime_complete, typeof(number) FROM trials "
                                                "WHERE study_id = ?1 ORDER BY number"));
  trials.Bind(1, study_id);
  for (;;) {
    NASQ_ASSIGN_OR_RETURN(bool row, trials.Step());
    if (!row) break;
    Trial trial;
    trial.id = trials.Int(0);
    trial.number = trials.Int(1);
    const std::string what = absl::StrCat("trial ", trial.number);
    NASQ_RETURN_IF_ERROR(CheckInteger(trials, 5, absl::StrCat("trial_id ", trial.id, ", number")));
    if (!study.trials.empty() && study.trials.back().number == trial.number) {
      return absl::DataLossError(absl::StrCat(what, ": two trials have this number"));
    }
    std::optional<TrialState> state = ParseTrialState(trials.Text(2));
    if (!state) {
      return absl::DataLossError(absl::StrCat(what, ": unknown state '", trials.Text(2), "'"));
    }
    trial.state = *state;
    if (!trials.IsNull(3)) {
      NASQ_ASSIGN_OR_RETURN(trial.datetime_start_us,
                            ParseDatetime(trials.Text(3), absl::StrCat(what, ", datetime_start")));
    }
    if (!trials.IsNull(4)) {
      NASQ_ASSIGN_OR_RETURN(
          trial.datetime_complete_us,
          ParseDatetime(trials.Text(4), absl::StrCat(what, ", datetime_complete")));
    }
    study.trials.push_back(std::move(trial));
  }
  for (Trial& trial : study.trials) NASQ_RETURN_IF_ERROR(ReadTrialRows(db, trial));
  return study;
}

}  // namespace

absl::Status WriteOptunaStudy(const std::string& path, const Study& study,
                              std::span<const Trial> trials) {
  std::error_code error;
  if (std::filesystem::exists(path, error)) {
    NASQ_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path, /*create=*/false));
    NASQ_RETURN_IF_ERROR(CheckOptunaStorage(*db, path));
    return db->InTransaction(SqliteDb::TxKind::kWrite,
                             [&] { return WriteStudy(*db, path, study, trials); });
  }
  const std::string partial = absl::StrCat(path, ".partial");
  std::filesystem::remove(partial, error);
  absl::Status written = [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(partial, /*create=*/true));
    return db->InTransaction(SqliteDb::TxKind::kWrite, [&]() -> absl::Status {
      NASQ_RETURN_IF_ERROR(CreateSchema(*db));
      return WriteStudy(*db, path, study, trials);
    });
  }();
  if (written.ok()) {
    std::filesystem::rename(partial, path, error);
    if (error) {
      written = absl::UnavailableError(
          absl::StrCat("renaming ", partial, " to ", path, ": ", error.message()));
    }
  }
  if (!written.ok()) std::filesystem::remove(partial, error);
  return written;
}

absl::StatusOr<OptunaStudy> ReadOptunaStudy(const std::string& path,
                                            const std::string& study_name) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  NASQ_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path, /*create=*/false));
  return db->InTransaction(SqliteDb::TxKind::kRead,
                           [&] { return ReadStudy(*db, path, study_name); });
}

}  // namespace nasq

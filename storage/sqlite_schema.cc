// storage/sqlite_schema.cc: see sqlite_schema.h.
#include "storage/sqlite_schema.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "storage/sqlite_db.h"

namespace nasq {
namespace {

// Version 1: the initial schema. Floats that may be +-inf (objective values) or NaN
// (intermediate values) are stored as Optuna does: NULL plus a type column.
constexpr absl::string_view kSchemaV1 = R"sql(
CREATE TABLE schema_version (
  version INTEGER PRIMARY KEY,
  applied_us INTEGER NOT NULL
);

CREATE TABLE studies (
  study_id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  spec_json TEXT NOT NULL
);

CREATE TABLE study_directions (
  study_id INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  objective INTEGER NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('MINIMIZE', 'MAXIMIZE')),
  PRIMARY KEY (study_id, objective)
);

CREATE TABLE study_system_attributes (
  study_id INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (study_id, key)
);

CREATE TABLE trials (
  trial_id INTEGER PRIMARY KEY AUTOINCREMENT,
  study_id INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  datetime_start_us INTEGER NOT NULL,
  datetime_complete_us INTEGER NOT NULL
);
CREATE UNIQUE INDEX trials_study_number ON trials(study_id, number);
CREATE INDEX trials_study_state ON trials(study_id, state);

CREATE TABLE trial_params (
  trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  param_name TEXT NOT NULL,
  param_value REAL NOT NULL,
  distribution_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, param_name)
);

CREATE TABLE trial_values (
  trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  objective INTEGER NOT NULL,
  value REAL,
  value_type TEXT NOT NULL CHECK (value_type IN ('FINITE', 'INF_POS', 'INF_NEG')),
  PRIMARY KEY (trial_id, objective)
);

CREATE TABLE trial_intermediate_values (
  trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  intermediate_value REAL,
  intermediate_value_type TEXT NOT NULL
      CHECK (intermediate_value_type IN ('FINITE', 'INF_POS', 'INF_NEG', 'NAN')),
  PRIMARY KEY (trial_id, step)
);

CREATE TABLE trial_user_attributes (
  trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, key)
);

CREATE TABLE trial_system_attributes (
  trial_id INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, key)
);

CREATE TABLE leases (
  trial_id INTEGER PRIMARY KEY REFERENCES trials(trial_id) ON DELETE CASCADE,
  worker_id TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  deadline_us INTEGER NOT NULL
);
)sql";

// Version 2: leases carry a random token (core/trial.h) and say who took them. Leases granted
// before the upgrade get a fresh random token, so their holders' reports are refused and the
// trials re-run once the leases expire; they count as workers' leases.
constexpr absl::string_view kSchemaV2 = R"sql(
ALTER TABLE leases ADD COLUMN token TEXT NOT NULL DEFAULT '';
ALTER TABLE leases ADD COLUMN kind TEXT NOT NULL DEFAULT 'worker' CHECK (kind IN ('worker', 'ask'));
UPDATE leases SET token = lower(hex(randomblob(16)));
)sql";

}  // namespace

const std::vector<absl::string_view>& SchemaMigrations() {
  static const std::vector<absl::string_view> migrations = {kSchemaV1, kSchemaV2};
  return migrations;
}

int64_t LatestSchemaVersion() { return static_cast<int64_t>(SchemaMigrations().size()); }

namespace {

absl::Status NotNasq(const SqliteDb& db, absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat(db.path(), " is not a nasq database: ", why, "; refusing to touch it"));
}

absl::StatusOr<int64_t> QueryInt(SqliteDb& db, const std::string& sql) {
  NASQ_ASSIGN_OR_RETURN(SqliteStatement stmt, db.Prepare(sql));
  NASQ_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
  if (!has_row) {
    return absl::InternalError(absl::StrCat(db.path(), ": \"", sql, "\" returned no row"));
  }
  return stmt.Int(0);
}

// The schema version of the database: 0 for an empty database, else the highest version in
// `schema_version`. Reads only.
absl::StatusOr<int64_t> CurrentSchemaVersion(SqliteDb& db) {
  absl::StatusOr<int64_t> application_id = QueryInt(db, "PRAGMA application_id");
  if (absl::IsFailedPrecondition(application_id.status())) {  // SQLITE_NOTADB
    return NotNasq(db, "the file is not an SQLite database");
  }
  NASQ_RETURN_IF_ERROR(application_id.status());
  NASQ_ASSIGN_OR_RETURN(int64_t tables, QueryInt(db, "SELECT COUNT(*) FROM sqlite_schema"));
  if (*application_id != kNasqApplicationId) {
    if (*application_id == 0 && tables == 0) return 0;  // a new, empty database
    return NotNasq(db, absl::StrCat("an SQLite database without nasq's marker (application_id ",
                                    *application_id, ", ", tables, " schema objects)"));
  }
  NASQ_ASSIGN_OR_RETURN(int64_t has_version_table,
                        QueryInt(db,
                                 "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND "
                                 "name = 'schema_version'"));
  if (has_version_table == 0) return NotNasq(db, "nasq's marker but no schema_version table");
  return QueryInt(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
}

}  // namespace

absl::StatusOr<int64_t> InspectSchemaVersion(SqliteDb& db) {
  NASQ_ASSIGN_OR_RETURN(int64_t version, CurrentSchemaVersion(db));
  if (version > LatestSchemaVersion()) {
    return absl::FailedPreconditionError(absl::StrCat(
        db.path(), " has nasq schema version ", version, " but this build supports versions up to ",
        LatestSchemaVersion(), " (written by a newer nasq); refusing to touch it"));
  }
  return version;
}

absl::Status MigrateToLatest(SqliteDb& db, int64_t now_us) {
  return db.InTransaction(SqliteDb::TxKind::kWrite, [&]() -> absl::Status {
    // Another process may have migrated since the caller inspected the file.
    NASQ_ASSIGN_OR_RETURN(int64_t current, InspectSchemaVersion(db));
    if (current == 0) {
      NASQ_RETURN_IF_ERROR(db.Exec(absl::StrCat("PRAGMA application_id = ", kNasqApplicationId)));
    }
    for (int64_t v = current + 1; v <= LatestSchemaVersion(); ++v) {
      NASQ_RETURN_IF_ERROR(db.Exec(SchemaMigrations()[v - 1]));
      NASQ_ASSIGN_OR_RETURN(
          SqliteStatement insert,
          db.Prepare("INSERT INTO schema_version (version, applied_us) VALUES (?1, ?2)"));
      NASQ_RETURN_IF_ERROR(insert.Bind(1, v).Bind(2, now_us).Run());
    }
    return absl::OkStatus();
  });
}

}  // namespace nasq

// storage/postgres_schema.cc: see postgres_schema.h.
#include "storage/postgres_schema.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "storage/postgres_db.h"

namespace nasq {
namespace {

// Version 1: the SQLite schema at its version 2 (leases with token and kind). Floats that may
// be +-inf (objective values) or NaN (intermediate values) are stored as Optuna does: NULL plus
// a type column (storage/stored_float.h). Ids come from identity sequences, which never hand
// out a number twice, not even after a rollback or a DELETE.
constexpr absl::string_view kSchemaV1 = R"sql(
CREATE TABLE nasq_schema_version (
  version BIGINT PRIMARY KEY,
  applied_us BIGINT NOT NULL
);

CREATE TABLE studies (
  study_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  created_us BIGINT NOT NULL,
  spec_json TEXT NOT NULL
);

CREATE TABLE study_directions (
  study_id BIGINT NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  objective BIGINT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('MINIMIZE', 'MAXIMIZE')),
  PRIMARY KEY (study_id, objective)
);

CREATE TABLE study_system_attributes (
  study_id BIGINT NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (study_id, key)
);

CREATE TABLE trials (
  trial_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  study_id BIGINT NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  number BIGINT NOT NULL,
  state TEXT NOT NULL,
  attempt BIGINT NOT NULL,
  datetime_start_us BIGINT NOT NULL,
  datetime_complete_us BIGINT NOT NULL
);
CREATE UNIQUE INDEX trials_study_number ON trials(study_id, number);
CREATE INDEX trials_study_state ON trials(study_id, state);

CREATE TABLE trial_params (
  trial_id BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  param_name TEXT NOT NULL,
  param_value DOUBLE PRECISION NOT NULL,
  distribution_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, param_name)
);

CREATE TABLE trial_values (
  trial_id BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  objective BIGINT NOT NULL,
  value DOUBLE PRECISION,
  value_type TEXT NOT NULL CHECK (value_type IN ('FINITE', 'INF_POS', 'INF_NEG')),
  PRIMARY KEY (trial_id, objective)
);

CREATE TABLE trial_intermediate_values (
  trial_id BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  step BIGINT NOT NULL,
  intermediate_value DOUBLE PRECISION,
  intermediate_value_type TEXT NOT NULL
      CHECK (intermediate_value_type IN ('FINITE', 'INF_POS', 'INF_NEG', 'NAN')),
  PRIMARY KEY (trial_id, step)
);

CREATE TABLE trial_user_attributes (
  trial_id BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, key)
);

CREATE TABLE trial_system_attributes (
  trial_id BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, key)
);

CREATE TABLE leases (
  trial_id BIGINT PRIMARY KEY REFERENCES trials(trial_id) ON DELETE CASCADE,
  worker_id TEXT NOT NULL,
  epoch BIGINT NOT NULL,
  deadline_us BIGINT NOT NULL,
  token TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('worker', 'ask'))
);
)sql";

absl::StatusOr<int64_t> QueryCount(PgConnection& db, absl::string_view sql) {
  NASQ_ASSIGN_OR_RETURN(PgResult rows, db.Query(sql));
  return rows.Int(0, 0);
}

}  // namespace

const std::vector<absl::string_view>& PostgresSchemaMigrations() {
  static const std::vector<absl::string_view> migrations = {kSchemaV1};
  return migrations;
}

int64_t LatestPostgresSchemaVersion() {
  return static_cast<int64_t>(PostgresSchemaMigrations().size());
}

absl::StatusOr<int64_t> InspectPostgresSchemaVersion(PgConnection& db, const std::string& name) {
  NASQ_ASSIGN_OR_RETURN(int64_t tables, QueryCount(db,
                                                   "SELECT COUNT(*) FROM pg_catalog.pg_tables "
                                                   "WHERE schemaname = current_schema()"));
  if (tables == 0) return 0;
  NASQ_ASSIGN_OR_RETURN(int64_t marked, QueryCount(db,
                                                   "SELECT COUNT(*) FROM pg_catalog.pg_tables "
                                                   "WHERE schemaname = current_schema() AND "
                                                   "tablename = 'nasq_schema_version'"));
  if (marked == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, " is not a nasq database: its schema holds ", tables,
        " tables but no nasq_schema_version; refusing to touch it (give nasq a database of its "
        "own, or a schema of its own through search_path)"));
  }
  NASQ_ASSIGN_OR_RETURN(
      int64_t version, QueryCount(db, "SELECT COALESCE(MAX(version), 0) FROM nasq_schema_version"));
  if (version > LatestPostgresSchemaVersion()) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, " has nasq schema version ", version, " but this build supports versions up to ",
        LatestPostgresSchemaVersion(), " (written by a newer nasq); refusing to touch it"));
  }
  return version;
}

absl::Status MigratePostgresToLatest(PgConnection& db, const std::string& name, int64_t now_us) {
  return db.InTransaction(PgConnection::TxKind::kWrite, [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(int64_t current, InspectPostgresSchemaVersion(db, name));
    for (int64_t v = current + 1; v <= LatestPostgresSchemaVersion(); ++v) {
      NASQ_RETURN_IF_ERROR(db.RunScript(PostgresSchemaMigrations()[v - 1]));
      NASQ_RETURN_IF_ERROR(
          db.Run("INSERT INTO nasq_schema_version (version, applied_us) VALUES ($1, $2)",
                 PgParams().Add(v).Add(now_us)));
    }
    return absl::OkStatus();
  });
}

}  // namespace nasq

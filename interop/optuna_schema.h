// interop/optuna_schema.h: the schema of Optuna's RDB storage (SQLite), as Optuna 5.0.0 creates
// it, and the version rows that make Optuna accept a file without migrating it.
//
// Constants only; thread-safe.
#ifndef NASQ_INTEROP_OPTUNA_SCHEMA_H_
#define NASQ_INTEROP_OPTUNA_SCHEMA_H_

namespace nasq::optuna_schema {

// The CREATE statements of `optuna.create_study(storage="sqlite:///x.db")` with Optuna 5.0.0
// (`sqlite3 x.db .schema`), in order.
extern const char kCreateTables[];

// alembic_version.version_num: the head migration of Optuna 5.0.0's RDB storage. Optuna refuses
// (or asks to `optuna storage upgrade`) a file whose version differs from its own head.
inline constexpr char kAlembicVersion[] = "v3.2.0.a";
// version_info (schema_version, library_version) as Optuna 5.0.0 writes it.
inline constexpr int kSchemaVersion = 12;
inline constexpr char kLibraryVersion[] = "5.0.0";

// Study system attr holding the objectives' names as a JSON list (Optuna's set_metric_names).
inline constexpr char kMetricNamesAttr[] = "study:metric_names";
// Study system attr (nasq's own) holding the nasq study spec as its stored JSON
// (spec/spec_json.h): the space with its conditions and constraints, which Optuna's rows cannot
// express, so that an exported nasq study imports back with its exact space.
inline constexpr char kNasqSpecAttr[] = "nasq:spec";

}  // namespace nasq::optuna_schema

#endif  // NASQ_INTEROP_OPTUNA_SCHEMA_H_

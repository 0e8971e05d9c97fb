// storage/sqlite_schema.h: the SQLite storage's schema as an ordered list of migrations.
//
// Migration i (1-based) brings a database from schema version i-1 to i; version 1 is the
// initial schema. To change the schema, append one entry to SchemaMigrations() (never edit a
// released one); opening an older database applies the missing steps in one transaction and
// records each in the `schema_version` table. A nasq database is recognised by its
// `PRAGMA application_id` (kNasqApplicationId), written in the same transaction as migration 1.
//
// Thread-safety: SchemaMigrations/LatestSchemaVersion are pure; InspectSchemaVersion and
// MigrateToLatest use `db` like any SqliteDb call (one thread at a time).
#ifndef NASQ_STORAGE_SQLITE_SCHEMA_H_
#define NASQ_STORAGE_SQLITE_SCHEMA_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nasq {

// "nasq" in ASCII, stored in the SQLite header of every nasq database.
inline constexpr int32_t kNasqApplicationId = 0x6E617371;

// The SQL of each migration, in order; entry i-1 creates schema version i.
const std::vector<absl::string_view>& SchemaMigrations();

// The schema version this build writes: SchemaMigrations().size().
int64_t LatestSchemaVersion();

class SqliteDb;

// The schema version of the database behind `db`: 0 for an empty database. Reads only, so it
// is safe on any file. FAILED_PRECONDITION naming the file for a file that is not SQLite, an
// SQLite database that is not empty and lacks the nasq marker, or a schema version newer than
// LatestSchemaVersion() (naming both versions).
absl::StatusOr<int64_t> InspectSchemaVersion(SqliteDb& db);

// Applies the migrations missing from the database (checked again inside the transaction) in
// one BEGIN IMMEDIATE transaction, recording each in `schema_version` with `now_us`. Call
// after InspectSchemaVersion accepted the file.
absl::Status MigrateToLatest(SqliteDb& db, int64_t now_us);

}  // namespace nasq

#endif  // NASQ_STORAGE_SQLITE_SCHEMA_H_

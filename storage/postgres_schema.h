// storage/postgres_schema.h: the PostgreSQL storage's schema as an ordered list of migrations,
// the same tables as the SQLite schema (storage/sqlite_schema.h) in PostgreSQL's types.
//
// Migration i (1-based) brings a database from schema version i-1 to i. To change the schema,
// append one entry to PostgresSchemaMigrations() (never edit a released one); opening an older
// database applies the missing steps in one transaction and records each in the
// `nasq_schema_version` table, which also marks a database (its current schema, see
// search_path) as nasq's.
//
// Thread-safety: PostgresSchemaMigrations/LatestPostgresSchemaVersion are pure; the others use
// `db` like any PgConnection call (one thread at a time).
#ifndef NASQ_STORAGE_POSTGRES_SCHEMA_H_
#define NASQ_STORAGE_POSTGRES_SCHEMA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nasq {

class PgConnection;

// The SQL of each migration, in order; entry i-1 creates schema version i.
const std::vector<absl::string_view>& PostgresSchemaMigrations();

// The schema version this build writes: PostgresSchemaMigrations().size().
int64_t LatestPostgresSchemaVersion();

// The schema version of the database (in its current schema) behind `db`, named `name` in
// messages: 0 when it has no table at all. Reads only. FAILED_PRECONDITION naming the database
// when it holds tables but no nasq_schema_version (not a nasq database), or when its version is
// newer than LatestPostgresSchemaVersion() (naming both versions).
absl::StatusOr<int64_t> InspectPostgresSchemaVersion(PgConnection& db, const std::string& name);

// Applies the migrations missing from the database (inspected again inside the transaction)
// in one transaction, recording each in nasq_schema_version with `now_us`.
absl::Status MigratePostgresToLatest(PgConnection& db, const std::string& name, int64_t now_us);

}  // namespace nasq

#endif  // NASQ_STORAGE_POSTGRES_SCHEMA_H_

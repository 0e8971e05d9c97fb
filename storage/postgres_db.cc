// storage/postgres_db.cc: see postgres_db.h.
#include "storage/postgres_db.h"

#include <libpq-fe.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace nasq {
namespace {

constexpr absl::string_view kRedacted = "***";

// The context of a statement's error: its first words, enough to tell which one failed.
std::string StatementContext(absl::string_view sql) {
  constexpr size_t kMaxChars = 60;
  sql = absl::StripAsciiWhitespace(sql);
  if (sql.size() <= kMaxChars) return std::string(sql);
  return absl::StrCat(sql.substr(0, kMaxChars), "...");
}

// Whether a statement's result (null when libpq could not send it) is a success.
bool Succeeded(const PGresult* result) {
  const ExecStatusType status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

}  // namespace

bool IsPostgresUrl(absl::string_view db) {
  return absl::StartsWith(db, "postgresql://") || absl::StartsWith(db, "postgres://");
}

std::string RedactPostgresUrl(absl::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) return std::string(url);
  const size_t authority_begin = scheme_end + 3;
  const size_t authority_end = std::min(url.find_first_of("/?", authority_begin), url.size());
  std::string out(url.substr(0, authority_begin));
  absl::string_view authority = url.substr(authority_begin, authority_end - authority_begin);
  const size_t at = authority.rfind('@');
  if (at != absl::string_view::npos) {
    absl::string_view user_info = authority.substr(0, at);
    const size_t colon = user_info.find(':');
    if (colon != absl::string_view::npos) {
      absl::StrAppend(&out, user_info.substr(0, colon + 1), kRedacted, authority.substr(at));
    } else {
      absl::StrAppend(&out, authority);
    }
  } else {
    absl::StrAppend(&out, authority);
  }
  absl::string_view rest = url.substr(authority_end);
  const size_t query = rest.find('?');
  if (query == absl::string_view::npos) return absl::StrCat(out, rest);
  absl::StrAppend(&out, rest.substr(0, query + 1));
  bool first = true;
  for (absl::string_view param : absl::StrSplit(rest.substr(query + 1), '&')) {
    if (!first) out += '&';
    first = false;
    if (absl::StartsWith(param, "password=")) {
      absl::StrAppend(&out, "password=", kRedacted);
    } else {
      absl::StrAppend(&out, param);
    }
  }
  return out;
}

PgParams& PgParams::Add(int64_t value) {
  values_.emplace_back(absl::StrCat(value));
  return *this;
}

PgParams& PgParams::Add(double value) {
  values_.emplace_back(absl::StrFormat("%.17g", value));
  return *this;
}

PgParams& PgParams::Add(absl::string_view value) {
  values_.emplace_back(std::string(value));
  return *this;
}

PgParams& PgParams::AddNull() {
  values_.emplace_back(std::nullopt);
  return *this;
}

PgParams& PgParams::Add(const std::optional<int64_t>& value) {
  return value ? Add(*value) : AddNull();
}

PgResult::PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

PgResult::~PgResult() { PQclear(result_); }

int PgResult::rows() const { return PQntuples(result_); }

bool PgResult::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string PgResult::Text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column),
                     static_cast<size_t>(PQgetlength(result_, row, column)));
}

absl::StatusOr<int64_t> PgResult::Int(int row, int column) const {
  int64_t value = 0;
  const std::string text = Text(row, column);
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::DataLossError(
        absl::StrCat("column ", PQfname(result_, column), " is not an integer: \"", text, "\""));
  }
  return value;
}

absl::StatusOr<double> PgResult::Double(int row, int column) const {
  double value = 0;
  const std::string text = Text(row, column);
  if (!absl::SimpleAtod(text, &value)) {
    return absl::DataLossError(
        absl::StrCat("column ", PQfname(result_, column), " is not a number: \"", text, "\""));
  }
  return value;
}

absl::Status PostgresStatus(PGconn* conn, const PGresult* result, absl::string_view context) {
  const char* sqlstate_field =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = sqlstate_field != nullptr ? sqlstate_field : "";
  std::string detail = result != nullptr ? PQresultErrorMessage(result) : "";
  if (detail.empty() && conn != nullptr) detail = PQerrorMessage(conn);
  const std::string message =
      absl::StrCat(context, ": ", absl::StripTrailingAsciiWhitespace(detail),
                   sqlstate.empty() ? "" : absl::StrCat(" (SQLSTATE ", sqlstate, ")"));
  const bool lost = (conn != nullptr && PQstatus(conn) != CONNECTION_OK) ||
                    absl::StartsWith(sqlstate, "08") || sqlstate == "57P01" ||
                    sqlstate == "57P02" || sqlstate == "57P03";
  if (lost || absl::StartsWith(sqlstate, "53") || sqlstate == "40001" || sqlstate == "40P01") {
    return absl::UnavailableError(message);
  }
  if (sqlstate == "23505") return absl::AlreadyExistsError(message);
  if (sqlstate == "XX001" || sqlstate == "XX002") return absl::DataLossError(message);
  return absl::InternalError(message);
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const std::string& url, const std::string& redacted_url, const std::string& application_name) {
  // Keywords before "dbname" are defaults the URL overrides (libpq's expand_dbname rule).
  const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {"10", application_name.c_str(), url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("libpq cannot allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string error(absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn)));
    PQfinish(conn);
    if (absl::StrContains(error, "invalid URI") || absl::StrContains(error, "invalid connection")) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot parse the PostgreSQL URL ", redacted_url, ": ", error));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL at ", redacted_url, ": ", error));
  }
  // Quiet: notices (e.g. "relation already exists, skipping") are not errors of nasq's.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

absl::StatusOr<PgResult> PgConnection::Query(absl::string_view sql, const PgParams& params) {
  std::vector<const char*> values;
  values.reserve(params.values().size());
  for (const std::optional<std::string>& v : params.values()) {
    values.push_back(v ? v->c_str() : nullptr);
  }
  const std::string text(sql);
  PGresult* result = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, /*resultFormat=*/0);
  if (!Succeeded(result)) {
    absl::Status status = PostgresStatus(conn_, result, StatementContext(sql));
    PQclear(result);
    return status;
  }
  return PgResult(result);
}

absl::Status PgConnection::Run(absl::string_view sql, const PgParams& params) {
  return Query(sql, params).status();
}

absl::Status PgConnection::RunScript(absl::string_view sql) {
  PGresult* result = PQexec(conn_, std::string(sql).c_str());
  absl::Status status =
      Succeeded(result) ? absl::OkStatus() : PostgresStatus(conn_, result, StatementContext(sql));
  PQclear(result);
  return status;
}

absl::Status PgConnection::InTransaction(TxKind kind, absl::FunctionRef<absl::Status()> body,
                                         bool* commit_in_doubt) {
  // One round trip each (a script of two statements is sent as one query).
  absl::Status status;
  switch (kind) {
    case TxKind::kRead:
      status = Run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      break;
    case TxKind::kWrite:
      status = Run("BEGIN");
      break;
    case TxKind::kDeferredWrite:
      status = RunScript("BEGIN; SET LOCAL synchronous_commit TO OFF");
      break;
  }
  if (!status.ok()) return status;
  status = body();
  if (!status.ok()) {
    if (!broken()) (void)Run("ROLLBACK");  // best effort: a lost connection rolled back already
    return status;
  }
  status = Run("COMMIT");
  if (!status.ok() && broken() && commit_in_doubt != nullptr) *commit_in_doubt = true;
  return status;
}

bool PgConnection::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

int PgConnection::backend_pid() const { return PQbackendPID(conn_); }

}  // namespace nasq

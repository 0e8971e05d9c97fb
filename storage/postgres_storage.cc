// storage/postgres_storage.cc: see postgres_storage.h. Every public method is one transaction
// through PostgresStorage::Transact, on a connection of the pool.
#include "storage/postgres_storage.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "core/status_macros.h"
#include "spec/spec_json.h"
#include "storage/postgres_checks.h"
#include "storage/postgres_db.h"
#include "storage/postgres_lock.h"
#include "storage/postgres_pool.h"
#include "storage/postgres_schema.h"
#include "storage/stored_float.h"
#include "storage/trial_checks.h"

namespace nasq {
namespace {

using TxKind = PgConnection::TxKind;

// The status of a method result: itself for a Status, .status() for a StatusOr.
absl::Status ResultStatus(const absl::Status& s) { return s; }
template <class T>
absl::Status ResultStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

absl::Status CorruptRow(absl::string_view what, absl::string_view detail) {
  return absl::DataLossError(absl::StrCat("corrupt ", what, " row: ", detail));
}

absl::Status StudyNotFound(int64_t study_id) {
  return absl::NotFoundError(absl::StrCat("study ", study_id, " not found"));
}

// Adds `v` as two parameters: the number (NULL unless finite) and its type.
void AddStoredFloat(PgParams& params, double v) {
  const StoredFloat stored = EncodeStoredFloat(v);
  if (stored.value) {
    params.Add(*stored.value);
  } else {
    params.AddNull();
  }
  params.Add(absl::string_view(stored.type));
}

// The float in columns `value_column` (nullable) and `value_column + 1` (its type).
absl::StatusOr<double> StoredFloatAt(const PgResult& rows, int row, int value_column) {
  std::optional<double> value;
  if (!rows.IsNull(row, value_column)) {
    NASQ_ASSIGN_OR_RETURN(value, rows.Double(row, value_column));
  }
  return DecodeStoredFloat(value, rows.Text(row, value_column + 1));
}

// States as a PostgreSQL text[] literal for `= ANY($2::text[])`, or nullopt for "all".
std::optional<std::string> StatesFilter(const std::vector<TrialState>& states) {
  if (states.empty()) return std::nullopt;
  std::vector<std::string> names;
  for (TrialState s : states) names.emplace_back(TrialStateName(s));
  return absl::StrCat("{", absl::StrJoin(names, ","), "}");
}

// Which trials a load covers: one trial (by id) or one study's trials (by study id).
enum class TrialScope { kTrial, kStudy };

// SELECT `columns` FROM `table` x JOIN trials t for the trials in `scope`; $1 is the trial or
// study id, $2 the optional state filter (StatesFilter).
std::string TrialScopedQuery(TrialScope scope, absl::string_view columns, absl::string_view table,
                             absl::string_view order_by) {
  const absl::string_view where =
      scope == TrialScope::kTrial ? "t.trial_id = $1" : "t.study_id = $1";
  const std::string join = table == "trials"
                               ? std::string("trials t")
                               : absl::StrCat(table, " x JOIN trials t ON t.trial_id = x.trial_id");
  return absl::StrCat("SELECT ", columns, " FROM ", join, " WHERE ", where,
                      " AND ($2::text[] IS NULL OR t.state = ANY($2::text[])) ORDER BY ", order_by);
}

// Inserts `rows` rows of `width` columns (`columns`, after trial_id) into `table` in one
// statement; `params` holds the trial id ($1) and then the rows' values in order.
// `on_conflict` ("" or an ON CONFLICT clause) makes it an upsert.
absl::Status InsertTrialRows(PgConnection& db, absl::string_view table, absl::string_view columns,
                             int width, int rows, const PgParams& params,
                             absl::string_view on_conflict = "") {
  if (rows == 0) return absl::OkStatus();
  std::vector<std::string> tuples;
  int next = 2;
  for (int r = 0; r < rows; ++r) {
    std::string tuple = "($1";
    for (int c = 0; c < width; ++c) absl::StrAppend(&tuple, ", $", next++);
    tuples.push_back(tuple + ")");
  }
  return db.Run(absl::StrCat("INSERT INTO ", table, " (trial_id, ", columns, ") VALUES ",
                             absl::StrJoin(tuples, ", "), " ", on_conflict),
                params);
}

absl::Status InsertValues(PgConnection& db, int64_t trial_id, const std::vector<double>& values) {
  PgParams params;
  params.Add(trial_id);
  for (size_t i = 0; i < values.size(); ++i) {
    params.Add(static_cast<int64_t>(i));
    AddStoredFloat(params, values[i]);
  }
  return InsertTrialRows(db, "trial_values", "objective, value, value_type", 3,
                         static_cast<int>(values.size()), params);
}

absl::Status UpsertIntermediateValues(PgConnection& db, int64_t trial_id,
                                      const std::map<int64_t, double>& values) {
  PgParams params;
  params.Add(trial_id);
  for (const auto& [step, value] : values) {
    params.Add(step);
    AddStoredFloat(params, value);
  }
  return InsertTrialRows(db, "trial_intermediate_values",
                         "step, intermediate_value, intermediate_value_type", 3,
                         static_cast<int>(values.size()), params,
                         "ON CONFLICT (trial_id, step) DO UPDATE SET "
                         "intermediate_value = excluded.intermediate_value, "
                         "intermediate_value_type = excluded.intermediate_value_type");
}

// `table` is trial_user_attributes or trial_system_attributes.
absl::Status UpsertAttrs(PgConnection& db, absl::string_view table, int64_t trial_id,
                         const std::map<std::string, std::string>& attrs) {
  PgParams params;
  params.Add(trial_id);
  for (const auto& [key, value_json] : attrs) params.Add(key).Add(value_json);
  return InsertTrialRows(db, table, "key, value_json", 2, static_cast<int>(attrs.size()), params,
                         "ON CONFLICT (trial_id, key) DO UPDATE SET value_json = "
                         "excluded.value_json");
}

absl::Status SetLease(PgConnection& db, int64_t trial_id, const Lease& lease) {
  return db.Run(
      "INSERT INTO leases (trial_id, worker_id, epoch, deadline_us, token, kind) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (trial_id) DO UPDATE SET "
      "worker_id = excluded.worker_id, epoch = excluded.epoch, "
      "deadline_us = excluded.deadline_us, token = excluded.token, kind = excluded.kind",
      PgParams()
          .Add(trial_id)
          .Add(lease.worker_id)
          .Add(lease.epoch)
          .Add(lease.deadline_us)
          .Add(lease.token)
          .Add(absl::string_view(LeaseKindName(lease.kind))));
}

absl::Status UpsertStudySystemAttr(PgConnection& db, int64_t study_id, const std::string& key,
                                   const std::string& value_json) {
  return db.Run(
      "INSERT INTO study_system_attributes (study_id, key, value_json) VALUES ($1, $2, $3) "
      "ON CONFLICT (study_id, key) DO UPDATE SET value_json = excluded.value_json",
      PgParams().Add(study_id).Add(key).Add(value_json));
}

// NOT_FOUND unless the study exists; with `lock`, locks its row until the transaction ends
// (trial numbering and study changes of one study then run one at a time).
absl::Status RequireStudy(PgConnection& db, int64_t study_id, bool lock) {
  NASQ_ASSIGN_OR_RETURN(PgResult rows,
                        db.Query(lock ? "SELECT 1 FROM studies WHERE study_id = $1 FOR UPDATE"
                                      : "SELECT 1 FROM studies WHERE study_id = $1",
                                 PgParams().Add(study_id)));
  if (rows.rows() == 0) return StudyNotFound(study_id);
  return absl::OkStatus();
}

absl::StatusOr<TrialState> ParseState(const std::string& text) {
  std::optional<TrialState> state = ParseTrialState(text);
  if (!state) return CorruptRow("trials", absl::StrCat("unknown state \"", text, "\""));
  return *state;
}

// One study (by id) or, with nullopt, every study; ordered by id.
absl::StatusOr<std::vector<Study>> LoadStudies(PgConnection& db, std::optional<int64_t> study_id) {
  PgParams key;
  key.Add(study_id);
  NASQ_ASSIGN_OR_RETURN(PgResult rows,
                        db.Query("SELECT study_id, state, created_us, spec_json FROM studies "
                                 "WHERE ($1::bigint IS NULL OR study_id = $1) ORDER BY study_id",
                                 key));
  std::vector<Study> studies;
  std::unordered_map<int64_t, size_t> index;
  for (int row = 0; row < rows.rows(); ++row) {
    Study study;
    NASQ_ASSIGN_OR_RETURN(study.id, rows.Int(row, 0));
    const std::string state = rows.Text(row, 1);
    std::optional<StudyState> parsed = ParseStudyState(state);
    if (!parsed) return CorruptRow("studies", absl::StrCat("unknown state \"", state, "\""));
    study.state = *parsed;
    NASQ_ASSIGN_OR_RETURN(study.created_us, rows.Int(row, 2));
    absl::StatusOr<StudySpec> spec = StudySpecFromJson(rows.Text(row, 3));
    if (!spec.ok()) {
      return CorruptRow("studies",
                        absl::StrCat("study ", study.id, " spec_json: ", spec.status().message()));
    }
    study.spec = *std::move(spec);
    index[study.id] = studies.size();
    studies.push_back(std::move(study));
  }
  NASQ_ASSIGN_OR_RETURN(PgResult attrs,
                        db.Query("SELECT study_id, key, value_json FROM study_system_attributes "
                                 "WHERE ($1::bigint IS NULL OR study_id = $1)",
                                 key));
  for (int row = 0; row < attrs.rows(); ++row) {
    NASQ_ASSIGN_OR_RETURN(int64_t id, attrs.Int(row, 0));
    auto it = index.find(id);
    if (it == index.end()) continue;  // cannot happen inside one snapshot (foreign key)
    studies[it->second].system_attrs[attrs.Text(row, 1)] = attrs.Text(row, 2);
  }
  return studies;
}

absl::StatusOr<Study> LoadStudy(PgConnection& db, int64_t study_id) {
  NASQ_ASSIGN_OR_RETURN(std::vector<Study> studies, LoadStudies(db, study_id));
  if (studies.empty()) return StudyNotFound(study_id);
  return std::move(studies.front());
}

// The trials in `scope` (by number), with every child row; `states` filters them (nullopt:
// all).
absl::StatusOr<std::vector<Trial>> LoadTrials(PgConnection& db, TrialScope scope, int64_t key,
                                              const std::optional<std::string>& states) {
  PgParams params;
  params.Add(key);
  if (states) {
    params.Add(*states);
  } else {
    params.AddNull();
  }
  NASQ_ASSIGN_OR_RETURN(
      PgResult rows,
      db.Query(TrialScopedQuery(scope,
                                "t.trial_id, t.study_id, t.number, t.state, t.attempt, "
                                "t.datetime_start_us, t.datetime_complete_us",
                                "trials", "t.number"),
               params));
  std::vector<Trial> trials;
  std::unordered_map<int64_t, size_t> index;
  for (int row = 0; row < rows.rows(); ++row) {
    Trial trial;
    NASQ_ASSIGN_OR_RETURN(trial.id, rows.Int(row, 0));
    NASQ_ASSIGN_OR_RETURN(trial.study_id, rows.Int(row, 1));
    NASQ_ASSIGN_OR_RETURN(trial.number, rows.Int(row, 2));
    NASQ_ASSIGN_OR_RETURN(trial.state, ParseState(rows.Text(row, 3)));
    NASQ_ASSIGN_OR_RETURN(int64_t attempt, rows.Int(row, 4));
    trial.attempt = static_cast<int>(attempt);
    NASQ_ASSIGN_OR_RETURN(trial.datetime_start_us, rows.Int(row, 5));
    NASQ_ASSIGN_OR_RETURN(trial.datetime_complete_us, rows.Int(row, 6));
    index[trial.id] = trials.size();
    trials.push_back(std::move(trial));
  }
  if (trials.empty()) return trials;

  // Runs the scoped query over `table` and calls `on_row(trial, rows, row)` for each row.
  auto for_each =
      [&](absl::string_view columns, absl::string_view table, absl::string_view order_by,
          const std::function<absl::Status(Trial&, const PgResult&, int)>& on_row) -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(PgResult children,
                          db.Query(TrialScopedQuery(scope, columns, table, order_by), params));
    for (int row = 0; row < children.rows(); ++row) {
      NASQ_ASSIGN_OR_RETURN(int64_t trial_id, children.Int(row, 0));
      auto it = index.find(trial_id);
      if (it == index.end()) continue;  // cannot happen inside one snapshot
      NASQ_RETURN_IF_ERROR(on_row(trials[it->second], children, row));
    }
    return absl::OkStatus();
  };
  NASQ_RETURN_IF_ERROR(
      for_each("x.trial_id, x.param_name, x.param_value, x.distribution_json", "trial_params",
               "x.trial_id", [](Trial& trial, const PgResult& r, int row) -> absl::Status {
                 absl::StatusOr<Distribution> d = DistributionFromJson(r.Text(row, 3));
                 if (!d.ok()) return CorruptRow("trial_params", d.status().message());
                 NASQ_ASSIGN_OR_RETURN(trial.params[r.Text(row, 1)], r.Double(row, 2));
                 trial.distributions.insert_or_assign(r.Text(row, 1), *std::move(d));
                 return absl::OkStatus();
               }));
  NASQ_RETURN_IF_ERROR(for_each("x.trial_id, x.objective, x.value, x.value_type", "trial_values",
                                "x.trial_id, x.objective",
                                [](Trial& trial, const PgResult& r, int row) -> absl::Status {
                                  NASQ_ASSIGN_OR_RETURN(double v, StoredFloatAt(r, row, 2));
                                  trial.values.push_back(v);
                                  return absl::OkStatus();
                                }));
  NASQ_RETURN_IF_ERROR(
      for_each("x.trial_id, x.step, x.intermediate_value, x.intermediate_value_type",
               "trial_intermediate_values", "x.trial_id",
               [](Trial& trial, const PgResult& r, int row) -> absl::Status {
                 NASQ_ASSIGN_OR_RETURN(int64_t step, r.Int(row, 1));
                 NASQ_ASSIGN_OR_RETURN(trial.intermediate_values[step], StoredFloatAt(r, row, 2));
                 return absl::OkStatus();
               }));
  for (auto [table, member] : {std::pair{"trial_user_attributes", &Trial::user_attrs},
                               std::pair{"trial_system_attributes", &Trial::system_attrs}}) {
    NASQ_RETURN_IF_ERROR(
        for_each("x.trial_id, x.key, x.value_json", table, "x.trial_id",
                 // An init-capture: clang 14 cannot capture a structured binding.
                 [attrs = member](Trial& trial, const PgResult& r, int row) -> absl::Status {
                   (trial.*attrs)[r.Text(row, 1)] = r.Text(row, 2);
                   return absl::OkStatus();
                 }));
  }
  NASQ_RETURN_IF_ERROR(for_each(
      "x.trial_id, x.worker_id, x.epoch, x.deadline_us, x.token, x.kind", "leases", "x.trial_id",
      [](Trial& trial, const PgResult& r, int row) -> absl::Status {
        std::optional<LeaseKind> kind = ParseLeaseKind(r.Text(row, 5));
        if (!kind)
          return CorruptRow("leases", absl::StrCat("unknown kind \"", r.Text(row, 5), "\""));
        NASQ_ASSIGN_OR_RETURN(int64_t epoch, r.Int(row, 2));
        NASQ_ASSIGN_OR_RETURN(int64_t deadline_us, r.Int(row, 3));
        trial.lease = Lease{r.Text(row, 1), epoch, deadline_us, r.Text(row, 4), *kind};
        return absl::OkStatus();
      }));
  DistributionsInterner interner;
  for (Trial& trial : trials) interner.Intern(trial.distributions);
  return trials;
}

class PostgresStorage final : public Storage {
 public:
  PostgresStorage(std::unique_ptr<PostgresLock> lock, const std::string& url,
                  const std::string& redacted_url, int pool_size)
      : lock_(std::move(lock)), pool_(url, redacted_url, NasqApplicationName(), pool_size) {}

  absl::StatusOr<int64_t> CreateStudy(const StudySpec& spec, int64_t created_us) override {
    NASQ_ASSIGN_OR_RETURN(std::string spec_json, StudySpecToJson(spec));
    return Write([&](PgConnection& db) -> absl::StatusOr<int64_t> {
      // DO NOTHING waits for a concurrent insert of the same name and then sees it.
      NASQ_ASSIGN_OR_RETURN(
          PgResult inserted,
          db.Query("INSERT INTO studies (name, state, created_us, spec_json) "
                   "VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING study_id",
                   PgParams()
                       .Add(spec.name)
                       .Add(absl::string_view(StudyStateName(StudyState::kRunning)))
                       .Add(created_us)
                       .Add(spec_json)));
      if (inserted.rows() == 0) {
        NASQ_ASSIGN_OR_RETURN(
            PgResult taken,
            db.Query("SELECT study_id FROM studies WHERE name = $1", PgParams().Add(spec.name)));
        return absl::AlreadyExistsError(absl::StrCat(
            "study \"", spec.name, "\" already exists",
            taken.rows() > 0 ? absl::StrCat(" (id ", taken.Text(0, 0), ")") : std::string()));
      }
      NASQ_ASSIGN_OR_RETURN(int64_t study_id, inserted.Int(0, 0));
      for (size_t i = 0; i < spec.directions.size(); ++i) {
        NASQ_RETURN_IF_ERROR(
            db.Run("INSERT INTO study_directions (study_id, objective, direction) "
                   "VALUES ($1, $2, $3)",
                   PgParams()
                       .Add(study_id)
                       .Add(static_cast<int64_t>(i))
                       .Add(absl::string_view(StudyDirectionName(spec.directions[i])))));
      }
      return study_id;
    });
  }

  absl::StatusOr<Study> GetStudy(int64_t study_id) override {
    return Read([&](PgConnection& db) { return LoadStudy(db, study_id); });
  }

  absl::StatusOr<Study> GetStudyByName(const std::string& name) override {
    return Read([&](PgConnection& db) -> absl::StatusOr<Study> {
      NASQ_ASSIGN_OR_RETURN(PgResult found, db.Query("SELECT study_id FROM studies WHERE name = $1",
                                                     PgParams().Add(name)));
      if (found.rows() == 0) {
        return absl::NotFoundError(absl::StrCat("study \"", name, "\" not found"));
      }
      NASQ_ASSIGN_OR_RETURN(int64_t study_id, found.Int(0, 0));
      return LoadStudy(db, study_id);
    });
  }

  absl::StatusOr<std::vector<Study>> ListStudies() override {
    return Read([&](PgConnection& db) { return LoadStudies(db, std::nullopt); });
  }

  absl::Status SetStudyState(int64_t study_id, StudyState state) override {
    return UpdateStudy(study_id, StudyUpdate{.state = state});
  }

  absl::Status SetStudySystemAttr(int64_t study_id, const std::string& key,
                                  const std::string& value_json) override {
    return UpdateStudy(study_id, StudyUpdate{.system_attrs = {{key, value_json}}});
  }

  absl::Status UpdateStudy(int64_t study_id, const StudyUpdate& update) override {
    NASQ_RETURN_IF_ERROR(CheckStudyUpdate(update));
    return Write([&](PgConnection& db) -> absl::Status {
      NASQ_ASSIGN_OR_RETURN(PgResult current,
                            db.Query("SELECT spec_json FROM studies WHERE study_id = $1 FOR UPDATE",
                                     PgParams().Add(study_id)));
      if (current.rows() == 0) return StudyNotFound(study_id);
      if (update.state) {
        NASQ_RETURN_IF_ERROR(
            db.Run("UPDATE studies SET state = $2 WHERE study_id = $1",
                   PgParams().Add(study_id).Add(absl::string_view(StudyStateName(*update.state)))));
      }
      if (update.max_trials) {
        absl::StatusOr<StudySpec> spec = StudySpecFromJson(current.Text(0, 0));
        if (!spec.ok()) {
          return CorruptRow(
              "studies", absl::StrCat("study ", study_id, " spec_json: ", spec.status().message()));
        }
        spec->max_trials = *update.max_trials;
        NASQ_ASSIGN_OR_RETURN(std::string spec_json, StudySpecToJson(*spec));
        NASQ_RETURN_IF_ERROR(db.Run("UPDATE studies SET spec_json = $2 WHERE study_id = $1",
                                    PgParams().Add(study_id).Add(spec_json)));
      }
      for (const auto& [key, value] : update.system_attrs) {
        NASQ_RETURN_IF_ERROR(UpsertStudySystemAttr(db, study_id, key, value));
      }
      for (const std::string& key : update.erased_system_attrs) {
        NASQ_RETURN_IF_ERROR(
            db.Run("DELETE FROM study_system_attributes WHERE study_id = $1 AND key = $2",
                   PgParams().Add(study_id).Add(key)));
      }
      return absl::OkStatus();
    });
  }

  absl::Status DeleteStudy(int64_t study_id) override {
    return Write([&](PgConnection& db) -> absl::Status {
      // Foreign keys cascade to directions, attributes, trials and everything under them.
      NASQ_ASSIGN_OR_RETURN(PgResult deleted,
                            db.Query("DELETE FROM studies WHERE study_id = $1 RETURNING 1",
                                     PgParams().Add(study_id)));
      if (deleted.rows() == 0) return StudyNotFound(study_id);
      return absl::OkStatus();
    });
  }

  absl::StatusOr<Trial> CreateTrialDeferred(int64_t study_id, const Trial& tmpl,
                                            CommitTicket* ticket) override {
    NASQ_ASSIGN_OR_RETURN(
        Trial trial, Run(TxKind::kDeferredWrite, [&](PgConnection& db) -> absl::StatusOr<Trial> {
          return InsertTrial(db, study_id, tmpl);
        }));
    *ticket = NextTicket();
    return trial;
  }

  absl::StatusOr<Trial> GetTrial(int64_t trial_id) override {
    return Read([&](PgConnection& db) -> absl::StatusOr<Trial> {
      NASQ_ASSIGN_OR_RETURN(std::vector<Trial> trials,
                            LoadTrials(db, TrialScope::kTrial, trial_id, std::nullopt));
      if (trials.empty())
        return absl::NotFoundError(absl::StrCat("trial ", trial_id, " not found"));
      return std::move(trials.front());
    });
  }

  absl::StatusOr<Trial> GetTrialByNumber(int64_t study_id, int64_t number) override {
    return Read([&](PgConnection& db) -> absl::StatusOr<Trial> {
      NASQ_RETURN_IF_ERROR(RequireStudy(db, study_id, /*lock=*/false));
      NASQ_ASSIGN_OR_RETURN(
          PgResult found,
          db.Query("SELECT trial_id FROM trials WHERE study_id = $1 AND number = $2",
                   PgParams().Add(study_id).Add(number)));
      if (found.rows() == 0) {
        return absl::NotFoundError(
            absl::StrCat("study ", study_id, " has no trial number ", number));
      }
      NASQ_ASSIGN_OR_RETURN(int64_t trial_id, found.Int(0, 0));
      NASQ_ASSIGN_OR_RETURN(std::vector<Trial> trials,
                            LoadTrials(db, TrialScope::kTrial, trial_id, std::nullopt));
      return std::move(trials.front());  // in the same snapshot as the lookup
    });
  }

  absl::StatusOr<std::vector<Trial>> GetAllTrials(int64_t study_id,
                                                  const std::vector<TrialState>& states) override {
    return Read([&](PgConnection& db) -> absl::StatusOr<std::vector<Trial>> {
      NASQ_RETURN_IF_ERROR(RequireStudy(db, study_id, /*lock=*/false));
      return LoadTrials(db, TrialScope::kStudy, study_id, StatesFilter(states));
    });
  }

  absl::Status UpdateTrialDeferred(int64_t trial_id, const TrialUpdate& update,
                                   CommitTicket* ticket) override {
    NASQ_RETURN_IF_ERROR(Run(TxKind::kDeferredWrite, [&](PgConnection& db) -> absl::Status {
      return ApplyUpdate(db, trial_id, update);
    }));
    *ticket = NextTicket();
    return absl::OkStatus();
  }

  absl::Status WaitDurable(CommitTicket ticket) override {
    MutexLock lock(&mu_);
    while (true) {
      if (absl::Status lost = LostError(ticket); !lost.ok()) return lost;
      if (ticket <= durable_) return absl::OkStatus();
      if (!flushing_) break;
      flushed_.Wait(&mu_);  // the ongoing flush may cover `ticket`
    }
    flushing_ = true;
    // Every ticket up to `target` belongs to a commit that returned before the flush starts,
    // so the flush's own commit record follows all of theirs in the log.
    const CommitTicket target = written_;
    lock.Unlock();
    const absl::Status flushed = Flush();
    lock.Lock();
    flushing_ = false;
    if (flushed.ok()) {
      durable_ = std::max(durable_, target);
    } else {
      failures_.fetch_add(1);
      const absl::Status error = absl::UnavailableError(
          absl::StrCat("deferred commits could not be confirmed durable (", flushed.message(),
                       "); writes are refused until the server has re-read its studies"));
      lost_.push_back({durable_, target, error});
      failure_ = error;
    }
    flushed_.SignalAll();
    if (absl::Status lost = LostError(ticket); !lost.ok()) return lost;
    return absl::OkStatus();
  }

  int64_t CommitFailures() override { return failures_.load(); }

  void ResumeWrites() override {
    MutexLock lock(&mu_);
    failure_ = absl::OkStatus();
  }

  absl::Status CommitHealth() override {
    MutexLock lock(&mu_);
    return health_;
  }

 private:
  // Runs `body` as one transaction of `kind` on a pooled connection (see the file comment of
  // postgres_storage.h for failures and the in-doubt commit).
  absl::Status Transact(TxKind kind, absl::FunctionRef<absl::Status(PgConnection&)> body) {
    if (kind != TxKind::kRead) {
      MutexLock lock(&mu_);
      if (!failure_.ok()) return failure_;
    }
    bool in_doubt = false;
    absl::Status status = OnConnection([&](PgConnection& db) {
      return db.InTransaction(
          kind, [&] { return body(db); }, &in_doubt);
    });
    if (in_doubt) {
      failures_.fetch_add(1);
      MutexLock lock(&mu_);
      failure_ = absl::UnavailableError(
          absl::StrCat("the outcome of a commit is unknown (", status.message(),
                       "); writes are refused until the server has re-read its studies"));
    }
    return status;
  }

  // Runs `use` on a pooled connection once the advisory lock is known to be held (looked at
  // on a new connection, else at most once per PostgresLock::kRecheckInterval), and keeps
  // CommitHealth up to date.
  absl::Status OnConnection(absl::FunctionRef<absl::Status(PgConnection&)> use) {
    bool fresh = false;
    absl::StatusOr<std::unique_ptr<PgConnection>> conn = pool_.Take(&fresh);
    if (!conn.ok()) return Record(conn.status(), /*backend=*/true);
    absl::Status status = lock_->Check(/*now=*/fresh);
    bool backend = !status.ok();
    if (status.ok()) {
      status = use(**conn);
      backend = absl::IsUnavailable(status) || absl::IsInternal(status);
    }
    pool_.Give(*std::move(conn));
    return Record(status, backend);
  }

  // The ticket of a deferred commit that has just returned.
  CommitTicket NextTicket() {
    MutexLock lock(&mu_);
    return ++written_;
  }

  // Makes every commit made so far durable: one synchronous commit of a transaction that has
  // an id (and so a commit record) flushes the write-ahead log up to it, in one round trip.
  absl::Status Flush() {
    return OnConnection(
        [](PgConnection& db) { return db.RunScript("BEGIN; SELECT txid_current(); COMMIT"); });
  }

  // The error that lost `ticket`, or OK when it was not lost.
  absl::Status LostError(CommitTicket ticket) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const LostTickets& lost : lost_) {
      if (ticket > lost.after && ticket <= lost.upto) return lost.error;
    }
    return absl::OkStatus();
  }

  // Keeps CommitHealth up to date: a backend failure until a call succeeds. Returns `status`.
  absl::Status Record(absl::Status status, bool backend) {
    if (status.ok() || backend) {
      MutexLock lock(&mu_);
      health_ = status;
    }
    return status;
  }

  template <class Body>
  auto Run(TxKind kind, Body&& body) -> decltype(body(std::declval<PgConnection&>())) {
    using Result = decltype(body(std::declval<PgConnection&>()));
    std::optional<Result> result;
    absl::Status status = Transact(kind, [&](PgConnection& db) {
      result.emplace(body(db));
      return ResultStatus(*result);
    });
    if (!status.ok()) return status;
    return *std::move(result);
  }
  template <class Body>
  auto Write(Body&& body) -> decltype(body(std::declval<PgConnection&>())) {
    return Run(TxKind::kWrite, std::forward<Body>(body));
  }
  template <class Body>
  auto Read(Body&& body) -> decltype(body(std::declval<PgConnection&>())) {
    return Run(TxKind::kRead, std::forward<Body>(body));
  }

  // ---- write bodies: run inside one transaction ----

  static absl::StatusOr<Trial> InsertTrial(PgConnection& db, int64_t study_id, const Trial& tmpl) {
    NASQ_RETURN_IF_ERROR(RequireStudy(db, study_id, /*lock=*/true));  // numbers one at a time
    NASQ_RETURN_IF_ERROR(ValidateTrialTemplate(tmpl));
    Trial trial = tmpl;
    trial.study_id = study_id;
    // Numbers are dense, so the next one is MAX + 1 (an index lookup, unlike COUNT).
    NASQ_ASSIGN_OR_RETURN(
        PgResult inserted,
        db.Query("INSERT INTO trials (study_id, number, state, attempt, datetime_start_us, "
                 "datetime_complete_us) SELECT $1, COALESCE(MAX(number) + 1, 0), $2, $3, $4, $5 "
                 "FROM trials WHERE study_id = $1 RETURNING trial_id, number",
                 PgParams()
                     .Add(study_id)
                     .Add(absl::string_view(TrialStateName(tmpl.state)))
                     .Add(static_cast<int64_t>(tmpl.attempt))
                     .Add(tmpl.datetime_start_us)
                     .Add(tmpl.datetime_complete_us)));
    NASQ_ASSIGN_OR_RETURN(trial.id, inserted.Int(0, 0));
    NASQ_ASSIGN_OR_RETURN(trial.number, inserted.Int(0, 1));
    PgParams param_rows;
    param_rows.Add(trial.id);
    for (const auto& [name, d] : tmpl.distributions) {
      NASQ_ASSIGN_OR_RETURN(std::string distribution_json, DistributionToJson(d));
      param_rows.Add(name).Add(tmpl.params.at(name)).Add(distribution_json);
    }
    NASQ_RETURN_IF_ERROR(InsertTrialRows(db, "trial_params",
                                         "param_name, param_value, distribution_json", 3,
                                         static_cast<int>(tmpl.distributions.size()), param_rows));
    NASQ_RETURN_IF_ERROR(InsertValues(db, trial.id, tmpl.values));
    NASQ_RETURN_IF_ERROR(UpsertIntermediateValues(db, trial.id, tmpl.intermediate_values));
    NASQ_RETURN_IF_ERROR(UpsertAttrs(db, "trial_user_attributes", trial.id, tmpl.user_attrs));
    NASQ_RETURN_IF_ERROR(UpsertAttrs(db, "trial_system_attributes", trial.id, tmpl.system_attrs));
    if (tmpl.lease) NASQ_RETURN_IF_ERROR(SetLease(db, trial.id, *tmpl.lease));
    return trial;
  }

  static absl::Status ApplyUpdate(PgConnection& db, int64_t trial_id, const TrialUpdate& update) {
    // Locks the trial row: a concurrent update of the same trial waits, then sees this one.
    NASQ_ASSIGN_OR_RETURN(
        PgResult current,
        db.Query("SELECT t.state, l.worker_id, l.epoch, l.deadline_us FROM trials t "
                 "LEFT JOIN leases l ON l.trial_id = t.trial_id WHERE t.trial_id = $1 "
                 "FOR UPDATE OF t",
                 PgParams().Add(trial_id)));
    if (current.rows() == 0)
      return absl::NotFoundError(absl::StrCat("trial ", trial_id, " not found"));
    NASQ_ASSIGN_OR_RETURN(TrialState state, ParseState(current.Text(0, 0)));
    std::optional<Lease> lease;
    if (!current.IsNull(0, 1)) {
      NASQ_ASSIGN_OR_RETURN(int64_t epoch, current.Int(0, 2));
      NASQ_ASSIGN_OR_RETURN(int64_t deadline_us, current.Int(0, 3));
      lease = Lease{current.Text(0, 1), epoch, deadline_us};
    }
    NASQ_RETURN_IF_ERROR(ValidateTrialUpdate(update));
    NASQ_RETURN_IF_ERROR(CheckTrialUpdatePreconditions(trial_id, state, lease, update));

    PgParams row;
    row.Add(trial_id);
    if (update.state) {
      row.Add(absl::string_view(TrialStateName(*update.state)));
    } else {
      row.AddNull();
    }
    row.Add(update.attempt ? std::optional<int64_t>(*update.attempt) : std::nullopt)
        .Add(update.datetime_start_us)
        .Add(update.datetime_complete_us);
    NASQ_RETURN_IF_ERROR(
        db.Run("UPDATE trials SET state = COALESCE($2, state), attempt = COALESCE($3, attempt), "
               "datetime_start_us = COALESCE($4, datetime_start_us), "
               "datetime_complete_us = COALESCE($5, datetime_complete_us) WHERE trial_id = $1",
               row));
    if (update.values) {
      NASQ_RETURN_IF_ERROR(
          db.Run("DELETE FROM trial_values WHERE trial_id = $1", PgParams().Add(trial_id)));
      NASQ_RETURN_IF_ERROR(InsertValues(db, trial_id, *update.values));
    }
    NASQ_RETURN_IF_ERROR(UpsertIntermediateValues(db, trial_id, update.intermediate_values));
    NASQ_RETURN_IF_ERROR(UpsertAttrs(db, "trial_user_attributes", trial_id, update.user_attrs));
    NASQ_RETURN_IF_ERROR(UpsertAttrs(db, "trial_system_attributes", trial_id, update.system_attrs));
    if (update.lease) {
      NASQ_RETURN_IF_ERROR(SetLease(db, trial_id, *update.lease));
    } else if (update.clear_lease) {
      NASQ_RETURN_IF_ERROR(
          db.Run("DELETE FROM leases WHERE trial_id = $1", PgParams().Add(trial_id)));
    }
    return absl::OkStatus();
  }

  const std::unique_ptr<PostgresLock> lock_;
  PostgresPool pool_;
  // Deferred commits that a failed flush could not confirm: tickets in (after, upto].
  struct LostTickets {
    CommitTicket after;
    CommitTicket upto;
    absl::Status error;
  };

  std::atomic<int64_t> failures_{0};
  Mutex mu_;
  CondVar flushed_;                                // a flush ended
  absl::Status failure_ ABSL_GUARDED_BY(mu_);      // refuses writes until ResumeWrites
  absl::Status health_ ABSL_GUARDED_BY(mu_);       // see CommitHealth
  CommitTicket written_ ABSL_GUARDED_BY(mu_) = 0;  // the latest deferred commit's ticket
  CommitTicket durable_ ABSL_GUARDED_BY(mu_) = 0;  // every ticket <= this is flushed
  bool flushing_ ABSL_GUARDED_BY(mu_) = false;     // a WaitDurable is flushing
  std::vector<LostTickets> lost_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> OpenPostgresStorage(const std::string& url,
                                                             const PostgresOptions& options) {
  const std::string name = RedactPostgresUrl(url);
  if (!IsPostgresUrl(url)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", name, "\" is not a PostgreSQL URL (postgresql://... or postgres://...)"));
  }
  if (options.pool_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("pool_size: must be >= 1, got ", options.pool_size));
  }
  // Before anything is read or written: a second server must not even migrate the database.
  NASQ_ASSIGN_OR_RETURN(std::unique_ptr<PostgresLock> lock, PostgresLock::Acquire(url, name));
  NASQ_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> db,
                        PgConnection::Connect(url, name, NasqApplicationName()));
  NASQ_ASSIGN_OR_RETURN(int64_t version, InspectPostgresSchemaVersion(*db, name));
  if (version == 0 && !options.create_if_missing) {
    return absl::NotFoundError(
        absl::StrCat("database ", name, " has no nasq schema (its schema has no tables)"));
  }
  if (version > 0) NASQ_RETURN_IF_ERROR(CheckPostgresNasqRows(*db, name));
  if (version < LatestPostgresSchemaVersion()) {
    NASQ_RETURN_IF_ERROR(MigratePostgresToLatest(*db, name, RealClock::Default()->NowMicros()));
  }
  return std::unique_ptr<Storage>(
      std::make_unique<PostgresStorage>(std::move(lock), url, name, options.pool_size));
}

}  // namespace nasq

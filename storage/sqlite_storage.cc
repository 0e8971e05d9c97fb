// storage/sqlite_storage.cc: see sqlite_storage.h. Every public method runs through
// SqliteGroupCommit: writes as one savepoint of the open write transaction (committed together
// with concurrent writes), reads on one consistent snapshot.
#include "storage/sqlite_storage.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"
#include "spec/spec_json.h"
#include "storage/sqlite_db.h"
#include "storage/sqlite_group_commit.h"
#include "storage/sqlite_schema.h"
#include "storage/sqlite_wal_file.h"
#include "storage/stored_float.h"
#include "storage/trial_checks.h"

namespace nasq {
namespace {

// ---- float columns that may hold +-inf / NaN (storage/stored_float.h) --------------------------

absl::StatusOr<double> DecodeFloat(const SqliteStatement& row, int value_column, int type_column) {
  std::optional<double> value;
  if (!row.IsNull(value_column)) value = row.Double(value_column);
  return DecodeStoredFloat(value, row.Text(type_column));
}

void BindFloat(SqliteStatement& stmt, int value_index, int type_index, double v) {
  const StoredFloat stored = EncodeStoredFloat(v);
  if (stored.value) {
    stmt.Bind(value_index, *stored.value);
  } else {
    stmt.Bind(value_index, std::nullopt);
  }
  stmt.Bind(type_index, absl::string_view(stored.type));
}

template <class T>
void BindOptional(SqliteStatement& stmt, int index, const std::optional<T>& v) {
  if (v) {
    stmt.Bind(index, static_cast<int64_t>(*v));
  } else {
    stmt.Bind(index, std::nullopt);
  }
}

// States as a JSON array for `IN (SELECT value FROM json_each(?))`, or nullopt for "all".
std::optional<std::string> StatesFilter(const std::vector<TrialState>& states) {
  if (states.empty()) return std::nullopt;
  nlohmann::json names = nlohmann::json::array();
  for (TrialState s : states) names.push_back(TrialStateName(s));
  return names.dump();
}

// Which trials a load covers: one trial (by id) or one study's trials (by study id).
enum class TrialScope { kTrial, kStudy };

// SELECT `columns` FROM `table` x JOIN trials t for the trials in `scope`; ?1 is the trial or
// study id, ?2 the optional state filter (StatesFilter).
std::string TrialScopedQuery(TrialScope scope, absl::string_view columns, absl::string_view table,
                             absl::string_view order_by) {
  const absl::string_view where =
      scope == TrialScope::kTrial ? "t.trial_id = ?1" : "t.study_id = ?1";
  const std::string join = table == "trials"
                               ? std::string("trials t")
                               : absl::StrCat(table, " x JOIN trials t ON t.trial_id = x.trial_id");
  return absl::StrCat("SELECT ", columns, " FROM ", join, " WHERE ", where,
                      " AND (?2 IS NULL OR t.state IN (SELECT value FROM json_each(?2)))",
                      " ORDER BY ", order_by);
}

absl::Status CorruptRow(absl::string_view what, absl::string_view detail) {
  return absl::DataLossError(absl::StrCat("corrupt ", what, " row: ", detail));
}

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(std::unique_ptr<SqliteDb> db, SqliteGroupCommit::SyncFunction sync)
      : commits_(std::move(db), std::move(sync)), db_(&commits_.db()) {}

  absl::StatusOr<int64_t> CreateStudy(const StudySpec& spec, int64_t created_us) override {
    NASQ_ASSIGN_OR_RETURN(std::string spec_json, StudySpecToJson(spec));
    return commits_.WriteDurably([&]() -> absl::StatusOr<int64_t> {
      NASQ_ASSIGN_OR_RETURN(auto find,
                            db_->Prepare("SELECT study_id FROM studies WHERE name = ?1"));
      NASQ_ASSIGN_OR_RETURN(bool taken, find.Bind(1, spec.name).Step());
      if (taken) {
        return absl::AlreadyExistsError(
            absl::StrCat("study \"", spec.name, "\" already exists (id ", find.Int(0), ")"));
      }
      NASQ_ASSIGN_OR_RETURN(auto insert,
                            db_->Prepare("INSERT INTO studies (name, state, created_us, spec_json) "
                                         "VALUES (?1, ?2, ?3, ?4) RETURNING study_id"));
      insert.Bind(1, spec.name)
          .Bind(2, absl::string_view(StudyStateName(StudyState::kRunning)))
          .Bind(3, created_us)
          .Bind(4, spec_json);
      NASQ_RETURN_IF_ERROR(insert.Step().status());
      const int64_t study_id = insert.Int(0);
      NASQ_RETURN_IF_ERROR(insert.Step().status());  // finish the statement
      for (size_t i = 0; i < spec.directions.size(); ++i) {
        NASQ_ASSIGN_OR_RETURN(auto direction,
                              db_->Prepare("INSERT INTO study_directions (study_id, objective, "
                                           "direction) VALUES (?1, ?2, ?3)"));
        NASQ_RETURN_IF_ERROR(direction.Bind(1, study_id)
                                 .Bind(2, static_cast<int64_t>(i))
                                 .Bind(3, absl::string_view(StudyDirectionName(spec.directions[i])))
                                 .Run());
      }
      return study_id;
    });
  }

  absl::StatusOr<Study> GetStudy(int64_t study_id) override {
    return commits_.Read([&] { return LoadStudy(study_id); });
  }

  absl::StatusOr<Study> GetStudyByName(const std::string& name) override {
    return commits_.Read([&]() -> absl::StatusOr<Study> {
      NASQ_ASSIGN_OR_RETURN(auto find,
                            db_->Prepare("SELECT study_id FROM studies WHERE name = ?1"));
      NASQ_ASSIGN_OR_RETURN(bool found, find.Bind(1, name).Step());
      if (!found) return absl::NotFoundError(absl::StrCat("study \"", name, "\" not found"));
      return LoadStudy(find.Int(0));
    });
  }

  absl::StatusOr<std::vector<Study>> ListStudies() override {
    return commits_.Read([&] { return LoadStudies(std::nullopt); });
  }

  absl::Status SetStudyState(int64_t study_id, StudyState state) override {
    return commits_.WriteDurably([&]() -> absl::Status {
      NASQ_RETURN_IF_ERROR(RequireStudy(study_id));
      NASQ_ASSIGN_OR_RETURN(auto update,
                            db_->Prepare("UPDATE studies SET state = ?2 WHERE study_id = ?1"));
      return update.Bind(1, study_id).Bind(2, absl::string_view(StudyStateName(state))).Run();
    });
  }

  absl::Status SetStudySystemAttr(int64_t study_id, const std::string& key,
                                  const std::string& value_json) override {
    return commits_.WriteDurably([&]() -> absl::Status {
      NASQ_RETURN_IF_ERROR(RequireStudy(study_id));
      return UpsertStudySystemAttr(study_id, key, value_json);
    });
  }

  absl::Status UpdateStudy(int64_t study_id, const StudyUpdate& update) override {
    NASQ_RETURN_IF_ERROR(CheckStudyUpdate(update));
    return commits_.WriteDurably([&]() -> absl::Status {
      NASQ_RETURN_IF_ERROR(RequireStudy(study_id));
      if (update.state) {
        NASQ_ASSIGN_OR_RETURN(auto set,
                              db_->Prepare("UPDATE studies SET state = ?2 WHERE study_id = ?1"));
        NASQ_RETURN_IF_ERROR(
            set.Bind(1, study_id).Bind(2, absl::string_view(StudyStateName(*update.state))).Run());
      }
      if (update.max_trials) {
        NASQ_ASSIGN_OR_RETURN(auto read,
                              db_->Prepare("SELECT spec_json FROM studies WHERE study_id = ?1"));
        NASQ_RETURN_IF_ERROR(read.Bind(1, study_id).Step().status());
        absl::StatusOr<StudySpec> spec = StudySpecFromJson(read.Text(0));
        if (!spec.ok()) {
          return CorruptRow(
              "studies", absl::StrCat("study ", study_id, " spec_json: ", spec.status().message()));
        }
        spec->max_trials = *update.max_trials;
        NASQ_ASSIGN_OR_RETURN(std::string spec_json, StudySpecToJson(*spec));
        NASQ_ASSIGN_OR_RETURN(
            auto write, db_->Prepare("UPDATE studies SET spec_json = ?2 WHERE study_id = ?1"));
        NASQ_RETURN_IF_ERROR(write.Bind(1, study_id).Bind(2, spec_json).Run());
      }
      for (const auto& [key, value] : update.system_attrs) {
        NASQ_RETURN_IF_ERROR(UpsertStudySystemAttr(study_id, key, value));
      }
      for (const std::string& key : update.erased_system_attrs) {
        NASQ_ASSIGN_OR_RETURN(auto erase, db_->Prepare("DELETE FROM study_system_attributes "
                                                       "WHERE study_id = ?1 AND key = ?2"));
        NASQ_RETURN_IF_ERROR(erase.Bind(1, study_id).Bind(2, key).Run());
      }
      return absl::OkStatus();
    });
  }

  absl::Status DeleteStudy(int64_t study_id) override {
    return commits_.WriteDurably([&]() -> absl::Status {
      NASQ_RETURN_IF_ERROR(RequireStudy(study_id));
      // Foreign keys cascade to directions, attributes, trials and everything under them.
      NASQ_ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM studies WHERE study_id = ?1"));
      return del.Bind(1, study_id).Run();
    });
  }

  absl::StatusOr<Trial> CreateTrialDeferred(int64_t study_id, const Trial& tmpl,
                                            CommitTicket* ticket) override {
    return commits_.Write(ticket, [&]() -> absl::StatusOr<Trial> {
      NASQ_RETURN_IF_ERROR(RequireStudy(study_id));
      NASQ_RETURN_IF_ERROR(ValidateTrialTemplate(tmpl));
      std::map<std::string, std::string> distribution_json;
      for (const auto& [name, d] : tmpl.distributions) {
        NASQ_ASSIGN_OR_RETURN(distribution_json[name], DistributionToJson(d));
      }
      Trial trial = tmpl;
      trial.study_id = study_id;
      {
        // Numbers are dense, so the next one is MAX + 1 (an index lookup, unlike COUNT).
        NASQ_ASSIGN_OR_RETURN(auto next, db_->Prepare("SELECT COALESCE(MAX(number) + 1, 0) FROM "
                                                      "trials WHERE study_id = ?1"));
        NASQ_RETURN_IF_ERROR(next.Bind(1, study_id).Step().status());
        trial.number = next.Int(0);
      }
      NASQ_ASSIGN_OR_RETURN(
          auto insert,
          db_->Prepare("INSERT INTO trials (study_id, number, state, attempt, datetime_start_us, "
                       "datetime_complete_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                       "RETURNING trial_id"));
      insert.Bind(1, study_id)
          .Bind(2, trial.number)
          .Bind(3, absl::string_view(TrialStateName(trial.state)))
          .Bind(4, static_cast<int64_t>(trial.attempt))
          .Bind(5, trial.datetime_start_us)
          .Bind(6, trial.datetime_complete_us);
      NASQ_RETURN_IF_ERROR(insert.Step().status());
      trial.id = insert.Int(0);
      NASQ_RETURN_IF_ERROR(insert.Step().status());  // finish the statement
      for (const auto& [name, internal] : trial.params) {
        NASQ_ASSIGN_OR_RETURN(
            auto param, db_->Prepare("INSERT INTO trial_params (trial_id, param_name, "
                                     "param_value, distribution_json) VALUES (?1, ?2, ?3, ?4)"));
        NASQ_RETURN_IF_ERROR(param.Bind(1, trial.id)
                                 .Bind(2, name)
                                 .Bind(3, internal)
                                 .Bind(4, distribution_json[name])
                                 .Run());
      }
      NASQ_RETURN_IF_ERROR(ReplaceValues(trial.id, trial.values));
      NASQ_RETURN_IF_ERROR(UpsertIntermediateValues(trial.id, trial.intermediate_values));
      NASQ_RETURN_IF_ERROR(UpsertAttrs("trial_user_attributes", trial.id, trial.user_attrs));
      NASQ_RETURN_IF_ERROR(UpsertAttrs("trial_system_attributes", trial.id, trial.system_attrs));
      if (trial.lease) NASQ_RETURN_IF_ERROR(SetLease(trial.id, *trial.lease));
      return trial;
    });
  }

  absl::StatusOr<Trial> GetTrial(int64_t trial_id) override {
    return commits_.Read([&] { return LoadTrial(trial_id); });
  }

  absl::StatusOr<Trial> GetTrialByNumber(int64_t study_id, int64_t number) override {
    return commits_.Read([&]() -> absl::StatusOr<Trial> {
      NASQ_RETURN_IF_ERROR(RequireStudy(study_id));
      NASQ_ASSIGN_OR_RETURN(
          auto find,
          db_->Prepare("SELECT trial_id FROM trials WHERE study_id = ?1 AND number = ?2"));
      NASQ_ASSIGN_OR_RETURN(bool found, find.Bind(1, study_id).Bind(2, number).Step());
      if (!found) {
        return absl::NotFoundError(
            absl::StrCat("study ", study_id, " has no trial number ", number));
      }
      return LoadTrial(find.Int(0));
    });
  }

  absl::StatusOr<std::vector<Trial>> GetAllTrials(int64_t study_id,
                                                  const std::vector<TrialState>& states) override {
    return commits_.Read([&]() -> absl::StatusOr<std::vector<Trial>> {
      NASQ_RETURN_IF_ERROR(RequireStudy(study_id));
      return LoadTrials(TrialScope::kStudy, study_id, StatesFilter(states));
    });
  }

  absl::Status UpdateTrialDeferred(int64_t trial_id, const TrialUpdate& update,
                                   CommitTicket* ticket) override {
    return commits_.Write(ticket, [&]() -> absl::Status {
      NASQ_ASSIGN_OR_RETURN(
          auto current,
          db_->Prepare("SELECT t.state, l.worker_id, l.epoch, l.deadline_us FROM trials t "
                       "LEFT JOIN leases l ON l.trial_id = t.trial_id WHERE t.trial_id = ?1"));
      NASQ_ASSIGN_OR_RETURN(bool found, current.Bind(1, trial_id).Step());
      if (!found) return absl::NotFoundError(absl::StrCat("trial ", trial_id, " not found"));
      NASQ_ASSIGN_OR_RETURN(TrialState state, ParseState(current.Text(0)));
      std::optional<Lease> lease;
      if (!current.IsNull(1)) lease = Lease{current.Text(1), current.Int(2), current.Int(3)};
      NASQ_RETURN_IF_ERROR(ValidateTrialUpdate(update));
      NASQ_RETURN_IF_ERROR(CheckTrialUpdatePreconditions(trial_id, state, lease, update));

      NASQ_ASSIGN_OR_RETURN(
          auto row, db_->Prepare("UPDATE trials SET state = COALESCE(?2, state), "
                                 "attempt = COALESCE(?3, attempt), "
                                 "datetime_start_us = COALESCE(?4, datetime_start_us), "
                                 "datetime_complete_us = COALESCE(?5, datetime_complete_us) "
                                 "WHERE trial_id = ?1"));
      row.Bind(1, trial_id);
      if (update.state) {
        row.Bind(2, absl::string_view(TrialStateName(*update.state)));
      } else {
        row.Bind(2, std::nullopt);
      }
      BindOptional(row, 3, update.attempt);
      BindOptional(row, 4, update.datetime_start_us);
      BindOptional(row, 5, update.datetime_complete_us);
      NASQ_RETURN_IF_ERROR(row.Run());
      if (update.values) NASQ_RETURN_IF_ERROR(ReplaceValues(trial_id, *update.values));
      NASQ_RETURN_IF_ERROR(UpsertIntermediateValues(trial_id, update.intermediate_values));
      NASQ_RETURN_IF_ERROR(UpsertAttrs("trial_user_attributes", trial_id, update.user_attrs));
      NASQ_RETURN_IF_ERROR(UpsertAttrs("trial_system_attributes", trial_id, update.system_attrs));
      if (update.lease) {
        NASQ_RETURN_IF_ERROR(SetLease(trial_id, *update.lease));
      } else if (update.clear_lease) {
        NASQ_ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM leases WHERE trial_id = ?1"));
        NASQ_RETURN_IF_ERROR(del.Bind(1, trial_id).Run());
      }
      return absl::OkStatus();
    });
  }

  absl::Status WaitDurable(CommitTicket ticket) override { return commits_.WaitDurable(ticket); }

  absl::Status WaitDurableBeforeFollowers(CommitTicket ticket) override {
    // Long enough for a queue of callers to each make one write; short against an fsync-bound
    // round trip when the expected follower never comes.
    constexpr std::chrono::microseconds kFollowerGrace(2000);
    return commits_.WaitDurable(ticket, kFollowerGrace);
  }

  int64_t CommitFailures() override { return commits_.failures(); }
  void ResumeWrites() override { commits_.ResumeWrites(); }
  absl::Status CommitHealth() override { return commits_.health(); }

 private:
  // ---- helpers; all run inside a commits_ body (a transaction, the connection mutex held) ----

  static absl::StatusOr<TrialState> ParseState(const std::string& text) {
    std::optional<TrialState> state = ParseTrialState(text);
    if (!state) return CorruptRow("trials", absl::StrCat("unknown state \"", text, "\""));
    return *state;
  }

  absl::Status UpsertStudySystemAttr(int64_t study_id, const std::string& key,
                                     const std::string& value_json) {
    NASQ_ASSIGN_OR_RETURN(
        auto upsert, db_->Prepare("INSERT INTO study_system_attributes (study_id, key, value_json) "
                                  "VALUES (?1, ?2, ?3) ON CONFLICT (study_id, key) "
                                  "DO UPDATE SET value_json = excluded.value_json"));
    return upsert.Bind(1, study_id).Bind(2, key).Bind(3, value_json).Run();
  }

  absl::Status RequireStudy(int64_t study_id) {
    NASQ_ASSIGN_OR_RETURN(auto find, db_->Prepare("SELECT 1 FROM studies WHERE study_id = ?1"));
    NASQ_ASSIGN_OR_RETURN(bool found, find.Bind(1, study_id).Step());
    if (!found) return absl::NotFoundError(absl::StrCat("study ", study_id, " not found"));
    return absl::OkStatus();
  }

  absl::StatusOr<Study> LoadStudy(int64_t study_id) {
    NASQ_ASSIGN_OR_RETURN(std::vector<Study> studies, LoadStudies(study_id));
    if (studies.empty()) return absl::NotFoundError(absl::StrCat("study ", study_id, " not found"));
    return std::move(studies.front());
  }

  // One study (by id) or, with nullopt, every study; ordered by id.
  absl::StatusOr<std::vector<Study>> LoadStudies(std::optional<int64_t> study_id) {
    constexpr absl::string_view kWhere = " WHERE (?1 IS NULL OR s.study_id = ?1)";
    std::vector<Study> studies;
    std::unordered_map<int64_t, size_t> index;
    {
      NASQ_ASSIGN_OR_RETURN(auto rows,
                            db_->Prepare(absl::StrCat("SELECT s.study_id, s.state, s.created_us, "
                                                      "s.spec_json FROM studies s",
                                                      kWhere, " ORDER BY s.study_id")));
      BindOptional(rows, 1, study_id);
      while (true) {
        NASQ_ASSIGN_OR_RETURN(bool has_row, rows.Step());
        if (!has_row) break;
        Study study;
        study.id = rows.Int(0);
        const std::string state = rows.Text(1);
        std::optional<StudyState> parsed = ParseStudyState(state);
        if (!parsed) return CorruptRow("studies", absl::StrCat("unknown state \"", state, "\""));
        study.state = *parsed;
        study.created_us = rows.Int(2);
        absl::StatusOr<StudySpec> spec = StudySpecFromJson(rows.Text(3));
        if (!spec.ok()) {
          return CorruptRow(
              "studies", absl::StrCat("study ", study.id, " spec_json: ", spec.status().message()));
        }
        study.spec = *std::move(spec);
        index[study.id] = studies.size();
        studies.push_back(std::move(study));
      }
    }
    NASQ_ASSIGN_OR_RETURN(auto attrs,
                          db_->Prepare(absl::StrCat("SELECT s.study_id, a.key, a.value_json FROM "
                                                    "study_system_attributes a JOIN studies s ON "
                                                    "s.study_id = a.study_id",
                                                    kWhere)));
    BindOptional(attrs, 1, study_id);
    while (true) {
      NASQ_ASSIGN_OR_RETURN(bool has_row, attrs.Step());
      if (!has_row) break;
      studies[index.at(attrs.Int(0))].system_attrs[attrs.Text(1)] = attrs.Text(2);
    }
    return studies;
  }

  absl::StatusOr<Trial> LoadTrial(int64_t trial_id) {
    NASQ_ASSIGN_OR_RETURN(std::vector<Trial> trials,
                          LoadTrials(TrialScope::kTrial, trial_id, std::nullopt));
    if (trials.empty()) return absl::NotFoundError(absl::StrCat("trial ", trial_id, " not found"));
    return std::move(trials.front());
  }

  // Runs TrialScopedQuery(...) and calls `on_row(trial, row)` for each row, `trial` being the
  // already loaded trial the row belongs to.
  absl::Status ForEachChildRow(
      TrialScope scope, int64_t key, const std::optional<std::string>& states,
      absl::string_view columns, absl::string_view table, absl::string_view order_by,
      std::vector<Trial>& trials, const std::unordered_map<int64_t, size_t>& index,
      const std::function<absl::Status(Trial&, const SqliteStatement&)>& on_row) {
    NASQ_ASSIGN_OR_RETURN(auto rows,
                          db_->Prepare(TrialScopedQuery(scope, columns, table, order_by)));
    rows.Bind(1, key);
    if (states) {
      rows.Bind(2, *states);
    } else {
      rows.Bind(2, std::nullopt);
    }
    while (true) {
      NASQ_ASSIGN_OR_RETURN(bool has_row, rows.Step());
      if (!has_row) return absl::OkStatus();
      NASQ_RETURN_IF_ERROR(on_row(trials[index.at(rows.Int(0))], rows));
    }
  }

  absl::StatusOr<std::vector<Trial>> LoadTrials(TrialScope scope, int64_t key,
                                                const std::optional<std::string>& states) {
    std::vector<Trial> trials;
    std::unordered_map<int64_t, size_t> index;
    {
      NASQ_ASSIGN_OR_RETURN(auto rows, db_->Prepare(TrialScopedQuery(
                                           scope,
                                           "t.trial_id, t.study_id, t.number, t.state, t.attempt, "
                                           "t.datetime_start_us, t.datetime_complete_us",
                                           "trials", "t.number")));
      rows.Bind(1, key);
      if (states) {
        rows.Bind(2, *states);
      } else {
        rows.Bind(2, std::nullopt);
      }
      while (true) {
        NASQ_ASSIGN_OR_RETURN(bool has_row, rows.Step());
        if (!has_row) break;
        Trial trial;
        trial.id = rows.Int(0);
        trial.study_id = rows.Int(1);
        trial.number = rows.Int(2);
        NASQ_ASSIGN_OR_RETURN(trial.state, ParseState(rows.Text(3)));
        trial.attempt = static_cast<int>(rows.Int(4));
        trial.datetime_start_us = rows.Int(5);
        trial.datetime_complete_us = rows.Int(6);
        index[trial.id] = trials.size();
        trials.push_back(std::move(trial));
      }
    }
    if (trials.empty()) return trials;
    auto for_each = [&](absl::string_view columns, absl::string_view table,
                        absl::string_view order_by, auto on_row) {
      return ForEachChildRow(scope, key, states, columns, table, order_by, trials, index, on_row);
    };
    NASQ_RETURN_IF_ERROR(
        for_each("x.trial_id, x.param_name, x.param_value, x.distribution_json", "trial_params",
                 "x.trial_id", [](Trial& trial, const SqliteStatement& row) -> absl::Status {
                   absl::StatusOr<Distribution> d = DistributionFromJson(row.Text(3));
                   if (!d.ok()) return CorruptRow("trial_params", d.status().message());
                   trial.params[row.Text(1)] = row.Double(2);
                   trial.distributions.insert_or_assign(row.Text(1), *std::move(d));
                   return absl::OkStatus();
                 }));
    NASQ_RETURN_IF_ERROR(for_each("x.trial_id, x.objective, x.value, x.value_type", "trial_values",
                                  "x.trial_id, x.objective",
                                  [](Trial& trial, const SqliteStatement& row) -> absl::Status {
                                    NASQ_ASSIGN_OR_RETURN(double v, DecodeFloat(row, 2, 3));
                                    trial.values.push_back(v);
                                    return absl::OkStatus();
                                  }));
    NASQ_RETURN_IF_ERROR(for_each(
        "x.trial_id, x.step, x.intermediate_value, x.intermediate_value_type",
        "trial_intermediate_values", "x.trial_id",
        [](Trial& trial, const SqliteStatement& row) -> absl::Status {
          NASQ_ASSIGN_OR_RETURN(trial.intermediate_values[row.Int(1)], DecodeFloat(row, 2, 3));
          return absl::OkStatus();
        }));
    for (auto [table, member] : {std::pair{"trial_user_attributes", &Trial::user_attrs},
                                 std::pair{"trial_system_attributes", &Trial::system_attrs}}) {
      NASQ_RETURN_IF_ERROR(
          for_each("x.trial_id, x.key, x.value_json", table, "x.trial_id",
                   // An init-capture: clang 14 cannot capture a structured binding.
                   [attrs = member](Trial& trial, const SqliteStatement& row) -> absl::Status {
                     (trial.*attrs)[row.Text(1)] = row.Text(2);
                     return absl::OkStatus();
                   }));
    }
    NASQ_RETURN_IF_ERROR(for_each(
        "x.trial_id, x.worker_id, x.epoch, x.deadline_us, x.token, x.kind", "leases", "x.trial_id",
        [](Trial& trial, const SqliteStatement& row) -> absl::Status {
          std::optional<LeaseKind> kind = ParseLeaseKind(row.Text(5));
          if (!kind) {
            return CorruptRow("leases", absl::StrCat("unknown kind \"", row.Text(5), "\""));
          }
          trial.lease = Lease{row.Text(1), row.Int(2), row.Int(3), row.Text(4), *kind};
          return absl::OkStatus();
        }));
    DistributionsInterner interner;
    for (Trial& trial : trials) interner.Intern(trial.distributions);
    return trials;
  }

  absl::Status ReplaceValues(int64_t trial_id, const std::vector<double>& values) {
    NASQ_ASSIGN_OR_RETURN(auto del, db_->Prepare("DELETE FROM trial_values WHERE trial_id = ?1"));
    NASQ_RETURN_IF_ERROR(del.Bind(1, trial_id).Run());
    for (size_t i = 0; i < values.size(); ++i) {
      NASQ_ASSIGN_OR_RETURN(auto insert,
                            db_->Prepare("INSERT INTO trial_values (trial_id, objective, value, "
                                         "value_type) VALUES (?1, ?2, ?3, ?4)"));
      insert.Bind(1, trial_id).Bind(2, static_cast<int64_t>(i));
      BindFloat(insert, 3, 4, values[i]);
      NASQ_RETURN_IF_ERROR(insert.Run());
    }
    return absl::OkStatus();
  }

  absl::Status UpsertIntermediateValues(int64_t trial_id, const std::map<int64_t, double>& values) {
    for (const auto& [step, value] : values) {
      NASQ_ASSIGN_OR_RETURN(
          auto upsert,
          db_->Prepare("INSERT INTO trial_intermediate_values (trial_id, step, "
                       "intermediate_value, intermediate_value_type) VALUES (?1, ?2, ?3, ?4) "
                       "ON CONFLICT (trial_id, step) DO UPDATE SET "
                       "intermediate_value = excluded.intermediate_value, "
                       "intermediate_value_type = excluded.intermediate_value_type"));
      upsert.Bind(1, trial_id).Bind(2, step);
      BindFloat(upsert, 3, 4, value);
      NASQ_RETURN_IF_ERROR(upsert.Run());
    }
    return absl::OkStatus();
  }

  // `table` is trial_user_attributes or trial_system_attributes.
  absl::Status UpsertAttrs(absl::string_view table, int64_t trial_id,
                           const std::map<std::string, std::string>& attrs) {
    for (const auto& [key, value_json] : attrs) {
      NASQ_ASSIGN_OR_RETURN(
          auto upsert,
          db_->Prepare(absl::StrCat("INSERT INTO ", table,
                                    " (trial_id, key, value_json) VALUES (?1, ?2, ?3) "
                                    "ON CONFLICT (trial_id, key) DO UPDATE SET value_json = "
                                    "excluded.value_json")));
      NASQ_RETURN_IF_ERROR(upsert.Bind(1, trial_id).Bind(2, key).Bind(3, value_json).Run());
    }
    return absl::OkStatus();
  }

  absl::Status SetLease(int64_t trial_id, const Lease& lease) {
    NASQ_ASSIGN_OR_RETURN(
        auto upsert,
        db_->Prepare("INSERT INTO leases (trial_id, worker_id, epoch, deadline_us, token, kind) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (trial_id) DO UPDATE SET "
                     "worker_id = excluded.worker_id, epoch = excluded.epoch, "
                     "deadline_us = excluded.deadline_us, token = excluded.token, "
                     "kind = excluded.kind"));
    return upsert.Bind(1, trial_id)
        .Bind(2, lease.worker_id)
        .Bind(3, lease.epoch)
        .Bind(4, lease.deadline_us)
        .Bind(5, lease.token)
        .Bind(6, absl::string_view(LeaseKindName(lease.kind)))
        .Run();
  }

  SqliteGroupCommit commits_;  // owns the connection; every method goes through it
  SqliteDb* const db_;         // commits_.db(), used only inside commits_' bodies
};

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> OpenSqliteStorage(const std::string& path,
                                                           const SqliteOptions& options) {
  std::error_code ec;
  const bool existed = std::filesystem::exists(path, ec);
  if (!options.create_if_missing && !existed) {
    return absl::NotFoundError(absl::StrCat("database file ", path, " does not exist"));
  }
  NASQ_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path, !existed));
  // Connection settings that neither read nor write the file.
  NASQ_RETURN_IF_ERROR(db->Exec(absl::StrCat("PRAGMA busy_timeout = ", options.busy_timeout_ms)));
  NASQ_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = ON"));
  // Refuse damaged, foreign, newer, empty or inconsistent files before anything is written to
  // them; until then a refused file's WAL must not be checkpointed into it at close either. The
  // structure is checked first: reading a damaged table could fail with a less helpful error. A
  // file that is not SQLite at all is left to InspectSchemaVersion, which says so.
  NASQ_RETURN_IF_ERROR(db->SetCheckpointOnClose(false));
  if (absl::Status integrity = CheckSqliteIntegrity(*db, options.integrity_check);
      !integrity.ok() && !absl::IsFailedPrecondition(integrity)) {
    return integrity;
  }
  NASQ_ASSIGN_OR_RETURN(int64_t version, InspectSchemaVersion(*db));
  if (version == 0 && existed && !options.initialize_empty_file) {
    return absl::FailedPreconditionError(absl::StrCat(
        path,
        " exists but is empty (no nasq schema); nasq creates a database only at a path that "
        "does not exist yet. Check the path, or initialise this file explicitly "
        "(nasq-server --init)"));
  }
  if (version > 0) NASQ_RETURN_IF_ERROR(CheckNasqRows(*db));
  NASQ_RETURN_IF_ERROR(db->SetCheckpointOnClose(true));
  NASQ_ASSIGN_OR_RETURN(const bool wal, db->EnableWal());  // outside any transaction
  // FULL: the WAL is fsync'ed at every commit, so a committed state change (a trial's result)
  // survives power loss, not only a process crash.
  NASQ_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = FULL"));
  if (version < LatestSchemaVersion()) {
    NASQ_RETURN_IF_ERROR(MigrateToLatest(*db, RealClock::Default()->NowMicros()));
  }
  SqliteGroupCommit::SyncFunction sync;
  if (wal) {
    // As durable as FULL, with the fsync moved out of COMMIT into the group commit, which runs
    // it without holding the connection: NORMAL commits write the WAL, SqliteWalFile syncs it.
    NASQ_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = NORMAL"));
    sync = [wal_file = std::make_shared<SqliteWalFile>(db->WalPath())] { return wal_file->Sync(); };
  }
  return std::unique_ptr<Storage>(std::make_unique<SqliteStorage>(std::move(db), std::move(sync)));
}

}  // namespace nasq

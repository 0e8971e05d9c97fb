// tests/storage/storage_conformance_test.cc: the contract of storage/storage.h, run as typed
// tests against every implementation: in-memory reference and SQLite here, PostgreSQL when
// compiled with NASQ_CONFORMANCE_POSTGRES (the storage_postgres_test executable, one process
// sharing one PostgreSQL server, a fresh database per test).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "storage/memory_storage.h"
#include "storage/sqlite_storage.h"
#include "storage/storage.h"
#include "tests/storage/storage_test_util.h"
#ifdef NASQ_CONFORMANCE_POSTGRES
#include "storage/postgres_storage.h"
#include "testing/postgres_server.h"
#endif

namespace nasq {
namespace {

using ::nasq::testing::ExpectSameSpec;
using ::nasq::testing::ExpectSameTrial;
using ::nasq::testing::SampleSpec;
using ::nasq::testing::SampleTrialTemplate;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A backend: Open(path) makes a fresh storage (null after a failed expectation), SkipReason()
// says why it cannot run here ("" when it can).
struct MemoryBackend {
  static std::unique_ptr<Storage> Open(const std::string& /*path*/) { return NewMemoryStorage(); }
  static std::string SkipReason() { return ""; }
};

// The storage `opened` holds, or null after a failed expectation.
std::unique_ptr<Storage> Opened(absl::StatusOr<std::unique_ptr<Storage>> opened) {
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? *std::move(opened) : nullptr;
}

struct SqliteBackend {
  static std::unique_ptr<Storage> Open(const std::string& path) {
    return Opened(OpenSqliteStorage(path));
  }
  static std::string SkipReason() { return ""; }
};

#ifdef NASQ_CONFORMANCE_POSTGRES
// A fresh database on the process's PostgreSQL server per test.
struct PostgresBackend {
  static std::unique_ptr<Storage> Open(const std::string& /*path*/) {
    absl::StatusOr<PostgresServer*> server = PostgresServer::Shared();
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return nullptr;
    absl::StatusOr<std::string> url = (*server)->CreateDatabase("conformance");
    EXPECT_TRUE(url.ok()) << url.status();
    return url.ok() ? Opened(OpenPostgresStorage(*url)) : nullptr;
  }
  static std::string SkipReason() {
    return PostgresServer::Installed() ? "" : "PostgreSQL 15 is not installed (postgresql-15)";
  }
};
#endif

template <class Backend>
class StorageConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = Backend::SkipReason(); !why.empty()) GTEST_SKIP() << why;
    path_ = testing::TempDbPath("conformance");
    storage_ = Backend::Open(path_);
    ASSERT_NE(storage_, nullptr);
  }
  void TearDown() override {
    storage_.reset();
    if (!path_.empty()) testing::RemoveDbFiles(path_);
  }

  int64_t MakeStudy(const std::string& name) {
    absl::StatusOr<int64_t> id = storage_->CreateStudy(SampleSpec(name), 1000);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or(-1);
  }

  Trial MakeTrial(int64_t study_id, TrialState state = TrialState::kRunning) {
    Trial tmpl = SampleTrialTemplate();
    tmpl.state = state;
    absl::StatusOr<Trial> trial = storage_->CreateTrial(study_id, tmpl);
    EXPECT_TRUE(trial.ok()) << trial.status();
    return trial.value_or(Trial());
  }

  Trial Get(int64_t trial_id) {
    absl::StatusOr<Trial> trial = storage_->GetTrial(trial_id);
    EXPECT_TRUE(trial.ok()) << trial.status();
    return trial.value_or(Trial());
  }

  std::string path_;
  std::unique_ptr<Storage> storage_;
};

#ifdef NASQ_CONFORMANCE_POSTGRES
using Backends = ::testing::Types<PostgresBackend>;
#else
using Backends = ::testing::Types<MemoryBackend, SqliteBackend>;
#endif
TYPED_TEST_SUITE(StorageConformance, Backends);

TYPED_TEST(StorageConformance, CreatesGetsAndListsStudies) {
  const StudySpec spec = testing::RichSpec("rich");
  absl::StatusOr<int64_t> first = this->storage_->CreateStudy(spec, 42);
  ASSERT_TRUE(first.ok()) << first.status();
  const int64_t second = this->MakeStudy("second");
  EXPECT_NE(*first, second);

  absl::StatusOr<Study> study = this->storage_->GetStudy(*first);
  ASSERT_TRUE(study.ok()) << study.status();
  EXPECT_EQ(study->id, *first);
  EXPECT_EQ(study->state, StudyState::kRunning);
  EXPECT_EQ(study->created_us, 42);
  EXPECT_TRUE(study->system_attrs.empty());
  ExpectSameSpec(spec, study->spec);

  absl::StatusOr<Study> by_name = this->storage_->GetStudyByName("second");
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  EXPECT_EQ(by_name->id, second);

  absl::StatusOr<std::vector<Study>> all = this->storage_->ListStudies();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_LT((*all)[0].id, (*all)[1].id);
  EXPECT_EQ((*all)[0].spec.name, *first < second ? "rich" : "second");
}

TYPED_TEST(StorageConformance, RefusesDuplicateStudyName) {
  this->MakeStudy("dup");
  absl::StatusOr<int64_t> again = this->storage_->CreateStudy(SampleSpec("dup"), 5);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
  EXPECT_NE(again.status().message().find("dup"), absl::string_view::npos);
  EXPECT_EQ(this->storage_->ListStudies()->size(), 1u);
}

TYPED_TEST(StorageConformance, SetsStudyStateAndUpsertsSystemAttrs) {
  const int64_t id = this->MakeStudy("s");
  ASSERT_TRUE(this->storage_->SetStudyState(id, StudyState::kStopped).ok());
  ASSERT_TRUE(this->storage_->SetStudySystemAttr(id, "a", "1").ok());
  ASSERT_TRUE(this->storage_->SetStudySystemAttr(id, "b", "\"x\"").ok());
  ASSERT_TRUE(this->storage_->SetStudySystemAttr(id, "a", "[2]").ok());
  absl::StatusOr<Study> study = this->storage_->GetStudy(id);
  ASSERT_TRUE(study.ok()) << study.status();
  EXPECT_EQ(study->state, StudyState::kStopped);
  EXPECT_EQ(study->system_attrs,
            (std::map<std::string, std::string>{{"a", "[2]"}, {"b", "\"x\""}}));
}

TYPED_TEST(StorageConformance, UpdatesStudyStateMaxTrialsAndSystemAttrsAtOnce) {
  const int64_t id = this->MakeStudy("s");
  ASSERT_TRUE(this->storage_->SetStudySystemAttr(id, "stop_reason", "\"why\"").ok());
  ASSERT_TRUE(this->storage_->SetStudySystemAttr(id, "kept", "1").ok());
  StudyUpdate update;
  update.state = StudyState::kStopped;
  update.max_trials = 40;
  update.system_attrs["resumed_us"] = "7";
  update.erased_system_attrs = {"stop_reason", "absent"};
  ASSERT_TRUE(this->storage_->UpdateStudy(id, update).ok());
  absl::StatusOr<Study> study = this->storage_->GetStudy(id);
  ASSERT_TRUE(study.ok()) << study.status();
  EXPECT_EQ(study->state, StudyState::kStopped);
  EXPECT_EQ(study->spec.max_trials, 40);
  EXPECT_EQ(study->spec.name, "s");
  EXPECT_EQ(study->system_attrs,
            (std::map<std::string, std::string>{{"kept", "1"}, {"resumed_us", "7"}}));
  ASSERT_TRUE(this->storage_->UpdateStudy(id, StudyUpdate{.max_trials = 0}).ok());  // only that
  study = this->storage_->GetStudy(id);
  EXPECT_EQ(study->spec.max_trials, 0);
  EXPECT_EQ(study->state, StudyState::kStopped);

  const absl::Status negative = this->storage_->UpdateStudy(id, StudyUpdate{.max_trials = -1});
  EXPECT_EQ(negative.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(negative.message()).find("max_trials"), std::string::npos);
  EXPECT_EQ(this->storage_->UpdateStudy(id + 1000, update).code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(StorageConformance, DeletesStudyWithItsTrials) {
  const int64_t id = this->MakeStudy("gone");
  const int64_t kept = this->MakeStudy("kept");
  const Trial trial = this->MakeTrial(id);
  const Trial kept_trial = this->MakeTrial(kept);
  ASSERT_TRUE(this->storage_->DeleteStudy(id).ok());
  EXPECT_EQ(this->storage_->GetStudy(id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->storage_->GetTrial(trial.id).status().code(), absl::StatusCode::kNotFound);
  ExpectSameTrial(kept_trial, this->Get(kept_trial.id));
  // The name is free again, and the new study starts numbering at 0.
  const int64_t reborn = this->MakeStudy("gone");
  EXPECT_EQ(this->MakeTrial(reborn).number, 0);
}

TYPED_TEST(StorageConformance, ReportsNotFound) {
  const int64_t id = this->MakeStudy("s");
  this->MakeTrial(id);
  constexpr int64_t kNoStudy = 9999;
  constexpr int64_t kNoTrial = 8888;
  Storage& s = *this->storage_;
  Trial nan_template = SampleTrialTemplate();
  nan_template.values = {kNaN};
  TrialUpdate nan_update;
  nan_update.values = std::vector<double>{kNaN};
  const std::vector<std::pair<std::string, absl::Status>> cases = {
      {"GetStudy", s.GetStudy(kNoStudy).status()},
      {"GetStudyByName", s.GetStudyByName("nope").status()},
      {"SetStudyState", s.SetStudyState(kNoStudy, StudyState::kStopped)},
      {"SetStudySystemAttr", s.SetStudySystemAttr(kNoStudy, "k", "1")},
      {"DeleteStudy", s.DeleteStudy(kNoStudy)},
      {"CreateTrial", s.CreateTrial(kNoStudy, SampleTrialTemplate()).status()},
      {"CreateTrial(bad template too)", s.CreateTrial(kNoStudy, nan_template).status()},
      {"GetTrial", s.GetTrial(kNoTrial).status()},
      {"GetTrialByNumber(no study)", s.GetTrialByNumber(kNoStudy, 0).status()},
      {"GetTrialByNumber(no number)", s.GetTrialByNumber(id, 1).status()},
      {"GetTrialByNumber(negative)", s.GetTrialByNumber(id, -1).status()},
      {"GetAllTrials", s.GetAllTrials(kNoStudy).status()},
      {"UpdateTrial", s.UpdateTrial(kNoTrial, TrialUpdate{})},
      {"UpdateTrial(bad values too)", s.UpdateTrial(kNoTrial, nan_update)},
  };
  for (const auto& [what, status] : cases) {
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << what << ": " << status;
  }
}

TYPED_TEST(StorageConformance, NumbersTrialsDenselyUnderConcurrentCreation) {
  const int64_t id = this->MakeStudy("parallel");
  const int64_t other = this->MakeStudy("other");
  constexpr int kThreads = 8;
  constexpr int kPerThread = 12;
  std::vector<std::vector<Trial>> created(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Interleave a second study so numbering must be per study.
        absl::StatusOr<Trial> trial =
            this->storage_->CreateTrial(i % 3 == 0 ? other : id, SampleTrialTemplate());
        EXPECT_TRUE(trial.ok()) << trial.status();
        if (trial.ok()) created[t].push_back(*trial);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::map<int64_t, std::set<int64_t>> numbers;  // study -> numbers
  std::set<int64_t> ids;
  for (const auto& per_thread : created) {
    for (const Trial& trial : per_thread) {
      EXPECT_TRUE(numbers[trial.study_id].insert(trial.number).second) << trial.number;
      EXPECT_TRUE(ids.insert(trial.id).second) << trial.id;
    }
  }
  for (int64_t study : {id, other}) {
    absl::StatusOr<std::vector<Trial>> stored = this->storage_->GetAllTrials(study);
    ASSERT_TRUE(stored.ok()) << stored.status();
    ASSERT_EQ(stored->size(), numbers[study].size());
    for (size_t n = 0; n < stored->size(); ++n) {
      EXPECT_EQ((*stored)[n].number, static_cast<int64_t>(n));  // dense, ordered
      EXPECT_TRUE(numbers[study].contains(static_cast<int64_t>(n)));
    }
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kPerThread));
}

TYPED_TEST(StorageConformance, DeferredWritesAreVisibleAtOnceAndOrderedByTicket) {
  const int64_t id = this->MakeStudy("deferred");
  CommitTicket created_ticket = 0;
  absl::StatusOr<Trial> created =
      this->storage_->CreateTrialDeferred(id, SampleTrialTemplate(), &created_ticket);
  ASSERT_TRUE(created.ok()) << created.status();
  ExpectSameTrial(*created, this->Get(created->id));  // visible before WaitDurable

  TrialUpdate update;
  update.state = TrialState::kComplete;
  update.values = std::vector<double>{1.5};
  update.clear_lease = true;
  CommitTicket updated_ticket = 0;
  ASSERT_TRUE(this->storage_->UpdateTrialDeferred(created->id, update, &updated_ticket).ok());
  EXPECT_GE(updated_ticket, created_ticket);
  EXPECT_EQ(this->Get(created->id).state, TrialState::kComplete);
  EXPECT_TRUE(this->storage_->WaitDurable(updated_ticket).ok());
  EXPECT_TRUE(this->storage_->WaitDurable(created_ticket).ok());  // already durable
  EXPECT_EQ(this->Get(created->id).values, std::vector<double>{1.5});
}

TYPED_TEST(StorageConformance, FailedDeferredWriteChangesNothingAndKeepsPendingOnes) {
  const int64_t id = this->MakeStudy("deferred");
  CommitTicket ticket = 0;
  absl::StatusOr<Trial> kept =
      this->storage_->CreateTrialDeferred(id, SampleTrialTemplate(), &ticket);
  ASSERT_TRUE(kept.ok()) << kept.status();

  const CommitTicket untouched = 987654321;
  CommitTicket refused_ticket = untouched;
  TrialUpdate stale;
  stale.expected_state = TrialState::kWaiting;  // the trial is RUNNING
  stale.state = TrialState::kComplete;
  stale.values = std::vector<double>{2.0};
  EXPECT_EQ(this->storage_->UpdateTrialDeferred(kept->id, stale, &refused_ticket).code(),
            absl::StatusCode::kFailedPrecondition);
  Trial bad = SampleTrialTemplate();
  bad.values = {kNaN};
  EXPECT_EQ(this->storage_->CreateTrialDeferred(id, bad, &refused_ticket).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(this->storage_->CreateTrialDeferred(id + 1000, SampleTrialTemplate(), &refused_ticket)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(refused_ticket, untouched);

  CommitTicket next_ticket = 0;
  absl::StatusOr<Trial> next =
      this->storage_->CreateTrialDeferred(id, SampleTrialTemplate(), &next_ticket);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->number, kept->number + 1);  // the refused create took no number
  ASSERT_TRUE(this->storage_->WaitDurable(next_ticket).ok());
  absl::StatusOr<std::vector<Trial>> stored = this->storage_->GetAllTrials(id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 2u);
  ExpectSameTrial(*kept, (*stored)[0]);  // the refused update left it as created
  ExpectSameTrial(*next, (*stored)[1]);
}

TYPED_TEST(StorageConformance, CreateTrialStoresEveryFieldOfTheTemplate) {
  const int64_t id = this->MakeStudy("s");
  Trial tmpl = SampleTrialTemplate();
  tmpl.values = {kInf, -kInf, 0.1};
  tmpl.datetime_complete_us = 77;
  absl::StatusOr<Trial> created = this->storage_->CreateTrial(id, tmpl);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->study_id, id);
  EXPECT_EQ(created->number, 0);
  Trial expected = tmpl;
  expected.id = created->id;
  expected.study_id = id;
  expected.number = 0;
  ExpectSameTrial(expected, *created);
  ExpectSameTrial(expected, this->Get(created->id));
  absl::StatusOr<Trial> by_number = this->storage_->GetTrialByNumber(id, 0);
  ASSERT_TRUE(by_number.ok()) << by_number.status();
  ExpectSameTrial(expected, *by_number);
}

TYPED_TEST(StorageConformance, CreateTrialRefusesInconsistentTemplates) {
  const int64_t id = this->MakeStudy("s");
  struct Case {
    std::string name;
    void (*mutate)(Trial&);
  };
  const std::vector<Case> cases = {
      {"param without distribution", [](Trial& t) { t.distributions.erase("lr"); }},
      {"distribution without param", [](Trial& t) { t.params.erase("lr"); }},
      {"value outside distribution", [](Trial& t) { t.params["layers"] = 100.0; }},
      {"categorical index out of range", [](Trial& t) { t.params["act"] = 5.0; }},
      {"invalid distribution",
       [](Trial& t) {
         t.distributions.insert_or_assign("lr", FloatDistribution{1.0, 0.0, false, std::nullopt});
       }},
      {"NaN objective value", [](Trial& t) { t.values = {kNaN}; }},
  };
  for (const Case& c : cases) {
    Trial tmpl = SampleTrialTemplate();
    c.mutate(tmpl);
    absl::StatusOr<Trial> trial = this->storage_->CreateTrial(id, tmpl);
    EXPECT_EQ(trial.status().code(), absl::StatusCode::kInvalidArgument)
        << c.name << ": " << trial.status();
  }
  EXPECT_TRUE(this->storage_->GetAllTrials(id)->empty());
}

TYPED_TEST(StorageConformance, UpdateTrialIsCompareAndSet) {
  const int64_t id = this->MakeStudy("s");
  const Trial before = this->MakeTrial(id);  // RUNNING, lease epoch 3
  struct Case {
    std::string name;
    TrialState expected_state;
    std::optional<int64_t> expected_epoch;
  };
  const std::vector<Case> stale = {
      {"wrong state", TrialState::kWaiting, std::nullopt},
      {"wrong epoch", TrialState::kRunning, 2},
      {"wrong state and epoch", TrialState::kWaiting, 4},
  };
  for (const Case& c : stale) {
    TrialUpdate update;
    update.expected_state = c.expected_state;
    update.expected_epoch = c.expected_epoch;
    update.state = TrialState::kComplete;
    update.values = std::vector<double>{1.0};
    update.clear_lease = true;
    update.user_attrs["x"] = "1";
    update.intermediate_values[9] = 9.0;
    absl::Status status = this->storage_->UpdateTrial(before.id, update);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << c.name << ": " << status;
    ExpectSameTrial(before, this->Get(before.id));
  }

  TrialUpdate ok;
  ok.expected_state = TrialState::kRunning;
  ok.expected_epoch = 3;
  ok.state = TrialState::kComplete;
  ok.values = std::vector<double>{0.5};
  ok.datetime_complete_us = 99;
  ok.clear_lease = true;
  ASSERT_TRUE(this->storage_->UpdateTrial(before.id, ok).ok());
  Trial expected = before;
  expected.state = TrialState::kComplete;
  expected.values = {0.5};
  expected.datetime_complete_us = 99;
  expected.lease.reset();
  ExpectSameTrial(expected, this->Get(before.id));
}

TYPED_TEST(StorageConformance, ExpectedEpochNeedsALease) {
  const int64_t id = this->MakeStudy("s");
  Trial tmpl = SampleTrialTemplate();
  tmpl.lease.reset();
  tmpl.state = TrialState::kWaiting;
  absl::StatusOr<Trial> trial = this->storage_->CreateTrial(id, tmpl);
  ASSERT_TRUE(trial.ok()) << trial.status();
  TrialUpdate update;
  update.expected_state = TrialState::kWaiting;
  update.expected_epoch = 0;
  update.state = TrialState::kRunning;
  EXPECT_EQ(this->storage_->UpdateTrial(trial->id, update).code(),
            absl::StatusCode::kFailedPrecondition);
  ExpectSameTrial(*trial, this->Get(trial->id));
}

TYPED_TEST(StorageConformance, FinishedTrialsAreFrozen) {
  const int64_t id = this->MakeStudy("s");
  for (TrialState final_state : {TrialState::kComplete, TrialState::kPruned, TrialState::kFail}) {
    const Trial trial = this->MakeTrial(id, final_state);
    TrialUpdate update;
    update.expected_state = final_state;  // even a matching expectation cannot change it
    update.values = std::vector<double>{7.0};
    update.system_attrs["late"] = "true";
    const absl::Status status = this->storage_->UpdateTrial(trial.id, update);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition)
        << TrialStateName(final_state) << ": " << status;
    ExpectSameTrial(trial, this->Get(trial.id));
  }
}

TYPED_TEST(StorageConformance, SetsReplacesAndClearsLeases) {
  const int64_t id = this->MakeStudy("s");
  const Trial trial = this->MakeTrial(id);                        // lease epoch 3
  const Lease next{"worker-b", 4, 123, "4444", LeaseKind::kAsk};  // token and kind are stored
  TrialUpdate replace;
  replace.expected_epoch = 3;
  replace.lease = next;
  replace.clear_lease = true;  // ignored because lease is set
  replace.attempt = 3;
  ASSERT_TRUE(this->storage_->UpdateTrial(trial.id, replace).ok());
  Trial got = this->Get(trial.id);
  EXPECT_EQ(got.lease, next);
  EXPECT_EQ(got.attempt, 3);

  TrialUpdate clear;
  clear.expected_epoch = 4;
  clear.clear_lease = true;
  clear.state = TrialState::kWaiting;
  ASSERT_TRUE(this->storage_->UpdateTrial(trial.id, clear).ok());
  got = this->Get(trial.id);
  EXPECT_FALSE(got.lease.has_value());
  EXPECT_EQ(got.state, TrialState::kWaiting);

  TrialUpdate lease_again;
  lease_again.expected_state = TrialState::kWaiting;
  lease_again.state = TrialState::kRunning;
  lease_again.lease = Lease{"worker-c", 5, 456, "5555", LeaseKind::kWorker};
  lease_again.datetime_start_us = 1234;
  ASSERT_TRUE(this->storage_->UpdateTrial(trial.id, lease_again).ok());
  got = this->Get(trial.id);
  EXPECT_EQ(got.lease, lease_again.lease);
  EXPECT_EQ(got.datetime_start_us, 1234);
}

TYPED_TEST(StorageConformance, ValuesKeepInfinitiesAndRefuseNaN) {
  const int64_t id = this->MakeStudy("s");
  const Trial trial = this->MakeTrial(id);
  TrialUpdate nan;
  nan.values = std::vector<double>{1.0, kNaN};
  nan.state = TrialState::kComplete;
  const absl::Status status = this->storage_->UpdateTrial(trial.id, nan);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find("NaN"), absl::string_view::npos) << status;
  ExpectSameTrial(trial, this->Get(trial.id));

  TrialUpdate inf;
  inf.values = std::vector<double>{kInf, -kInf, -0.0, 1e-300};
  ASSERT_TRUE(this->storage_->UpdateTrial(trial.id, inf).ok());
  Trial expected = trial;
  expected.values = *inf.values;
  ExpectSameTrial(expected, this->Get(trial.id));

  TrialUpdate shorter;  // values are replaced, not merged
  shorter.values = std::vector<double>{2.0};
  ASSERT_TRUE(this->storage_->UpdateTrial(trial.id, shorter).ok());
  EXPECT_EQ(this->Get(trial.id).values, std::vector<double>{2.0});
}

TYPED_TEST(StorageConformance, IntermediateValuesAreUpsertedByStepAndKeepNaNAndInf) {
  const int64_t id = this->MakeStudy("s");
  const Trial trial = this->MakeTrial(id);  // steps 0..3
  TrialUpdate update;
  update.intermediate_values = {{1, 0.5}, {2, kNaN}, {10, -kInf}};
  ASSERT_TRUE(this->storage_->UpdateTrial(trial.id, update).ok());
  Trial expected = trial;
  expected.intermediate_values[1] = 0.5;
  expected.intermediate_values[2] = kNaN;
  expected.intermediate_values[10] = -kInf;
  ExpectSameTrial(expected, this->Get(trial.id));
}

TYPED_TEST(StorageConformance, AttributesAreUpserted) {
  const int64_t id = this->MakeStudy("s");
  const Trial trial = this->MakeTrial(id);
  TrialUpdate update;
  update.user_attrs = {{"note", "\"second\""}, {"extra", "[1,2]"}};
  update.system_attrs = {{"fixed", "false"}, {"sys", "{}"}};
  ASSERT_TRUE(this->storage_->UpdateTrial(trial.id, update).ok());
  Trial expected = trial;
  expected.user_attrs = {{"note", "\"second\""}, {"extra", "[1,2]"}};
  expected.system_attrs = {{"fixed", "false"}, {"sys", "{}"}};
  ExpectSameTrial(expected, this->Get(trial.id));
}

TYPED_TEST(StorageConformance, ReturnedValuesAreImmutableSnapshots) {
  const int64_t id = this->MakeStudy("s");
  const Trial trial = this->MakeTrial(id);
  const Study study_before = *this->storage_->GetStudy(id);
  const Trial snapshot = this->Get(trial.id);
  const std::vector<Trial> all_before = *this->storage_->GetAllTrials(id);

  TrialUpdate update;
  update.state = TrialState::kComplete;
  update.values = std::vector<double>{3.0};
  update.user_attrs["k"] = "1";
  ASSERT_TRUE(this->storage_->UpdateTrial(trial.id, update).ok());
  ASSERT_TRUE(this->storage_->SetStudySystemAttr(id, "k", "2").ok());
  ASSERT_TRUE(this->storage_->SetStudyState(id, StudyState::kCompleted).ok());

  ExpectSameTrial(trial, snapshot);
  ASSERT_EQ(all_before.size(), 1u);
  ExpectSameTrial(trial, all_before[0]);
  EXPECT_EQ(study_before.state, StudyState::kRunning);
  EXPECT_TRUE(study_before.system_attrs.empty());
  EXPECT_EQ(this->Get(trial.id).state, TrialState::kComplete);
}

TYPED_TEST(StorageConformance, GetAllTrialsFiltersByState) {
  const int64_t id = this->MakeStudy("s");
  const std::vector<TrialState> states = {TrialState::kComplete, TrialState::kRunning,
                                          TrialState::kWaiting,  TrialState::kComplete,
                                          TrialState::kFail,     TrialState::kPruned};
  for (TrialState s : states) this->MakeTrial(id, s);
  struct Case {
    std::vector<TrialState> filter;
    std::vector<int64_t> numbers;
  };
  const std::vector<Case> cases = {
      {{}, {0, 1, 2, 3, 4, 5}},
      {{TrialState::kComplete}, {0, 3}},
      {{TrialState::kWaiting, TrialState::kRunning}, {1, 2}},
      {{TrialState::kFail, TrialState::kPruned, TrialState::kComplete}, {0, 3, 4, 5}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<Trial>> trials = this->storage_->GetAllTrials(id, c.filter);
    ASSERT_TRUE(trials.ok()) << trials.status();
    std::vector<int64_t> numbers;
    for (const Trial& t : *trials) {
      numbers.push_back(t.number);
      EXPECT_EQ(t.state, states[t.number]);
      EXPECT_EQ(t.params.size(), 4u);  // children are loaded for filtered trials too
      EXPECT_EQ(t.intermediate_values.size(), 4u);
    }
    EXPECT_EQ(numbers, c.numbers);
  }
}

// Each template below holds its own map; the loaded trials share one per distinct map.
TYPED_TEST(StorageConformance, GetAllTrialsShareEqualDistributionMaps) {
  const int64_t id = this->MakeStudy("s");
  Trial without_lr = SampleTrialTemplate();
  without_lr.params.erase("lr");
  without_lr.distributions.erase("lr");
  for (int i = 0; i < 3; ++i) this->MakeTrial(id);
  ASSERT_TRUE(this->storage_->CreateTrial(id, without_lr).ok());
  this->MakeTrial(id);

  absl::StatusOr<std::vector<Trial>> trials = this->storage_->GetAllTrials(id);
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 5u);
  std::vector<Trial>& t = *trials;
  for (size_t i : {1, 2, 4}) {
    EXPECT_TRUE(t[i].distributions.SharesMapWith(t[0].distributions)) << "trial " << i;
  }
  EXPECT_FALSE(t[3].distributions.SharesMapWith(t[0].distributions));
  EXPECT_EQ(t[3].distributions, without_lr.distributions);
  EXPECT_EQ(t[0].distributions, SampleTrialTemplate().distributions);

  // Changing one trial's distributions copies the shared map first.
  t[0].distributions.erase("act");
  EXPECT_FALSE(t[0].distributions.contains("act"));
  EXPECT_TRUE(t[1].distributions.contains("act"));
  EXPECT_TRUE(t[1].distributions.SharesMapWith(t[2].distributions));
  ExpectSameTrial(t[1], this->Get(t[1].id));
}

}  // namespace
}  // namespace nasq

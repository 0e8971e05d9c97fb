// Tests of issue 15's server side: leases asked for a duration (Ask, Heartbeat), the teller of a
// Tell recorded as system attr "told_by", and studies of task kind "python" served only to
// workers that list the kind. StudyManager over MemoryStorage with a FakeClock, then the same
// over the wire (an in-process NasqServer driven by NasqClient).
#include <chrono>
#include <optional>
#include <string>

#include "client/nasq_client.h"
#include "core/limits.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/convert.h"
#include "server/nasq_server.h"
#include "server/study_manager.h"
#include "storage/memory_storage.h"
#include "tests/server/no_wait.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kStudyLeaseMs = 60'000;         // the study's lease.duration
constexpr int64_t kTwoHoursMs = 2 * 3600 * 1000;  // what a long objective asks for
constexpr int64_t kMinuteUs = 60'000'000;
constexpr char kPythonTask[] = R"({"kind": "python", "fn": "train:main", "anything": [1, {}]})";

StudySpec Spec(const std::string& name, const std::string& task_json = "{}") {
  StudySpec spec;
  spec.name = name;
  spec.directions = {StudyDirection::kMinimize};
  spec.space = *SearchSpace::Create({ParamSpec{"x", IntDistribution{0, 99, false, 1}, {}}});
  spec.sampler.kind = SamplerKind::kRandom;
  spec.max_retries = 0;  // an expired lease fails its trial: visible at once
  spec.lease_duration_ms = kStudyLeaseMs;
  spec.heartbeat_interval_ms = 10'000;
  spec.task_json = task_json;
  return spec;
}

LeaseKey KeyOf(const LeasedTrial& leased) {
  return LeaseKey{leased.trial.lease->epoch, leased.trial.lease->token};
}

class AskedLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    manager_ = *StudyManager::Create(storage_.get(), &clock_);
    ASSERT_TRUE(manager_->CreateStudy(Spec("s")).ok());
  }
  // Advances the clock by `minutes` and reaps; returns how many leases expired.
  int ReapAfterMinutes(int64_t minutes) {
    clock_.AdvanceMicros(minutes * kMinuteUs);
    absl::StatusOr<int> expired = manager_->ReapExpiredLeases();
    EXPECT_TRUE(expired.ok()) << expired.status();
    return expired.value_or(-1);
  }
  int64_t DeadlineOf(int64_t number) { return manager_->GetTrial("s", number)->lease->deadline_us; }

  FakeClock clock_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<StudyManager> manager_;
};

// Today's failure in the issue: an asked trial went back to WAITING after the study's 60 s.
TEST_F(AskedLeaseTest, TwoHourAskedLeaseOutlivesTheStudysLeaseThenExpires) {
  const int64_t asked_at = clock_.NowMicros();
  LeasedTrial asked = *manager_->Ask("s", "notebook", kTwoHoursMs);
  EXPECT_EQ(asked.trial.lease->deadline_us, asked_at + kTwoHoursMs * 1000);
  EXPECT_EQ(ReapAfterMinutes(119), 0);
  EXPECT_EQ(manager_->GetTrial("s", 0)->state, TrialState::kRunning);
  EXPECT_EQ(ReapAfterMinutes(1), 1);
  EXPECT_EQ(manager_->GetTrial("s", 0)->state, TrialState::kFail);  // max_retries 0

  // Without a duration, Ask keeps the study's lease.
  LeasedTrial plain = *manager_->Ask("s", "notebook");
  EXPECT_EQ(plain.trial.lease->deadline_us, clock_.NowMicros() + kStudyLeaseMs * 1000);
  EXPECT_EQ(ReapAfterMinutes(1), 1);
}

TEST_F(AskedLeaseTest, HeartbeatWithADurationRenewsForThatLongAndWithoutNeverShortens) {
  const LeaseKey key = KeyOf(*manager_->Ask("s", "notebook", kTwoHoursMs));
  const int64_t two_hours_deadline = DeadlineOf(0);

  // A plain heartbeat or report would give the study's 60 s: the longer lease stands.
  clock_.AdvanceMicros(kMinuteUs);
  EXPECT_EQ(manager_->Heartbeat("s", 0, key)->lease.deadline_us, two_hours_deadline);
  EXPECT_TRUE(manager_->ReportIntermediate("s", 0, key, 0, 1.5, {}).ok());
  EXPECT_EQ(DeadlineOf(0), two_hours_deadline);

  // With a duration: that long from now, longer or shorter.
  clock_.AdvanceMicros(100 * kMinuteUs);
  HeartbeatResult longer = *manager_->Heartbeat("s", 0, key, 3 * 3600 * 1000);
  EXPECT_FALSE(longer.stop);
  EXPECT_EQ(longer.lease.deadline_us, clock_.NowMicros() + 3LL * 3600 * 1'000'000);
  EXPECT_EQ(longer.lease.token, key.token);
  EXPECT_EQ(DeadlineOf(0), longer.lease.deadline_us);  // stored, not only answered
  EXPECT_EQ(ReapAfterMinutes(179), 0);
  EXPECT_EQ(manager_->Heartbeat("s", 0, key, 2000)->lease.deadline_us,
            clock_.NowMicros() + 2'000'000);
  clock_.AdvanceMicros(2'000'000);
  EXPECT_EQ(*manager_->ReapExpiredLeases(), 1);
  EXPECT_EQ(manager_->GetTrial("s", 0)->state, TrialState::kFail);
}

// The asked deadline is stored: a restarted coordinator keeps it (not only its 60 s of grace).
TEST_F(AskedLeaseTest, AskedLeaseSurvivesARestart) {
  const LeaseKey key = KeyOf(*manager_->Ask("s", "notebook", kTwoHoursMs));
  manager_.reset();
  manager_ = *StudyManager::Create(storage_.get(), &clock_);
  EXPECT_EQ(ReapAfterMinutes(90), 0);
  EXPECT_TRUE(manager_->Heartbeat("s", 0, key).ok());
  EXPECT_EQ(ReapAfterMinutes(31), 1);
}

// A worker's lease renews the same way (the Python worker heart-beats with a duration).
TEST_F(AskedLeaseTest, WorkerLeaseRenewsForAGivenDuration) {
  std::optional<LeasedTrial> leased = *manager_->LeaseTrial("py-worker", {}, NoWait());
  ASSERT_TRUE(leased.has_value());
  EXPECT_EQ(leased->trial.lease->deadline_us, clock_.NowMicros() + kStudyLeaseMs * 1000);
  EXPECT_EQ(manager_->Heartbeat("s", 0, KeyOf(*leased), kTwoHoursMs)->lease.deadline_us,
            clock_.NowMicros() + kTwoHoursMs * 1000);
  EXPECT_EQ(ReapAfterMinutes(90), 0);
}

TEST_F(AskedLeaseTest, DurationsOutsideOneSecondToSevenDaysNameTheField) {
  for (const int64_t ms : {int64_t{-1}, int64_t{0}, kMinAskedLeaseMs - 1,
                           limits::kMaxLeaseDurationMs + 1, INT64_MAX}) {
    SCOPED_TRACE(ms);
    absl::Status asked = manager_->Ask("s", "c", ms).status();
    EXPECT_EQ(asked.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(asked.message()), HasSubstr("lease_duration_ms"));
    EXPECT_THAT(std::string(asked.message()), HasSubstr(std::to_string(ms)));
  }
  EXPECT_EQ(manager_->ListTrials("s")->size(), 0u);  // no refused ask took a trial

  const LeaseKey key = KeyOf(*manager_->Ask("s", "c", kMinAskedLeaseMs));
  const int64_t deadline = DeadlineOf(0);
  EXPECT_EQ(deadline, clock_.NowMicros() + kMinAskedLeaseMs * 1000);
  absl::Status beat = manager_->Heartbeat("s", 0, key, kMinAskedLeaseMs - 1).status();
  EXPECT_EQ(beat.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(beat.message()), HasSubstr("lease_duration_ms"));
  EXPECT_EQ(DeadlineOf(0), deadline);  // the refused heartbeat renewed nothing
  EXPECT_EQ(manager_->Heartbeat("s", 0, key, limits::kMaxLeaseDurationMs)->lease.deadline_us,
            clock_.NowMicros() + limits::kMaxLeaseDurationMs * 1000);
}

// FinishRequest::told_by: "" names the lease holder, a name is kept, nullopt records nothing.
TEST_F(AskedLeaseTest, TellRecordsWhoToldIt) {
  ASSERT_TRUE(manager_->Ask("s", "notebook-1").ok());
  ASSERT_TRUE(manager_->Ask("s", "notebook-2").ok());
  FinishRequest by_holder{TrialState::kComplete, {1.0}};
  by_holder.told_by = "";
  FinishRequest by_name{TrialState::kFail};
  by_name.told_by = "cli:alice@lab";
  EXPECT_EQ(manager_->FinishTrial("s", 0, by_holder)->system_attrs.at("told_by"), "\"notebook-1\"");
  EXPECT_EQ(manager_->FinishTrial("s", 1, by_name)->system_attrs.at("told_by"),
            "\"cli:alice@lab\"");
  EXPECT_EQ(manager_->GetTrial("s", 1)->system_attrs.at("told_by"), "\"cli:alice@lab\"");

  std::optional<LeasedTrial> worker = *manager_->LeaseTrial("gpu-3", {}, NoWait());
  ASSERT_TRUE(worker.has_value());
  FinishRequest completed{TrialState::kComplete, {2.0}, {}, KeyOf(*worker)};  // CompleteTrial
  EXPECT_FALSE(manager_->FinishTrial("s", 2, completed)->system_attrs.contains("told_by"));
}

// Issue 15 acceptance 2: a Python worker and a C++ worker on one server each get only their kind.
TEST_F(AskedLeaseTest, PythonStudiesGoOnlyToWorkersListingPython) {
  ASSERT_TRUE(manager_->CreateStudy(Spec("py", kPythonTask)).ok());
  ASSERT_TRUE(manager_->CreateStudy(Spec("bert", R"({"kind": "bert-classify"})")).ok());
  const LeaseFilter python{{"python"}, {}};
  const LeaseFilter cpp_worker{{"bert-classify"}, {}};  // what nasq-worker sends
  for (int i = 0; i < 4; ++i) {
    std::optional<LeasedTrial> py = *manager_->LeaseTrial("py", python, NoWait());
    ASSERT_TRUE(py.has_value());
    EXPECT_EQ(py->study, "py");
    EXPECT_EQ(py->task_json, kPythonTask);
    std::optional<LeasedTrial> bert = *manager_->LeaseTrial("cpp", cpp_worker, NoWait());
    ASSERT_TRUE(bert.has_value());
    EXPECT_EQ(bert->study, "bert");
  }
  // Study "s" has no kind: neither filter takes it.
  EXPECT_EQ(manager_->ListTrials("s")->size(), 0u);
  // Killing the Python worker (its lease expires) re-queues its trial for the next Python worker.
  StudySpec retried = Spec("py-retry", kPythonTask);
  retried.max_retries = 1;
  ASSERT_TRUE(manager_->CreateStudy(retried).ok());
  const LeaseFilter only_retry{{"python"}, {"py-retry"}};
  const int64_t number = (*manager_->LeaseTrial("py-dead", only_retry, NoWait()))->trial.number;
  ReapAfterMinutes(2);
  EXPECT_EQ(manager_->GetTrial("py-retry", number)->state, TrialState::kWaiting);
  EXPECT_FALSE(
      manager_->LeaseTrial("cpp", {{"bert-classify"}, {"py-retry"}}, NoWait())->has_value());
  EXPECT_EQ((*manager_->LeaseTrial("py-new", only_retry, NoWait()))->trial.number, number);
}

// The same over the wire: the RPC adapters pass the durations, client_id and task kinds through.
class AskedLeaseRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.max_lease_wait_ms = 100;
    auto server = NasqServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ClientOptions client_options;
    client_options.client_id = "notebook";
    client_ = std::make_unique<NasqClient>(address(), client_options);
    ASSERT_TRUE(client_->CreateStudy(Spec("s")).ok());
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(server_->grpc_port()); }

  // Microseconds from now until `expire_time`.
  static int64_t MicrosUntil(const google::protobuf::Timestamp& expire_time) {
    return TimestampToMicros(expire_time) - RealClock::Default()->NowMicros();
  }

  std::unique_ptr<NasqServer> server_;
  std::unique_ptr<NasqClient> client_;
};

TEST_F(AskedLeaseRpcTest, AskAndHeartbeatCarryTheLeaseDuration) {
  constexpr int64_t kSlackUs = 60'000'000;  // the call's own time, generously
  const v1::Trial asked = *client_->Ask("s", kTwoHoursMs);
  EXPECT_EQ(asked.lease().worker_id(), "notebook");
  EXPECT_GT(MicrosUntil(asked.lease().expire_time()), kTwoHoursMs * 1000 - kSlackUs);
  EXPECT_LE(MicrosUntil(asked.lease().expire_time()), kTwoHoursMs * 1000);

  v1::HeartbeatRequest beat;
  beat.set_name(asked.name());
  beat.set_epoch(asked.lease().epoch());
  beat.set_lease_token(asked.lease().token());
  beat.set_lease_duration_ms(3 * kTwoHoursMs);
  const v1::HeartbeatResponse renewed = *client_->Heartbeat(beat);
  EXPECT_FALSE(renewed.stop());
  EXPECT_GT(MicrosUntil(renewed.lease().expire_time()), 3 * kTwoHoursMs * 1000 - kSlackUs);
  beat.clear_lease_duration_ms();  // the study's 60 s would be shorter: unchanged
  EXPECT_EQ(TimestampToMicros(client_->Heartbeat(beat)->lease().expire_time()),
            TimestampToMicros(renewed.lease().expire_time()));

  beat.set_lease_duration_ms(999);
  absl::Status short_beat = client_->Heartbeat(beat).status();
  EXPECT_EQ(short_beat.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(short_beat.message()), HasSubstr("lease_duration_ms"));
  absl::Status long_ask = client_->Ask("s", limits::kMaxLeaseDurationMs + 1).status();
  EXPECT_EQ(long_ask.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(long_ask.message()), HasSubstr("lease_duration_ms"));
}

TEST_F(AskedLeaseRpcTest, TellRecordsTheClientIdElseTheLeaseHolder) {
  auto stub = v1::StudyService::NewStub(NasqClient::Connect(address()));
  v1::AskRequest ask;
  ask.set_parent("studies/s");
  ask.set_client_id("holder-7");
  v1::Trial by_holder;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub->Ask(&context, ask, &by_holder).ok());
  }
  // NasqClient sends its client_id with every Tell.
  absl::StatusOr<v1::Trial> by_client =
      client_->Tell("s", by_holder.number(), v1::TRIAL_STATE_FAIL, {});
  ASSERT_TRUE(by_client.ok()) << by_client.status();
  EXPECT_EQ(by_client->system_attrs().at("told_by"), "\"notebook\"");

  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub->Ask(&context, ask, &by_holder).ok());
  }
  v1::TellRequest tell;
  tell.set_name(by_holder.name());
  tell.add_values(2.0);
  tell.set_client_id(std::string(limits::kMaxIdBytes + 1, 'c'));
  v1::Trial told;
  {
    grpc::ClientContext context;
    const grpc::Status refused = stub->Tell(&context, tell, &told);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(refused.error_message(), HasSubstr("client_id"));
  }
  tell.clear_client_id();  // as a client that names nobody: the lease holder
  grpc::ClientContext context;
  ASSERT_TRUE(stub->Tell(&context, tell, &told).ok());
  EXPECT_EQ(told.system_attrs().at("told_by"), "\"holder-7\"");
}

// TellRequest.fail_reason: stored as system attr "fail_reason" with state FAIL (with told_by),
// refused with any other state and past 16 KiB.
TEST_F(AskedLeaseRpcTest, TellStoresAFailReasonOnlyWithStateFail) {
  auto stub = v1::StudyService::NewStub(NasqClient::Connect(address()));
  const v1::Trial asked = *client_->Ask("s");
  v1::TellRequest tell;
  tell.set_name(asked.name());
  tell.set_client_id("notebook");
  tell.set_fail_reason("ValueError: boom");
  v1::Trial told;
  for (v1::TrialState state : {v1::TRIAL_STATE_COMPLETE, v1::TRIAL_STATE_UNSPECIFIED}) {
    tell.set_state(state);
    tell.clear_values();
    tell.add_values(1.0);
    grpc::ClientContext context;
    const grpc::Status refused = stub->Tell(&context, tell, &told);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(refused.error_message(), HasSubstr("fail_reason: only with state FAIL"));
  }
  tell.clear_values();
  tell.set_state(v1::TRIAL_STATE_FAIL);
  tell.set_fail_reason(std::string(limits::kMaxReasonBytes + 1, 'r'));
  {
    grpc::ClientContext context;
    const grpc::Status refused = stub->Tell(&context, tell, &told);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(refused.error_message(), HasSubstr("fail_reason"));
  }
  tell.set_fail_reason("ValueError: boom");
  grpc::ClientContext context;
  ASSERT_TRUE(stub->Tell(&context, tell, &told).ok());
  EXPECT_EQ(told.state(), v1::TRIAL_STATE_FAIL);
  EXPECT_EQ(told.system_attrs().at("fail_reason"), "\"ValueError: boom\"");
  EXPECT_EQ(told.system_attrs().at("told_by"), "\"notebook\"");
}

// CreateStudy stores a python task unchecked (no validator knows the kind) and LeaseTrial
// matches it against the worker's capabilities.
TEST_F(AskedLeaseRpcTest, PythonTaskIsStoredUncheckedAndLeasedByKind) {
  const v1::Study created = *client_->CreateStudy(Spec("py", kPythonTask));
  EXPECT_EQ(created.spec().task_json(), kPythonTask);
  v1::LeaseTrialRequest request;
  request.set_worker_id("cpp");
  request.mutable_capabilities()->add_task_kinds("bert-classify");
  EXPECT_FALSE(client_->LeaseTrial(request)->has_trial());
  request.set_worker_id("py");
  request.mutable_capabilities()->set_task_kinds(0, "python");
  const v1::LeaseTrialResponse leased = *client_->LeaseTrial(request);
  ASSERT_TRUE(leased.has_trial());
  EXPECT_EQ(leased.study(), "studies/py");
  EXPECT_EQ(leased.task().fields().at("fn").string_value(), "train:main");
}

}  // namespace
}  // namespace nasq

// Tests of server/worker_registry.h: the registry with a FakeClock, WorkersJson over a
// StudyManager, and the WorkerService calls that record workers on a real NasqServer.
#include "server/worker_registry.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nasq/v1/study_service.grpc.pb.h"
#include "nasq/v1/worker_service.grpc.pb.h"
#include "server/nasq_server.h"
#include "storage/memory_storage.h"
#include "tests/server/no_wait.h"

namespace nasq {
namespace {

using Json = nlohmann::json;

StudySpec RandomSpec(const std::string& name) {
  StudySpec spec;
  spec.name = name;
  spec.directions = {StudyDirection::kMinimize};
  spec.space = *SearchSpace::Create({{"x", FloatDistribution{-1.0, 1.0, false, std::nullopt}, {}}});
  spec.sampler.kind = SamplerKind::kRandom;
  spec.lease_duration_ms = 60'000;
  spec.heartbeat_interval_ms = 100;
  return spec;
}

TEST(WorkerRegistry, RecordsFirstAndLastSeenAndKeepsTheLeasedLabels) {
  FakeClock clock;
  WorkerRegistry registry(&clock);
  const int64_t t0 = clock.NowMicros();
  registry.RecordLease("gpu-1", {{"device", "cuda:0"}});
  clock.AdvanceMicros(5'000'000);
  registry.RecordCall("gpu-1");  // keeps the labels
  registry.RecordCall("cpu-2");  // new, no labels yet
  registry.RecordCall("");       // ignored
  registry.RecordLease("", {{"a", "b"}});

  std::vector<WorkerRecord> workers = registry.Workers(clock.NowMicros());
  ASSERT_EQ(workers.size(), 2u);
  EXPECT_EQ(workers[0].id, "cpu-2");
  EXPECT_TRUE(workers[0].labels.empty());
  EXPECT_EQ(workers[0].first_seen_us, t0 + 5'000'000);
  EXPECT_EQ(workers[1].id, "gpu-1");
  EXPECT_EQ(workers[1].labels, (WorkerLabels{{"device", "cuda:0"}}));
  EXPECT_EQ(workers[1].first_seen_us, t0);
  EXPECT_EQ(workers[1].last_seen_us, t0 + 5'000'000);

  registry.RecordLease("gpu-1", {{"device", "cuda:1"}});  // labels replaced
  EXPECT_EQ(registry.Workers(clock.NowMicros())[1].labels, (WorkerLabels{{"device", "cuda:1"}}));
}

TEST(WorkerRegistry, AWorkerUnseenForAnHourIsDropped) {
  FakeClock clock;
  WorkerRegistry registry(&clock);
  registry.RecordCall("old");
  clock.AdvanceMicros(kForgetWorkerAfterUs - 1);
  registry.RecordCall("young");
  EXPECT_EQ(registry.Workers(clock.NowMicros()).size(), 2u) << "not yet an hour";
  clock.AdvanceMicros(1);
  std::vector<WorkerRecord> workers = registry.Workers(clock.NowMicros());
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_EQ(workers[0].id, "young");
  // Seen again after being dropped: a new first sighting.
  registry.RecordCall("old");
  workers = registry.Workers(clock.NowMicros());
  ASSERT_EQ(workers.size(), 2u);
  EXPECT_EQ(workers[0].id, "old");
  EXPECT_EQ(workers[0].first_seen_us, clock.NowMicros());
}

TEST(WorkersJson, ListsEachWorkerWithTheTrialsItsLeasesHoldNow) {
  FakeClock clock;
  std::unique_ptr<Storage> storage = NewMemoryStorage();
  std::unique_ptr<StudyManager> manager = *StudyManager::Create(storage.get(), &clock);
  ASSERT_TRUE(manager->CreateStudy(RandomSpec("b")).ok());
  ASSERT_TRUE(manager->CreateStudy(RandomSpec("a")).ok());
  WorkerRegistry registry(&clock);

  registry.RecordLease("w1", {{"gpu", "H100"}});
  const int64_t since_a = clock.NowMicros();
  LeasedTrial in_a = **manager->LeaseTrial("w1", {.studies = {"a"}}, NoWait());
  clock.AdvanceMicros(1000);
  const int64_t since_b = clock.NowMicros();
  LeasedTrial in_b = **manager->LeaseTrial("w1", {.studies = {"b"}}, NoWait());
  ASSERT_TRUE(manager
                  ->ReportIntermediate("b", in_b.trial.number,
                                       {in_b.trial.lease->epoch, in_b.trial.lease->token}, 3, 0.5,
                                       {})
                  .ok());
  LeasedTrial done = **manager->LeaseTrial("w1", {.studies = {"a"}}, NoWait());
  FinishRequest finish;
  finish.values = {1.0};
  finish.lease = LeaseKey{done.trial.lease->epoch, done.trial.lease->token};
  ASSERT_TRUE(manager->FinishTrial("a", done.trial.number, finish).ok());  // no longer held
  ASSERT_TRUE(manager->Ask("a", "w1").ok());  // an asked lease under the same id: not a worker's
  registry.RecordCall("idle");
  clock.AdvanceMicros(2'500'000);

  const Json got = WorkersJson(registry, *manager, clock.NowMicros());
  const Json want = {{"now_us", clock.NowMicros()},
                     {"workers",
                      {{{"id", "idle"},
                        {"labels", Json::object()},
                        {"first_seen_us", since_b},
                        {"last_seen_us", since_b},
                        {"heartbeat_age_ms", 2500},
                        {"running", Json::array()}},
                       {{"id", "w1"},
                        {"labels", {{"gpu", "H100"}}},
                        {"first_seen_us", since_a},
                        {"last_seen_us", since_a},
                        {"heartbeat_age_ms", 2501},
                        {"running",
                         {{{"study", "a"},
                           {"number", in_a.trial.number},
                           {"since_us", since_a},
                           {"last_step", nullptr}},
                          {{"study", "b"},
                           {"number", in_b.trial.number},
                           {"since_us", since_b},
                           {"last_step", 3}}}}}}}};
  EXPECT_EQ(got, want) << got.dump(2);
}

// The WorkerService calls record their worker: LeaseTrial (also with nothing to lease),
// Heartbeat and ReportIntermediate under a worker's lease, CompleteTrial; not an asked lease.
class WorkerServiceRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.max_lease_wait_ms = 50;
    auto server = NasqServer::Start(options, &clock_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                       grpc::InsecureChannelCredentials());
    workers_ = v1::WorkerService::NewStub(channel);
  }

  v1::LeaseTrialResponse Lease(const std::string& worker_id) {
    grpc::ClientContext context;
    v1::LeaseTrialRequest request;
    request.set_worker_id(worker_id);
    (*request.mutable_capabilities()->mutable_labels())["device"] = "cuda:0";
    v1::LeaseTrialResponse leased;
    grpc::Status status = workers_->LeaseTrial(&context, request, &leased);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return leased;
  }
  grpc::Status Heartbeat(const std::string& name, const v1::Lease& lease) {
    grpc::ClientContext context;
    v1::HeartbeatRequest request;
    request.set_name(name);
    request.set_epoch(lease.epoch());
    request.set_lease_token(lease.token());
    v1::HeartbeatResponse response;
    return workers_->Heartbeat(&context, request, &response);
  }
  // The registry's record of `id`; nullopt when it has none.
  std::optional<WorkerRecord> Record(const std::string& id) {
    for (const WorkerRecord& r : server_->workers().Workers(clock_.NowMicros())) {
      if (r.id == id) return r;
    }
    return std::nullopt;
  }

  FakeClock clock_;
  std::unique_ptr<NasqServer> server_;
  std::unique_ptr<v1::WorkerService::Stub> workers_;
};

TEST_F(WorkerServiceRegistryTest, EveryWorkerCallRecordsItsWorker) {
  const int64_t t0 = clock_.NowMicros();
  EXPECT_FALSE(Lease("gpu-1").has_trial()) << "no study yet";
  ASSERT_TRUE(Record("gpu-1").has_value()) << "recorded although nothing was leased";
  EXPECT_EQ(Record("gpu-1")->labels, (WorkerLabels{{"device", "cuda:0"}}));
  EXPECT_EQ(Record("gpu-1")->first_seen_us, t0);

  ASSERT_TRUE(server_->manager().CreateStudy(RandomSpec("s")).ok());
  clock_.AdvanceMicros(1000);
  v1::LeaseTrialResponse leased = Lease("gpu-1");
  ASSERT_TRUE(leased.has_trial());
  EXPECT_EQ(Record("gpu-1")->last_seen_us, t0 + 1000);

  clock_.AdvanceMicros(1000);
  ASSERT_TRUE(Heartbeat(leased.trial().name(), leased.lease()).ok());
  EXPECT_EQ(Record("gpu-1")->last_seen_us, t0 + 2000);

  clock_.AdvanceMicros(1000);
  {
    grpc::ClientContext context;
    v1::ReportIntermediateRequest request;
    request.set_name(leased.trial().name());
    request.set_epoch(leased.lease().epoch());
    request.set_lease_token(leased.lease().token());
    request.set_step(0);
    request.set_value(0.5);
    v1::ReportIntermediateResponse response;
    ASSERT_TRUE(workers_->ReportIntermediate(&context, request, &response).ok());
  }
  EXPECT_EQ(Record("gpu-1")->last_seen_us, t0 + 3000);

  clock_.AdvanceMicros(1000);
  {
    grpc::ClientContext context;
    v1::CompleteTrialRequest request;
    request.set_name(leased.trial().name());
    request.set_epoch(leased.lease().epoch());
    request.set_lease_token(leased.lease().token());
    request.add_values(0.1);
    v1::Trial completed;
    ASSERT_TRUE(workers_->CompleteTrial(&context, request, &completed).ok());
  }
  EXPECT_EQ(Record("gpu-1")->last_seen_us, t0 + 4000);
  EXPECT_EQ(Record("gpu-1")->labels, (WorkerLabels{{"device", "cuda:0"}}));

  // A client's asked lease heart-beats through WorkerService but is no worker.
  LeasedTrial asked = *server_->manager().Ask("s", "notebook");
  v1::Lease asked_lease;
  asked_lease.set_epoch(asked.trial.lease->epoch);
  asked_lease.set_token(asked.trial.lease->token);
  ASSERT_TRUE(
      Heartbeat("studies/s/trials/" + std::to_string(asked.trial.number), asked_lease).ok());
  EXPECT_FALSE(Record("notebook").has_value());

  // A refused call (stale lease) records nobody.
  v1::Lease stale = leased.lease();
  EXPECT_FALSE(Heartbeat(leased.trial().name(), stale).ok());
  EXPECT_EQ(server_->workers().Workers(clock_.NowMicros()).size(), 1u);
}

}  // namespace
}  // namespace nasq

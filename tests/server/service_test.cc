// Tests of the gRPC services and HTTP endpoint on an in-process NasqServer over loopback.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nasq/v1/study_service.grpc.pb.h"
#include "nasq/v1/worker_service.grpc.pb.h"
#include "server/nasq_server.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

v1::StudySpec RandomSpec(const std::string& name) {
  v1::StudySpec spec;
  spec.set_name(name);
  spec.add_directions(v1::STUDY_DIRECTION_MINIMIZE);
  spec.add_metric_names("loss");
  v1::ParamSpec* x = spec.mutable_space()->add_params();
  x->set_name("x");
  x->mutable_distribution()->mutable_float_distribution()->set_high(1.0);
  spec.mutable_sampler()->set_kind(v1::SAMPLER_KIND_RANDOM);
  spec.set_task_json(R"({"kind":"toy"})");
  return spec;
}

// A bert-classify study maximising `metric` over the int param `param` in [low, high].
v1::StudySpec BertSpec(const std::string& metric, const std::string& param, int64_t low,
                       int64_t high, const std::string& task_json) {
  v1::StudySpec spec;
  spec.set_name("bert");
  spec.add_directions(v1::STUDY_DIRECTION_MAXIMIZE);
  spec.add_metric_names(metric);
  v1::ParamSpec* p = spec.mutable_space()->add_params();
  p->set_name(param);
  p->mutable_distribution()->mutable_int_distribution()->set_low(low);
  p->mutable_distribution()->mutable_int_distribution()->set_high(high);
  spec.mutable_sampler()->set_kind(v1::SAMPLER_KIND_RANDOM);
  spec.set_task_json(task_json);
  return spec;
}

std::string HttpGet(int port, const std::string& target) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(request));
  std::string response;
  boost::system::error_code error;
  boost::asio::read(socket, boost::asio::dynamic_buffer(response), error);
  return response;
}

// A worker's report `Request` on trial `name` under the lease (epoch, token).
template <class Request>
Request OnLease(const std::string& name, int64_t epoch, const std::string& token) {
  Request request;
  request.set_name(name);
  request.set_epoch(epoch);
  request.set_lease_token(token);
  return request;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.max_lease_wait_ms = 200;
    StartServer(options);
  }

  void StartServer(ServerOptions options) {
    options.listen_address = "127.0.0.1:0";
    options.http_address = "127.0.0.1:0";
    server_.reset();
    auto server = NasqServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                       grpc::InsecureChannelCredentials());
    studies_ = v1::StudyService::NewStub(channel);
    workers_ = v1::WorkerService::NewStub(channel);
  }

  grpc::Status Create(const v1::StudySpec& spec, v1::Study* study) {
    grpc::ClientContext context;
    v1::CreateStudyRequest request;
    *request.mutable_spec() = spec;
    return studies_->CreateStudy(&context, request, study);
  }

  grpc::Status Tell(const std::string& trial, double value, v1::Trial* told) {
    grpc::ClientContext context;
    v1::TellRequest request;
    request.set_name(trial);
    request.add_values(value);
    return studies_->Tell(&context, request, told);
  }

  v1::Trial Ask(const std::string& study) {
    grpc::ClientContext context;
    v1::AskRequest request;
    request.set_parent("studies/" + study);
    v1::Trial trial;
    grpc::Status status = studies_->Ask(&context, request, &trial);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return trial;
  }

  v1::LeaseTrialResponse Lease(const std::string& worker_id) {
    grpc::ClientContext context;
    v1::LeaseTrialRequest request;
    request.set_worker_id(worker_id);
    v1::LeaseTrialResponse leased;
    grpc::Status status = workers_->LeaseTrial(&context, request, &leased);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(leased.has_trial());
    return leased;
  }

  grpc::Status SendTell(const v1::TellRequest& request, v1::Trial* told) {
    grpc::ClientContext context;
    return studies_->Tell(&context, request, told);
  }

  v1::Trial GetTrial(const std::string& name) {
    grpc::ClientContext context;
    v1::GetTrialRequest request;
    request.set_name(name);
    v1::Trial trial;
    grpc::Status status = studies_->GetTrial(&context, request, &trial);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return trial;
  }

  std::unique_ptr<NasqServer> server_;
  std::unique_ptr<v1::StudyService::Stub> studies_;
  std::unique_ptr<v1::WorkerService::Stub> workers_;
};

TEST_F(ServiceTest, MapsErrorsToGrpcStatusCodes) {
  v1::Study study;
  v1::StudySpec bad = RandomSpec("bad");
  bad.clear_directions();
  grpc::Status status = Create(bad, &study);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("spec."));

  ASSERT_TRUE(Create(RandomSpec("s"), &study).ok());
  EXPECT_EQ(study.name(), "studies/s");
  EXPECT_EQ(study.state(), v1::STUDY_STATE_RUNNING);
  EXPECT_EQ(Create(RandomSpec("s"), &study).error_code(), grpc::StatusCode::ALREADY_EXISTS);

  for (const auto& [name, code] : std::vector<std::pair<std::string, grpc::StatusCode>>{
           {"studies/missing", grpc::StatusCode::NOT_FOUND},
           {"missing", grpc::StatusCode::INVALID_ARGUMENT}}) {
    grpc::ClientContext context;
    v1::GetStudyRequest request;
    request.set_name(name);
    EXPECT_EQ(studies_->GetStudy(&context, request, &study).error_code(), code) << name;
  }

  v1::Trial trial = Ask("s");
  EXPECT_EQ(trial.name(), "studies/s/trials/0");
  EXPECT_EQ(trial.lease().epoch(), 1);
  v1::Trial told;
  ASSERT_TRUE(Tell(trial.name(), 0.5, &told).ok());
  EXPECT_EQ(told.state(), v1::TRIAL_STATE_COMPLETE);
  status = Tell(trial.name(), 0.5, &told);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "Cannot tell a COMPLETE trial.");

  grpc::ClientContext stop_context;
  v1::StopStudyRequest stop;
  stop.set_name("studies/s");
  ASSERT_TRUE(studies_->StopStudy(&stop_context, stop, &study).ok());
  EXPECT_EQ(study.state(), v1::STUDY_STATE_STOPPED);
  EXPECT_EQ(study.trial_counts().complete(), 1);
  grpc::ClientContext ask_context;
  v1::AskRequest ask;
  ask.set_parent("studies/s");
  EXPECT_EQ(studies_->Ask(&ask_context, ask, &trial).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// CreateStudy checks a bert-classify task against its space and metrics (the cases of issue 12,
// finding 5, and shorter forms of the label and layer index that used to crash workers; the
// 100,000-character forms are tested in tests/task), naming the field.
TEST_F(ServiceTest, CreateStudyRefusesBertTasksWorkersCannotRun) {
  const std::string train = R"({"kind": "bert-classify", "stages": [{"stage": "train"}]})";
  struct Case {
    v1::StudySpec spec;
    std::string message;
  };
  const std::vector<Case> cases = {
      {BertSpec("acuracy", "num_layers", 1, 2, train),
       "metric_names[0] 'acuracy' is not produced by the task; it produces: accuracy, f1, loss"},
      {BertSpec("accuracy", "num_layerz", 1, 2, train),
       "space.params.num_layerz: binds to no task field"},
      {BertSpec("accuracy", "num_layers", 1, 300, train),
       "space.params.num_layers: expected an integer in [1, 256], got 300"},
      {BertSpec("accuracy", "prune.seed", 1, 2, train),
       "space.params.prune.seed: the task has no prune stage"},
      {BertSpec("accuracy", "num_layers", 1, 2,
                R"({"kind": "bert-classify", "stages": [{"stage": "train"},
                    {"stage": "finetune", "warmup": 10}]})"),
       "task.stages[1].warmup: unknown field"},
      {BertSpec("accuracy", "num_layers", 1, 2,
                R"({"kind": "bert-classify", "stages": [{"stage": "evaluate", "label": ")" +
                    std::string(1'000, 'a') + R"("}]})"),
       "task.stages[0].label: expected 1 to 64 lower-case letters, digits and _"},
      {BertSpec("accuracy", "num_layers", 1, 2,
                R"({"kind": "bert-classify", "stages": [{"stage": "quantise", "layers":
                    {"layer)" +
                    std::string(1'000, '1') + R"(.output.dense": {"width": 4}}}]})"),
       "task.stages[0].layers.layer1111"},
  };
  for (const Case& c : cases) {
    v1::Study study;
    const grpc::Status status = Create(c.spec, &study);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.message;
    EXPECT_THAT(status.error_message(), HasSubstr(c.message));
  }
  v1::ListStudiesResponse none;
  grpc::ClientContext list_context;
  ASSERT_TRUE(studies_->ListStudies(&list_context, v1::ListStudiesRequest(), &none).ok());
  EXPECT_EQ(none.studies_size(), 0);
}

// A valid bert-classify study, an ask/tell study with an empty task and a study of a task kind
// no validator knows (a custom worker's) are all created.
TEST_F(ServiceTest, CreateStudyAcceptsValidTasksAndUncheckedKinds) {
  const std::vector<std::pair<std::string, v1::StudySpec>> cases = {
      {"bert", BertSpec("accuracy_final", "num_layers", 1, 4,
                        R"({"kind": "bert-classify", "stages": [{"stage": "train"},
                            {"stage": "evaluate", "label": "final"}]})")},
      {"asktell", BertSpec("loss", "x", 0, 10, "{}")},
      {"custom", BertSpec("loss", "x", 0, 10, R"({"kind": "toy", "anything": [1]})")},
  };
  for (auto [name, spec] : cases) {
    spec.set_name(name);
    v1::Study study;
    const grpc::Status status = Create(spec, &study);
    EXPECT_TRUE(status.ok()) << name << ": " << status.error_message();
  }
}

TEST_F(ServiceTest, WorkerProtocolFencesStaleEpochs) {
  v1::Study study;
  ASSERT_TRUE(Create(RandomSpec("w"), &study).ok());
  v1::LeaseTrialResponse leased;
  {
    grpc::ClientContext context;
    v1::LeaseTrialRequest request;
    request.set_worker_id("gpu0");
    request.mutable_capabilities()->add_task_kinds("toy");
    ASSERT_TRUE(workers_->LeaseTrial(&context, request, &leased).ok());
  }
  ASSERT_TRUE(leased.has_trial());
  EXPECT_EQ(leased.study(), "studies/w");
  EXPECT_EQ(leased.task().fields().at("kind").string_value(), "toy");
  EXPECT_EQ(leased.lease().worker_id(), "gpu0");
  const std::string name = leased.trial().name();
  {
    grpc::ClientContext context;
    v1::ReportIntermediateRequest request;
    request.set_name(name);
    request.set_epoch(leased.lease().epoch());
    request.set_lease_token(leased.lease().token());
    request.set_step(1);
    request.set_value(0.3);
    v1::ReportIntermediateResponse response;
    ASSERT_TRUE(workers_->ReportIntermediate(&context, request, &response).ok());
    EXPECT_FALSE(response.stop());
  }
  {
    grpc::ClientContext context;
    v1::HeartbeatRequest request;
    request.set_name(name);
    request.set_epoch(leased.lease().epoch() + 1);
    v1::HeartbeatResponse response;
    EXPECT_EQ(workers_->Heartbeat(&context, request, &response).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  v1::Trial done;
  {
    grpc::ClientContext context;
    v1::CompleteTrialRequest request;
    request.set_name(name);
    request.set_epoch(leased.lease().epoch());
    request.set_lease_token(leased.lease().token());
    (*request.mutable_metrics())["loss"] = 0.125;
    ASSERT_TRUE(workers_->CompleteTrial(&context, request, &done).ok());
  }
  EXPECT_EQ(done.state(), v1::TRIAL_STATE_COMPLETE);
  ASSERT_EQ(done.values_size(), 1);
  EXPECT_EQ(done.values(0), 0.125);
  EXPECT_EQ(done.intermediate_values().at(1), 0.3);

  // No other kind of work exists: the long poll ends empty at the server's maximum wait.
  grpc::ClientContext context;
  v1::LeaseTrialRequest request;
  request.set_worker_id("gpu0");
  request.mutable_capabilities()->add_task_kinds("other");
  v1::LeaseTrialResponse none;
  ASSERT_TRUE(workers_->LeaseTrial(&context, request, &none).ok());
  EXPECT_FALSE(none.has_trial());
}

// Every worker report must carry the lease's token, not only its (guessable) epoch; readers
// never see a token.
// Issue 14 (pruners) over the wire: a threshold pruner answers prune (not stop) to a report out
// of bounds; CompleteTrial(state PRUNED) ends the trial PRUNED with its last value and metrics;
// CompleteTrial refuses states other than COMPLETE and PRUNED, naming the field.
TEST_F(ServiceTest, WorkerEndsAPrunedTrialPruned) {
  v1::StudySpec spec = RandomSpec("p");
  spec.mutable_pruner()->set_kind(v1::PRUNER_KIND_THRESHOLD);
  spec.mutable_pruner()->mutable_threshold()->set_upper(1.0);
  v1::Study study;
  ASSERT_TRUE(Create(spec, &study).ok());
  v1::LeaseTrialResponse leased;
  {
    grpc::ClientContext context;
    v1::LeaseTrialRequest request;
    request.set_worker_id("gpu0");
    ASSERT_TRUE(workers_->LeaseTrial(&context, request, &leased).ok());
  }
  ASSERT_TRUE(leased.has_trial());
  const auto report = [&](double value) {
    grpc::ClientContext context;
    v1::ReportIntermediateRequest request;
    request.set_name(leased.trial().name());
    request.set_epoch(leased.lease().epoch());
    request.set_lease_token(leased.lease().token());
    request.set_step(static_cast<int64_t>(value * 10));
    request.set_value(value);
    v1::ReportIntermediateResponse response;
    EXPECT_TRUE(workers_->ReportIntermediate(&context, request, &response).ok());
    EXPECT_FALSE(response.stop());
    return response.prune();
  };
  EXPECT_FALSE(report(0.5));
  EXPECT_TRUE(report(2.5));
  const auto complete = [&](v1::TrialState state, v1::Trial* trial) {
    grpc::ClientContext context;
    v1::CompleteTrialRequest request;
    request.set_name(leased.trial().name());
    request.set_epoch(leased.lease().epoch());
    request.set_lease_token(leased.lease().token());
    request.set_state(state);
    (*request.mutable_metrics())["model_size_bytes"] = 42;
    return workers_->CompleteTrial(&context, request, trial);
  };
  v1::Trial trial;
  const grpc::Status failed = complete(v1::TRIAL_STATE_FAIL, &trial);
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(failed.error_message(), HasSubstr("state: must be COMPLETE or PRUNED"));
  ASSERT_TRUE(complete(v1::TRIAL_STATE_PRUNED, &trial).ok());
  EXPECT_EQ(trial.state(), v1::TRIAL_STATE_PRUNED);
  ASSERT_EQ(trial.values_size(), 1);
  EXPECT_EQ(trial.values(0), 2.5);
  EXPECT_EQ(trial.intermediate_values().size(), 2u);
  EXPECT_THAT(trial.user_attrs().at("metrics"), HasSubstr("model_size_bytes"));
}

// Outcome constraints travel on Tell and CompleteTrial, come back as system attrs
// "constraints:<name>" and decide BestTrials; NaN or infinite ones are refused naming the field
// and leave the trial RUNNING.
TEST_F(ServiceTest, TellAndCompleteTrialStoreOutcomeConstraints) {
  v1::Study study;
  ASSERT_TRUE(Create(RandomSpec("c"), &study).ok());
  v1::TellRequest tell;
  tell.set_name(Ask("c").name());
  tell.add_values(0.1);  // the better value, but infeasible
  (*tell.mutable_constraints())["memory_mb"] = 12.5;
  (*tell.mutable_constraints())["latency_ms"] = -3;
  v1::Trial told;
  ASSERT_TRUE(SendTell(tell, &told).ok());
  EXPECT_EQ(told.system_attrs().at("constraints:memory_mb"), "12.5");
  EXPECT_EQ(GetTrial(tell.name()).system_attrs().at("constraints:latency_ms"), "-3.0");

  const v1::LeaseTrialResponse leased = Lease("gpu0");
  auto complete = OnLease<v1::CompleteTrialRequest>(leased.trial().name(), leased.lease().epoch(),
                                                    leased.lease().token());
  complete.add_values(0.9);
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    (*complete.mutable_constraints())["memory_mb"] = bad;
    grpc::ClientContext context;
    v1::Trial trial;
    const grpc::Status refused = workers_->CompleteTrial(&context, complete, &trial);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(refused.error_message(), HasSubstr("constraints.memory_mb: a constraint value"));
  }
  EXPECT_EQ(GetTrial(leased.trial().name()).state(), v1::TRIAL_STATE_RUNNING);
  (*complete.mutable_constraints())["memory_mb"] = 0;  // <= 0: feasible
  {
    grpc::ClientContext context;
    v1::Trial trial;
    ASSERT_TRUE(workers_->CompleteTrial(&context, complete, &trial).ok());
    EXPECT_EQ(trial.system_attrs().at("constraints:memory_mb"), "0.0");
  }
  grpc::ClientContext context;
  v1::BestTrialsRequest request;
  request.set_parent("studies/c");
  v1::BestTrialsResponse best;
  ASSERT_TRUE(studies_->BestTrials(&context, request, &best).ok());
  ASSERT_EQ(best.trials_size(), 1);
  EXPECT_EQ(best.trials(0).name(), leased.trial().name());  // the feasible one
}

TEST_F(ServiceTest, WorkerReportsNeedTheLeaseToken) {
  v1::Study study;
  ASSERT_TRUE(Create(RandomSpec("t"), &study).ok());
  const v1::LeaseTrialResponse leased = Lease("gpu0");
  const std::string& token = leased.lease().token();
  ASSERT_EQ(token.size(), 32u);
  const std::string name = leased.trial().name();
  const int64_t epoch = leased.lease().epoch();
  EXPECT_TRUE(leased.trial().lease().token().empty());
  EXPECT_TRUE(GetTrial(name).lease().token().empty());
  EXPECT_EQ(GetTrial(name).lease().epoch(), epoch);

  for (const std::string& wrong : {std::string(), std::string(32, 'a')}) {
    grpc::ClientContext c1, c2, c3, c4;
    v1::HeartbeatResponse beat;
    EXPECT_EQ(workers_->Heartbeat(&c1, OnLease<v1::HeartbeatRequest>(name, epoch, wrong), &beat)
                  .error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
    v1::ReportIntermediateResponse report;
    EXPECT_EQ(workers_
                  ->ReportIntermediate(
                      &c2, OnLease<v1::ReportIntermediateRequest>(name, epoch, wrong), &report)
                  .error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
    auto complete = OnLease<v1::CompleteTrialRequest>(name, epoch, wrong);
    complete.add_values(0.5);
    v1::Trial trial;
    EXPECT_EQ(workers_->CompleteTrial(&c3, complete, &trial).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(workers_->FailTrial(&c4, OnLease<v1::FailTrialRequest>(name, epoch, wrong), &trial)
                  .error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  EXPECT_EQ(GetTrial(name).state(), v1::TRIAL_STATE_RUNNING);

  grpc::ClientContext context;
  v1::HeartbeatResponse renewed;
  ASSERT_TRUE(
      workers_->Heartbeat(&context, OnLease<v1::HeartbeatRequest>(name, epoch, token), &renewed)
          .ok());
  EXPECT_EQ(renewed.lease().token(), token);
}

// ReleaseTrial over the wire: fenced like Heartbeat (stale epoch, wrong token: nothing changes),
// bounded reason, and a release re-queues the trial at once for the next worker.
TEST_F(ServiceTest, ReleaseTrialRequeuesAFencedLeaseAtOnce) {
  v1::Study study;
  ASSERT_TRUE(Create(RandomSpec("r"), &study).ok());
  const v1::LeaseTrialResponse leased = Lease("gpu0");
  const std::string name = leased.trial().name();
  const int64_t epoch = leased.lease().epoch();
  const std::string& token = leased.lease().token();
  auto release = [&](v1::ReleaseTrialRequest request, v1::Trial* trial) {
    grpc::ClientContext context;
    return workers_->ReleaseTrial(&context, request, trial);
  };
  v1::Trial trial;
  EXPECT_EQ(release(OnLease<v1::ReleaseTrialRequest>(name, epoch + 1, token), &trial).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(release(OnLease<v1::ReleaseTrialRequest>(name, epoch, std::string(32, 'a')), &trial)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  auto too_long = OnLease<v1::ReleaseTrialRequest>(name, epoch, token);
  too_long.set_reason(std::string(2000, 'x'));
  grpc::Status refused = release(too_long, &trial);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("reason"));
  EXPECT_EQ(GetTrial(name).state(), v1::TRIAL_STATE_RUNNING);

  auto request = OnLease<v1::ReleaseTrialRequest>(name, epoch, token);
  request.set_reason("SIGTERM");
  ASSERT_TRUE(release(request, &trial).ok());
  EXPECT_EQ(trial.state(), v1::TRIAL_STATE_WAITING);
  EXPECT_EQ(trial.attempt(), 2);
  EXPECT_THAT(GetTrial(name).system_attrs().at("attempts"), HasSubstr(R"("outcome":"released")"));
  EXPECT_EQ(release(request, &trial).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  const v1::LeaseTrialResponse again = Lease("gpu1");
  EXPECT_EQ(again.trial().name(), name);
  EXPECT_EQ(again.lease().epoch(), epoch + 1);
  EXPECT_EQ(again.trial().params().at("x").double_value(),
            leased.trial().params().at("x").double_value());
}

TEST_F(ServiceTest, TellRefusesContradictionsAndWorkersTrialsWithoutLeaseOrForce) {
  v1::Study study;
  ASSERT_TRUE(Create(RandomSpec("tell"), &study).ok());
  v1::Trial told;
  const v1::Trial asked = Ask("tell");
  EXPECT_EQ(asked.lease().token().size(), 32u);  // the asker holds the lease
  for (v1::TrialState state : {v1::TRIAL_STATE_FAIL, v1::TRIAL_STATE_PRUNED}) {
    v1::TellRequest request;
    request.set_name(asked.name());
    request.set_state(state);
    request.add_values(3.0);
    const grpc::Status status = SendTell(request, &told);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("values"));
  }
  v1::TellRequest token_only;
  token_only.set_name(asked.name());
  token_only.add_values(1.0);
  token_only.set_lease_token(asked.lease().token());
  EXPECT_EQ(SendTell(token_only, &told).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetTrial(asked.name()).state(), v1::TRIAL_STATE_RUNNING);

  const v1::LeaseTrialResponse first = Lease("gpu0");
  const v1::LeaseTrialResponse second = Lease("gpu1");
  v1::TellRequest by_number;
  by_number.set_name(first.trial().name());
  by_number.add_values(1.0);
  grpc::Status status = SendTell(by_number, &told);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("gpu0"));
  v1::TellRequest with_lease = by_number;
  with_lease.set_epoch(first.lease().epoch());
  with_lease.set_lease_token(first.lease().token());
  ASSERT_TRUE(SendTell(with_lease, &told).ok());
  EXPECT_EQ(told.state(), v1::TRIAL_STATE_COMPLETE);

  v1::TellRequest forced;
  forced.set_name(second.trial().name());
  forced.set_state(v1::TRIAL_STATE_FAIL);
  forced.set_force(true);
  ASSERT_TRUE(SendTell(forced, &told).ok());
  EXPECT_EQ(told.state(), v1::TRIAL_STATE_FAIL);
}

TEST_F(ServiceTest, ListTrialsPagesFiltersAndOrders) {
  v1::Study study;
  ASSERT_TRUE(Create(RandomSpec("p"), &study).ok());
  for (int i = 0; i < 5; ++i) {
    v1::Trial trial = Ask("p"), told;
    if (i < 4) {
      ASSERT_TRUE(Tell(trial.name(), i * 10.0, &told).ok());
    }
  }
  std::vector<int64_t> numbers;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext context;
    v1::ListTrialsRequest request;
    request.set_parent("studies/p");
    request.set_page_size(3);
    request.set_page_token(token);
    request.add_states(v1::TRIAL_STATE_COMPLETE);
    request.set_order_by("value desc");
    v1::ListTrialsResponse response;
    ASSERT_TRUE(studies_->ListTrials(&context, request, &response).ok());
    EXPECT_EQ(response.total_size(), 4);
    for (const v1::Trial& t : response.trials()) numbers.push_back(t.number());
    token = response.next_page_token();
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(numbers, (std::vector<int64_t>{3, 2, 1, 0}));

  for (const auto& [order, token_text] :
       std::vector<std::pair<std::string, std::string>>{{"colour", ""}, {"", "garbage"}}) {
    grpc::ClientContext context;
    v1::ListTrialsRequest request;
    request.set_parent("studies/p");
    request.set_order_by(order);
    request.set_page_token(token_text);
    v1::ListTrialsResponse response;
    EXPECT_EQ(studies_->ListTrials(&context, request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }

  grpc::ClientContext context;
  v1::BestTrialsRequest best_request;
  best_request.set_parent("studies/p");
  v1::BestTrialsResponse best;
  ASSERT_TRUE(studies_->BestTrials(&context, best_request, &best).ok());
  ASSERT_EQ(best.trials_size(), 1);
  EXPECT_EQ(best.trials(0).number(), 0);
}

TEST_F(ServiceTest, OversizedMessageIsRefused) {
  ServerOptions options;
  options.max_message_bytes = 4096;
  StartServer(options);
  v1::StudySpec spec = RandomSpec("big");
  spec.set_task_json("{\"blob\":\"" + std::string(8192, 'x') + "\"}");
  v1::Study study;
  EXPECT_EQ(Create(spec, &study).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(Create(RandomSpec("small"), &study).ok());
}

TEST_F(ServiceTest, HttpServesHealthAndMetrics) {
  v1::Study study;
  ASSERT_TRUE(Create(RandomSpec("m"), &study).ok());
  v1::Trial trial = Ask("m"), told;
  ASSERT_TRUE(Tell(trial.name(), 1.0, &told).ok());
  Ask("m");
  EXPECT_THAT(HttpGet(server_->http_port(), "/healthz"), HasSubstr("200 OK"));
  const std::string metrics = HttpGet(server_->http_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("nasq_trials{study=\"m\",state=\"COMPLETE\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("nasq_active_leases{study=\"m\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("nasq_rpc_latency_seconds_count{method=\"Ask\"} 2"));
  EXPECT_THAT(HttpGet(server_->http_port(), "/nope"), HasSubstr("404"));
}

TEST_F(ServiceTest, LongPollReturnsPromptlyOnShutdown) {
  ServerOptions options;
  options.max_lease_wait_ms = 60'000;
  options.shutdown_grace_ms = 60'000;  // a poll left waiting would hold Shutdown this long
  StartServer(options);
  grpc::ClientContext context;
  v1::LeaseTrialRequest request;
  request.set_worker_id("gpu0");
  request.set_wait_ms(60'000);
  v1::LeaseTrialResponse response;
  grpc::Status status;
  std::thread poll([&] { status = workers_->LeaseTrial(&context, request, &response); });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server_->calls_in_flight() == 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(server_->calls_in_flight(), 1);  // the poll is waiting for work in the server

  const auto start = std::chrono::steady_clock::now();
  server_->Shutdown();
  const auto took = std::chrono::steady_clock::now() - start;
  poll.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.has_trial());
  // Far below the 60 s the poll and the grace would allow: the poll was woken, not waited out.
  EXPECT_LT(took, std::chrono::seconds(30));
}

TEST_F(ServiceTest, ShutdownDoesNotWaitForIdleConnections) {
  ServerOptions options;
  options.shutdown_grace_ms = 60'000;
  StartServer(options);
  v1::Study study;
  ASSERT_TRUE(Create(RandomSpec("idle"), &study).ok());  // the channel is now connected, idle

  const auto start = std::chrono::steady_clock::now();
  server_->Shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  grpc::ClientContext context;
  v1::GetStudyRequest request;
  request.set_name("studies/idle");
  EXPECT_FALSE(studies_->GetStudy(&context, request, &study).ok());  // nothing serves it now
}

}  // namespace
}  // namespace nasq

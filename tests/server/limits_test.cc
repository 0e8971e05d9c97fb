// Tests of the limits at the RPC edge (issue 12, findings 2, 4 and 10) on an in-process
// NasqServer over loopback, driven by the default NasqClient: out-of-range durations, oversized
// request strings, and List pages bounded by bytes.
#include "core/limits.h"

#include <google/protobuf/empty.pb.h>

#include <string>
#include <vector>

#include "client/nasq_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/convert.h"
#include "server/nasq_server.h"
#include "server/rpc_util.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

StudySpec SmallSpec(const std::string& name) {
  StudySpec spec;
  spec.name = name;
  spec.directions = {StudyDirection::kMinimize};
  spec.sampler.kind = SamplerKind::kRandom;
  spec.space = *SearchSpace::Create({ParamSpec{"x", IntDistribution{0, 9, false, 1}, {}}});
  return spec;
}

// A valid spec of about `bytes` bytes: one categorical param with 1,000-byte string choices.
StudySpec LargeSpec(const std::string& name, size_t bytes) {
  std::vector<ParamValue> choices;
  for (size_t i = 0; i * 1000 < bytes; ++i) {
    std::string choice = std::to_string(i);
    choice.resize(1000, '.');
    choices.push_back(std::move(choice));
  }
  StudySpec spec = SmallSpec(name);
  spec.space = *SearchSpace::Create({ParamSpec{"c", CategoricalDistribution{choices}, {}}});
  return spec;
}

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.max_lease_wait_ms = 100;
    auto server = NasqServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client_ = std::make_unique<NasqClient>("127.0.0.1:" + std::to_string(server_->grpc_port()));
  }

  // CreateStudy with a hand-edited wire spec, bypassing the client's own checks.
  absl::Status CreateRaw(const v1::StudySpec& spec) {
    auto stub = v1::StudyService::NewStub(
        NasqClient::Connect("127.0.0.1:" + std::to_string(server_->grpc_port())));
    grpc::ClientContext context;
    v1::CreateStudyRequest request;
    *request.mutable_spec() = spec;
    v1::Study study;
    const grpc::Status status = stub->CreateStudy(&context, request, &study);
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }

  std::unique_ptr<NasqServer> server_;
  std::unique_ptr<NasqClient> client_;
};

// Finding 2: `lease: {duration: 1e15}` (1e18 ms) and 9223372036854775 ms overflowed the lease
// deadline; every Ask then answered UNKNOWN yet committed a RUNNING trial that never expired.
TEST_F(LimitsTest, RefusesLeasesThatWouldOverflowTheDeadline) {
  for (const int64_t ms : {int64_t{1'000'000'000'000'000'000}, int64_t{9'223'372'036'854'775}}) {
    SCOPED_TRACE(ms);
    v1::StudySpec wire = StudySpecToProto(SmallSpec("overflow"));
    wire.set_lease_duration_ms(ms);
    const absl::Status created = CreateRaw(wire);
    EXPECT_EQ(created.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(created.message()),
                HasSubstr("spec.lease_duration_ms: must be between 1 and 604800000"));
    // Nothing was created, so no trial can have been committed.
    EXPECT_EQ(client_->Ask("overflow").status().code(), absl::StatusCode::kNotFound);
  }
  absl::StatusOr<std::vector<v1::Study>> studies = client_->ListStudies();
  ASSERT_TRUE(studies.ok()) << studies.status();
  EXPECT_TRUE(studies->empty());

  // The longest lease allowed gives a deadline that the wire can carry.
  StudySpec week = SmallSpec("week");
  week.lease_duration_ms = limits::kMaxLeaseDurationMs;
  ASSERT_TRUE(client_->CreateStudy(week).ok());
  absl::StatusOr<v1::Trial> asked = client_->Ask("week");
  ASSERT_TRUE(asked.ok()) << asked.status();
  EXPECT_GT(asked->lease().expire_time().seconds(), asked->start_time().seconds());
}

// Finding 4: every string that crosses the RPC edge has a size limit, refused naming the field.
TEST_F(LimitsTest, RefusesOversizedRequestStringsNamingTheField) {
  ASSERT_TRUE(client_->CreateStudy(SmallSpec("s")).ok());
  const std::string huge(50'000, 'x');

  v1::LeaseTrialRequest lease;
  lease.set_worker_id(huge);
  EXPECT_THAT(std::string(client_->LeaseTrial(lease).status().message()),
              HasSubstr("worker_id: must be at most 256 bytes (got 50000)"));
  lease.set_worker_id("w");
  (*lease.mutable_capabilities()->mutable_labels())["gpu"] = huge;
  EXPECT_THAT(std::string(client_->LeaseTrial(lease).status().message()),
              HasSubstr("capabilities.labels.gpu: must be at most 1024 bytes"));
  lease.mutable_capabilities()->clear_labels();
  lease.mutable_capabilities()->add_task_kinds(huge);
  EXPECT_THAT(std::string(client_->LeaseTrial(lease).status().message()),
              HasSubstr("capabilities.task_kinds[0]: must be at most 1024 bytes"));

  absl::StatusOr<v1::Trial> trial = client_->Ask("s");
  ASSERT_TRUE(trial.ok()) << trial.status();
  v1::FailTrialRequest fail;
  fail.set_name(trial->name());
  fail.set_epoch(trial->lease().epoch());
  fail.set_lease_token(trial->lease().token());
  fail.set_reason(std::string(20'000, 'r'));
  {  // A raw stub, since NasqClient fits the reason first (see below).
    auto stub = v1::WorkerService::NewStub(
        NasqClient::Connect("127.0.0.1:" + std::to_string(server_->grpc_port())));
    grpc::ClientContext context;
    v1::Trial failed;
    const grpc::Status status = stub->FailTrial(&context, fail, &failed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("reason: must be at most 16384 bytes"));
  }

  v1::CompleteTrialRequest complete;
  complete.set_name(trial->name());
  complete.set_epoch(trial->lease().epoch());
  complete.set_lease_token(trial->lease().token());
  complete.add_values(1.0);
  (*complete.mutable_attrs())["note"] = "\"" + std::string(70'000, 'n') + "\"";
  EXPECT_THAT(std::string(client_->CompleteTrial(complete).status().message()),
              HasSubstr("attrs.note: must be at most 65536 bytes"));
  complete.clear_attrs();
  (*complete.mutable_metrics())[huge] = 1.0;
  EXPECT_THAT(std::string(client_->CompleteTrial(complete).status().message()),
              HasSubstr("metrics: key of entry 0: must be at most 256 bytes"));

  // The trial was never finished by the refused calls.
  absl::StatusOr<v1::Trial> still = client_->GetTrial("s", trial->number());
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->state(), v1::TRIAL_STATE_RUNNING);

  // NasqClient (which workers use) fits a long or malformed reason, so the real reason of a
  // failure is recorded rather than the trial waiting for its lease to expire.
  fail.set_reason("bad byte \xff: " + std::string(20'000, 'r'));
  absl::StatusOr<v1::Trial> failed = client_->FailTrial(fail);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->state(), v1::TRIAL_STATE_FAIL);
  const std::string& reason = failed->system_attrs().at("fail_reason");
  EXPECT_THAT(reason, HasSubstr("bad byte ?: rrr"));
  EXPECT_LE(reason.size(), limits::kMaxReasonBytes + 2);  // stored as a JSON string

  // Resource names and page tokens are bounded too; the echo in the error stays short.
  const absl::Status name = client_->GetStudy(huge).status();
  EXPECT_EQ(name.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(name.message()), HasSubstr("name: must be at most 1024 bytes"));
  EXPECT_LT(name.message().size(), 200u);
  const absl::Status token = client_->ListTrialsPage("s", {}, huge, 10).status();
  EXPECT_THAT(std::string(token.message()), HasSubstr("page_token: must be at most 1024 bytes"));
}

// Finding 10: two 9 MB studies made `study list` fail for everyone (one page of 18 MB is past
// the 16 MiB message limit). Pages are bounded by bytes too, and the client pages through.
TEST_F(LimitsTest, ListsStudiesLargerThanAPage) {
  for (const char* name : {"big-a", "big-b"}) {
    absl::StatusOr<v1::Study> created = client_->CreateStudy(LargeSpec(name, 9'000'000));
    ASSERT_TRUE(created.ok()) << created.status();
    EXPECT_GT(created->ByteSizeLong(), 8'500'000u);
  }
  ASSERT_TRUE(client_->CreateStudy(SmallSpec("small")).ok());
  absl::StatusOr<std::vector<v1::Study>> studies = client_->ListStudies();
  ASSERT_TRUE(studies.ok()) << studies.status();
  ASSERT_EQ(studies->size(), 3u);
  EXPECT_EQ((*studies)[0].name(), "studies/big-a");
  EXPECT_EQ((*studies)[1].name(), "studies/big-b");
  EXPECT_EQ((*studies)[2].name(), "studies/small");
}

TEST_F(LimitsTest, ListsTrialsLargerThanAPage) {
  ASSERT_TRUE(client_->CreateStudy(SmallSpec("s")).ok());
  // Three trials of about 6 MB each (100 attributes of 60 KB).
  for (int i = 0; i < 3; ++i) {
    v1::LeaseTrialRequest lease;
    lease.set_worker_id("w");
    absl::StatusOr<v1::LeaseTrialResponse> leased = client_->LeaseTrial(lease);
    ASSERT_TRUE(leased.ok() && leased->has_trial()) << leased.status();
    v1::CompleteTrialRequest complete;
    complete.set_name(leased->trial().name());
    complete.set_epoch(leased->lease().epoch());
    complete.set_lease_token(leased->lease().token());
    complete.add_values(i);
    for (int k = 0; k < 100; ++k) {
      (*complete.mutable_attrs())["a" + std::to_string(k)] = "\"" + std::string(60'000, 'v') + "\"";
    }
    ASSERT_TRUE(client_->CompleteTrial(complete).ok());
  }
  absl::StatusOr<v1::ListTrialsResponse> first = client_->ListTrialsPage("s", {}, "", 100);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->trials_size(), 1);  // 6 MB is past the 4 MiB budget: one trial per page
  EXPECT_EQ(first->total_size(), 3);
  EXPECT_FALSE(first->next_page_token().empty());
  absl::StatusOr<std::vector<v1::Trial>> trials = client_->ListTrials("s");
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*trials)[i].number(), i);
}

TEST(FillPage, StopsAtTheByteBudgetButTakesAtLeastOneItem) {
  const std::vector<std::string> items = {std::string(100, 'a'), std::string(100, 'b'),
                                          std::string(500, 'c'), std::string(10, 'd')};
  const auto to_proto = [](const std::string& s) {
    v1::Trial t;
    t.set_name(s);
    return t;
  };
  google::protobuf::RepeatedPtrField<v1::Trial> page;
  // 250 bytes hold the first two items (about 103 bytes each) but not the third.
  std::string next = FillPage(PageRequest{0, 100}, items, &page, to_proto, 250);
  EXPECT_EQ(page.size(), 2);
  EXPECT_EQ(next, NextPageToken(2, 4));
  // The third item alone is past the budget: still listed, alone.
  page.Clear();
  next = FillPage(PageRequest{2, 100}, items, &page, to_proto, 250);
  EXPECT_EQ(page.size(), 1);
  EXPECT_EQ(next, NextPageToken(3, 4));
  // The count bound still applies; the last page has no next token.
  page.Clear();
  EXPECT_EQ(FillPage(PageRequest{0, 1}, items, &page, to_proto, 250), NextPageToken(1, 4));
  page.Clear();
  EXPECT_EQ(FillPage(PageRequest{3, 100}, items, &page, to_proto, 250), "");
  EXPECT_EQ(page.size(), 1);
}

}  // namespace
}  // namespace nasq

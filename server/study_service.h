// server/study_service.h: the nasq.v1.StudyService gRPC adapter.
//
// Thin: validates and converts requests (proto/convert.h; CreateStudy also checks the task
// section, task_validation.h), calls StudyManager, converts the answer and maps absl::Status
// to grpc::Status; paging, filtering and ordering of lists are done here. Thread-safety:
// thread-safe (stateless apart from the shared manager, metrics and in-flight call count, which
// must outlive the service).
#ifndef NASQ_SERVER_STUDY_SERVICE_H_
#define NASQ_SERVER_STUDY_SERVICE_H_

#include "nasq/v1/study_service.grpc.pb.h"
#include "server/auth_authorizer.h"
#include "server/in_flight_calls.h"
#include "server/rpc_metrics.h"
#include "server/study_manager.h"

namespace nasq {

// The wire form of a study with its trial counts.
v1::Study StudySummaryToProto(const StudySummary& summary);

class StudyServiceImpl final : public v1::StudyService::Service {
 public:
  // `auth` (may be null: no token authentication) decides who may Tell with `force`: only
  // callers with the admin role (PERMISSION_DENIED otherwise).
  StudyServiceImpl(StudyManager* manager, RpcMetrics* metrics, InFlightCalls* calls,
                   Authorizer* auth = nullptr)
      : manager_(*manager), metrics_(*metrics), calls_(*calls), auth_(auth) {}

  grpc::Status CreateStudy(grpc::ServerContext*, const v1::CreateStudyRequest* request,
                           v1::Study* response) override;
  grpc::Status GetStudy(grpc::ServerContext*, const v1::GetStudyRequest* request,
                        v1::Study* response) override;
  grpc::Status ListStudies(grpc::ServerContext*, const v1::ListStudiesRequest* request,
                           v1::ListStudiesResponse* response) override;
  grpc::Status DeleteStudy(grpc::ServerContext*, const v1::DeleteStudyRequest* request,
                           google::protobuf::Empty* response) override;
  grpc::Status StopStudy(grpc::ServerContext*, const v1::StopStudyRequest* request,
                         v1::Study* response) override;
  grpc::Status ResumeStudy(grpc::ServerContext*, const v1::ResumeStudyRequest* request,
                           v1::Study* response) override;
  grpc::Status EnqueueTrial(grpc::ServerContext*, const v1::EnqueueTrialRequest* request,
                            v1::Trial* response) override;
  // Defined in study_service_add_trial.cc.
  grpc::Status AddTrial(grpc::ServerContext*, const v1::AddTrialRequest* request,
                        v1::Trial* response) override;
  grpc::Status GetTrial(grpc::ServerContext*, const v1::GetTrialRequest* request,
                        v1::Trial* response) override;
  grpc::Status ListTrials(grpc::ServerContext*, const v1::ListTrialsRequest* request,
                          v1::ListTrialsResponse* response) override;
  grpc::Status BestTrials(grpc::ServerContext*, const v1::BestTrialsRequest* request,
                          v1::BestTrialsResponse* response) override;
  grpc::Status Ask(grpc::ServerContext*, const v1::AskRequest* request,
                   v1::Trial* response) override;
  grpc::Status Tell(grpc::ServerContext*, const v1::TellRequest* request,
                    v1::Trial* response) override;

 private:
  StudyManager& manager_;
  RpcMetrics& metrics_;
  InFlightCalls& calls_;
  Authorizer* const auth_;
};

}  // namespace nasq

#endif  // NASQ_SERVER_STUDY_SERVICE_H_

// server/worker_service.h: the nasq.v1.WorkerService gRPC adapter (the GPU worker protocol).
//
// Thin: converts requests, calls StudyManager and maps status. LeaseTrial long-polls inside
// StudyManager::LeaseTrial, bounded by the call's deadline, the request's wait_ms and the
// manager's max_lease_wait_ms. Every successful call records its worker in the WorkerRegistry
// (server/worker_registry.h says which calls count). Thread-safety: thread-safe; the manager,
// registry, metrics and in-flight call count must outlive the service.
#ifndef NASQ_SERVER_WORKER_SERVICE_H_
#define NASQ_SERVER_WORKER_SERVICE_H_

#include "nasq/v1/worker_service.grpc.pb.h"
#include "server/in_flight_calls.h"
#include "server/rpc_metrics.h"
#include "server/study_manager.h"
#include "server/worker_registry.h"

namespace nasq {

class WorkerServiceImpl final : public v1::WorkerService::Service {
 public:
  WorkerServiceImpl(StudyManager* manager, WorkerRegistry* workers, RpcMetrics* metrics,
                    InFlightCalls* calls)
      : manager_(*manager), workers_(*workers), metrics_(*metrics), calls_(*calls) {}

  grpc::Status LeaseTrial(grpc::ServerContext* context, const v1::LeaseTrialRequest* request,
                          v1::LeaseTrialResponse* response) override;
  grpc::Status Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* request,
                         v1::HeartbeatResponse* response) override;
  grpc::Status ReportIntermediate(grpc::ServerContext*,
                                  const v1::ReportIntermediateRequest* request,
                                  v1::ReportIntermediateResponse* response) override;
  grpc::Status CompleteTrial(grpc::ServerContext*, const v1::CompleteTrialRequest* request,
                             v1::Trial* response) override;
  grpc::Status FailTrial(grpc::ServerContext*, const v1::FailTrialRequest* request,
                         v1::Trial* response) override;
  grpc::Status ReleaseTrial(grpc::ServerContext*, const v1::ReleaseTrialRequest* request,
                            v1::Trial* response) override;

 private:
  // Records the holder of the lease `trial` just ended under (CompleteTrial, FailTrial,
  // ReleaseTrial).
  void RecordFinisher(const Trial& trial);

  StudyManager& manager_;
  WorkerRegistry& workers_;
  RpcMetrics& metrics_;
  InFlightCalls& calls_;
};

}  // namespace nasq

#endif  // NASQ_SERVER_WORKER_SERVICE_H_

// worker/app/worker_options.h: settings of a nasq-worker process (flags of `nasq-worker`).
//
// Thread-safety: a plain value type.
#ifndef NASQ_WORKER_APP_WORKER_OPTIONS_H_
#define NASQ_WORKER_APP_WORKER_OPTIONS_H_

#include <chrono>
#include <string>
#include <vector>

#include "client/nasq_client.h"
#include "task/model_size.h"
#include "worker/pipeline/data_preparation.h"
#include "worker/pipeline/task_pipeline.h"

namespace nasq {

// What a worker's first SIGTERM (or SIGINT) does with its running trials (--on-sigterm).
enum class SigtermAction {
  // Stop leasing and let them finish and report, then exit 0; a second signal drops them (their
  // leases expire). For machines that wait for a trial (systemd TimeoutStopSec, Kubernetes'
  // grace period).
  kFinish,
  // Stop leasing, cancel them and give them back (ReleaseTrial: re-queued at once), then exit 0.
  // For batch systems that end a job soon after the signal (Slurm before its time limit,
  // scancel), where a trial could not finish and its lease would otherwise have to expire.
  kRelease,
};

struct WorkerOptions {
  // Coordinator address "host:port" (--server; default $NASQ_SERVER).
  std::string server;
  // Where trials run: "cpu" (default) or "cuda:K" (--device).
  std::string device = "cpu";
  // Trials run concurrently (--slots, default 1). With more than one, each slot is a child
  // process of its own (slot_supervisor.h), so concurrent trials never share LibTorch state.
  int slots = 1;
  // Reported as the lease holder (--worker-id); default "<hostname>-<pid>". The slots of a
  // multi-slot worker report "<worker_id>/<slot>".
  std::string worker_id;
  // Trials leased at once and trained as one fused model when their models have the same shape
  // (--fuse K, 1..kMaxFusedTrials; default 1 = one trial at a time). Per slot.
  int fuse = 1;
  // LibTorch intra-op threads per trial (--threads); 0 = cores / slots (default).
  int num_threads = 0;
  // Lease only from these study ids (--study, repeatable); empty = any study (default).
  std::vector<std::string> studies;
  // How long one LeaseTrial call waits for work (default 5 s; bounds how fast SIGTERM is seen).
  std::chrono::milliseconds lease_wait{5'000};
  // Pause after a failed LeaseTrial before the next try (default 250 ms).
  std::chrono::milliseconds retry_backoff{250};
  // Deadlines and retries of the worker's RPCs. The worker's client is built from `server`, so
  // it opens a fresh connection before each retry; with retries at most max_backoff apart
  // (default 250 ms, +-20% jitter) the worker reaches a restarted coordinator within ~0.3 s of
  // it listening again, and with max_attempts (default 40) a call, e.g. the CompleteTrial of a
  // trial that took hours, rides out about 10 s of outage (leases survive such an outage:
  // StudyManager's grace period). client.credentials holds the TLS trust, client certificate
  // and token (--tls-ca, --tls-cert, --tls-key, --token-file or $NASQ_TLS_CA, $NASQ_TOKEN, ...;
  // see client/client_credentials.h; default none). The other fields keep ClientOptions'
  // defaults.
  ClientOptions client{.max_attempts = 40, .max_backoff = std::chrono::milliseconds(250)};
  // What SIGTERM/SIGINT does with running trials (--on-sigterm finish|release, or
  // $NASQ_ON_SIGTERM; default finish). With several slots every slot process does the same.
  SigtermAction on_sigterm = SigtermAction::kFinish;
  // Heartbeat period when the coordinator does not say (default 10 s).
  std::chrono::milliseconds default_heartbeat{10'000};
  // Input paths and the vocabulary cache (see DataPaths).
  DataPaths paths;
  // Largest model a trial may build, in parameters (--max-model-params, default 2e9): larger
  // architectures fail the trial with the count and the limit before anything is allocated.
  int64_t max_model_params = kDefaultMaxModelParams;
};

// The pipeline settings these options give every trial (device, threads, paths, model size
// limit); the caller sets the per-trial fields.
PipelineOptions ToPipelineOptions(const WorkerOptions& options);

// Fills the defaults that depend on the machine and process, leaving set fields alone:
// worker_id "<hostname>-<pid>", and num_threads = hardware threads / slots (at least 1).
void ApplyWorkerDefaults(WorkerOptions& options);

}  // namespace nasq

#endif  // NASQ_WORKER_APP_WORKER_OPTIONS_H_

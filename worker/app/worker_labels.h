// worker/app/worker_labels.h: what a nasq-worker tells the coordinator about itself in every
// LeaseTrial (capabilities.labels); the coordinator records them on each trial it leases
// (system attr "worker"), so every result says which hardware produced it.
//
// Thread-safety: pure functions.
#ifndef NASQ_WORKER_APP_WORKER_LABELS_H_
#define NASQ_WORKER_APP_WORKER_LABELS_H_

#include <map>
#include <string>

#include "worker/app/worker_options.h"

namespace nasq {

// Labels "device" (options.device), "host", "slots", "threads" (LibTorch threads per trial) and
// "fuse" (trials trained as one fused model, at most);
// for a cuda:K device also "gpu_name" and "gpu_memory_bytes", read through the CUDA driver
// (libcuda.so.1, opened at run time, so CPU builds need no CUDA), or "gpu_error" saying why
// they could not be read.
std::map<std::string, std::string> DescribeWorker(const WorkerOptions& options);

}  // namespace nasq

#endif  // NASQ_WORKER_APP_WORKER_LABELS_H_

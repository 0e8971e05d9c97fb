#include "worker/app/worker_options.h"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"

namespace nasq {

void ApplyWorkerDefaults(WorkerOptions& options) {
  options.slots = std::max(1, options.slots);
  if (options.worker_id.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
    options.worker_id = absl::StrCat(host[0] ? host : "worker", "-", getpid());
  }
  if (options.num_threads == 0) {
    options.num_threads =
        std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / options.slots);
  }
}

PipelineOptions ToPipelineOptions(const WorkerOptions& options) {
  PipelineOptions pipeline;
  pipeline.device = options.device;
  pipeline.num_threads = options.num_threads;
  pipeline.paths = options.paths;
  pipeline.max_model_params = options.max_model_params;
  return pipeline;
}

}  // namespace nasq

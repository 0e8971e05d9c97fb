// worker/app/worker_log.h: nasq-worker's diagnostic lines, one per call on stderr, prefixed
// "nasq-worker: ". Thread-safety: safe from any thread, as std::clog is; lines written by
// several threads at once may interleave.
#ifndef NASQ_WORKER_APP_WORKER_LOG_H_
#define NASQ_WORKER_APP_WORKER_LOG_H_

#include <iostream>
#include <string>

namespace nasq {

inline void WorkerLog(const std::string& line) {
  std::clog << "nasq-worker: " << line << std::endl;
}

}  // namespace nasq

#endif  // NASQ_WORKER_APP_WORKER_LOG_H_

// bench/common/proc_usage.h: what a process and the whole machine use, read from Linux's /proc:
// a process's CPU time, resident memory, threads and open file descriptors, and the time all
// CPUs of the machine spent busy.
//
// Thread-safety: functions without state; each call reads /proc afresh.
#ifndef NASQ_BENCH_COMMON_PROC_USAGE_H_
#define NASQ_BENCH_COMMON_PROC_USAGE_H_

#include <sys/types.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace nasq::bench {

struct ProcessUsage {
  double cpu_seconds = 0;  // utime + stime of all its threads (/proc/PID/stat)
  int64_t rss_bytes = 0;   // resident memory (VmRSS of /proc/PID/status)
  int threads = 0;         // Threads of /proc/PID/status
  int open_files = 0;      // entries of /proc/PID/fd (sockets included)
};

// The usage of process `pid` now. NOT_FOUND when no such process exists; FAILED_PRECONDITION
// when it has ended but was not reaped yet (a zombie); INTERNAL when a /proc file cannot be
// read or parsed.
absl::StatusOr<ProcessUsage> ReadProcessUsage(pid_t pid);

// Seconds that all CPUs together spent busy since boot: every field of /proc/stat's "cpu" line
// but idle and iowait (guest time is already part of user). INTERNAL when it cannot be parsed.
absl::StatusOr<double> ReadMachineBusySeconds();

}  // namespace nasq::bench

#endif  // NASQ_BENCH_COMMON_PROC_USAGE_H_

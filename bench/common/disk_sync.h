// bench/common/disk_sync.h: how long the disk under a folder takes to make a small append
// durable, the floor under every durable commit that a benchmark measures there.
//
// Thread-safety: a function without state.
#ifndef NASQ_BENCH_COMMON_DISK_SYNC_H_
#define NASQ_BENCH_COMMON_DISK_SYNC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace nasq::bench {

// Appends `samples` blocks of 4 KiB to a new file in `dir`, each followed by fdatasync(2) (as a
// WAL commit does), and returns each fdatasync's milliseconds; the file is removed. UNAVAILABLE
// naming the file when it cannot be created, written or synced.
absl::StatusOr<std::vector<double>> MeasureAppendSyncMs(const std::string& dir, int samples);

}  // namespace nasq::bench

#endif  // NASQ_BENCH_COMMON_DISK_SYNC_H_

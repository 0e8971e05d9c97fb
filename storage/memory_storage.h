// storage/memory_storage.h: the in-memory Storage, the reference implementation of the
// contract in storage/storage.h (tests/storage/storage_conformance_test.cc runs the same suite
// against it and against SQLite).
//
// Nothing is persisted: everything is lost when the object is destroyed. Use it for tests, for
// `nasq-server` without `--db`, and as the behaviour every other Storage must match.
//
// Thread-safety: the returned Storage is thread-safe (one mutex guards all state; every read
// returns a copy). The trials of a study share their distributions map when it is equal (see
// core/trial_distributions.h), and so do the copies handed out.
#ifndef NASQ_STORAGE_MEMORY_STORAGE_H_
#define NASQ_STORAGE_MEMORY_STORAGE_H_

#include <memory>

#include "storage/storage.h"

namespace nasq {

// A new, empty in-memory storage. Study and trial ids start at 1.
std::unique_ptr<Storage> NewMemoryStorage();

}  // namespace nasq

#endif  // NASQ_STORAGE_MEMORY_STORAGE_H_

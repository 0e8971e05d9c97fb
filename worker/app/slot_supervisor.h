// worker/app/slot_supervisor.h: runs the slots of `nasq-worker --slots N` as child processes.
//
// Each slot is a forked child that runs one lease loop with LibTorch state of its own (random
// generator, thread pool, CUDA context). A trial's result therefore depends only on its task,
// params and seed, never on the trials that run beside it, and a crash inside one trial ends only
// its slot's process.
//
// The supervisor forwards SIGTERM and SIGINT to every child as SIGTERM, so the lease loop's
// semantics (main.cc, --on-sigterm) hold for the whole worker: by default the first signal stops
// leasing and lets running trials finish and the second abandons them; with release every slot
// gives its running trial back at once. A child that ends before any stop signal is restarted after
// a backoff (1 s, doubling up to 60 s while it keeps ending within a minute of its start). Each
// child runs in its own process group, so a Ctrl-C at the terminal reaches it only through the
// supervisor (once), and it gets SIGTERM when the supervisor dies.
//
// Thread-safety: call SuperviseSlots at most once per process, from the main thread, before the
// process has started other threads or opened gRPC channels (a forked child has only the thread
// that forked it).
#ifndef NASQ_WORKER_APP_SLOT_SUPERVISOR_H_
#define NASQ_WORKER_APP_SLOT_SUPERVISOR_H_

#include <functional>
#include <ostream>

namespace nasq {

// The most slots one supervisor runs.
inline constexpr int kMaxSlots = 256;

// Runs `run_slot(k)` in a child process for k = 0..slots-1 (1 <= slots <= kMaxSlots), the child
// exiting with its return value, until a stop signal has arrived and every child has exited.
// Writes one line to `log` per start, restart and exit of a child. Returns 0 when every child
// exited with 0 after the stop, else 1 (and 1 at once when a child cannot be forked).
int SuperviseSlots(int slots, const std::function<int(int slot)>& run_slot, std::ostream& log);

}  // namespace nasq

#endif  // NASQ_WORKER_APP_SLOT_SUPERVISOR_H_

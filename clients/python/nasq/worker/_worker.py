"""nasq.Worker: serves the trials of the studies of one task kind with a Python function.

    def train(trial):                      # trial: nasq.WorkerTrial
        model = make_model(trial.params["hidden"])
        for epoch in range(trial.task["epochs"]):
            accuracy = fit_one_epoch(model)
            if trial.report(accuracy, step=epoch):   # the study's pruner says prune
                raise nasq.TrialPruned()
            if trial.should_stop():
                return accuracy
        return {"accuracy": accuracy, "params": count_params(model)}

    nasq.Worker("127.0.0.1:50051", task_kind="python", fn=train).run()

or, from a shell: `python -m nasq.worker --fn train.py:train --server 127.0.0.1:50051`.

Contract of `run(max_trials=None, idle_timeout=None)`: loops LeaseTrial (capabilities: the
worker's task kind, studies and labels) -> fn(trial) with the lease heart-beaten from a thread
-> one result per trial, as the C++ worker does (worker/app/lease_loop.cc):
  * fn returns a number, a sequence of numbers (one per objective) or a dict of metrics (the
    values taken by the study's metric names): CompleteTrial, with trial.user_attrs;
  * fn raises nasq.TrialPruned, or returns after report() was answered prune: CompleteTrial
    PRUNED (the server gives it its last intermediate value; a returned dict is kept as its
    metrics);
  * fn raises anything else (or returns something else): FailTrial with "Type: message (at
    file:line in function)";
  * the coordinator answered stop (study stopped or completed): FailTrial "stopped by the
    coordinator", whatever fn returned;
  * the lease was lost (it expired, e.g. fn blocked the heartbeat thread's server for longer
    than the lease): the result is dropped, the coordinator has re-queued the trial.
It returns after `max_trials` trials (any outcome), after `idle_timeout` seconds without a
trial, after request_stop(), or on SIGTERM/SIGINT when run in the main thread: the first signal
stops leasing and lets the running trial finish; the second gives it back (it raises
KeyboardInterrupt in fn, nothing is reported, and ReleaseTrial makes the coordinator re-queue
the trial at once; if that call fails, when the lease expires). With on_sigterm="release" (or
$NASQ_ON_SIGTERM=release, as `nasq-worker --on-sigterm release`: a batch job's time limit) the
first signal already gives the running trial back. It returns WorkerStats. Calls the server
cannot answer are retried (nasq._rpc); a LeaseTrial refused for good (bad credentials, invalid
worker id) raises its nasq error.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import signal
import socket
import threading
import time
import traceback
from typing import Any, Callable, Iterable, Mapping, Optional

from nasq import _convert, errors
from nasq._heartbeat import LeaseKeeper
from nasq._rpc import ConnectOptions, Connection
from nasq.worker._labels import describe_worker
from nasq.worker._result import completion, metrics
from nasq.worker._trial import WorkerTrial
from nasq.v1 import trial_pb2, worker_service_pb2

_log = logging.getLogger("nasq.worker")

LEASE_WAIT_S = 2.0                 # one LeaseTrial long-poll; bounds how late a stop is seen
DEFAULT_HEARTBEAT_INTERVAL_S = 10.0  # when the server sends no interval
STOPPED_REASON = "stopped by the coordinator"  # the C++ worker's reason too
ON_SIGTERM_CHOICES = ("finish", "release")  # what the first SIGTERM/SIGINT does to the trial
_MAX_REASON_CHARS = 4000           # the server keeps up to 16 KiB


@dataclasses.dataclass
class WorkerStats:
    """What one run() did with the trials it leased."""

    completed: int = 0
    pruned: int = 0
    failed: int = 0    # failed by fn, by its result, or by a stop answer
    dropped: int = 0   # lease lost or abandoned at shutdown: the coordinator re-queues them

    @property
    def trials(self) -> int:
        return self.completed + self.pruned + self.failed + self.dropped


@dataclasses.dataclass
class _Outcome:
    """How fn ended: `result` when it returned, `pruned` when it raised TrialPruned, `error`
    (the failure reason) when it raised anything else."""

    result: Any = None
    pruned: bool = False
    error: Optional[str] = None


def failure_reason(error: BaseException) -> str:
    """"Type: message (at file:line in function)", the innermost frame of the traceback."""
    text = f"{type(error).__name__}: {error}"
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        frame = frames[-1]
        text += f" (at {frame.filename}:{frame.lineno} in {frame.name})"
    return text if len(text) <= _MAX_REASON_CHARS else text[:_MAX_REASON_CHARS - 3] + "..."


class Worker:
    """Leases trials of `task_kind` (only from `studies` when given) and runs `fn` on each.

    `address` and the credentials (`token` or `token_file`, `tls_ca`, and `tls_cert` with
    `tls_key` for mutual TLS) default to $NASQ_SERVER, $NASQ_TOKEN / $NASQ_TOKEN_FILE,
    $NASQ_TLS_CA, $NASQ_TLS_CERT / $NASQ_TLS_KEY as for the CLI (nasq/_credentials.py; bad
    ones raise nasq.errors.InvalidArgument); `worker_id` to "<host>-<pid>" (the C++ worker's
    default);
    `labels` are added to the worker's own (nasq/worker/_labels.py) and recorded with
    every trial it leases (system attr "worker"); `on_sigterm` ("finish" or "release", default
    $NASQ_ON_SIGTERM, else "finish") is what the first signal does to the running trial (see
    the module contract)."""

    def __init__(self, address: Optional[str] = None, task_kind: str = "python",
                 fn: Optional[Callable[[WorkerTrial], Any]] = None, token: Optional[str] = None,
                 tls_ca: Optional[str] = None, worker_id: Optional[str] = None,
                 studies: Iterable[str] = (), labels: Optional[Mapping[str, str]] = None,
                 *, token_file: Optional[str] = None, tls_cert: Optional[str] = None,
                 tls_key: Optional[str] = None, on_sigterm: Optional[str] = None):
        if on_sigterm is None:
            on_sigterm = os.environ.get("NASQ_ON_SIGTERM") or "finish"
        if on_sigterm not in ON_SIGTERM_CHOICES:
            raise ValueError(f"on_sigterm: {' or '.join(ON_SIGTERM_CHOICES)} (got {on_sigterm!r}; "
                             "$NASQ_ON_SIGTERM is the default)")
        if not callable(fn):
            raise TypeError(f"fn: a function taking the trial is required (got {fn!r})")
        if not isinstance(task_kind, str) or not task_kind:
            raise ValueError(f"task_kind: a non-empty string is required (got {task_kind!r})")
        if isinstance(studies, str):
            studies = (studies,)
        self.fn = fn
        self.on_sigterm = on_sigterm
        self.task_kind = task_kind
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self.studies = tuple(s.removeprefix("studies/") for s in studies)
        self.labels = {**describe_worker(task_kind),
                       **{str(k): str(v) for k, v in (labels or {}).items()}}
        self._connection = Connection(ConnectOptions(
            address=address, token=token, token_file=token_file, tls_ca=tls_ca,
            tls_cert=tls_cert, tls_key=tls_key))
        self._draining = False

    def request_stop(self) -> None:
        """Makes run() return once the running trial (if any) has finished; thread-safe."""
        self._draining = True

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, max_trials: Optional[int] = None,
            idle_timeout: Optional[float] = None) -> WorkerStats:
        """See the module contract."""
        if max_trials is not None and max_trials < 0:
            raise ValueError(f"max_trials: must be >= 0 (got {max_trials})")
        if idle_timeout is not None and idle_timeout < 0:
            raise ValueError(f"idle_timeout: must be >= 0 seconds (got {idle_timeout})")
        stats = WorkerStats()
        self._draining = False
        restore_signals = self._install_signal_handlers()
        try:
            idle_since = time.monotonic()
            while not self._draining and (max_trials is None or stats.trials < max_trials):
                wait_s = LEASE_WAIT_S
                if idle_timeout is not None:
                    wait_s = min(wait_s, idle_timeout - (time.monotonic() - idle_since))
                    if wait_s <= 0:
                        break
                lease = self._lease(wait_s)
                if lease is not None:
                    self._run_trial(lease, stats)
                    idle_since = time.monotonic()
        except KeyboardInterrupt:
            _log.warning("%s: interrupted; stopping", self.worker_id)
        finally:
            restore_signals()
        _log.info("%s: stopped after %s", self.worker_id, stats)
        return stats

    def _install_signal_handlers(self) -> Callable[[], None]:
        """SIGTERM and SIGINT as the C++ worker: the first drains (with on_sigterm="release",
        releases), the second releases. Only the main thread may set handlers; elsewhere
        nothing is installed."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

        def on_signal(signum, frame):
            if self._draining or self.on_sigterm == "release":
                self._draining = True
                raise KeyboardInterrupt
            self._draining = True
            _log.warning("%s: stopping; the running trial finishes (signal again to give it back)",
                         self.worker_id)

        for sig in previous:
            signal.signal(sig, on_signal)

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore

    def _lease(self, wait_s: float) -> Optional[worker_service_pb2.LeaseTrialResponse]:
        request = worker_service_pb2.LeaseTrialRequest(
            worker_id=self.worker_id, wait_ms=max(1, int(wait_s * 1000)),
            capabilities=worker_service_pb2.WorkerCapabilities(
                task_kinds=[self.task_kind], studies=self.studies, labels=self.labels))
        try:
            answer = self._connection.call(self._connection.workers.LeaseTrial, request,
                                           deadline_s=wait_s + self._connection.deadline_s)
        except (errors.Unavailable, errors.DeadlineExceeded) as e:
            _log.warning("%s: LeaseTrial failed (retrying): %s", self.worker_id, e)
            return None
        return answer if answer.HasField("trial") else None

    def _run_trial(self, lease: worker_service_pb2.LeaseTrialResponse, stats: WorkerStats) -> None:
        interval_ms = lease.heartbeat_interval_ms
        interval_s = interval_ms / 1000 if interval_ms > 0 else DEFAULT_HEARTBEAT_INTERVAL_S
        heartbeat = LeaseKeeper(self._connection, lease.trial.name, lease.lease.epoch,
                              lease.lease.token, interval_s)
        trial = WorkerTrial(self._connection, lease, heartbeat)
        _log.info("%s: running %s (attempt %d) with %s", self.worker_id, trial.name, trial.attempt,
                  trial.params)
        heartbeat.start()
        try:
            outcome = self._call_fn(trial)
        except KeyboardInterrupt:
            heartbeat.stop()
            self._release(trial, stats)
            raise
        finally:
            heartbeat.stop()
        self._finish(trial, outcome, stats)

    def _release(self, trial: WorkerTrial, stats: WorkerStats) -> None:
        """Gives `trial` back at shutdown (ReleaseTrial: re-queued at once, not counted against
        max_retries); not retried, so that a stop never waits for an unreachable server."""
        request = worker_service_pb2.ReleaseTrialRequest(
            name=trial.name, epoch=trial.epoch, lease_token=trial.lease_token,
            reason=f"worker {self.worker_id} stopped by a signal")
        stats.dropped += 1
        try:
            self._connection.call(self._connection.workers.ReleaseTrial, request, retry=False)
        except errors.NasqError as e:
            _log.warning("%s: abandoned at shutdown (ReleaseTrial failed: %s); the coordinator "
                         "re-queues it when its lease expires", trial.name, e)
            return
        _log.warning("%s: released at shutdown; the coordinator re-queues it now", trial.name)

    def _call_fn(self, trial: WorkerTrial) -> _Outcome:
        try:
            return _Outcome(result=self.fn(trial))
        except errors.TrialPruned:
            return _Outcome(pruned=True)
        except Exception as e:  # noqa: BLE001: any error of the user's code fails the trial
            return _Outcome(error=failure_reason(e))

    def _finish(self, trial: WorkerTrial, outcome: _Outcome, stats: WorkerStats) -> None:
        """Reports the one result the module contract gives `outcome`."""
        if trial.lease_lost():
            _log.warning("%s: the lease was lost; the result is dropped", trial.name)
            stats.dropped += 1
            return
        if trial.stopped():
            return self._fail(trial, STOPPED_REASON, stats)
        if outcome.error is not None:
            return self._fail(trial, outcome.error, stats)
        request = worker_service_pb2.CompleteTrialRequest(
            name=trial.name, epoch=trial.epoch, lease_token=trial.lease_token)
        try:
            pruned = outcome.pruned or trial.should_prune()
            if pruned:
                request.state = trial_pb2.TRIAL_STATE_PRUNED
                if isinstance(outcome.result, Mapping):
                    request.metrics.update(metrics(outcome.result))
            else:
                values, returned_metrics = completion(outcome.result, trial.metric_names)
                request.values.extend(values)
                request.metrics.update(returned_metrics)
            request.attrs.update(_convert.to_attrs(trial.user_attrs))
        except (TypeError, ValueError) as e:
            return self._fail(trial, f"the function's result: {e}", stats)
        try:
            done = self._connection.call(self._connection.workers.CompleteTrial, request)
        except (errors.FailedPrecondition, errors.NotFound) as e:
            _log.warning("%s: the lease was lost; the result is dropped (%s)", trial.name, e)
            stats.dropped += 1
            return
        except errors.InvalidArgument as e:
            return self._fail(trial, f"CompleteTrial refused the result: {e.message}", stats)
        except errors.NasqError as e:
            _log.error("%s: CompleteTrial failed; the coordinator re-queues the trial when its "
                       "lease expires: %s", trial.name, e)
            stats.dropped += 1
            return
        if done.state == trial_pb2.TRIAL_STATE_FAIL:  # NaN, or not one value per objective
            stats.failed += 1
            _log.warning("%s failed: %s", trial.name, done.system_attrs.get("fail_reason", ""))
        elif done.state == trial_pb2.TRIAL_STATE_PRUNED:
            stats.pruned += 1
            _log.info("%s pruned", trial.name)
        else:
            stats.completed += 1
            _log.info("%s complete: %s", trial.name, list(done.values))

    def _fail(self, trial: WorkerTrial, reason: str, stats: WorkerStats) -> None:
        request = worker_service_pb2.FailTrialRequest(
            name=trial.name, epoch=trial.epoch, lease_token=trial.lease_token, reason=reason)
        try:
            self._connection.call(self._connection.workers.FailTrial, request)
        except errors.NasqError as e:
            _log.error("%s: FailTrial failed (%s); the coordinator re-queues the trial when its "
                       "lease expires", trial.name, e)
            stats.dropped += 1
            return
        stats.failed += 1
        _log.warning("%s failed: %s", trial.name, reason)

"""Keeps one trial's lease alive from a background thread while user code runs.

Contract: `Heartbeat(connection, trial_name, epoch, token, interval_s)` calls
WorkerService.Heartbeat with the lease's epoch and token every `interval_s` seconds between
`start()` and `stop()` (the first call one interval after start). It never raises into the
caller; it records what the server answered:
  * `stop_requested` turns true once an answer says stop (the study was stopped or completed:
    the trial's result is not wanted);
  * `lease_lost` turns true once a call is refused with FAILED_PRECONDITION or NOT_FOUND (the
    lease expired and the trial went back to the queue, or it was finished by someone else);
    the thread then ends, since no later heartbeat can succeed;
  * `lease` is the latest Lease the server returned (None before the first answer).
Other failures (server unreachable, deadline) are logged and retried at the next interval.
Every call has a deadline of one interval (at least MIN_DEADLINE_S) and no UNAVAILABLE retry of
its own, so stop() returns within that deadline. `lease_duration_ms`, when set, asks the server
to renew the lease for that long (HeartbeatRequest.lease_duration_ms). The flags are plain bools
read across threads (atomic under the GIL).
"""
from __future__ import annotations

import logging
import threading
from typing import Optional

from nasq import errors
from nasq._rpc import Connection
from nasq.v1 import worker_service_pb2

_log = logging.getLogger("nasq.heartbeat")
MIN_DEADLINE_S = 2.0


class Heartbeat:
    def __init__(self, connection: Connection, trial_name: str, epoch: int, token: str,
                 interval_s: float, lease_duration_ms: Optional[int] = None):
        if interval_s <= 0:
            raise ValueError(f"interval_s: must be > 0 (got {interval_s})")
        self._connection = connection
        self._request = worker_service_pb2.HeartbeatRequest(
            name=trial_name, epoch=epoch, lease_token=token)
        if lease_duration_ms is not None:
            self._request.lease_duration_ms = lease_duration_ms
        self._interval_s = interval_s
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"nasq-heartbeat {trial_name}",
                                        daemon=True)
        self.stop_requested = False
        self.lease_lost = False
        self.lease = None

    def start(self) -> "Heartbeat":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ends the thread and waits for it; idempotent."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def __enter__(self) -> "Heartbeat":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _loop(self) -> None:
        while not self._stopped.wait(self._interval_s):
            try:
                answer = self._connection.call(self._connection.workers.Heartbeat, self._request,
                                               deadline_s=max(self._interval_s, MIN_DEADLINE_S),
                                               retry=False)
            except (errors.FailedPrecondition, errors.NotFound) as e:
                self.lease_lost = True
                _log.warning("%s: lease lost: %s", self._request.name, e.message)
                return
            except errors.NasqError as e:
                _log.warning("%s: heartbeat failed (retried next interval): %s",
                             self._request.name, e)
                continue
            self.lease = answer.lease
            if answer.stop and not self.stop_requested:
                self.stop_requested = True
                _log.info("%s: the coordinator asks to stop the trial", self._request.name)

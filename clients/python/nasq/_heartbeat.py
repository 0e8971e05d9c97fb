"""Keeps a trial's lease alive from a daemon thread while user code runs: the ask/tell client's
trials (nasq.Study.ask) and the Python workers' both use it.

Contract: `LeaseKeeper(connection, trial_name, epoch, token, interval_s, lease_duration_ms)`
sends WorkerService.Heartbeat (with the lease's epoch and token, and lease_duration_ms when
given) every `interval_s` seconds from `start()` until `stop()`. A heartbeat answered `stop`
sets `stop_requested` (the study is no longer running); one refused because the lease is gone
(FAILED_PRECONDITION: it expired and was handed on, or the trial finished) or NOT_FOUND ends the
thread and is kept in `lost` (closing the connection ends it too). UNAVAILABLE is retried by
the connection (a restarting server, which extends every lease by one lease duration when it
is back); any other error is kept in `last_error` and the next beat tries again.
Thread-safe; stop() does not wait for a heartbeat in flight.
"""
from __future__ import annotations

import threading
from typing import Optional

from nasq import errors
from nasq._rpc import Connection
from nasq.v1 import worker_service_pb2


class LeaseKeeper:
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
        self._thread = threading.Thread(target=self._run, name=f"nasq-heartbeat {trial_name}",
                                        daemon=True)
        self.beats = 0                                   # heartbeats the server accepted
        self.stop_requested = False                      # an answer said stop
        self.lost: Optional[errors.NasqError] = None     # why the lease is gone, if it is
        self.last_error: Optional[errors.NasqError] = None

    def start(self) -> "LeaseKeeper":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        """stop() was called: no heart-beat will be sent after the one in flight, if any."""
        return self._stopped.is_set()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval_s):
            try:
                answer = self._connection.call(self._connection.workers.Heartbeat, self._request,
                                               deadline_s=self._interval_s)
            except (errors.FailedPrecondition, errors.NotFound) as e:
                if not self._stopped.is_set():
                    self.lost = e
                return
            except errors.NasqError as e:
                self.last_error = e
                continue
            except ValueError:  # grpc: the connection was closed under this thread
                return
            self.beats += 1
            if answer.stop:
                self.stop_requested = True

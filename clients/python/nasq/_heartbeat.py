"""Keeps trials' leases alive while user code runs: the ask/tell client's trials
(nasq.Study.ask) and the Python workers' both use it.

Contract: `LeaseKeeper(connection, trial_name, epoch, token, interval_s, lease_duration_ms)`
sends WorkerService.Heartbeat (with the lease's epoch and token, and lease_duration_ms when
given) every `interval_s` seconds from `start()` until `stop()`. A heartbeat answered `stop`
sets `stop_requested` (the study is no longer running); one refused because the lease is gone
(FAILED_PRECONDITION: it expired and was handed on, or the trial finished) or NOT_FOUND ends the
keeper and is kept in `lost` (closing the connection ends it too). UNAVAILABLE is retried by
the connection (a restarting server, which extends every lease by one lease duration when it
is back); any other error is kept in `last_error` and the next beat tries again.
Thread-safe; stop() does not wait for a heartbeat in flight.

One daemon thread per connection sends the beats of all its keepers, each when it is due
(starting a thread per trial would cost about a millisecond per ask); it ends after a while
without keepers and starts again with the next.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
import weakref
from typing import Optional

from nasq import errors
from nasq._rpc import Connection
from nasq.v1 import worker_service_pb2

_IDLE_EXIT_S = 30.0  # a beater thread without keepers ends after this long


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
        self.interval_s = interval_s
        self._stopped = threading.Event()
        self.beats = 0                                   # heartbeats the server accepted
        self.stop_requested = False                      # an answer said stop
        self.lost: Optional[errors.NasqError] = None     # why the lease is gone, if it is
        self.last_error: Optional[errors.NasqError] = None

    def start(self) -> "LeaseKeeper":
        _beater(self._connection).add(self, time.monotonic() + self.interval_s)
        return self

    def stop(self) -> None:
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        """stop() was called: no heart-beat will be sent after the one in flight, if any."""
        return self._stopped.is_set()

    def beat(self) -> bool:
        """Sends one heartbeat; False when the keeper is done (stopped or its lease lost)."""
        if self.stopped:
            return False
        try:
            answer = self._connection.call(self._connection.workers.Heartbeat, self._request,
                                           deadline_s=self.interval_s)
        except (errors.FailedPrecondition, errors.NotFound) as e:
            if not self.stopped:
                self.lost = e
            return False
        except errors.NasqError as e:
            self.last_error = e
            return not self.stopped
        except ValueError:  # grpc: the connection was closed
            return False
        self.beats += 1
        if answer.stop:
            self.stop_requested = True
        return not self.stopped


class _Beater:
    """The thread that beats one connection's keepers, from a heap of (due time, keeper)."""

    def __init__(self):
        self._lock = threading.Condition()
        self._due: list[tuple[float, int, LeaseKeeper]] = []
        self._order = itertools.count()  # ties broken by insertion, never by keeper
        self._running = False

    def add(self, keeper: LeaseKeeper, due: float) -> None:
        with self._lock:
            heapq.heappush(self._due, (due, next(self._order), keeper))
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="nasq-heartbeat", daemon=True).start()
            self._lock.notify()

    def _next(self) -> Optional[LeaseKeeper]:
        """The next keeper due, once it is due; None when idle for _IDLE_EXIT_S (the thread
        then ends)."""
        with self._lock:
            while True:
                while self._due and self._due[0][2].stopped:
                    heapq.heappop(self._due)
                if not self._due:
                    if not self._lock.wait(_IDLE_EXIT_S) and not self._due:
                        self._running = False
                        return None
                    continue
                wait_s = self._due[0][0] - time.monotonic()
                if wait_s <= 0:
                    return heapq.heappop(self._due)[2]
                self._lock.wait(wait_s)

    def _run(self) -> None:
        while (keeper := self._next()) is not None:
            if keeper.beat():
                self.add(keeper, time.monotonic() + keeper.interval_s)


_beaters: "weakref.WeakKeyDictionary[Connection, _Beater]" = weakref.WeakKeyDictionary()
_beaters_lock = threading.Lock()


def _beater(connection: Connection) -> _Beater:
    with _beaters_lock:
        beater = _beaters.get(connection)
        if beater is None:
            beater = _beaters[connection] = _Beater()
        return beater

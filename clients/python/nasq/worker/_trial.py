"""The trial object a Python worker hands to the user's function (nasq.Worker, docs/python.md).

Contract: a WorkerTrial describes one leased trial (`params`, `task`, `number`, `study`,
`metric_names`, `attempt`) and carries the lease: `report()` sends an intermediate value with
the lease's epoch and token and returns whether the study's pruner asks to prune;
`should_stop()` is true once the trial's result is no longer wanted (the heartbeat or a report
was answered stop, the lease was lost, or the pruner asked to prune); `set_user_attr()` records
attrs that are stored with the result. Used from the function's thread; the heartbeat thread
only sets flags it reads.
"""
from __future__ import annotations

import json
import math
from typing import Any, Mapping, Optional

from nasq import _convert, errors
from nasq._heartbeat import LeaseKeeper
from nasq._rpc import Connection
from nasq.v1 import worker_service_pb2


class WorkerTrial:
    def __init__(self, connection: Connection, lease: worker_service_pb2.LeaseTrialResponse,
                 heartbeat: LeaseKeeper):
        trial = lease.trial
        self.name: str = trial.name                       # "studies/{study}/trials/{number}"
        self.number: int = trial.number
        self.study: str = lease.study.removeprefix("studies/")
        self.attempt: int = trial.attempt                 # 1 + expired leases
        self.params: dict[str, Any] = _convert.params(trial.params)
        self.task: dict[str, Any] = _task_dict(lease)
        self.metric_names: list[str] = list(lease.metric_names)
        self.user_attrs: dict[str, Any] = {}
        self.epoch: int = lease.lease.epoch
        self.lease_token: str = lease.lease.token  # presented with the epoch on every report
        self._connection = connection
        self._heartbeat = heartbeat
        self.stop_answered = False    # a report was answered stop
        self.report_lost_lease = False
        self.prune_answered = False   # a report was answered prune

    def report(self, value: float, step: int, metrics: Optional[Mapping[str, float]] = None) -> bool:
        """Records `value` as the intermediate value of `step` (>= 0; a repeated step
        overwrites) and `metrics` as user attr "intermediate/<step>". Returns should_prune().
        Raises ValueError for a step < 0 or a non-finite value (the pruner compares them),
        nasq errors when the server cannot be reached; a lost lease only makes should_stop()
        true."""
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"report: step must be an int >= 0 (got {step!r})")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"report: value must be finite (got {value} at step {step})")
        request = worker_service_pb2.ReportIntermediateRequest(
            name=self.name, epoch=self.epoch, lease_token=self.lease_token, step=step, value=value,
            metrics={key: float(v) for key, v in (metrics or {}).items()})
        try:
            answer = self._connection.call(self._connection.workers.ReportIntermediate, request)
        except (errors.FailedPrecondition, errors.NotFound):
            self.report_lost_lease = True
            return self.should_prune()
        self.stop_answered = self.stop_answered or answer.stop
        self.prune_answered = self.prune_answered or answer.prune
        return self.should_prune()

    def should_prune(self) -> bool:
        """True once a report() was answered prune by the study's pruner (Optuna's
        should_prune); end the function then, e.g. by raising nasq.TrialPruned."""
        return self.prune_answered

    def should_stop(self) -> bool:
        """True once the trial's result is no longer wanted: the study was stopped, the lease
        was lost, or the pruner asked to prune. A long function polls it and returns early."""
        return self.stopped() or self.lease_lost() or self.prune_answered

    def stopped(self) -> bool:
        """The coordinator answered stop (to a heartbeat or a report)."""
        return self.stop_answered or self._heartbeat.stop_requested

    def lease_lost(self) -> bool:
        """The lease is no longer this worker's: reports and results are refused."""
        return self.report_lost_lease or self._heartbeat.lost is not None

    def set_user_attr(self, key: str, value: Any) -> None:
        """Stores `value` (JSON-serialisable) as user attr `key` with the trial's result."""
        self.user_attrs[key] = value

    def __repr__(self) -> str:
        return f"WorkerTrial({self.name!r}, attempt={self.attempt}, params={self.params!r})"


def _task_dict(lease: worker_service_pb2.LeaseTrialResponse) -> dict[str, Any]:
    """The study's task section; task_json keeps ints as ints (the Struct makes them floats)."""
    return json.loads(lease.task_json) if lease.task_json else {}

"""Trials as Optuna users know them: TrialState, FrozenTrial (a finished or stored
trial, read-only) and Trial (a trial asked by this client, running under its lease).

A Trial's params come from the study's search space on the server (nasq has no suggest_*):
`trial.params["lr"]`. While the user's code runs, a LeaseKeeper heart-beats its lease; report()
sends intermediate values with that lease and the answer says whether the study's pruner judged
it (should_prune()). set_user_attr() values travel with the tell.
"""
from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from nasq import _convert
from nasq._heartbeat import LeaseKeeper
from nasq.v1 import study_pb2, trial_pb2, worker_service_pb2

if TYPE_CHECKING:
    from nasq.study import Study


class TrialState(enum.IntEnum):
    """Optuna's trial states (the values are nasq's proto enum, not Optuna's integers)."""

    RUNNING = trial_pb2.TRIAL_STATE_RUNNING
    COMPLETE = trial_pb2.TRIAL_STATE_COMPLETE
    PRUNED = trial_pb2.TRIAL_STATE_PRUNED
    FAIL = trial_pb2.TRIAL_STATE_FAIL
    WAITING = trial_pb2.TRIAL_STATE_WAITING

    def is_finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)

    @classmethod
    def parse(cls, state: "TrialState | str") -> "TrialState":
        """A state, or its name in any case ("complete", "PRUNED")."""
        if isinstance(state, TrialState):
            return state
        try:
            return cls[str(state).upper()]
        except KeyError:
            raise ValueError(f"state: expected one of {', '.join(s.name for s in cls)}, "
                             f"got {state!r}") from None


def _distribution(d: study_pb2.Distribution) -> dict[str, Any]:
    """A distribution in Optuna's JSON form: {"name": "FloatDistribution", "attributes": {...}}."""
    kind = d.WhichOneof("kind")
    if kind == "float_distribution":
        f = d.float_distribution
        return {"name": "FloatDistribution", "attributes": {
            "low": f.low, "high": f.high, "log": f.log,
            "step": f.step if f.HasField("step") else None}}
    if kind == "int_distribution":
        i = d.int_distribution
        return {"name": "IntDistribution", "attributes": {
            "low": i.low, "high": i.high, "log": i.log, "step": i.step or 1}}
    choices = [_convert.param_value(c) for c in d.categorical_distribution.choices]
    return {"name": "CategoricalDistribution", "attributes": {"choices": choices}}


@dataclass(frozen=True)
class FrozenTrial:
    """A trial as stored by the server (Optuna's FrozenTrial). `values` is None unless the
    trial has some (COMPLETE, or PRUNED with a last intermediate value); `value` is its single
    value (RuntimeError for a multi-objective trial, as in Optuna)."""

    number: int
    state: TrialState
    values: Optional[list[float]]
    params: dict[str, Any]
    distributions: dict[str, dict[str, Any]]
    intermediate_values: dict[int, float]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    datetime_start: Optional[datetime.datetime]
    datetime_complete: Optional[datetime.datetime]
    attempt: int = 1
    metrics: dict[str, float] = field(default_factory=dict)  # user attr "metrics", if any

    @classmethod
    def from_proto(cls, t: trial_pb2.Trial) -> "FrozenTrial":
        user_attrs = _convert.attrs(t.user_attrs)
        metrics = user_attrs.get("metrics")
        return cls(
            number=t.number,
            state=TrialState(t.state),
            values=list(t.values) or None,
            params=_convert.params(t.params),
            distributions={k: _distribution(t.distributions[k]) for k in sorted(t.distributions)},
            intermediate_values=dict(sorted(t.intermediate_values.items())),
            user_attrs=user_attrs,
            system_attrs=_convert.attrs(t.system_attrs),
            datetime_start=_convert.timestamp(t.start_time, t.HasField("start_time")),
            datetime_complete=_convert.timestamp(t.complete_time, t.HasField("complete_time")),
            attempt=t.attempt,
            metrics=dict(metrics) if isinstance(metrics, dict) else {},
        )

    @property
    def value(self) -> Optional[float]:
        if self.values is not None and len(self.values) > 1:
            raise RuntimeError("This attribute is not available during multi-objective "
                               "optimization; use values.")
        return None if self.values is None else self.values[0]

    @property
    def duration(self) -> Optional[datetime.timedelta]:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def last_step(self) -> Optional[int]:
        return max(self.intermediate_values) if self.intermediate_values else None


def create_trial(*, state: "TrialState | str" = TrialState.COMPLETE, value: Optional[float] = None,
                 values: Optional[list[float]] = None, params: Optional[dict[str, Any]] = None,
                 user_attrs: Optional[dict[str, Any]] = None,
                 system_attrs: Optional[dict[str, Any]] = None,
                 intermediate_values: Optional[dict[int, float]] = None,
                 datetime_start: Optional[datetime.datetime] = None,
                 datetime_complete: Optional[datetime.datetime] = None) -> FrozenTrial:
    """Optuna's optuna.trial.create_trial: a finished trial made here, for Study.add_trial(s).
    It has no number yet (-1) and no distributions: the study's space gives them when it is
    added. Unset times become the time it is added. ValueError when both value and values
    are given."""
    if value is not None and values is not None:
        raise ValueError("Specify only one of value and values.")
    return FrozenTrial(
        number=-1, state=TrialState.parse(state),
        values=[value] if value is not None else (list(values) if values is not None else None),
        params=dict(params or {}), distributions={},
        intermediate_values=dict(intermediate_values or {}), user_attrs=dict(user_attrs or {}),
        system_attrs=dict(system_attrs or {}), datetime_start=datetime_start,
        datetime_complete=datetime_complete)


class Trial:
    """A trial this client asked and runs, holding the lease (see the module comment).

    `params` and `number` are those the server handed out; `study` is its Study. A Trial is
    finished by `study.tell(trial, ...)` (optimize() does it), which stops the heart-beats.
    """

    def __init__(self, study: "Study", proto: trial_pb2.Trial, heartbeat_interval_s: float,
                 lease_duration_ms: Optional[int]):
        self.study = study
        self.number: int = proto.number
        self.name: str = proto.name
        self.params: dict[str, Any] = _convert.params(proto.params)
        self.distributions = {k: _distribution(proto.distributions[k])
                              for k in sorted(proto.distributions)}
        self.epoch: int = proto.lease.epoch
        self.lease_token: str = proto.lease.token
        self.user_attrs: dict[str, Any] = {}
        self._pruned = False
        self.keeper = LeaseKeeper(study._connection, proto.name, self.epoch, self.lease_token,
                                  heartbeat_interval_s, lease_duration_ms).start()

    def report(self, value: float, step: int, metrics: Optional[dict[str, float]] = None) -> None:
        """Reports an intermediate objective value at `step` (>= 0; a repeated step overwrites),
        with optional named metrics (stored as user attr "intermediate/<step>"), and renews
        the lease. The answer says whether the study's pruner judged the trial: see
        should_prune(). As Optuna, `value` may be anything float() takes (NaN included) and
        `step` anything int() takes; in a multi-objective study the value is that of the
        pruner's objective (pruner.objective)."""
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"value: expected a float, got {type(value).__name__}") from None
        try:
            step = int(step)
        except (TypeError, ValueError):
            raise TypeError(f"step: expected an int, got {type(step).__name__}") from None
        if step < 0:
            raise ValueError(f"step: must be >= 0 (got {step})")
        request = worker_service_pb2.ReportIntermediateRequest(
            name=self.name, epoch=self.epoch, step=step, value=value,
            lease_token=self.lease_token, metrics=metrics or {})
        connection = self.study._connection
        answer = connection.call(connection.workers.ReportIntermediate, request)
        self._pruned = answer.prune
        if answer.stop:
            self.keeper.stop_requested = True

    def should_prune(self) -> bool:
        """True when the study's pruner judged the trial at its last report() (the server asks
        the pruner on every report; a study without `pruner:` never prunes). Raise
        nasq.TrialPruned to end it PRUNED, as in Optuna."""
        return self._pruned

    def should_stop(self) -> bool:
        """True once the server answered that the study no longer runs (stopped or complete)."""
        return self.keeper.stop_requested

    def set_user_attr(self, key: str, value: Any) -> None:
        """Stores `value` (JSON-serialisable) as user attr `key` with the trial's tell."""
        _convert.to_attrs({key: value})  # refuse what cannot be stored now, not at the tell
        self.user_attrs[key] = value

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self.params})"

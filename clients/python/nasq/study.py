"""nasq.Study: one study on the server, with Optuna's ask/tell, optimize and result API.

Contracts (Optuna 5 semantics where the concept is the same, optuna/study/_optimize.py):
* ask() leases a trial (AskRequest with this client's id) and heart-beats it from a daemon
  thread every heartbeat_interval of the study until it is told, so an objective may run far
  longer than the lease.
* tell(trial_or_number, values=... | state=...) finishes it, recording this client as its
  teller (TellRequest.client_id); a trial told twice is refused (nasq.errors.FailedPrecondition,
  "Cannot tell a COMPLETE trial.").
* optimize(objective, n_trials, timeout, n_jobs, catch): an exception of the objective FAILs
  the trial (its text is the trial's fail_reason) and propagates unless it is an instance of
  `catch`; KeyboardInterrupt FAILs the trial and propagates; returning None, NaN or a value that
  is not a number (or the wrong number of values) FAILs the trial and goes on; raising
  nasq.TrialPruned ends it PRUNED. n_jobs threads run n_trials trials in all. optimize also ends
  when the study can hand out no more trials (max_trials reached, grid exhausted, stopped). A
  trial whose lease was lost meanwhile (handed on after the server was unreachable for longer
  than the lease) cannot be told: optimize warns (RuntimeWarning) and goes on.
* add_trial(trial) / add_trials(trials) store finished trials made elsewhere (nasq's
  create_trial, a FrozenTrial of this or another study, or an Optuna FrozenTrial) as the study's
  next trials, in order, through the AddTrial RPC (admin role); the server checks them against
  the study's space and directions and refuses a bad one with InvalidArgument naming the field.
* Reading: trials, best_trial(s), best_value, best_params and trials_dataframe() ask the
  server each time (nothing is cached but the spec).
"""
from __future__ import annotations

import collections.abc
import datetime
import itertools
import math
import os
import time
import traceback
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional, Sequence, Union

from nasq import _convert, _dataframe, errors
from nasq._rpc import Connection
from nasq.errors import TrialPruned
from nasq.trial import FrozenTrial, Trial, TrialState
from nasq.v1 import study_pb2, study_service_pb2, trial_pb2

ObjectiveValue = Union[float, Sequence[float], None]
_LIST_PAGE_SIZE = 1000
_MAX_REASON_BYTES = 16_384  # core/limits.h kMaxReasonBytes


def study_state_name(state: int) -> str:
    """"RUNNING", "COMPLETED" or "STOPPED"."""
    return study_pb2.StudyState.Name(state).removeprefix("STUDY_STATE_")


@dataclass(frozen=True)
class Progress:
    """A snapshot of a study (Study.watch): its state, trials per state, best values."""

    state: str                                  # RUNNING, COMPLETED or STOPPED
    counts: dict[str, int]                      # WAITING, RUNNING, COMPLETE, PRUNED, FAIL
    best_values: Optional[list[float]]          # the best trial's, when there is one best
    n_best: int                                 # best trials (Pareto front size), 0 if none
    time: datetime.datetime                     # when it was taken, UTC

    @property
    def n_finished(self) -> int:
        return self.counts["COMPLETE"] + self.counts["PRUNED"] + self.counts["FAIL"]


def trial_counts(counts: study_pb2.TrialCounts) -> dict[str, int]:
    """Trials per state, by TrialState name."""
    return {"WAITING": counts.waiting, "RUNNING": counts.running, "COMPLETE": counts.complete,
            "PRUNED": counts.pruned, "FAIL": counts.fail}


def _values_or_reason(result: Any, n_objectives: int) -> tuple[Optional[list[float]], str]:
    """The objective's return value as (values, ""), or (None, why it FAILs) as Optuna's tell
    words it."""
    if result is None:
        return None, "The value None could not be cast to float."
    is_sequence = isinstance(result, collections.abc.Sequence) and not isinstance(result, str)
    items = list(result) if is_sequence else [result]
    try:
        values = [float(v) for v in items]
    except (TypeError, ValueError):
        return None, f"The value {result!r} could not be cast to float."
    if len(values) != n_objectives:
        return None, (f"The number of the values {len(values)} did not match the number of the "
                      f"objectives {n_objectives}.")
    if any(math.isnan(v) for v in values):
        return None, f"The objective function returned {result!r}."
    return values, ""


def _fit_reason(text: str) -> str:
    """`text` cut to the server's 16 KiB bound on fail reasons, with "..." where it was cut."""
    data = text.encode("utf-8")
    if len(data) <= _MAX_REASON_BYTES:
        return text
    return data[:_MAX_REASON_BYTES - 3].decode("utf-8", errors="ignore") + "..."


def _added_trial_proto(trial: Any) -> trial_pb2.Trial:
    """The AddTrialRequest.trial of a FrozenTrial-like `trial` (see Study.add_trial)."""
    state = getattr(trial.state, "name", trial.state)  # an Optuna TrialState has a name too
    proto = trial_pb2.Trial(state=TrialState.parse(state), values=trial.values or [],
                            user_attrs=_convert.to_attrs(trial.user_attrs),
                            system_attrs=_convert.to_attrs(trial.system_attrs))
    for key, value in trial.params.items():
        proto.params[key].CopyFrom(_convert.to_param_value(value, f"params.{key}"))
    for step, value in trial.intermediate_values.items():
        proto.intermediate_values[int(step)] = float(value)
    if trial.datetime_start is not None:
        proto.start_time.CopyFrom(_convert.to_timestamp(trial.datetime_start, "datetime_start"))
    if trial.datetime_complete is not None:
        proto.complete_time.CopyFrom(_convert.to_timestamp(trial.datetime_complete,
                                                           "datetime_complete"))
    return proto


class Study:
    """A study of a nasq-server; obtain it from Client.create_study / load_study."""

    def __init__(self, connection: Connection, proto: study_pb2.Study, client_id: str):
        self._connection = connection
        self._client_id = client_id
        self._proto = proto
        self.name: str = proto.spec.name
        self._resource = f"studies/{self.name}"
        self._stop_flag = False

    # --- the spec -------------------------------------------------------------------------
    @property
    def spec(self) -> study_pb2.StudySpec:
        """The spec as the server holds it (every option filled in)."""
        return self._proto.spec

    @property
    def directions(self) -> list[str]:
        return [study_pb2.StudyDirection.Name(d).removeprefix("STUDY_DIRECTION_").lower()
                for d in self.spec.directions]

    @property
    def direction(self) -> str:
        if len(self.directions) > 1:
            raise RuntimeError("A multi-objective study has directions, not a direction.")
        return self.directions[0]

    @property
    def metric_names(self) -> Optional[list[str]]:
        return list(self.spec.metric_names) or None

    @property
    def user_attrs(self) -> dict[str, Any]:
        return _convert.attrs(self.spec.user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return _convert.attrs(self._refresh().system_attrs)

    @property
    def state(self) -> str:
        """RUNNING, COMPLETED or STOPPED, asked from the server."""
        return study_state_name(self._refresh().state)

    def _refresh(self) -> study_pb2.Study:
        self._proto = self._call("GetStudy", study_service_pb2.GetStudyRequest(name=self._resource))
        return self._proto

    def _call(self, method: str, request: Any, service: str = "studies",
              retry_request: Any = None) -> Any:
        stub = getattr(self._connection, service)
        return self._connection.call(getattr(stub, method), request, retry_request=retry_request)

    # --- ask and tell -----------------------------------------------------------------------
    def ask(self, lease_duration: Optional[float] = None) -> Trial:
        """Leases a trial (a WAITING one first, else new params from the study's sampler) and
        heart-beats it until it is told. `lease_duration` (seconds) asks for a lease of that
        length instead of the study's lease.duration; heart-beats renew it for as long.
        Raises nasq.errors.ResourceExhausted when no trial can be handed out now (max_trials
        reached, grid exhausted) and FailedPrecondition when the study is not running."""
        request = study_service_pb2.AskRequest(parent=self._resource, client_id=self._client_id)
        lease_ms = None  # the study's lease, for the ask and every heart-beat
        if lease_duration is not None:
            if not lease_duration > 0:
                raise ValueError(f"lease_duration: must be > 0 seconds (got {lease_duration})")
            lease_ms = round(lease_duration * 1000)
            request.lease_duration_ms = lease_ms
        proto = self._call("Ask", request)
        return Trial(self, proto, self.spec.heartbeat_interval_ms / 1000, lease_ms)

    def tell(self, trial: Union[Trial, int], values: ObjectiveValue = None,
             state: Union[TrialState, str, None] = None, *, skip_if_finished: bool = False,
             constraints: Optional[dict[str, float]] = None) -> FrozenTrial:
        """Finishes `trial` (a Trial of ask(), or a trial number): COMPLETE with `values` (one
        number, or one per objective), or `state` PRUNED or FAIL without values. As Optuna,
        neither values nor state FAILs it. `constraints` are outcome constraints by name
        (feasible when every value <= 0). Returns the trial as stored."""
        state = None if state is None else TrialState.parse(state)
        if state in (TrialState.PRUNED, TrialState.FAIL) and values is not None:
            raise ValueError(f"values: not allowed with state {state.name}")
        if state not in (None, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
            raise ValueError(f"state: a trial is told COMPLETE, PRUNED or FAIL, not {state.name}")
        fail_reason = ""
        if state in (None, TrialState.COMPLETE):
            values, fail_reason = _values_or_reason(values, len(self.spec.directions))
            state = TrialState.FAIL if fail_reason else TrialState.COMPLETE
        return self._finish(trial, state, values or [], fail_reason, skip_if_finished,
                            constraints or {})

    def _finish(self, trial: Union[Trial, int], state: TrialState, values: Sequence[float],
                fail_reason: str, skip_if_finished: bool = False,
                constraints: Optional[dict[str, float]] = None) -> FrozenTrial:
        """Tells `trial` (with this client as its teller and, for a FAIL, `fail_reason`)."""
        if isinstance(trial, Trial):
            trial.keeper.stop()
            request = study_service_pb2.TellRequest(
                name=trial.name, epoch=trial.epoch, lease_token=trial.lease_token,
                user_attrs=_convert.to_attrs(trial.user_attrs))
        elif isinstance(trial, int) and not isinstance(trial, bool):
            request = study_service_pb2.TellRequest(name=f"{self._resource}/trials/{trial}")
        else:
            raise TypeError(f"trial: expected a Trial or a trial number, got {trial!r}")
        request.state = state
        request.values.extend(values)
        request.client_id = self._client_id
        request.fail_reason = _fit_reason(fail_reason)
        request.skip_if_finished = skip_if_finished
        for key, value in (constraints or {}).items():
            request.constraints[key] = value
        # A retry may follow a Tell the server stored before the connection dropped: it then
        # answers the trial as stored (with a lease, only while that lease's attempt is the
        # trial's) instead of "Cannot tell a COMPLETE trial.".
        retried = study_service_pb2.TellRequest()
        retried.CopyFrom(request)
        retried.skip_if_finished = True
        return FrozenTrial.from_proto(self._call("Tell", request, retry_request=retried))

    def enqueue_trial(self, params: dict[str, Any]) -> FrozenTrial:
        """Optuna's enqueue_trial: a WAITING trial with `params`, asked before sampled ones."""
        request = study_service_pb2.EnqueueTrialRequest(parent=self._resource)
        for key, value in params.items():
            request.params[key].CopyFrom(_convert.to_param_value(value, f"params.{key}"))
        return FrozenTrial.from_proto(self._call("EnqueueTrial", request))

    def add_trial(self, trial: Any) -> FrozenTrial:
        """Optuna's add_trial: stores `trial` (anything with FrozenTrial's fields state, values,
        params, intermediate_values, user_attrs, system_attrs, datetime_start and
        datetime_complete; its number and distributions are ignored) as the study's next trial,
        COMPLETE, PRUNED or FAIL. Returns it as stored, numbered."""
        request = study_service_pb2.AddTrialRequest(parent=self._resource,
                                                    trial=_added_trial_proto(trial))
        return FrozenTrial.from_proto(self._call("AddTrial", request))

    def add_trials(self, trials: collections.abc.Iterable[Any]) -> list[FrozenTrial]:
        """Optuna's add_trials: add_trial of each of `trials` in order (those before a refused
        one stay stored)."""
        return [self.add_trial(t) for t in trials]

    # --- optimize ---------------------------------------------------------------------------
    def optimize(self, func: Callable[[Trial], ObjectiveValue], n_trials: Optional[int] = None,
                 timeout: Optional[float] = None, n_jobs: int = 1,
                 catch: tuple[type[Exception], ...] = ()) -> None:
        """Runs `func` on asked trials and tells each result (see the module contract)."""
        if not isinstance(catch, tuple):
            raise TypeError(f"The catch argument is of type '{type(catch).__name__}' but must "
                            "be a tuple.")
        if n_jobs == -1:
            n_jobs = os.cpu_count() or 1
        if n_jobs < 1:
            raise ValueError(f"n_jobs: must be >= 1 or -1 (got {n_jobs})")
        self._stop_flag = False
        started = time.monotonic()

        def go_on(submitted: int) -> bool:
            return (not self._stop_flag
                    and (n_trials is None or submitted < n_trials)
                    and (timeout is None or time.monotonic() - started < timeout))

        if n_jobs == 1:
            for submitted in itertools.count():
                if not go_on(submitted) or not self._run_trial(func, catch):
                    return
        with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="nasq-optimize") as pool:
            futures: set[Future] = set()
            try:
                for submitted in itertools.count():
                    if not go_on(submitted):
                        break
                    if len(futures) >= n_jobs:
                        done, futures = wait(futures, return_when=FIRST_COMPLETED)
                        for f in done:
                            if not f.result():   # raises the objective's exception
                                self._stop_flag = True
                        if not go_on(submitted):
                            break
                    futures.add(pool.submit(self._run_trial, func, catch))
                for f in futures:
                    f.result()
            finally:
                self._stop_flag = True  # threads still queued start no trial

    def stop(self) -> None:
        """Optuna's Study.stop(): optimize() returns once its running trials finish. (The
        study itself keeps running on the server; Client.stop_study stops it there.)"""
        self._stop_flag = True

    def _run_trial(self, func: Callable[[Trial], ObjectiveValue],
                   catch: tuple[type[Exception], ...]) -> bool:
        """One trial of optimize; False when no trial could be asked (the study is done)."""
        if self._stop_flag:
            return False
        try:
            trial = self.ask()
        except (errors.ResourceExhausted, errors.FailedPrecondition):
            return False
        error: Optional[BaseException] = None
        values: Optional[list[float]] = None
        try:
            result = func(trial)
        except TrialPruned:
            state, reason = TrialState.PRUNED, ""
        except (Exception, KeyboardInterrupt) as e:
            error = e
            state = TrialState.FAIL
            reason = "".join(traceback.format_exception_only(type(e), e)).strip()
        else:
            values, reason = _values_or_reason(result, len(self.spec.directions))
            state = TrialState.FAIL if reason else TrialState.COMPLETE
        try:
            self._finish(trial, state, values or [], reason)
        except errors.FailedPrecondition as e:
            # The lease was lost (the server was unreachable for longer than the lease and
            # handed the trial on): its result is dropped, as a worker's would be.
            warnings.warn(f"trial {trial.number} of study {self.name}: result dropped: {e}",
                          RuntimeWarning, stacklevel=2)
        if error is not None and not isinstance(error, catch):
            raise error
        return True

    # --- reading results ----------------------------------------------------------------------
    def get_trials(self, states: Optional[Sequence[Union[TrialState, str]]] = None
                   ) -> list[FrozenTrial]:
        """Every trial (or those in `states`), by number."""
        request = study_service_pb2.ListTrialsRequest(
            parent=self._resource, page_size=_LIST_PAGE_SIZE,
            states=[TrialState.parse(s) for s in states or ()])
        trials: list[FrozenTrial] = []
        while True:
            answer = self._call("ListTrials", request)
            trials.extend(FrozenTrial.from_proto(t) for t in answer.trials)
            if not answer.next_page_token:
                return trials
            request.page_token = answer.next_page_token

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The best COMPLETE trial (single objective) or the feasible Pareto front."""
        answer = self._call("BestTrials", study_service_pb2.BestTrialsRequest(
            parent=self._resource))
        return [FrozenTrial.from_proto(t) for t in answer.trials]

    @property
    def best_trial(self) -> FrozenTrial:
        if len(self.spec.directions) > 1:
            raise RuntimeError("A single best trial cannot be retrieved from a multi-objective "
                               "study; use best_trials.")
        best = self.best_trials
        if not best:
            raise ValueError(f"No trials of study {self.name} are completed yet.")
        return best[0]

    @property
    def best_value(self) -> float:
        return self.best_trial.value

    @property
    def best_params(self) -> dict[str, Any]:
        return self.best_trial.params

    def trials_dataframe(self, attrs: Sequence[str] = _dataframe.DEFAULT_ATTRS,
                         multi_index: bool = False):
        """The trials as a pandas DataFrame in Optuna's column layout plus `metrics_<name>`
        columns for the metrics workers reported (nasq/_dataframe.py)."""
        return _dataframe.trials_dataframe(self.trials, len(self.spec.directions),
                                           self.metric_names, attrs, multi_index)

    def watch(self, interval: float = 1.0, timeout: Optional[float] = None
              ) -> Iterator[Progress]:
        """Yields a Progress snapshot now and every `interval` seconds until the study is no
        longer RUNNING (that snapshot is the last) or `timeout` seconds have passed."""
        started = time.monotonic()
        while True:
            proto = self._refresh()
            best = self.best_trials
            yield Progress(
                state=study_state_name(proto.state), counts=trial_counts(proto.trial_counts),
                best_values=best[0].values if len(best) == 1 else None, n_best=len(best),
                time=datetime.datetime.now(datetime.timezone.utc))
            if proto.state != study_pb2.STUDY_STATE_RUNNING:
                return
            if timeout is not None and time.monotonic() - started + interval > timeout:
                return
            time.sleep(interval)

    def __repr__(self) -> str:
        return f"Study(name={self.name!r}, directions={self.directions})"

